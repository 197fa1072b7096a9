#include "forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>

// Every float operation is rounded separately (the numerics mirror the reference engines operation by operation);
// clang would otherwise fuse a*b+c within an expression. GCC's ISO mode and -ffp-contract=off do the same.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace trit {

namespace {

// ggml_rms_norm followed by ggml_mul: squares in float summed in double, mean and scale in float,
// out = (x · scale) · w.
void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
    const float mean = static_cast<float>(sum / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * scale) * w[i];
}

// g = relu(g)² · u, elementwise: r = g > 0 ? g : +0 (so NaN gives 0), then (r · r) · u. The test is done on the
// bits (0 < bits ≤ 0x7F800000: positive, at most +inf) and r formed with a mask, because GCC keeps a branch per
// element for the float comparison or select and then does not vectorise the loop (measured: the scalar loop took
// ~5 % of a 128-token prefill).
void relu_sqr_mul(float* __restrict g, const float* __restrict u, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &g[i], sizeof(bits));
        bits &= 0u - static_cast<uint32_t>(bits - 1u < 0x7F800000u);  // +0 unless 0 < g ≤ +inf
        float r;
        std::memcpy(&r, &bits, sizeof(r));
        g[i] = (r * r) * u[i];
    }
}

// rms_norm of R consecutive rows of n values (row r at x + r·n, out + r·n). Each row's sum is rms_norm's sequential
// double sum, so the results are the same bits; the R chains interleave, which hides the latency of the double
// additions (one chain alone waits on every add).
template <int R>
void rms_norm_rows(const float* x, const float* w, int64_t n, float eps, float* out) {
    double sum[R] = {};
    for (int64_t i = 0; i < n; ++i) {
        for (int r = 0; r < R; ++r) {
            const float v = x[r * n + i];
            sum[r] += static_cast<double>(v * v);
        }
    }
    for (int r = 0; r < R; ++r) {
        const float mean = static_cast<float>(sum[r] / static_cast<double>(n));
        const float scale = 1.0f / std::sqrt(mean + eps);
        for (int64_t i = 0; i < n; ++i) out[r * n + i] = (x[r * n + i] * scale) * w[i];
    }
}

// Below this many multiply-adds a step runs on the calling thread: waking the pool costs more than it saves.
constexpr int64_t kMinParallelWork = int64_t(1) << 16;
// Cache rows written per token from which the value store is split over the threads.
constexpr int64_t kMinParallelRows = 512;
// The most query heads one attention item handles (they share a KV head and read its rows once).
constexpr int32_t kAttnGroupMax = 8;
// Batches of up to this many tokens (decode, the re-prompt after an edit) take attention_small.
constexpr int32_t kAttnSmallBatch = 4;

// Asks for the cache line at p ahead of a store to it (a no-op where the compiler has no prefetch builtin).
inline void prefetch_for_write(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 1, 3);
#else
    (void)p;
#endif
}

GemmFn gemm_for(const KernelTable& kt, TensorType type) {
    switch (type) {
        case TensorType::I2_S:
            return kt.gemm_i2_s;
        case TensorType::TQ2_0:
            return kt.gemm_tq2_0;
        case TensorType::TQ1_0:
            return kt.gemm_tq1_0;
        case TensorType::Q6_K:
            return kt.gemm_q6_K;
        case TensorType::Q8_0:
            return kt.gemm_q8_0;
        case TensorType::F16:
            return kt.gemm_f16;
        case TensorType::BF16:
            return kt.gemm_bf16;
        case TensorType::F32:
            return kt.gemm_f32;
    }
    return kt.gemm_f32;
}

// Bytes of one prepared activation row of k values.
int64_t act_row_bytes(ActFormat fmt, int64_t k) {
    switch (fmt) {
        case ActFormat::f32:
            return 4 * k;
        case ActFormat::f16:
        case ActFormat::bf16:
            return 2 * k;
        case ActFormat::i8_row:
            return k;
        case ActFormat::q8_K:
            return k / QK_K * static_cast<int64_t>(sizeof(BlockQ8K));
        case ActFormat::q8_0:
            return k / QK8_0 * BLOCK_Q8_0_BYTES;
    }
    return 4 * k;
}

}  // namespace

