// std::vector whose storage starts on a 64-byte boundary.
//
// The kernels load 32- and 64-byte vectors at multiples of their width from the start of each buffer (rows of
// the KV cache, the probabilities, the quantized activations). malloc only promises 16 bytes, so with its
// storage half or all of those loads would straddle two cache lines, which costs a second load each.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace trit {

template <class T>
struct CacheLineAllocator {
    using value_type = T;
    static constexpr std::align_val_t kAlign{64};

    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(::operator new(n * sizeof(T), kAlign));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, kAlign); }

    template <class U>
    bool operator==(const CacheLineAllocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const CacheLineAllocator<U>&) const noexcept {
        return false;
    }
};

template <class T>
using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace trit
