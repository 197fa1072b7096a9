#include "kv-cache.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "trit/engine.h"

namespace trit {

KvCache::KvCache(int32_t n_layer, int32_t n_embd_kv) : n_layer_(n_layer), n_embd_kv_(n_embd_kv) {}

void KvCache::reserve(int32_t n_tokens, int32_t n_keep) {
    if (n_tokens <= capacity_) return;
    n_keep = std::min(n_keep, capacity_);
    const size_t n =
        static_cast<size_t>(n_layer_) * static_cast<size_t>(n_tokens) * static_cast<size_t>(n_embd_kv_);
    std::vector<uint16_t> k, v;
    try {
        k.resize(n);
        v.resize(n);
    } catch (const std::bad_alloc&) {
        throw Error(ErrorCode::memory,
                    "not enough memory for a KV cache of " + std::to_string(n_tokens) + " tokens");
    }
    const size_t row = static_cast<size_t>(n_embd_kv_);
    for (int32_t il = 0; il < n_layer_ && n_keep > 0; ++il) {
        const size_t src = static_cast<size_t>(il) * static_cast<size_t>(capacity_) * row;
        const size_t dst = static_cast<size_t>(il) * static_cast<size_t>(n_tokens) * row;
        std::memcpy(k.data() + dst, k_.data() + src, static_cast<size_t>(n_keep) * row * sizeof(uint16_t));
        std::memcpy(v.data() + dst, v_.data() + src, static_cast<size_t>(n_keep) * row * sizeof(uint16_t));
    }
    k_.swap(k);
    v_.swap(v);
    capacity_ = n_tokens;
}

void KvCache::clear() {
    std::vector<uint16_t>().swap(k_);
    std::vector<uint16_t>().swap(v_);
    capacity_ = 0;
}

}  // namespace trit