Forward::Forward(const Model& model, const KernelTable& kernels, ThreadPool& pool, int32_t n_batch,
                 int32_t n_ctx)
    : model_(model), hp_(model.hparams()), kt_(kernels), pool_(pool), n_batch_(n_batch) {
    const size_t B = static_cast<size_t>(n_batch);
    const size_t n_embd = static_cast<size_t>(hp_.n_embd), n_q = static_cast<size_t>(hp_.n_embd_q()),
                 n_kv = static_cast<size_t>(hp_.n_embd_kv()), n_ff = static_cast<size_t>(hp_.n_ff);
    const size_t width = std::max({n_embd, n_q, n_ff});
    x_.resize(B * n_embd);
    cur_.resize(B * width);
    q_.resize(B * n_q);
    k_.resize(B * n_kv);
    v_.resize(B * n_kv);
    attn_.resize(B * n_q);
    gate_.resize(B * n_ff);
    up_.resize(B * n_ff);
    y_.resize(B * n_embd);
    rope_.resize(B * static_cast<size_t>(hp_.n_rot));
    // The widest prepared row is F16/BF16 (2 bytes per value); Q8_K needs 292 bytes per 256 values.
    act_.resize(B * width * 2 + 64);
    act_scale_.resize(B);
    act_sum_.resize(B);
    const size_t nth = static_cast<size_t>(pool.n_threads());
    scores_stride_ = static_cast<size_t>((n_ctx + 63) / 32 * 32);
    const int32_t group = hp_.n_head / hp_.n_head_kv;
    for (int32_t g = 1; g <= std::min(group, kAttnGroupMax); ++g) {
        if (group % g == 0) attn_group_max_ = g;
    }
    const size_t gmax = static_cast<size_t>(attn_group_max_);
    scores_.resize(nth * gmax * scores_stride_);
    q16_.resize(nth * gmax * static_cast<size_t>(hp_.head_dim));
    const size_t small_rows = static_cast<size_t>(kAttnSmallBatch) * static_cast<size_t>(hp_.n_head);
    small_s_.resize(small_rows * scores_stride_);
    small_q16_.resize(small_rows * static_cast<size_t>(hp_.head_dim));
    small_out_.resize(small_rows * static_cast<size_t>(hp_.head_dim));
    theta_scale_ = std::pow(hp_.rope_freq_base, -2.0f / static_cast<float>(hp_.n_rot));
    kq_scale_ = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim));
}

void Forward::for_tokens(int32_t n, int64_t width, const std::function<void(int32_t t)>& fn) {
    if (n == 1 || n * width < kMinParallelWork) {
        for (int32_t t = 0; t < n; ++t) fn(t);
        return;
    }
    pool_.run([&](int32_t ith, int32_t nth) {
        int64_t t0, t1;
        split_range(n, ith, nth, 1, &t0, &t1);
        for (int64_t t = t0; t < t1; ++t) fn(static_cast<int32_t>(t));
    });
}

void Forward::norm_rows(const float* x, const float* w, int64_t n_cols, int32_t n, float* out,
                        const std::function<void(int32_t t)>& before) {
    const float eps = hp_.rms_eps;
    auto range = [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; t += 4) {
            const int64_t m = t1 - t < 4 ? t1 - t : 4;
            if (before) {
                for (int64_t i = 0; i < m; ++i) before(static_cast<int32_t>(t + i));
            }
            const float* xt = x + t * n_cols;
            float* ot = out + t * n_cols;
            switch (m) {
                case 4: rms_norm_rows<4>(xt, w, n_cols, eps, ot); break;
                case 3: rms_norm_rows<3>(xt, w, n_cols, eps, ot); break;
                case 2: rms_norm_rows<2>(xt, w, n_cols, eps, ot); break;
                default: rms_norm_rows<1>(xt, w, n_cols, eps, ot); break;
            }
        }
    };
    if (n == 1 || n * n_cols < kMinParallelWork) {
        range(0, n);
        return;
    }
    pool_.run([&](int32_t ith, int32_t nth) {
        int64_t t0, t1;
        split_range(n, ith, nth, 1, &t0, &t1);
        range(t0, t1);
    });
}

