// The reference kernels: plain scalar loops that define what every kernel computes. Never removed; every
// other table is tested against this one (native/tests/test-kernels.cpp).
//
// Numerics follow the two reference engines (research/bitnet-format.md): I2_S activations per token (§5.4),
// Q8_K per 256-block (§7), F16/BF16 activations rounded to the weight's type. Where the reference engines'
// x86 kernels fix a float summation order (F16/F32 dot products: 64 lanes and a reduction tree; TQ: 8 integer
// lanes scaled per block) the ref kernels define that same order, so every table gives bit-identical results
// and matches the references as closely as float arithmetic allows. BF16 and Q6_K/Q8_0 have no reference
// order to follow.
#include <cmath>
#include <cstring>

#include "kernels.h"

// Every float operation is rounded separately (the numerics mirror the reference engines operation by operation);
// clang would otherwise fuse a*b+c within an expression. GCC's ISO mode and -ffp-contract=off do the same.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace trit {

// ---------------------------------------------------------------------------------------------------------------
// Scalar conversions
// ---------------------------------------------------------------------------------------------------------------

uint16_t fp32_to_fp16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof(x));
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const uint32_t abs = x & 0x7fffffffu;
    if (abs > 0x7f800000u) {
        // NaN: stays a quiet NaN with the top payload bits (what F16C's vcvtps2ph does).
        return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
    }
    if (abs >= 0x477ff000u) {
        return static_cast<uint16_t>(sign | 0x7c00u);  // ≥ 65520 rounds to infinity
    }
    if (abs < 0x38800000u) {
        // Below the smallest normal F16 (2^-14): a multiple of 2^-24, rounded to nearest even. Scaling by
        // 2^24 is exact, and nearbyint rounds half to even in the default rounding mode. 1024 encodes 2^-14
        // correctly.
        float a;
        std::memcpy(&a, &abs, sizeof(a));
        const uint32_t m = static_cast<uint32_t>(std::nearbyint(a * 16777216.0f));
        return static_cast<uint16_t>(sign | m);
    }
    // Normal: drop 13 mantissa bits with round-to-nearest-even; a carry rolls into the exponent correctly.
    const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        const float v = static_cast<float>(mant) * (1.0f / 16777216.0f);  // subnormal or zero: exact
        return sign ? -v : v;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

uint16_t fp32_to_bf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof(x));
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        return static_cast<uint16_t>((x >> 16) | 64u);  // NaN: force quiet
    }
    return static_cast<uint16_t>((x + (0x7fffu + ((x >> 16) & 1u))) >> 16);
}

