// AVX2 (+FMA, F16C) kernels. Compiled with -mavx2 -mfma -mf16c only; selected at run time when the CPU and
// the OS support them (cpu-features.cpp). Each function names its ref.cpp twin; integer kernels equal ref bit
// for bit.
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <cmath>
#include <cstring>

// Every float operation is rounded separately (the numerics mirror the reference engines operation by
// operation); clang would otherwise fuse a*b+c within an expression. GCC's ISO mode and -ffp-contract=off do
// the same.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace trit {
namespace {

inline int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

inline float hsum_f32(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline __m256 load_f16x8(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// ---------------------------------------------------------------------------------------------------------------
// Activation preparation
// ---------------------------------------------------------------------------------------------------------------

// Twin of quantize_i8_ref. The absmax is exact in float, so taking it in float equals ref's double max.
void quantize_i8_avx2(const float* x, int64_t n, int8_t* q, float* scale, int32_t* sum) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 vmax = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign_mask, _mm256_loadu_ps(x + i)));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float amax_f = _mm_cvtss_f32(m);
    for (; i < n; ++i) amax_f = std::fmax(amax_f, std::fabs(x[i]));
    const double amax = amax_f > 0.00001 ? static_cast<double>(amax_f) : 0.00001;
    const float s = static_cast<float>(127.0 / amax);

    const __m256 vs = _mm256_set1_ps(s);
    const __m256 lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    __m256i vsum = _mm256_setzero_si256();
    i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v[4];
        for (int j = 0; j < 4; ++j) {
            __m256 f = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), vs);
            f = _mm256_round_ps(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
            v[j] = _mm256_cvtps_epi32(f);
            vsum = _mm256_add_epi32(vsum, v[j]);
        }
        // Pack 4×8 int32 → 32 int8; packs interleave 128-bit lanes, the permute restores the order.
        const __m256i p01 = _mm256_packs_epi32(v[0], v[1]);
        const __m256i p23 = _mm256_packs_epi32(v[2], v[3]);
        __m256i p = _mm256_packs_epi16(p01, p23);
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), p);
    }
    int32_t total = hsum_i32(vsum);
    for (; i < n; ++i) {
        float f = x[i] * s;
        int32_t v = 0;
        if (f == f) {
            f = std::fmin(std::fmax(f, -128.0f), 127.0f);
            v = static_cast<int32_t>(std::nearbyint(f));
        }
        q[i] = static_cast<int8_t>(v);
        total += v;
    }
    *scale = s;
    *sum = total;
}

// Twin of quantize_q8_0_ref.
void quantize_q8_0_avx2(const float* x, int64_t n, uint8_t* y) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (int64_t ib = 0; ib < n / QK8_0; ++ib, x += QK8_0, y += BLOCK_Q8_0_BYTES) {
        __m256 v[4];
        __m256 vmax = _mm256_setzero_ps();
        for (int j = 0; j < 4; ++j) {
            v[j] = _mm256_loadu_ps(x + 8 * j);
            vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign_mask, v[j]));
        }
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float amax = _mm_cvtss_f32(m);
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        const uint16_t d16 = fp32_to_fp16(d);
        std::memcpy(y, &d16, sizeof(d16));
        const __m256 vid = _mm256_set1_ps(id);
        const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
        __m256i iv[4];
        for (int j = 0; j < 4; ++j) {
            __m256 f =
                _mm256_round_ps(_mm256_mul_ps(v[j], vid), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            iv[j] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(f, lo), hi));
        }
        __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(iv[0], iv[1]), _mm256_packs_epi32(iv[2], iv[3]));
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + 2), p);
    }
}