void Forward::parallel(int64_t work, const std::function<void(int32_t ith, int32_t nth)>& fn) {
    if (work < kMinParallelWork) {
        fn(0, 1);
    } else {
        pool_.run(fn);
    }
}

int64_t Forward::prepare(ActFormat fmt, const float* x, int64_t k, int32_t n, const uint8_t** rows) {
    const int64_t rb = act_row_bytes(fmt, k);
    if (fmt == ActFormat::f32) {
        *rows = reinterpret_cast<const uint8_t*>(x);
        return rb;
    }
    uint8_t* act = act_.data();
    for_tokens(n, k, [&](int32_t t) {
        const float* xt = x + t * k;
        uint8_t* dst = act + t * rb;
        switch (fmt) {
            case ActFormat::f16:
                kt_.fp32_to_fp16(xt, reinterpret_cast<uint16_t*>(dst), k);
                break;
            case ActFormat::bf16:
                kt_.fp32_to_bf16(xt, reinterpret_cast<uint16_t*>(dst), k);
                break;
            case ActFormat::i8_row:
                kt_.quantize_i8(xt, k, reinterpret_cast<int8_t*>(dst), &act_scale_[static_cast<size_t>(t)],
                                &act_sum_[static_cast<size_t>(t)]);
                break;
            case ActFormat::q8_K:
                kt_.quantize_q8_K(xt, k, reinterpret_cast<BlockQ8K*>(dst));
                break;
            case ActFormat::q8_0:
                kt_.quantize_q8_0(xt, k, dst);
                break;
            case ActFormat::f32:
                break;
        }
    });
    *rows = act;
    return rb;
}

void Forward::linear(const float* x, int64_t k, int32_t n, const LinearOut* outs, int n_outs) {
    // Outputs are grouped by activation format (in practice all share one); each group is one prepare +
    // dispatch.
    for (int first = 0; first < n_outs;) {
        const ActFormat fmt = outs[first].w->act;
        int last = first + 1;
        while (last < n_outs && outs[last].w->act == fmt) ++last;
        const uint8_t* a = nullptr;
        const int64_t a_row_bytes = prepare(fmt, x, k, n, &a);
        int64_t rows = 0;
        for (int i = first; i < last; ++i) rows += outs[i].w->rows;
        parallel(rows * k * n, [&](int32_t ith, int32_t nth) {
            for (int i = first; i < last; ++i) {
                const Weight& w = *outs[i].w;
                int64_t r0, r1;
                split_range(w.rows, ith, nth, 4, &r0, &r1);
                if (r0 >= r1) continue;
                GemmArgs g;
                g.w = w.data;
                g.w_row_bytes = w.row_bytes;
                g.k = w.k;
                g.w_scale = w.scale;
                g.a = a;
                g.a_row_bytes = a_row_bytes;
                g.a_scale = act_scale_.data();
                g.a_sum = act_sum_.data();
                g.n_tok = n;
                g.y = outs[i].y;
                g.ldy = w.rows;
                gemm_for(kt_, w.type)(g, r0, r1);
                if (w.out_scale != 1.0f) {
                    for (int64_t t = 0; t < n; ++t) {
                        for (int64_t r = r0; r < r1; ++r) g.y[t * w.rows + r] *= w.out_scale;
                    }
                }
            }
        });
        first = last;
    }
}