float bf16_to_fp32(uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

float reduce64_f32(const float* lanes, int64_t stride) {
    // Lanes 16j + l (j < 4, l < 16): c_l = (x_l + x_{32+l}) + (x_{16+l} + x_{48+l}), then halving 16 → 8 → 4
    // → 2 → 1.
    float c[16];
    for (int l = 0; l < 16; ++l) {
        c[l] = (lanes[l * stride] + lanes[(32 + l) * stride]) +
               (lanes[(16 + l) * stride] + lanes[(48 + l) * stride]);
    }
    return reduce16_f32(c);
}

float reduce16_f32(const float* x) {
    float t8[8], t4[4];
    for (int l = 0; l < 8; ++l) t8[l] = x[8 + l] + x[l];
    for (int l = 0; l < 4; ++l) t4[l] = t8[4 + l] + t8[l];
    const float t0 = t4[0] + t4[2], t1 = t4[1] + t4[3];
    return t0 + t1;
}

float exp_softmax(float x) {
    using namespace exp_softmax_c;
    // The same steps as the SIMD twins: max/min written as their (a > b ? a : b) / (a < b ? a : b) forms.
    float xc = x > kMin ? x : kMin;
    xc = xc < 0.0f ? xc : 0.0f;
    const float n = std::fma(xc, kLog2e, kShift) - kShift;
    float r = std::fma(n, -kLn2Hi, xc);
    r = std::fma(n, -kLn2Lo, r);
    float p = kPoly[0];
    for (int i = 1; i < 8; ++i) p = std::fma(p, r, kPoly[i]);
    const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;  // n ∈ [-126, 0]
    float scale;
    std::memcpy(&scale, &bits, sizeof(scale));
    float e = p * scale;
    if (x < kMin) e = 0.0f;
    if (x != x) e = x;
    return e;
}

namespace {

// Round half to even and clamp to [lo, hi]; NaN gives 0 (only reachable with corrupt weights).
inline int32_t round_clamp(float v, float lo, float hi) {
    if (v != v) return 0;
    if (v <= lo) return static_cast<int32_t>(lo);
    if (v >= hi) return static_cast<int32_t>(hi);
    return static_cast<int32_t>(std::nearbyint(v));
}

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Activation preparation
// ---------------------------------------------------------------------------------------------------------------

void quantize_i8_ref(const float* x, int64_t n, int8_t* q, float* scale, int32_t* sum) {
    double amax = 0.00001;
    for (int64_t i = 0; i < n; ++i) {
        const double a = std::fabs(static_cast<double>(x[i]));
        if (a > amax) amax = a;
    }
    const float s = static_cast<float>(127.0 / amax);
    int32_t total = 0;
    for (int64_t i = 0; i < n; ++i) {
        const int32_t v = round_clamp(x[i] * s, -128.0f, 127.0f);
        q[i] = static_cast<int8_t>(v);
        total += v;
    }
    *scale = s;
    *sum = total;
}

void quantize_q8_K_ref(const float* x, int64_t n, BlockQ8K* y) {
    for (int64_t ib = 0; ib < n / QK_K; ++ib, x += QK_K) {
        BlockQ8K& b = y[ib];
        float amax = 0.0f, max = 0.0f;  // max: the signed value of largest magnitude (first one on ties)
        for (int64_t j = 0; j < QK_K; ++j) {
            const float ax = std::fabs(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            b.d = 0.0f;
            std::memset(b.qs, 0, sizeof(b.qs));
            std::memset(b.bsums, 0, sizeof(b.bsums));
            continue;
        }
        const float iscale = -127.0f / max;
        for (int64_t j = 0; j < QK_K; ++j) {
            b.qs[j] = static_cast<int8_t>(round_clamp(iscale * x[j], -128.0f, 127.0f));
        }
        for (int64_t g = 0; g < QK_K / 16; ++g) {
            int32_t s = 0;
            for (int64_t j = 0; j < 16; ++j) s += b.qs[g * 16 + j];
            b.bsums[g] = static_cast<int16_t>(s);
        }
        b.d = 1.0f / iscale;
    }
}

void quantize_q8_0_ref(const float* x, int64_t n, uint8_t* y) {
    for (int64_t ib = 0; ib < n / QK8_0; ++ib, x += QK8_0, y += BLOCK_Q8_0_BYTES) {
        float amax = 0.0f;
        for (int64_t j = 0; j < QK8_0; ++j) amax = std::fmax(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        const uint16_t d16 = fp32_to_fp16(d);
        std::memcpy(y, &d16, sizeof(d16));
        for (int64_t j = 0; j < QK8_0; ++j) {
            y[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(round_clamp(x[j] * id, -127.0f, 127.0f)));
        }
    }
}

void fp32_to_fp16_ref(const float* x, uint16_t* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void fp16_to_fp32_ref(const uint16_t* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}

void fp32_to_bf16_ref(const float* x, uint16_t* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

// ---------------------------------------------------------------------------------------------------------------
// Row dot products (one weight row · one activation row)
// ---------------------------------------------------------------------------------------------------------------

// I2_S: Σ code·q over k elements, code ∈ {0,1,2} = t + 1. Byte j of a 32-byte block holds elements j (bits
// 7:6), j+32 (5:4), j+64 (3:2), j+96 (1:0) of the block's 128.
int32_t dot_i2_s_codes(const uint8_t* w, const int8_t* q, int64_t k) {
    int32_t acc = 0;
    for (int64_t b = 0; b < k / QK_I2_S; ++b, w += 32, q += QK_I2_S) {
        for (int j = 0; j < 32; ++j) {
            const uint8_t byte = w[j];
            acc += ((byte >> 6) & 3) * q[j] + ((byte >> 4) & 3) * q[j + 32] + ((byte >> 2) & 3) * q[j + 64] +
                   (byte & 3) * q[j + 96];
        }
    }
    return acc;
}

// TQ1_0 / TQ2_0 × Q8_K. The float result follows the x86 reference kernels exactly: per block, the integer
// sum is split into 8 lanes, lane m holding Σ code·q over the elements e with (e mod 32) ∈ [4m, 4m+4) minus Σ
// q over e ∈ [32m, 32m+32) (the block sums); each lane is scaled by d = d_act · d_weight and accumulated in
// float across blocks; the 8 lane sums are added as ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)). The lanes add up
// to Σ t·q.
void tq_block_lanes(const int8_t* codes, const BlockQ8K& a, int32_t lanes[8]) {
    for (int m = 0; m < 8; ++m) lanes[m] = -(a.bsums[2 * m] + a.bsums[2 * m + 1]);
    for (int e = 0; e < QK_K; ++e) lanes[(e % 32) / 4] += codes[e] * a.qs[e];
}

float tq_lanes_finish(const float sums[8]) {
    return ((sums[0] + sums[4]) + (sums[2] + sums[6])) + ((sums[1] + sums[5]) + (sums[3] + sums[7]));
}

// TQ2_0: element 128·h + 32·l + m of a block sits in qs[32·h + m], bits 2l+1:2l (code = t + 1).
float dot_tq2_0(const uint8_t* w, const BlockQ8K* a, int64_t k) {
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t ib = 0; ib < k / QK_K; ++ib, w += BLOCK_TQ2_0_BYTES) {
        int8_t codes[QK_K];
        for (int h = 0; h < 2; ++h) {
            for (int l = 0; l < 4; ++l) {
                for (int m = 0; m < 32; ++m)
                    codes[128 * h + 32 * l + m] = static_cast<int8_t>((w[32 * h + m] >> (2 * l)) & 3);
            }
        }
        int32_t lanes[8];
        tq_block_lanes(codes, a[ib], lanes);
        const float d = a[ib].d * fp16_to_fp32(load_u16(w + 64));
        for (int m = 0; m < 8; ++m) sums[m] = static_cast<float>(lanes[m]) * d + sums[m];
    }
    return tq_lanes_finish(sums);
}

// TQ1_0 code n (0 = most significant trit) of a base-3 byte: ((uint8)(q·3^n) · 3) >> 8; tabulated per byte.
struct Tq1Table {
    int8_t code[256][5];
    Tq1Table() {
        static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
        for (int b = 0; b < 256; ++b) {
            for (int n = 0; n < 5; ++n) {
                const uint8_t q = static_cast<uint8_t>(b * pow3[n]);
                code[b][n] = static_cast<int8_t>((static_cast<uint16_t>(q) * 3) >> 8);
            }
        }
    }
};

inline int8_t tq1_code(uint8_t byte, int n) {
    static const Tq1Table table;
    return table.code[byte][n];
}

// TQ1_0 block: qs[0..31] hold elements 32n + m (n < 5), qs[32..47] hold 160 + 16n + m (n < 5), qh[0..3] hold
// 240 + 4n + j (n < 4).
float dot_tq1_0(const uint8_t* w, const BlockQ8K* a, int64_t k) {
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t ib = 0; ib < k / QK_K; ++ib, w += BLOCK_TQ1_0_BYTES) {
        int8_t codes[QK_K];
        for (int n = 0; n < 5; ++n) {
            for (int m = 0; m < 32; ++m) codes[32 * n + m] = tq1_code(w[m], n);
        }
        for (int n = 0; n < 5; ++n) {
            for (int m = 0; m < 16; ++m) codes[160 + 16 * n + m] = tq1_code(w[32 + m], n);
        }
        for (int n = 0; n < 4; ++n) {
            for (int j = 0; j < 4; ++j) codes[240 + 4 * n + j] = tq1_code(w[48 + j], n);
        }
        int32_t lanes[8];
        tq_block_lanes(codes, a[ib], lanes);
        const float d = a[ib].d * fp16_to_fp32(load_u16(w + 52));
        for (int m = 0; m < 8; ++m) sums[m] = static_cast<float>(lanes[m]) * d + sums[m];
    }
    return tq_lanes_finish(sums);
}

// Q6_K: per 128 elements, ql[64] (low 4 bits), qh[32] (high 2 bits), 8 int8 scales (one per 16 elements).
float dot_q6_K(const uint8_t* w, const BlockQ8K* a, int64_t k) {
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < k / QK_K; ++ib, w += BLOCK_Q6_K_BYTES) {
        const uint8_t* ql = w;
        const uint8_t* qh = w + 128;
        const int8_t* sc = reinterpret_cast<const int8_t*>(w + 192);
        int8_t v[QK_K];
        for (int half = 0; half < 2; ++half) {
            const uint8_t* l = ql + 64 * half;
            const uint8_t* h = qh + 32 * half;
            int8_t* o = v + 128 * half;
            for (int j = 0; j < 32; ++j) {
                o[j + 0] = static_cast<int8_t>(((l[j] & 0xf) | (((h[j] >> 0) & 3) << 4)) - 32);
                o[j + 32] = static_cast<int8_t>(((l[j + 32] & 0xf) | (((h[j] >> 2) & 3) << 4)) - 32);
                o[j + 64] = static_cast<int8_t>(((l[j] >> 4) | (((h[j] >> 4) & 3) << 4)) - 32);
                o[j + 96] = static_cast<int8_t>(((l[j + 32] >> 4) | (((h[j] >> 6) & 3) << 4)) - 32);
            }
        }
        int32_t sumi = 0;
        for (int g = 0; g < QK_K / 16; ++g) {
            int32_t s = 0;
            for (int j = 0; j < 16; ++j) s += v[16 * g + j] * a[ib].qs[16 * g + j];
            sumi += sc[g] * s;
        }
        const float d = a[ib].d * fp16_to_fp32(load_u16(w + 208));
        sumf += d * static_cast<float>(sumi);
    }
    return sumf;
}

float dot_q8_0(const uint8_t* w, const uint8_t* a, int64_t k) {
    float sumf = 0.0f;
    for (int64_t ib = 0; ib < k / QK8_0; ++ib, w += BLOCK_Q8_0_BYTES, a += BLOCK_Q8_0_BYTES) {
        int32_t sumi = 0;
        for (int j = 0; j < QK8_0; ++j) {
            sumi += static_cast<int8_t>(w[2 + j]) * static_cast<int8_t>(a[2 + j]);
        }
        sumf += static_cast<float>(sumi) * (fp16_to_fp32(load_u16(w)) * fp16_to_fp32(load_u16(a)));
    }
    return sumf;
}

// F16 and F32 dot products in the order of the reference engines' AVX-512 kernels: 64 lanes, lane L
// accumulating the products of elements 64c + L over c (a fused multiply-add chain; F16 × F16 products are
// exact in f32, so for F16 this is a plain sum), then reduce64_f32, then the n mod 64 leftover products added
// in double.
float dot_f16_ref(const uint16_t* a, const uint16_t* b, int64_t n) {
    const int64_t np = n & ~int64_t(63);
    float lanes[64] = {};
    for (int64_t i = 0; i < np; i += 64) {
        for (int L = 0; L < 64; ++L) lanes[L] += fp16_to_fp32(a[i + L]) * fp16_to_fp32(b[i + L]);
    }
    double sum = np > 0 ? static_cast<double>(reduce64_f32(lanes, 1)) : 0.0;
    for (int64_t i = np; i < n; ++i) sum += static_cast<double>(fp16_to_fp32(a[i]) * fp16_to_fp32(b[i]));
    return static_cast<float>(sum);
}

float dot_f32(const float* a, const float* b, int64_t n) {
    const int64_t np = n & ~int64_t(63);
    float lanes[64] = {};
    for (int64_t i = 0; i < np; i += 64) {
        for (int L = 0; L < 64; ++L) lanes[L] = std::fma(a[i + L], b[i + L], lanes[L]);
    }
    double sum = np > 0 ? static_cast<double>(reduce64_f32(lanes, 1)) : 0.0;
    for (int64_t i = np; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
    return static_cast<float>(sum);
}

float dot_bf16(const uint16_t* a, const uint16_t* b, int64_t n) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_fp32(a[i]) * bf16_to_fp32(b[i]));
    return static_cast<float>(sum);
}

void axpy_f16_ref(float alpha, const uint16_t* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += alpha * fp16_to_fp32(x[i]);
}

void attn_pv_f16_ref(const float* p, int64_t p_stride, int64_t n_q, const uint16_t* v, int64_t v_stride,
                     int64_t n_pos, int64_t np, int64_t hd, float* out, int64_t out_stride) {
    const int64_t n_lane_pos = np < n_pos ? np : n_pos;
    for (int64_t i = 0; i < n_q; ++i) {
        const float* pi = p + i * p_stride;
        for (int64_t d = 0; d < hd; ++d) {
            float lanes[64] = {};
            const uint16_t* vd = v + d * v_stride;
            for (int64_t j = 0; j < n_lane_pos; ++j) lanes[j % 64] += pi[j] * fp16_to_fp32(vd[j]);
            double sum = np > 0 ? static_cast<double>(reduce64_f32(lanes, 1)) : 0.0;
            for (int64_t j = np; j < n_pos; ++j) sum += static_cast<double>(pi[j] * fp16_to_fp32(vd[j]));
            out[i * out_stride + d] = static_cast<float>(sum);
        }
    }
}

void attn_softmax_ref(float* s, int64_t s_stride, int64_t n_q, int64_t n_pos, int64_t n_kv) {
    for (int64_t i = 0; i < n_q; ++i) {
        float* si = s + i * s_stride;
        float max = -INFINITY;
        for (int64_t j = 0; j < n_pos; ++j) max = max < si[j] ? si[j] : max;
        for (int64_t j = 0; j < n_pos; ++j) si[j] = exp_softmax(si[j] - max);
        for (int64_t j = n_pos; j < n_kv; ++j) si[j] = 0.0f;
        double sum = 0.0;
        for (int64_t c = 0; c < n_kv; c += 16) sum += static_cast<double>(reduce16_f32(si + c));
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t j = 0; j < n_pos; ++j) si[j] = fp16_to_fp32(fp32_to_fp16(si[j] * inv));
    }
}

void attn_scores_f16_ref(const uint16_t* q, int64_t q_stride, int64_t n_q, const uint16_t* k, int64_t k_stride,
                         int64_t n_pos, int64_t hd, float scale, float* s, int64_t s_stride) {
    for (int64_t i = 0; i < n_q; ++i) {
        for (int64_t j = 0; j < n_pos; ++j) s[i * s_stride + j] = dot_f16_ref(q + i * q_stride, k + j * k_stride, hd) * scale;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// GEMMs: every (row, token) pair is one row dot product, so a batched product equals token-by-token products.
// ---------------------------------------------------------------------------------------------------------------

void gemm_i2_s_ref(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* w = g.w + r * g.w_row_bytes;
        for (int64_t t = 0; t < g.n_tok; ++t) {
            const int8_t* q = reinterpret_cast<const int8_t*>(g.a + t * g.a_row_bytes);
            const int32_t acc = dot_i2_s_codes(w, q, g.k);
            g.y[t * g.ldy + r] = static_cast<float>(acc - g.a_sum[t]) / g.a_scale[t] * g.w_scale;
        }
    }
}

template <float (*dot)(const uint8_t*, const BlockQ8K*, int64_t)>
void gemm_q8_K_acts(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* w = g.w + r * g.w_row_bytes;
        for (int64_t t = 0; t < g.n_tok; ++t) {
            const BlockQ8K* a = reinterpret_cast<const BlockQ8K*>(g.a + t * g.a_row_bytes);
            g.y[t * g.ldy + r] = dot(w, a, g.k);
        }
    }
}

void gemm_q8_0_ref(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        for (int64_t t = 0; t < g.n_tok; ++t) {
            g.y[t * g.ldy + r] = dot_q8_0(g.w + r * g.w_row_bytes, g.a + t * g.a_row_bytes, g.k);
        }
    }
}