void fp32_to_fp16_avx2(const float* x, uint16_t* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), h);
    }
    for (; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void fp16_to_fp32_avx2(const uint16_t* x, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load_f16x8(x + i));
    for (; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}

// acc += u8 · s8 pair sums (int16). GCC 12 adds into a fresh register and copies it back (an extra move per
// product, and spills once a tile fills the registers); the in-place form keeps the tile in its registers.
inline __m256i add_maddubs(__m256i acc, __m256i u, __m256i s) {
    const __m256i p = _mm256_maddubs_epi16(u, s);
#if defined(__GNUC__) && !defined(__clang__)
    __asm__("vpaddw %1, %0, %0" : "+x"(acc) : "x"(p));
    return acc;
#else
    return _mm256_add_epi16(acc, p);
#endif
}

// ---------------------------------------------------------------------------------------------------------------
// I2_S × int8 (twin of gemm_i2_s_ref): codes 0/1/2 as unsigned bytes times int8 activations with maddubs
// (pairs ≤ 2·2·128, no saturation), summed in int16 for at most 8 blocks (≤ 8·4·512 < 32767), then widened to
// int32. A tile is one row × NT tokens: every decoded weight vector serves NT tokens. Rows are walked in panels
// small enough to stay in L1 while every token tile passes over them, so a batch reads each weight from memory
// once. One row per tile, because two rows read side by side stall on memory: on Zen 3, 30 layers of 2B4T
// shapes with 2 threads took 52 ms for a 2-token batch with 2-row tiles against 26 ms with 1-row tiles (1 token:
// 21–26 ms), and 133 against 92 ms for 8 tokens.
// ---------------------------------------------------------------------------------------------------------------

template <int NT>
void i2_s_tile(const GemmArgs& g, int64_t r, int64_t t0) {
    const __m256i mask = _mm256_set1_epi8(3);
    const __m256i ones = _mm256_set1_epi16(1);
    const int64_t nb = g.k / QK_I2_S;
    const uint8_t* w = g.w + r * g.w_row_bytes;
    const int8_t* a[NT];
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const int8_t*>(g.a + (t0 + t) * g.a_row_bytes);
    // int32 sums live in memory (touched once per 8 blocks) so the int16 tile keeps the registers.
    alignas(32) int32_t acc[NT][8] = {};
    for (int64_t b0 = 0; b0 < nb; b0 += 8) {
        const int64_t b1 = b0 + 8 < nb ? b0 + 8 : nb;
        __m256i acc16[NT];
        for (int t = 0; t < NT; ++t) acc16[t] = _mm256_setzero_si256();
        for (int64_t b = b0; b < b1; ++b) {
            const __m256i wb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32 * b));
            for (int grp = 0; grp < 4; ++grp) {
                const __m256i c = _mm256_and_si256(grp == 3 ? wb : _mm256_srli_epi16(wb, 6 - 2 * grp), mask);
                for (int t = 0; t < NT; ++t) {
                    const __m256i q =
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[t] + QK_I2_S * b + 32 * grp));
                    acc16[t] = add_maddubs(acc16[t], c, q);
                }
            }
        }
        for (int t = 0; t < NT; ++t) {
            __m256i* p = reinterpret_cast<__m256i*>(acc[t]);
            _mm256_store_si256(p, _mm256_add_epi32(_mm256_load_si256(p), _mm256_madd_epi16(acc16[t], ones)));
        }
    }
    for (int t = 0; t < NT; ++t) {
        const int64_t tt = t0 + t;
        const int32_t sumi = hsum_i32(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc[t])));
        g.y[tt * g.ldy + r] = static_cast<float>(sumi - g.a_sum[tt]) / g.a_scale[tt] * g.w_scale;
    }
}

// Rows [r0, r1) of one panel for NT tokens from t.
template <int NT>
void i2_s_rows(const GemmArgs& g, int64_t r0, int64_t r1, int64_t t) {
    for (int64_t r = r0; r < r1; ++r) i2_s_tile<NT>(g, r, t);
}

// Rows [r0, r1) of one panel for every token: tiles of 4 tokens, then the 1–3 leftover tokens as one tile, so
// a short batch (a re-prompt after an edit) reads each weight once, not once per token.
void i2_s_panel(const GemmArgs& g, int64_t r0, int64_t r1) {
    int64_t t = 0;
    for (; t + 4 <= g.n_tok; t += 4) i2_s_rows<4>(g, r0, r1, t);
    switch (g.n_tok - t) {
        case 3: i2_s_rows<3>(g, r0, r1, t); break;
        case 2: i2_s_rows<2>(g, r0, r1, t); break;
        case 1: i2_s_rows<1>(g, r0, r1, t); break;
        default: break;
    }
}

void gemm_i2_s_tiles(const GemmArgs& g, int64_t r0, int64_t r1) {
    // Panel height: about 16 KiB of weights.
    int64_t panel = (16 << 10) / (g.w_row_bytes > 0 ? g.w_row_bytes : 1);
    panel = panel < 4 ? 4 : panel;
    for (int64_t r = r0; r < r1; r += panel) i2_s_panel(g, r, r + panel < r1 ? r + panel : r1);
}

// I2_S × int8 for batches (prefill): the panel kernel of x86-i2s-wide.h with maddubs products, summed in int16
// for one 128-k block (≤ 32 quads · 512 < 32767) and then widened to int32.
#include "x86-i2s-wide.h"

// Batches of at least this many tokens take the panel kernel: below it unpacking costs more than it saves
// (measured on Zen 3: the tile kernel is faster up to ~20 tokens, 89 against 71 tokens/s at 16; the panel
// kernel 1.4–1.6× faster at 128).
constexpr int64_t kWideMinTokens = 24;

struct DotMaddubs {
    static __m256i step(__m256i acc, __m256i u, __m256i s) { return add_maddubs(acc, u, s); }
    static __m256i widen(__m256i acc) { return _mm256_madd_epi16(acc, _mm256_set1_epi16(1)); }
};

void gemm_i2_s_avx2(const GemmArgs& g, int64_t r0, int64_t r1) {
    if (g.n_tok >= kWideMinTokens && gemm_i2_s_wide<DotMaddubs>(g, r0, r1)) return;
    gemm_i2_s_tiles(g, r0, r1);
}

// ---------------------------------------------------------------------------------------------------------------
// TQ2_0 × Q8_K (twin of dot_tq2_0 in ref.cpp, bit-identical): int16 sums of code·q per lane pair, minus the
// block sums, widened to the 8 int32 lanes ref defines; each lane scaled by d and accumulated in float across
// blocks.
// ---------------------------------------------------------------------------------------------------------------

