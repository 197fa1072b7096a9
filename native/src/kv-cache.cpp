#include "kv-cache.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "trit/engine.h"

namespace trit {

KvCache::KvCache(int32_t n_layer, int32_t n_head_kv, int32_t head_dim)
    : n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(head_dim) {}

void KvCache::reserve(int32_t n_tokens, int32_t n_keep) {
    if (n_tokens <= capacity_) return;
    n_keep = std::min(n_keep, capacity_);
    const size_t runs = static_cast<size_t>(n_layer_) * static_cast<size_t>(n_head_kv_);  // (layer, head) pairs
    const size_t row = static_cast<size_t>(head_dim_);
    const size_t n = runs * static_cast<size_t>(n_tokens) * row;
    AlignedVector<uint16_t> k, v;
    try {
        k.resize(n);
        v.resize(n);
    } catch (const std::bad_alloc&) {
        throw Error(ErrorCode::memory,
                    "not enough memory for a KV cache of " + std::to_string(n_tokens) + " tokens");
    }
    const size_t keep = static_cast<size_t>(n_keep > 0 ? n_keep : 0);
    for (size_t run = 0; run < runs && keep > 0; ++run) {
        // Keys: the first n_keep rows of the run; values: the first n_keep positions of each dimension's row.
        std::memcpy(k.data() + run * static_cast<size_t>(n_tokens) * row,
                    k_.data() + run * static_cast<size_t>(capacity_) * row, keep * row * sizeof(uint16_t));
        for (size_t d = 0; d < row; ++d) {
            std::memcpy(v.data() + (run * row + d) * static_cast<size_t>(n_tokens),
                        v_.data() + (run * row + d) * static_cast<size_t>(capacity_), keep * sizeof(uint16_t));
        }
    }
    k_.swap(k);
    v_.swap(v);
    capacity_ = n_tokens;
}

void KvCache::clear() {
    AlignedVector<uint16_t>().swap(k_);
    AlignedVector<uint16_t>().swap(v_);
    capacity_ = 0;
}

}  // namespace trit