void gemm_f16_ref(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const uint16_t* w = reinterpret_cast<const uint16_t*>(g.w + r * g.w_row_bytes);
        for (int64_t t = 0; t < g.n_tok; ++t) {
            g.y[t * g.ldy + r] =
                dot_f16_ref(w, reinterpret_cast<const uint16_t*>(g.a + t * g.a_row_bytes), g.k);
        }
    }
}

void gemm_bf16_ref(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const uint16_t* w = reinterpret_cast<const uint16_t*>(g.w + r * g.w_row_bytes);
        for (int64_t t = 0; t < g.n_tok; ++t) {
            g.y[t * g.ldy + r] = dot_bf16(w, reinterpret_cast<const uint16_t*>(g.a + t * g.a_row_bytes), g.k);
        }
    }
}

void gemm_f32_ref(const GemmArgs& g, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const float* w = reinterpret_cast<const float*>(g.w + r * g.w_row_bytes);
        for (int64_t t = 0; t < g.n_tok; ++t) {
            g.y[t * g.ldy + r] = dot_f32(w, reinterpret_cast<const float*>(g.a + t * g.a_row_bytes), g.k);
        }
    }
}

const KernelTable kRefTable = {
    "ref",
    quantize_i8_ref,
    quantize_q8_K_ref,
    quantize_q8_0_ref,
    fp32_to_fp16_ref,
    fp16_to_fp32_ref,
    fp32_to_bf16_ref,
    gemm_i2_s_ref,
    gemm_q8_K_acts<dot_tq2_0>,
    gemm_q8_K_acts<dot_tq1_0>,
    gemm_q8_K_acts<dot_q6_K>,
    gemm_q8_0_ref,
    gemm_f16_ref,
    gemm_bf16_ref,
    gemm_f32_ref,
    dot_f16_ref,
    axpy_f16_ref,
    nullptr,
    nullptr,
    attn_scores_f16_ref,
    attn_pv_f16_ref,
    attn_softmax_ref,
};

}  // namespace

const KernelTable* kernels_ref() {
    return &kRefTable;
}

}  // namespace trit