float dot_tq2_0_avx2(const uint8_t* w, const BlockQ8K* a, int64_t k) {
    const __m256i mask = _mm256_set1_epi8(3);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 sumf = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < k / QK_K; ++ib, w += BLOCK_TQ2_0_BYTES) {
        const int8_t* q = a[ib].qs;
        __m256i acc16 = _mm256_setzero_si256();  // lane k: bytes 2k, 2k+1 of every 32-byte group (≤ 8·512)
        for (int h = 0; h < 2; ++h) {
            const __m256i wb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32 * h));
            for (int l = 0; l < 4; ++l) {
                const __m256i c = _mm256_and_si256(_mm256_srli_epi16(wb, 2 * l), mask);
                const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 128 * h + 32 * l));
                acc16 = _mm256_add_epi16(acc16, _mm256_maddubs_epi16(c, qv));
            }
        }
        const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[ib].bsums));
        const __m256i lanes = _mm256_madd_epi16(_mm256_sub_epi16(acc16, bsums), ones);
        uint16_t d16;
        std::memcpy(&d16, w + 64, sizeof(d16));
        const __m256 d = _mm256_set1_ps(a[ib].d * fp16_to_fp32(d16));
        sumf = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(lanes), d), sumf);
    }
    return hsum_f32(sumf);
}

void gemm_tq2_0_avx2(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        for (int64_t t = 0; t < g.n_tok; ++t) {
            const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(g.a + t * g.a_row_bytes);
            g.y[t * g.ldy + r] = dot_tq2_0_avx2(g.w + r * g.w_row_bytes, a, g.k);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// TQ1_0 × Q8_K (twin of dot_tq1_0 in ref.cpp, bit-identical). Trit n of a base-3 byte q is ((uint8)(q·3^n)·3)
// >> 8; 16-bit multiplies on the even and odd bytes compute it for 32 bytes at once. The decoded codes are
// laid out so that byte b of each 32-byte vector is element 32·i + b, which gives the same int16/int32 lanes
// as TQ2_0.
// ---------------------------------------------------------------------------------------------------------------

// Codes of 32 base-3 bytes for per-16-bit-lane powers of 3 (`pow` holds 3^n for both bytes of each lane).
inline __m256i tq1_codes(__m256i q, __m256i pow) {
    const __m256i m8 = _mm256_set1_epi16(0xff);
    const __m256i three = _mm256_set1_epi16(3);
    __m256i lo = _mm256_and_si256(q, m8);
    __m256i hi = _mm256_srli_epi16(q, 8);
    lo = _mm256_srli_epi16(_mm256_mullo_epi16(_mm256_and_si256(_mm256_mullo_epi16(lo, pow), m8), three), 8);
    hi = _mm256_srli_epi16(_mm256_mullo_epi16(_mm256_and_si256(_mm256_mullo_epi16(hi, pow), m8), three), 8);
    return _mm256_or_si256(lo, _mm256_slli_epi16(hi, 8));
}

float dot_tq1_0_avx2(const uint8_t* w, const BlockQ8K* a, int64_t k) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i pow[5] = {_mm256_set1_epi16(1), _mm256_set1_epi16(3), _mm256_set1_epi16(9),
                            _mm256_set1_epi16(27), _mm256_set1_epi16(81)};
    // Upper half of the last vector: qh byte j, trit n at byte 4n + j, i.e. 16-bit lane l uses 3^(l/2).
    const __m256i pow_last = _mm256_setr_epi16(81, 81, 81, 81, 81, 81, 81, 81, 1, 1, 3, 3, 9, 9, 27, 27);
    __m256 sumf = _mm256_setzero_ps();
    for (int64_t ib = 0; ib < k / QK_K; ++ib, w += BLOCK_TQ1_0_BYTES) {
        const int8_t* q = a[ib].qs;
        __m256i acc16 = _mm256_setzero_si256();
        // Elements 0..159: qs[0..31], trit n → elements 32n + m.
        const __m256i q5 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
        for (int n = 0; n < 5; ++n) {
            const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * n));
            acc16 = _mm256_add_epi16(acc16, _mm256_maddubs_epi16(tq1_codes(q5, pow[n]), qv));
        }
        // Elements 160..239: qs[32..47], trit n → 160 + 16n + m (two trits per vector); 240..255: qh.
        const __m256i q16 =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 32)));
        uint32_t qh;
        std::memcpy(&qh, w + 48, sizeof(qh));
        const __m256i c01 = _mm256_blend_epi32(tq1_codes(q16, pow[0]), tq1_codes(q16, pow[1]), 0xf0);
        const __m256i c23 = _mm256_blend_epi32(tq1_codes(q16, pow[2]), tq1_codes(q16, pow[3]), 0xf0);
        const __m256i qlast = _mm256_blend_epi32(q16, _mm256_set1_epi32(static_cast<int32_t>(qh)), 0xf0);
        const __m256i c4h = tq1_codes(qlast, pow_last);
        acc16 = _mm256_add_epi16(
            acc16, _mm256_maddubs_epi16(c01, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 160))));
        acc16 = _mm256_add_epi16(
            acc16, _mm256_maddubs_epi16(c23, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 192))));
        acc16 = _mm256_add_epi16(
            acc16, _mm256_maddubs_epi16(c4h, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 224))));
        const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[ib].bsums));
        const __m256i lanes = _mm256_madd_epi16(_mm256_sub_epi16(acc16, bsums), ones);
        uint16_t d16;
        std::memcpy(&d16, w + 52, sizeof(d16));
        const __m256 d = _mm256_set1_ps(a[ib].d * fp16_to_fp32(d16));
        sumf = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(lanes), d), sumf);
    }
    return hsum_f32(sumf);
}