// Causal self-attention of the batch's tokens over the cache. Query head h reads KV head h / group (group =
// n_head / n_head_kv); the work items are (token, KV head, sub-group of sg query heads), and each item reads
// the key and value rows once for its sg heads. The arithmetic follows the reference engines' single-token
// path, per query head:
//   s_j = (f16(q) · k_j) · kq_scale                     for j ≤ pos (dot_f16)
//   e_j = exp(s_j − max s);  Σ e over the cache length padded to 32 (n_kv), in float chunks of 16 added in double
//   p_j = f16(e_j · (float)(1 / Σ))                     (attn_softmax; exp is exp_softmax, kernels.h)
//   o   = Σ_j p_j · v_j   as a dot product over the n_kv positions: 64 lanes for the first n_kv & ~63
//         positions, the reduce64 tree, then the remaining positions added in double.
void Forward::attention(const KvCache& kv, int32_t il, int32_t n, int32_t pos0) {
    const int64_t hd = hp_.head_dim, n_q = hp_.n_embd_q();
    const int32_t group = hp_.n_head / hp_.n_head_kv;
    if (n <= kAttnSmallBatch && (pos0 + 1 + 31) / 32 == (pos0 + n + 31) / 32) {
        attention_small(kv, il, n, pos0);
        return;
    }
    // Sub-group size: fewer, larger items read the cache fewer times; more, smaller items balance the threads
    // better. Pick the divisor of the group that minimises (items per thread) × (sg + 1), the +1 standing for
    // the shared reading and widening of the key rows.
    const int32_t nth = pool_.n_threads();
    int32_t sg = 1;
    int64_t best = INT64_MAX;
    for (int32_t g = attn_group_max_; g >= 1; --g) {
        if (attn_group_max_ % g != 0) continue;
        const int64_t items = static_cast<int64_t>(n) * hp_.n_head / g;
        const int64_t cost = (items + nth - 1) / nth * (g + 1);
        if (cost < best) {
            best = cost;
            sg = g;
        }
    }
    const int32_t n_sub = hp_.n_head / sg;  // sub-groups per token
    const int64_t n_items = static_cast<int64_t>(n) * n_sub;
    auto work = [&](int32_t ith, int32_t nth_) {
        float* s = scores_.data() + static_cast<size_t>(ith) * static_cast<size_t>(attn_group_max_) * scores_stride_;
        uint16_t* q16 =
            q16_.data() + static_cast<size_t>(ith) * static_cast<size_t>(attn_group_max_) * static_cast<size_t>(hd);
        // Items are dealt out in turn, not in contiguous ranges: a token's work grows with its position, so
        // contiguous ranges would leave the first threads idle while the last one finishes the longest rows.
        for (int64_t item = ith; item < n_items; item += nth_) {
            const int32_t t = static_cast<int32_t>(item / n_sub);
            const int32_t h0 = static_cast<int32_t>(item % n_sub) * sg;  // first query head of the sub-group
            const int32_t h_kv = h0 / group;
            const int32_t n_pos = pos0 + t + 1;
            const int32_t n_kv = std::max(32, (n_pos + 31) / 32 * 32);
            const size_t sstride = scores_stride_;

            for (int32_t i = 0; i < sg; ++i)
                kt_.fp32_to_fp16(&q_[static_cast<size_t>(t * n_q + (h0 + i) * hd)], q16 + i * hd, hd);
            kt_.attn_scores_f16(q16, hd, sg, kv.k(il, h_kv, 0), hd, n_pos, hd, kq_scale_, s,
                                static_cast<int64_t>(sstride));
            kt_.attn_softmax(s, static_cast<int64_t>(sstride), sg, n_pos, n_kv);
            const int32_t np = n_kv & ~63;
            kt_.attn_pv_f16(s, static_cast<int64_t>(sstride), sg, kv.v_t(il, h_kv), kv.v_stride(), n_pos, np,
                            hd, &attn_[static_cast<size_t>(t * n_q + h0 * hd)], hd);
        }
    };
    parallel(n_items * sg * (pos0 + n) * hd * 2, work);
}

