// The BitNet forward pass (bitnet-format.md §4) over a batch of tokens.
//
// A batch of n tokens is evaluated as matrix × matrix products (each weight is read once per batch); a single
// token is the n = 1 case (matrix × vector). Every output element is computed by the same kernel call
// whatever n is, so a prompt evaluated in one batch, in chunks, or token by token gives bit-identical logits.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "../kernels/kernels.h"
#include "aligned-vector.h"
#include "kv-cache.h"
#include "model.h"
#include "threadpool.h"

namespace trit {

class Forward {
  public:
    // n_batch: the most tokens one eval() call takes; n_ctx: the most positions a KV cache holds.
    Forward(const Model& model, const KernelTable& kernels, ThreadPool& pool, int32_t n_batch, int32_t n_ctx);

    int32_t n_batch() const { return n_batch_; }

    enum class Logits { none, last, all };

    // Evaluates tokens[0..n) at positions [pos0, pos0 + n), appending their keys and values to `kv` (capacity
    // must be ≥ pos0 + n; positions < pos0 must hold this sequence's earlier tokens). Writes the logits of
    // the last token or of every token to `logits` ([rows × n_vocab]), or none (an intermediate chunk of a
    // prompt). `interrupted` is polled before every layer; when it returns true, eval returns false at once
    // and positions ≥ pos0 of the cache are not valid.
    bool eval(KvCache& kv, const int32_t* tokens, int32_t n, int32_t pos0, Logits mode, float* logits,
              const std::function<bool()>& interrupted);

  private:
    struct LinearOut {
        const Weight* w;
        float* y;  // [n][w->rows]
    };

    // y_i = W_i · x for every output, x = [n][k] rows (all weights share k). Activations are prepared once
    // per format and the rows of all outputs are split over the threads in one dispatch.
    void linear(const float* x, int64_t k, int32_t n, const LinearOut* outs, int n_outs);
    // Prepares activations of format `fmt` from x [n][k] into act_; returns the prepared row size in bytes.
    int64_t prepare(ActFormat fmt, const float* x, int64_t k, int32_t n, const uint8_t** rows);
    void attention(const KvCache& kv, int32_t il, int32_t n, int32_t pos0);
    void attention_small(const KvCache& kv, int32_t il, int32_t n, int32_t pos0);
    void store_values(KvCache& kv, int32_t il, int32_t n, int32_t pos0);
    void rescore(const Weight& exact, int32_t n_out, float* logits);
    // fn(t) for every token, split over the pool when n × width (values touched per token) is worth it.
    void for_tokens(int32_t n, int64_t width, const std::function<void(int32_t t)>& fn);
    // out row t = rms_norm(x row t, w) for n rows of n_cols values (rows n_cols apart in both), after before(t)
    // when given; a thread's rows go 4 at a time (their sums interleave), split over the pool when worth it.
    void norm_rows(const float* x, const float* w, int64_t n_cols, int32_t n, float* out,
                   const std::function<void(int32_t t)>& before = nullptr);
    // fn(ith, nth) on the pool, or fn(0, 1) on the calling thread when `work` (multiply-adds) is small.
    void parallel(int64_t work, const std::function<void(int32_t ith, int32_t nth)>& fn);

    const Model& model_;
    const Hparams& hp_;
    const KernelTable& kt_;
    ThreadPool& pool_;
    int32_t n_batch_;
    float theta_scale_;  // powf(freq_base, -2 / n_rot), as ggml computes it
    float kq_scale_;     // 1 / sqrt(head_dim)

    // Scratch, sized for n_batch tokens (row strides are the width of each tensor).
    AlignedVector<float> x_;          // [n_batch][n_embd]          residual stream
    AlignedVector<float> cur_;        // [n_batch][max width]       normalized input of the next linear
    AlignedVector<float> q_;          // [n_batch][n_embd_q]
    AlignedVector<float> k_;          // [n_batch][n_embd_kv]
    AlignedVector<float> v_;          // [n_batch][n_embd_kv]
    AlignedVector<float> attn_;       // [n_batch][n_embd_q]        attention output (heads concatenated)
    AlignedVector<float> gate_;       // [n_batch][n_ff]
    AlignedVector<float> up_;         // [n_batch][n_ff]
    AlignedVector<float> y_;          // [n_batch][n_embd]          output of attn_output / ffn_down
    AlignedVector<float> rope_;       // [n_batch][n_rot]           cos, sin per rotary pair
    AlignedVector<uint8_t> act_;      // [n_batch][prepared row]    quantized / converted activations
    AlignedVector<float> act_scale_;  // [n_batch]            I2_S activation scales
    std::vector<int32_t> act_sum_;    // [n_batch]            I2_S activation sums
    // Attention works on query heads that share a KV head, up to attn_group_max_ of them at once.
    int32_t attn_group_max_ = 1;    // the largest divisor of n_head / n_head_kv that is at most kAttnGroupMax
    AlignedVector<float> scores_;  // [n_threads][attn_group_max_][n_ctx padded]  scores / probabilities
    size_t scores_stride_ = 0;
    AlignedVector<uint16_t> q16_;  // [n_threads][attn_group_max_][head_dim]  queries rounded to F16
    // attention_small: per KV head, the rows (token t, query head i of the group) at t·group + i.
    AlignedVector<float> small_s_;       // [n_head_kv][kAttnSmallBatch · group][n_ctx padded]  scores / probabilities
    AlignedVector<uint16_t> small_q16_;  // [n_head_kv][kAttnSmallBatch · group][head_dim]
    AlignedVector<float> small_out_;     // [n_head_kv][kAttnSmallBatch · group][head_dim]
};

}  // namespace trit