void gemm_tq1_0_avx2(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        for (int64_t t = 0; t < g.n_tok; ++t) {
            const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(g.a + t * g.a_row_bytes);
            g.y[t * g.ldy + r] = dot_tq1_0_avx2(g.w + r * g.w_row_bytes, a, g.k);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Q8_0 × Q8_0 (twin of dot_q8_0 in ref.cpp): exact block sums, float accumulation per block as ref.
// ---------------------------------------------------------------------------------------------------------------

float dot_q8_0_avx2(const uint8_t* w, const uint8_t* a, int64_t k) {
    const __m256i ones = _mm256_set1_epi16(1);
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < k / QK8_0; ++ib, w += BLOCK_Q8_0_BYTES, a += BLOCK_Q8_0_BYTES) {
        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2));
        const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 2));
        // |w| × (a with w's sign): pairs ≤ 2·127·128, no saturation.
        const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(av, wv));
        const int32_t sumi = hsum_i32(_mm256_madd_epi16(p, ones));
        uint16_t dw, da;
        std::memcpy(&dw, w, sizeof(dw));
        std::memcpy(&da, a, sizeof(da));
        sumf += static_cast<float>(sumi) * (fp16_to_fp32(dw) * fp16_to_fp32(da));
    }
    return sumf;
}

// Sums of the 8 int32 lanes of each of v[0..7], as lane i of the result (exact: integer adds).
inline __m256i hsum8x8_i32(const __m256i v[8]) {
    const __m256i h01 = _mm256_hadd_epi32(v[0], v[1]), h23 = _mm256_hadd_epi32(v[2], v[3]);
    const __m256i h45 = _mm256_hadd_epi32(v[4], v[5]), h67 = _mm256_hadd_epi32(v[6], v[7]);
    const __m256i h0123 = _mm256_hadd_epi32(h01, h23), h4567 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                            _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

// Eight rows at a time: per block the eight integer sums become one vector, scaled and accumulated in the
// same per-row order as ref (sumf += sumi · (dw · da)), so the result is bit-identical with far fewer
// horizontal reductions and scalar conversions.
constexpr int64_t kQ8Stack = 2048;  // blocks of activation scales kept on the stack (k ≤ 65536)

void gemm_q8_0_avx2(const GemmArgs& g, int64_t r0, int64_t r1) {
    const int64_t nb = g.k / QK8_0;
    if (nb > kQ8Stack) {
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t t = 0; t < g.n_tok; ++t)
                g.y[t * g.ldy + r] = dot_q8_0_avx2(g.w + r * g.w_row_bytes, g.a + t * g.a_row_bytes, g.k);
        }
        return;
    }
    const __m256i ones = _mm256_set1_epi16(1);
    float da[kQ8Stack];
    for (int64_t t = 0; t < g.n_tok; ++t) {
        const uint8_t* a = g.a + t * g.a_row_bytes;
        for (int64_t ib = 0; ib < nb; ++ib) {
            uint16_t d16;
            std::memcpy(&d16, a + ib * BLOCK_Q8_0_BYTES, sizeof(d16));
            da[ib] = fp16_to_fp32(d16);
        }
        int64_t r = r0;
        for (; r + 8 <= r1; r += 8) {
            const uint8_t* w = g.w + r * g.w_row_bytes;
            __m256 sumf = _mm256_setzero_ps();
            for (int64_t ib = 0; ib < nb; ++ib) {
                const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + ib * BLOCK_Q8_0_BYTES + 2));
                __m256i p[8];
                uint16_t dw[8];
                for (int i = 0; i < 8; ++i) {
                    const uint8_t* wb = w + i * g.w_row_bytes + ib * BLOCK_Q8_0_BYTES;
                    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + 2));
                    p[i] = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(av, wv)),
                                             ones);
                    std::memcpy(&dw[i], wb, sizeof(uint16_t));
                }
                const __m256 sumi = _mm256_cvtepi32_ps(hsum8x8_i32(p));
                const __m256 d = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(dw))),
                                               _mm256_set1_ps(da[ib]));
                sumf = _mm256_add_ps(sumf, _mm256_mul_ps(sumi, d));
            }
            alignas(32) float out[8];
            _mm256_store_ps(out, sumf);
            for (int i = 0; i < 8; ++i) g.y[t * g.ldy + r + i] = out[i];
        }
        for (; r < r1; ++r) g.y[t * g.ldy + r] = dot_q8_0_avx2(g.w + r * g.w_row_bytes, a, g.k);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Float dot products (twins of dot_f16_ref / dot_f32 in ref.cpp, bit-identical): 64 lanes in 8 ymm (acc[q]
// holds lanes 8q..8q+7), the reduce64 tree, then the leftovers in double.
// ---------------------------------------------------------------------------------------------------------------

// reduce64_f32 of ref.cpp on lanes held as acc[q] = lanes 8q..8q+7: c (16 lanes) = (x_l + x_{32+l}) +
// (x_{16+l} + x_{48+l}), then 16 → 8 → 4 → 2 → 1.
inline float reduce64(const __m256 acc[8]) {
    const __m256 c_lo = _mm256_add_ps(_mm256_add_ps(acc[0], acc[4]), _mm256_add_ps(acc[2], acc[6]));
    const __m256 c_hi = _mm256_add_ps(_mm256_add_ps(acc[1], acc[5]), _mm256_add_ps(acc[3], acc[7]));
    return hsum_f32(_mm256_add_ps(c_hi, c_lo));
}

float dot_f16_avx2(const uint16_t* a, const uint16_t* b, int64_t n) {
    const int64_t np = n & ~int64_t(63);
    __m256 acc[8];
    for (int q = 0; q < 8; ++q) acc[q] = _mm256_setzero_ps();
    for (int64_t i = 0; i < np; i += 64) {
        for (int q = 0; q < 8; ++q)
            acc[q] = _mm256_fmadd_ps(load_f16x8(a + i + 8 * q), load_f16x8(b + i + 8 * q), acc[q]);
    }
    double sum = np > 0 ? static_cast<double>(reduce64(acc)) : 0.0;
    for (int64_t i = np; i < n; ++i) sum += static_cast<double>(fp16_to_fp32(a[i]) * fp16_to_fp32(b[i]));
    return static_cast<float>(sum);
}

float dot_f32_avx2(const float* a, const float* b, int64_t n) {
    const int64_t np = n & ~int64_t(63);
    __m256 acc[8];
    for (int q = 0; q < 8; ++q) acc[q] = _mm256_setzero_ps();
    for (int64_t i = 0; i < np; i += 64) {
        for (int q = 0; q < 8; ++q)
            acc[q] = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8 * q), _mm256_loadu_ps(b + i + 8 * q), acc[q]);
    }
    double sum = np > 0 ? static_cast<double>(reduce64(acc)) : 0.0;
    for (int64_t i = np; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
    return static_cast<float>(sum);
}

