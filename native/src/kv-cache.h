// The F16 key/value cache of one slot.
//
// Layout per layer and KV head: keys k[head][pos][head_dim] (head-major, after RoPE) and values transposed,
// v[head][dim][pos], as the attention reads them: the score of a position is a dot product over one key row,
// and each output dimension is a dot product of the probabilities with one value row over the positions. Values
// are rounded to F16 when stored, as in the reference engines' default cache. Capacity grows on demand
// (reserve), so a slot holding a short prompt costs little; what positions hold valid data is the owner's
// business (the slot's token list).
#pragma once

#include <cstdint>

#include "aligned-vector.h"

namespace trit {

class KvCache {
  public:
    KvCache(int32_t n_layer, int32_t n_head_kv, int32_t head_dim);

    int32_t capacity() const { return capacity_; }
    int64_t bytes() const { return bytes_for(n_layer_, n_head_kv_ * head_dim_, capacity_); }
    static int64_t bytes_for(int32_t n_layer, int32_t n_embd_kv, int32_t n_tokens) {
        return int64_t(2) * n_layer * n_embd_kv * n_tokens * static_cast<int64_t>(sizeof(uint16_t));
    }

    // Grows the capacity to at least n_tokens positions, keeping positions [0, n_keep). Throws Error(memory)
    // if the allocation fails.
    void reserve(int32_t n_tokens, int32_t n_keep);
    void clear();  // frees the memory

    // Key of KV head h at position pos in layer il; consecutive positions are head_dim values apart.
    uint16_t* k(int32_t il, int32_t h, int32_t pos) { return k_.data() + k_offset(il, h, pos); }
    const uint16_t* k(int32_t il, int32_t h, int32_t pos) const { return k_.data() + k_offset(il, h, pos); }
    // Values of KV head h in layer il, transposed: dimension d of position pos at [d · v_stride() + pos].
    uint16_t* v_t(int32_t il, int32_t h) { return v_.data() + v_offset(il, h); }
    const uint16_t* v_t(int32_t il, int32_t h) const { return v_.data() + v_offset(il, h); }
    int64_t v_stride() const { return capacity_; }

  private:
    int64_t k_offset(int32_t il, int32_t h, int32_t pos) const {
        return ((static_cast<int64_t>(il) * n_head_kv_ + h) * capacity_ + pos) * head_dim_;
    }
    int64_t v_offset(int32_t il, int32_t h) const {
        return (static_cast<int64_t>(il) * n_head_kv_ + h) * head_dim_ * capacity_;
    }

    int32_t n_layer_, n_head_kv_, head_dim_;
    int32_t capacity_ = 0;
    AlignedVector<uint16_t> k_, v_;
};

}  // namespace trit