// Attention of a small batch (n ≤ kAttnSmallBatch tokens whose cache lengths pad to the same n_kv: decode and
// the re-prompt after an edit). The threads split the positions (scores), then the (KV head, token) rows
// (softmax), then the output dimensions (p · v), so each KV head's keys and values are read once for all the
// batch's queries and two threads share the work even of a single KV head. Same arithmetic as the item path,
// bit for bit: an earlier token's scores at the later tokens' positions are computed and then dropped by its
// softmax (p = 0 there, as past n_pos), and adding 0 · v to a lane or to the double sum changes nothing (the
// cached values are finite, and no lane or sum is ever -0).
void Forward::attention_small(const KvCache& kv, int32_t il, int32_t n, int32_t pos0) {
    const int64_t hd = hp_.head_dim, n_q = hp_.n_embd_q();
    const int32_t n_kvh = hp_.n_head_kv, group = hp_.n_head / n_kvh;
    const int32_t n_last = pos0 + n;  // positions seen by the last token
    const int32_t n_kv = std::max(32, (n_last + 31) / 32 * 32);
    const int32_t np = n_kv & ~63;
    const int64_t rows = static_cast<int64_t>(n) * group;  // rows per KV head
    const size_t head_rows = static_cast<size_t>(kAttnSmallBatch) * static_cast<size_t>(group);
    const size_t sstride = scores_stride_, uhd = static_cast<size_t>(hd);
    for (int32_t t = 0; t < n; ++t) {
        for (int32_t h = 0; h < hp_.n_head; ++h) {
            const size_t row = static_cast<size_t>(h / group) * head_rows + static_cast<size_t>(t * group + h % group);
            kt_.fp32_to_fp16(&q_[static_cast<size_t>(t * n_q + h * hd)], &small_q16_[row * uhd], hd);
        }
    }
    const int64_t work = rows * n_kvh * n_last * hd * 2;
    parallel(work, [&](int32_t ith, int32_t nth) {
        int64_t j0, j1;
        split_range(n_last, ith, nth, 16, &j0, &j1);
        if (j0 >= j1) return;
        for (int32_t h = 0; h < n_kvh; ++h) {
            kt_.attn_scores_f16(&small_q16_[static_cast<size_t>(h) * head_rows * uhd], hd, rows, kv.k(il, h, j0), hd,
                                j1 - j0, hd, kq_scale_, &small_s_[static_cast<size_t>(h) * head_rows * sstride + static_cast<size_t>(j0)],
                                static_cast<int64_t>(sstride));
        }
    });
    parallel(rows * n_kvh * n_kv * 8, [&](int32_t ith, int32_t nth) {
        int64_t i0, i1;
        split_range(static_cast<int64_t>(n_kvh) * n, ith, nth, 1, &i0, &i1);
        for (int64_t item = i0; item < i1; ++item) {
            const int32_t h = static_cast<int32_t>(item / n), t = static_cast<int32_t>(item % n);
            float* s = &small_s_[(static_cast<size_t>(h) * head_rows + static_cast<size_t>(t * group)) * sstride];
            kt_.attn_softmax(s, static_cast<int64_t>(sstride), group, pos0 + t + 1, n_kv);
        }
    });
    parallel(work, [&](int32_t ith, int32_t nth) {
        int64_t d0, d1;
        split_range(hd, ith, nth, 1, &d0, &d1);
        if (d0 >= d1) return;
        for (int32_t h = 0; h < n_kvh; ++h) {
            float* out = &small_out_[static_cast<size_t>(h) * head_rows * uhd];
            kt_.attn_pv_f16(&small_s_[static_cast<size_t>(h) * head_rows * sstride], static_cast<int64_t>(sstride), rows,
                            kv.v_t(il, h) + d0 * kv.v_stride(), kv.v_stride(), n_last, np, d1 - d0, out + d0, hd);
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t t = r / group, i = r % group;
                std::copy(out + r * hd + d0, out + r * hd + d1, &attn_[static_cast<size_t>(t * n_q + (h * group + i) * hd + d0)]);
            }
        }
    });
}

// Values go to the transposed cache: one row of positions per (KV head, dimension). The rows are 2·capacity
// bytes apart, so the lines one token writes fall into a few cache sets and evict each other: each line is
// written for all the batch's tokens at once (token by token, every line came from memory again for every
// token), and the lines of a thread's rows are requested before its first store so that their misses overlap.
// Two threads keep twice as many misses in flight; for a narrow cache (a small model) waking them costs more.
// Measured on 2 cores of an AVX-512 server part, 2B4T shapes at 2k positions, 30 layers: 0.8 → 0.6 ms per
// decoded token, and 1.4 → 0.6 ms for a 2-token batch.
void Forward::store_values(KvCache& kv, int32_t il, int32_t n, int32_t pos0) {
    const int64_t hd = hp_.head_dim, n_kv = hp_.n_embd_kv(), vs = kv.v_stride();
    auto store = [&](int32_t ith, int32_t nth) {
        int64_t r0, r1;
        split_range(n_kv, ith, nth, 1, &r0, &r1);
        auto row = [&](int64_t r) { return kv.v_t(il, static_cast<int32_t>(r / hd)) + (r % hd) * vs + pos0; };
        for (int64_t r = r0; r < r1; ++r) prefetch_for_write(row(r));
        for (int64_t r = r0; r < r1; ++r) {
            uint16_t* dst = row(r);
            const float* src = &v_[static_cast<size_t>(r)];
            for (int32_t t = 0; t < n; ++t) dst[t] = fp32_to_fp16(src[static_cast<int64_t>(t) * n_kv]);
        }
    };
    if (n_kv >= kMinParallelRows || static_cast<int64_t>(n) * n_kv >= kMinParallelWork) {
        pool_.run(store);
    } else {
        store(0, 1);
    }
}