// Per token the activation row is widened to f32 once (on the stack, up to kF16Stack values), so each weight
// row costs one conversion per 8 values instead of two. Same lanes, same order: bit-identical to dot_f16_avx2.
constexpr int64_t kF16Stack = 8192;

// dot_f16_avx2(w, a, k) with a already widened to f32 in af (its first k & ~63 values): bit-identical.
inline float dot_f16_widened(const uint16_t* w, const float* af, const uint16_t* a, int64_t k) {
    const int64_t np = k & ~int64_t(63);
    __m256 acc[8];
    for (int q = 0; q < 8; ++q) acc[q] = _mm256_setzero_ps();
    for (int64_t i = 0; i < np; i += 64) {
        for (int q = 0; q < 8; ++q)
            acc[q] = _mm256_fmadd_ps(load_f16x8(w + i + 8 * q), _mm256_load_ps(af + i + 8 * q), acc[q]);
    }
    double sum = np > 0 ? static_cast<double>(reduce64(acc)) : 0.0;
    for (int64_t i = np; i < k; ++i) sum += static_cast<double>(fp16_to_fp32(w[i]) * fp16_to_fp32(a[i]));
    return static_cast<float>(sum);
}

void gemm_f16_avx2(const GemmArgs& g, int64_t r0, int64_t r1) {
    if (g.k > kF16Stack) {
        for (int64_t r = r0; r < r1; ++r) {
            const uint16_t* w = reinterpret_cast<const uint16_t*>(g.w + r * g.w_row_bytes);
            for (int64_t t = 0; t < g.n_tok; ++t) {
                g.y[t * g.ldy + r] =
                    dot_f16_avx2(w, reinterpret_cast<const uint16_t*>(g.a + t * g.a_row_bytes), g.k);
            }
        }
        return;
    }
    alignas(32) float af[kF16Stack];
    const int64_t np = g.k & ~int64_t(63);
    for (int64_t t = 0; t < g.n_tok; ++t) {
        const uint16_t* a = reinterpret_cast<const uint16_t*>(g.a + t * g.a_row_bytes);
        for (int64_t i = 0; i < np; i += 8) _mm256_store_ps(af + i, load_f16x8(a + i));
        for (int64_t r = r0; r < r1; ++r) {
            const uint16_t* w = reinterpret_cast<const uint16_t*>(g.w + r * g.w_row_bytes);
            g.y[t * g.ldy + r] = dot_f16_widened(w, af, a, g.k);
        }
    }
}

// n values of an F16 row from `src` as floats in `dst` (n ≤ 64), zeros after them.
inline void widen_f16_padded(const uint16_t* src, int64_t n, float* dst) {
    alignas(32) uint16_t h[64] = {};
    std::memcpy(h, src, static_cast<size_t>(n) * sizeof(uint16_t));
    for (int c = 0; c < 8; ++c) _mm256_store_ps(dst + 8 * c, load_f16x8(h + 8 * c));
}

