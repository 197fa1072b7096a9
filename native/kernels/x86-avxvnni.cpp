// AVX-VNNI kernels (the VEX-encoded 256-bit vpdpbusd of Alder Lake and later, Zen 5): the AVX2 table with the
// I2_S product done by vpdpbusd, which multiplies unsigned codes by signed activations and accumulates int32
// directly (no int16 stage, no overflow for any row length we accept). Compiled with -mavx2 -mfma -mf16c
// -mavxvnni only; selected at run time when CPUID reports AVX-VNNI (cpu-features.cpp). Twin of
// gemm_i2_s_ref, bit for bit.
#include "kernels.h"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__AVXVNNI__) || defined(_MSC_VER))

#include <immintrin.h>

#include <cstring>

namespace trit {
namespace {

inline int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

// A register tile of NR rows × NT tokens: every decoded weight vector serves NT tokens, every activation load
// NR rows.
template <int NR, int NT>
void i2_s_tile(const GemmArgs& g, int64_t r, int64_t t0) {
    const __m256i mask = _mm256_set1_epi8(3);
    const int64_t nb = g.k / QK_I2_S;
    const uint8_t* w[NR];
    for (int i = 0; i < NR; ++i) w[i] = g.w + (r + i) * g.w_row_bytes;
    const int8_t* a[NT];
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const int8_t*>(g.a + (t0 + t) * g.a_row_bytes);
    __m256i acc[NR][NT];
    for (int i = 0; i < NR; ++i)
        for (int t = 0; t < NT; ++t) acc[i][t] = _mm256_setzero_si256();
    for (int64_t b = 0; b < nb; ++b) {
        __m256i wb[NR];
        for (int i = 0; i < NR; ++i) wb[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i] + 32 * b));
        for (int grp = 0; grp < 4; ++grp) {
            __m256i c[NR];
            for (int i = 0; i < NR; ++i)
                c[i] = _mm256_and_si256(grp == 3 ? wb[i] : _mm256_srli_epi16(wb[i], 6 - 2 * grp), mask);
            for (int t = 0; t < NT; ++t) {
                const __m256i q =
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[t] + QK_I2_S * b + 32 * grp));
                for (int i = 0; i < NR; ++i) acc[i][t] = _mm256_dpbusd_avx_epi32(acc[i][t], c[i], q);
            }
        }
    }
    for (int i = 0; i < NR; ++i) {
        for (int t = 0; t < NT; ++t) {
            const int64_t tt = t0 + t;
            const int32_t sumi = hsum_i32(acc[i][t]);
            g.y[tt * g.ldy + r + i] = static_cast<float>(sumi - g.a_sum[tt]) / g.a_scale[tt] * g.w_scale;
        }
    }
}

template <int NR, int NT>
void i2_s_rows(const GemmArgs& g, int64_t r0, int64_t r1, int64_t t) {
    int64_t r = r0;
    for (; r + NR <= r1; r += NR) i2_s_tile<NR, NT>(g, r, t);
    for (; r < r1; ++r) i2_s_tile<1, NT>(g, r, t);
}

// 3×4 tiles, then the 1–3 leftover tokens as one tile (each weight read once per batch).
void i2_s_panel(const GemmArgs& g, int64_t r0, int64_t r1) {
    int64_t t = 0;
    for (; t + 4 <= g.n_tok; t += 4) i2_s_rows<3, 4>(g, r0, r1, t);
    switch (g.n_tok - t) {
        case 3: i2_s_rows<3, 3>(g, r0, r1, t); break;
        case 2: i2_s_rows<3, 2>(g, r0, r1, t); break;
        case 1: i2_s_rows<1, 1>(g, r0, r1, t); break;
        default: break;
    }
}

// Batches (prefill): the panel kernel of x86-i2s-wide.h with vpdpbusd products straight into int32.
#include "x86-i2s-wide.h"

constexpr int64_t kWideMinTokens = 16;

struct DotVnni {
    static __m256i step(__m256i acc, __m256i u, __m256i s) {
#if defined(__GNUC__) && !defined(__clang__)
        // In place (GCC 12 otherwise copies the accumulator through a fresh register); {vex} selects the AVX-VNNI
        // encoding, which needs no AVX-512.
        __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(u), "x"(s));
        return acc;
#else
        return _mm256_dpbusd_avx_epi32(acc, u, s);
#endif
    }
    static __m256i widen(__m256i acc) { return acc; }
};

void gemm_i2_s_avxvnni(const GemmArgs& g, int64_t r0, int64_t r1) {
    if (g.n_tok >= kWideMinTokens && gemm_i2_s_wide<DotVnni>(g, r0, r1)) return;
    int64_t panel = (16 << 10) / (g.w_row_bytes > 0 ? g.w_row_bytes : 1);
    panel = panel < 12 ? 12 : panel - panel % 12;
    for (int64_t r = r0; r < r1; r += panel) i2_s_panel(g, r, r + panel < r1 ? r + panel : r1);
}

}  // namespace

const KernelTable* kernels_avxvnni() {
    static const KernelTable table = [] {
        KernelTable t = *kernels_avx2();
        t.name = "avxvnni";
        t.gemm_i2_s = gemm_i2_s_avxvnni;
        return t;
    }();
    return &table;
}

}  // namespace trit

#else  // not x86-64, or a compiler without AVX-VNNI

namespace trit {
const KernelTable* kernels_avxvnni() {
    return nullptr;
}
}  // namespace trit

#endif