// The LM head was requantized (Model::output_exact): the best kLmHeadRescore logits of each row are computed
// again from the file's head, so the greedy token and the logits that sampling keeps are the file's.
void Forward::rescore(const Weight& exact, int32_t n_out, float* logits) {
    const int64_t n_vocab = exact.rows, k = exact.k;
    const uint8_t* a = nullptr;
    const int64_t a_row_bytes = prepare(exact.act, cur_.data(), k, n_out, &a);
    const GemmFn gemm = gemm_for(kt_, exact.type);
    for (int32_t j = 0; j < n_out; ++j) {
        float* row = logits + static_cast<int64_t>(j) * n_vocab;
        // The kLmHeadRescore largest entries: a small min-heap, no allocation.
        int64_t top[kLmHeadRescore];
        int n_top = 0;
        auto less = [&](int64_t x, int64_t y) { return row[x] > row[y]; };  // min-heap on the value
        for (int64_t v = 0; v < n_vocab; ++v) {
            if (n_top < kLmHeadRescore) {
                top[n_top++] = v;
                std::push_heap(top, top + n_top, less);
            } else if (row[v] > row[top[0]]) {
                std::pop_heap(top, top + n_top, less);
                top[n_top - 1] = v;
                std::push_heap(top, top + n_top, less);
            }
        }
        GemmArgs g;
        g.w = exact.data;
        g.w_row_bytes = exact.row_bytes;
        g.k = k;
        g.w_scale = exact.scale;
        g.a = a + j * a_row_bytes;
        g.a_row_bytes = a_row_bytes;
        g.a_scale = act_scale_.data() + j;
        g.a_sum = act_sum_.data() + j;
        g.n_tok = 1;
        g.y = row;
        g.ldy = n_vocab;
        for (int i = 0; i < n_top; ++i) {
            gemm(g, top[i], top[i] + 1);
            if (exact.out_scale != 1.0f) row[top[i]] *= exact.out_scale;
        }
    }
}