// Twin of attn_pv_f16_ref: each output dimension is a 64-lane dot product of the probabilities with one
// transposed value row (acc[c] = lanes 8c..8c+7, as dot_f16). Two queries at a time, one half of the lanes
// (32 positions of every 64) at a time: 8 accumulators and 4 widened value vectors fit the 16 registers, each
// value vector serves both queries and no staging buffer is written. p·v is exact (p is F16-representable, see
// kernels.h), so the fused multiply-add equals ref's multiply-then-add. A last partial block of 64 positions is
// padded with zeros in both operands (adding +0 to a lane changes nothing: a lane that starts at +0 never
// becomes -0). The positions after np are added in double in position order.
template <int NQ>
void attn_pv_pair(const float* const* pq, const float* const* pt, const float* vt, const uint16_t* vd, int64_t full,
                  bool rest, const uint16_t* vn, __m256 (*acc)[8]) {
    for (int h = 0; h < 2; ++h) {
        __m256 a[NQ][4];
        for (int q = 0; q < NQ; ++q) {
            for (int c = 0; c < 4; ++c) a[q][c] = _mm256_setzero_ps();
        }
        for (int64_t j = 32 * h; j < full; j += 64) {
            if (vn != nullptr) _mm_prefetch(reinterpret_cast<const char*>(vn + j), _MM_HINT_T0);
            __m256 vv[4];
            for (int c = 0; c < 4; ++c) vv[c] = load_f16x8(vd + j + 8 * c);
            for (int q = 0; q < NQ; ++q) {
                for (int c = 0; c < 4; ++c) a[q][c] = _mm256_fmadd_ps(_mm256_loadu_ps(pq[q] + j + 8 * c), vv[c], a[q][c]);
            }
        }
        if (rest) {
            for (int q = 0; q < NQ; ++q) {
                for (int c = 0; c < 4; ++c)
                    a[q][c] = _mm256_fmadd_ps(_mm256_load_ps(pt[q] + 32 * h + 8 * c), _mm256_load_ps(vt + 32 * h + 8 * c), a[q][c]);
            }
        }
        for (int q = 0; q < NQ; ++q) {
            for (int c = 0; c < 4; ++c) acc[q][4 * h + c] = a[q][c];
        }
    }
}

void attn_pv_f16_avx2(const float* p, int64_t p_stride, int64_t n_q, const uint16_t* v, int64_t v_stride,
                      int64_t n_pos, int64_t np, int64_t hd, float* out, int64_t out_stride) {
    constexpr int64_t kQ = 8;  // queries per pass (their padded probability tails stay on the stack)
    const int64_t n_lane_pos = np < n_pos ? np : n_pos;
    const int64_t full = n_lane_pos & ~int64_t(63);
    const int64_t rest = n_lane_pos - full;
    alignas(32) float vt[64];
    alignas(32) float pt[kQ][64];
    for (int64_t q0 = 0; q0 < n_q; q0 += kQ) {
        const int64_t nq = n_q - q0 < kQ ? n_q - q0 : kQ;
        if (rest > 0) {
            for (int64_t i = 0; i < nq; ++i) {
                std::memset(pt[i], 0, sizeof(pt[i]));
                std::memcpy(pt[i], p + (q0 + i) * p_stride + full, static_cast<size_t>(rest) * sizeof(float));
            }
        }
        for (int64_t d = 0; d < hd; ++d) {
            const uint16_t* vd = v + d * v_stride;
            if (rest > 0) widen_f16_padded(vd + full, rest, vt);
            // The value rows are 2·n_pos bytes apart, too many streams for the hardware prefetcher: the first
            // pass over this row fetches the next one (64 positions = 2 lines per step of either half).
            const uint16_t* vn = d + 1 < hd ? vd + v_stride : nullptr;
            for (int64_t i = 0; i < nq; i += 2) {
                const float* pq[2] = {p + (q0 + i) * p_stride, p + (q0 + i + 1 < q0 + nq ? q0 + i + 1 : q0 + i) * p_stride};
                const float* ptq[2] = {pt[i], pt[i + 1 < nq ? i + 1 : i]};
                __m256 acc[2][8];
                if (i + 1 < nq) {
                    attn_pv_pair<2>(pq, ptq, vt, vd, full, rest > 0, i == 0 ? vn : nullptr, acc);
                } else {
                    attn_pv_pair<1>(pq, ptq, vt, vd, full, rest > 0, i == 0 ? vn : nullptr, acc);
                }
                for (int64_t ii = i; ii < (i + 2 < nq ? i + 2 : nq); ++ii)
                    out[(q0 + ii) * out_stride + d] = np > 0 ? reduce64(acc[ii - i]) : 0.0f;
            }
        }
    }
    if (n_pos > np) {
        attn_pv_tail(p, p_stride, n_q, v, v_stride, n_pos, np, hd, out, out_stride,
                     [](const uint16_t* src, int64_t n, float* dst) {
                         alignas(32) uint16_t h[16] = {};
                         std::memcpy(h, src, static_cast<size_t>(n) * sizeof(uint16_t));
                         _mm256_store_ps(dst, load_f16x8(h));
                         _mm256_store_ps(dst + 8, load_f16x8(h + 8));
                     });
    }
}

// The last three levels of reduce16_f32 (8 → 4 → 2 → 1) for 8 positions at once: v[p] holds position p's
// eight partial sums t8; the result holds position p's total in element p, each added in ref's tree order.
inline __m256 reduce8_x8(const __m256 v[8]) {
    __m256 u[4];  // [t4 of position 2i | t4 of position 2i + 1]
    for (int i = 0; i < 4; ++i) {
        const __m256 lo = _mm256_permute2f128_ps(v[2 * i], v[2 * i + 1], 0x20);
        const __m256 hi = _mm256_permute2f128_ps(v[2 * i], v[2 * i + 1], 0x31);
        u[i] = _mm256_add_ps(hi, lo);  // t4[l] = t8[4 + l] + t8[l]
    }
    __m256 w[2];  // (t4[0] + t4[2], t4[1] + t4[3]) of positions 4i, 4i + 2 | 4i + 1, 4i + 3
    for (int i = 0; i < 2; ++i) {
        const __m256 e = _mm256_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0));
        const __m256 f = _mm256_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2));
        w[i] = _mm256_add_ps(e, f);
    }
    const __m256 t0 = _mm256_shuffle_ps(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 t1 = _mm256_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1));
    const __m256 r = _mm256_add_ps(t0, t1);  // positions 0, 2, 4, 6 | 1, 3, 5, 7
    return _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Twin of attn_scores_f16_ref. For head sizes that are multiples of 64 (up to kScoreHd) the queries are widened
