// The F16 key/value cache of one slot.
//
// Layout per layer and KV head: k[head][pos][head_dim] and v[head][pos][head_dim] (head-major), K after RoPE, so
// the attention of one head reads one contiguous run of rows. Values
// are rounded to F16 when stored, as in the reference engines' default cache. Capacity grows on demand
// (reserve), so a slot holding a short prompt costs little; what positions hold valid data is the owner's
// business (the slot's token list).
#pragma once

#include <cstdint>
#include <vector>

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

    // Key / value of KV head h at position pos in layer il; consecutive positions are head_dim values apart.
    uint16_t* k(int32_t il, int32_t h, int32_t pos) { return k_.data() + offset(il, h, pos); }
    uint16_t* v(int32_t il, int32_t h, int32_t pos) { return v_.data() + offset(il, h, pos); }
    const uint16_t* k(int32_t il, int32_t h, int32_t pos) const { return k_.data() + offset(il, h, pos); }
    const uint16_t* v(int32_t il, int32_t h, int32_t pos) const { return v_.data() + offset(il, h, pos); }

  private:
    int64_t offset(int32_t il, int32_t h, int32_t pos) const {
        return ((static_cast<int64_t>(il) * n_head_kv_ + h) * capacity_ + pos) * head_dim_;
    }

    int32_t n_layer_, n_head_kv_, head_dim_;
    int32_t capacity_ = 0;
    std::vector<uint16_t> k_, v_;
};

}  // namespace trit