bool Forward::eval(KvCache& kv, const int32_t* tokens, int32_t n, int32_t pos0, Logits mode, float* logits,
                   const std::function<bool()>& interrupted) {
    const int64_t n_embd = hp_.n_embd, n_q = hp_.n_embd_q(), n_kv = hp_.n_embd_kv(), n_ff = hp_.n_ff;
    const int64_t hd = hp_.head_dim, half = hp_.n_rot / 2;
    const float eps = hp_.rms_eps;

    // x = token_embd[tokens]                                            [n][n_embd]
    for_tokens(n, n_embd,
               [&](int32_t t) { model_.embedding_row(tokens[t], &x_[static_cast<size_t>(t * n_embd)]); });

    // RoPE angles per token: θ_i = pos · base^(-2i/n_rot), iterated in float as ggml does.  [n][half] × (cos,
    // sin)
    for (int32_t t = 0; t < n; ++t) {
        float theta = static_cast<float>(pos0 + t);
        float* cs = &rope_[static_cast<size_t>(t) * static_cast<size_t>(hp_.n_rot)];
        for (int64_t i = 0; i < half; ++i) {
            cs[2 * i] = std::cos(theta);
            cs[2 * i + 1] = std::sin(theta);
            theta *= theta_scale_;
        }
    }
    auto rope = [&](float* v, int32_t t, int32_t n_heads) {
        const float* cs = &rope_[static_cast<size_t>(t) * static_cast<size_t>(hp_.n_rot)];
        for (int32_t h = 0; h < n_heads; ++h) {
            float* head = v + h * hd;
            for (int64_t i = 0; i < half; ++i) {
                const float x0 = head[i], x1 = head[i + half];
                const float c = cs[2 * i], s = cs[2 * i + 1];
                head[i] = x0 * c - x1 * s;
                head[i + half] = x0 * s + x1 * c;
            }
        }
    };

    for (int32_t il = 0; il < hp_.n_layer; ++il) {
        if (interrupted && interrupted()) return false;
        const LayerWeights& L = model_.layers()[static_cast<size_t>(il)];

        // Attention block: a = rms(x, attn_norm); q, k, v = BL(a); RoPE(q, k); cache k, v (F16).
        norm_rows(x_.data(), L.attn_norm, n_embd, n, cur_.data());
        const LinearOut qkv[] = {{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}};
        linear(cur_.data(), n_embd, n, qkv, 3);
        for_tokens(n, n_q + 2 * n_kv, [&](int32_t t) {
            rope(&q_[static_cast<size_t>(t * n_q)], t, hp_.n_head);
            rope(&k_[static_cast<size_t>(t * n_kv)], t, hp_.n_head_kv);
            for (int32_t h = 0; h < hp_.n_head_kv; ++h) {
                const size_t off = static_cast<size_t>(t * n_kv + h * hd);
                kt_.fp32_to_fp16(&k_[off], kv.k(il, h, pos0 + t), hd);
            }
        });
        store_values(kv, il, n, pos0);
        attention(kv, il, n, pos0);

        // SubLN before the output projection, then the residual.               [n][n_embd_q] → [n][n_embd]
        norm_rows(attn_.data(), L.attn_sub_norm, n_q, n, cur_.data());
        const LinearOut o[] = {{&L.wo, y_.data()}};
        linear(cur_.data(), n_q, n, o, 1);
        for (size_t i = 0; i < static_cast<size_t>(n * n_embd); ++i) x_[i] += y_[i];

        // FFN: f = rms(x, ffn_norm); m = act(BL_gate(f)) · BL_up(f); SubLN; h += BL_down(m).
        norm_rows(x_.data(), L.ffn_norm, n_embd, n, cur_.data());
        const LinearOut gu[] = {{&L.ffn_gate, gate_.data()}, {&L.ffn_up, up_.data()}};
        linear(cur_.data(), n_embd, n, gu, 2);
        const bool relu_sqr = hp_.ffn_act == FfnActivation::relu_sqr;
        norm_rows(gate_.data(), L.ffn_sub_norm, n_ff, n, cur_.data(), [&](int32_t t) {
            float* g = &gate_[static_cast<size_t>(t * n_ff)];
            const float* u = &up_[static_cast<size_t>(t * n_ff)];
            if (relu_sqr) {
                relu_sqr_mul(g, u, n_ff);
            } else {
                for (int64_t i = 0; i < n_ff; ++i) g[i] = (g[i] / (1.0f + std::exp(-g[i]))) * u[i];
            }
        });
        const LinearOut down[] = {{&L.ffn_down, y_.data()}};
        linear(cur_.data(), n_ff, n, down, 1);
        for (size_t i = 0; i < static_cast<size_t>(n * n_embd); ++i) x_[i] += y_[i];
    }
    if (interrupted && interrupted()) return false;
    if (mode == Logits::none) return true;

    // Output: rms(x, output_norm) for the rows wanted, then the LM head.     [n_out][n_embd] →
    // [n_out][n_vocab]
    const int32_t first = mode == Logits::all ? 0 : n - 1;
    const int32_t n_out = n - first;
    for_tokens(n_out, n_embd, [&](int32_t j) {
        rms_norm(&x_[static_cast<size_t>((first + j) * n_embd)], model_.output_norm(), n_embd, eps,
                 &cur_[static_cast<size_t>(j * n_embd)]);
    });
    const LinearOut head[] = {{&model_.output(), logits}};
    linear(cur_.data(), n_embd, n_out, head, 1);
    if (const Weight* exact = model_.output_exact()) rescore(*exact, n_out, logits);
    return true;
}

}  // namespace trit