// once, each key row is widened once into L1 and serves every query, and the last levels of the reduce64 tree
// run for 8 positions at once; other sizes take one dot product per (query, position).
constexpr int64_t kScoreQ = 8, kScoreHd = 512;

void attn_scores_f16_avx2(const uint16_t* q, int64_t q_stride, int64_t n_q, const uint16_t* k, int64_t k_stride,
                          int64_t n_pos, int64_t hd, float scale, float* s, int64_t s_stride) {
    if (hd % 64 != 0 || hd > kScoreHd) {
        alignas(32) float qf[kF16Stack];
        const int64_t np = hd & ~int64_t(63);
        for (int64_t i = 0; i < n_q; ++i) {
            const uint16_t* qi = q + i * q_stride;
            float* si = s + i * s_stride;
            if (hd > kF16Stack) {
                for (int64_t j = 0; j < n_pos; ++j) si[j] = dot_f16_avx2(qi, k + j * k_stride, hd) * scale;
                continue;
            }
            for (int64_t d = 0; d < np; d += 8) _mm256_store_ps(qf + d, load_f16x8(qi + d));
            for (int64_t j = 0; j < n_pos; ++j) si[j] = dot_f16_widened(k + j * k_stride, qf, qi, hd) * scale;
        }
        return;
    }
    alignas(32) float qf[kScoreQ][kScoreHd];
    alignas(32) float kf[kScoreHd];
    __m256 part[kScoreQ][8];  // t8 of (query, position in the block of 8)
    const __m256 vscale = _mm256_set1_ps(scale);
    for (int64_t i0 = 0; i0 < n_q; i0 += kScoreQ) {
        const int64_t nq = n_q - i0 < kScoreQ ? n_q - i0 : kScoreQ;
        for (int64_t i = 0; i < nq; ++i) {
            for (int64_t d = 0; d < hd; d += 8) _mm256_store_ps(&qf[i][d], load_f16x8(q + (i0 + i) * q_stride + d));
        }
        for (int64_t j0 = 0; j0 < n_pos; j0 += 8) {
            const int64_t nb = n_pos - j0 < 8 ? n_pos - j0 : 8;
            for (int64_t jj = 0; jj < 8; ++jj) {
                if (jj >= nb) {
                    for (int64_t i = 0; i < nq; ++i) part[i][jj] = _mm256_setzero_ps();
                    continue;
                }
                const uint16_t* kj = k + (j0 + jj) * k_stride;
                for (int64_t d = 0; d < hd; d += 8) _mm256_store_ps(kf + d, load_f16x8(kj + d));
                for (int64_t i = 0; i < nq; ++i) {
                    // 64 lanes (acc[c] = lanes 8c..8c+7), lane L summing the products of elements 64m + L.
                    __m256 acc[8];
                    for (int c = 0; c < 8; ++c) acc[c] = _mm256_setzero_ps();
                    for (int64_t d = 0; d < hd; d += 64) {
                        for (int c = 0; c < 8; ++c)
                            acc[c] = _mm256_fmadd_ps(_mm256_load_ps(kf + d + 8 * c), _mm256_load_ps(&qf[i][d + 8 * c]), acc[c]);
                    }
                    const __m256 c_lo = _mm256_add_ps(_mm256_add_ps(acc[0], acc[4]), _mm256_add_ps(acc[2], acc[6]));
                    const __m256 c_hi = _mm256_add_ps(_mm256_add_ps(acc[1], acc[5]), _mm256_add_ps(acc[3], acc[7]));
                    part[i][jj] = _mm256_add_ps(c_hi, c_lo);  // 16 → 8
                }
            }
            for (int64_t i = 0; i < nq; ++i) {
                const __m256 r = _mm256_mul_ps(reduce8_x8(part[i]), vscale);
                float* si = s + (i0 + i) * s_stride + j0;
                if (nb == 8) {
                    _mm256_storeu_ps(si, r);
                } else {
                    alignas(32) float rf[8];
                    _mm256_store_ps(rf, r);
                    for (int64_t jj = 0; jj < nb; ++jj) si[jj] = rf[jj];
                }
            }
        }
    }
}

// Twin of exp_softmax (ref.cpp) for 8 floats: the same IEEE operations in the same order. MAXPS / MINPS
// return their second operand unless the first compares greater / less, which is ref's (a > b ? a : b) form.
inline __m256 exp_softmax8(__m256 x) {
    using namespace exp_softmax_c;
    const __m256 lo = _mm256_set1_ps(kMin), shift = _mm256_set1_ps(kShift);
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_setzero_ps());
    const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(xc, _mm256_set1_ps(kLog2e), shift), shift);
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kLn2Hi), xc);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kLn2Lo), r);
    __m256 p = _mm256_set1_ps(kPoly[0]);
    for (int i = 1; i < 8; ++i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kPoly[i]));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    e = _mm256_blendv_ps(e, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    return _mm256_blendv_ps(e, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// Twin of attn_softmax_ref. The maximum does not depend on the order it is taken in (a NaN is skipped the same
// way; a ±0 tie changes no e_j, since exp_softmax(±0) = 1), the chunk sums use reduce8_x8 (ref's reduce16 tree
// for 8 chunks at once) and are added in double in chunk order, and the F16 rounding is VCVTPS2PH's
// round-to-nearest-even.
void attn_softmax_avx2(float* s, int64_t s_stride, int64_t n_q, int64_t n_pos, int64_t n_kv) {
    const int64_t n8 = n_pos & ~int64_t(7), rest = n_pos - n8;
    for (int64_t i = 0; i < n_q; ++i) {
        float* si = s + i * s_stride;
        __m256 vmax = _mm256_set1_ps(-INFINITY);
        for (int64_t j = 0; j < n8; j += 8) vmax = _mm256_max_ps(_mm256_loadu_ps(si + j), vmax);
        alignas(32) float lanes[8];
        _mm256_store_ps(lanes, vmax);
        float max = -INFINITY;
        for (float x : lanes) max = max < x ? x : max;
        for (int64_t j = n8; j < n_pos; ++j) max = max < si[j] ? si[j] : max;
        const __m256 m = _mm256_set1_ps(max);
        for (int64_t j = 0; j < n8; j += 8)
            _mm256_storeu_ps(si + j, exp_softmax8(_mm256_sub_ps(_mm256_loadu_ps(si + j), m)));
        alignas(32) float tail[8] = {};
        if (rest > 0) {
            std::memcpy(tail, si + n8, static_cast<size_t>(rest) * sizeof(float));
            _mm256_store_ps(tail, exp_softmax8(_mm256_sub_ps(_mm256_load_ps(tail), m)));
            std::memcpy(si + n8, tail, static_cast<size_t>(rest) * sizeof(float));
        }
        for (int64_t j = n_pos; j < n_kv; ++j) si[j] = 0.0f;
        double sum = 0.0;
        int64_t c = 0;
        for (; c + 128 <= n_kv; c += 128) {
            __m256 t8[8];
            for (int b = 0; b < 8; ++b)
                t8[b] = _mm256_add_ps(_mm256_loadu_ps(si + c + 16 * b + 8), _mm256_loadu_ps(si + c + 16 * b));
            _mm256_store_ps(lanes, reduce8_x8(t8));
            for (float x : lanes) sum += static_cast<double>(x);
        }
        for (; c < n_kv; c += 16)
            sum += static_cast<double>(hsum_f32(_mm256_add_ps(_mm256_loadu_ps(si + c + 8), _mm256_loadu_ps(si + c))));
        const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
        constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
        for (int64_t j = 0; j < n8; j += 8) {
            const __m128i h = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(si + j), inv), kRound);
            _mm256_storeu_ps(si + j, _mm256_cvtph_ps(h));
        }
        if (rest > 0) {
            const __m128i h = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_load_ps(tail), inv), kRound);
            _mm256_store_ps(tail, _mm256_cvtph_ps(h));
            std::memcpy(si + n8, tail, static_cast<size_t>(rest) * sizeof(float));
        }
    }
}

void gemm_f32_avx2(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const float* w = reinterpret_cast<const float*>(g.w + r * g.w_row_bytes);
        for (int64_t t = 0; t < g.n_tok; ++t) {
            g.y[t * g.ldy + r] =
                dot_f32_avx2(w, reinterpret_cast<const float*>(g.a + t * g.a_row_bytes), g.k);
        }
    }
}

// Twin of axpy_f16_ref: one multiply and one add per element, as ref (no fused multiply-add).
void axpy_f16_avx2(float alpha, const uint16_t* x, float* y, int64_t n) {
    const __m256 va = _mm256_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(va, load_f16x8(x + i))));
    }
    for (; i < n; ++i) y[i] += alpha * fp16_to_fp32(x[i]);
}

}  // namespace

const KernelTable* kernels_avx2() {
    static const KernelTable table = [] {
        KernelTable t = *kernels_ref();
        t.name = "avx2";
        t.quantize_i8 = quantize_i8_avx2;
        t.quantize_q8_0 = quantize_q8_0_avx2;
        t.fp32_to_fp16 = fp32_to_fp16_avx2;
        t.fp16_to_fp32 = fp16_to_fp32_avx2;
        t.gemm_i2_s = gemm_i2_s_avx2;
        t.gemm_tq2_0 = gemm_tq2_0_avx2;
        t.gemm_tq1_0 = gemm_tq1_0_avx2;
        t.gemm_q8_0 = gemm_q8_0_avx2;
        t.gemm_f16 = gemm_f16_avx2;
        t.gemm_f32 = gemm_f32_avx2;
        t.dot_f16 = dot_f16_avx2;
        t.axpy_f16 = axpy_f16_avx2;
        t.attn_scores_f16 = attn_scores_f16_avx2;
        t.attn_pv_f16 = attn_pv_f16_avx2;
        t.attn_softmax = attn_softmax_avx2;
        return t;
    }();
    return &table;
}

}  // namespace trit

#else  // not x86-64

namespace trit {
const KernelTable* kernels_avx2() {
    return nullptr;
}
}  // namespace trit

#endif
