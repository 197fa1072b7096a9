// AVX-512 (F, BW, VL, DQ) + VNNI kernels. Compiled with only those flags (plus FMA/F16C, which every AVX-512
// CPU has); selected at run time when the CPU and the OS support them. Entries without an AVX-512 version
// come from the AVX2 table (every AVX-512 CPU has AVX2). Each function names its ref.cpp twin.
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

// GCC 12's own AVX-512 headers start some intrinsics from _mm512_undefined_*(), which its flow analysis then
// reports as uninitialized at every inlining site; the values are fully overwritten.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <new>

// Every float operation is rounded separately (the numerics mirror the reference engines operation by operation);
// clang would otherwise fuse a*b+c within an expression. GCC's ISO mode and -ffp-contract=off do the same.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace trit {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// I2_S × int8 with VNNI (twin of gemm_i2_s_ref). One 32-byte block holds 4 groups of 32 codes; groups (0,1)
// and (2,3) each pair with 64 contiguous activations, so a block is two vpdpbusd per token: the block is
// broadcast to both halves of a zmm and shifted by (6, 4) resp. (2, 0) per half. vpdpbusd multiplies the
// unsigned codes with the signed activations and accumulates int32 directly (no int16 stage, no overflow for
// any row length we accept).
// ---------------------------------------------------------------------------------------------------------------

// vpdpbusd acc += u8 · s8 (4-byte groups into int32 lanes). GCC 12 copies the accumulator of
// _mm512_dpbusd_epi32 to a fresh register and back (two extra moves per product, and spills once a tile's
// accumulators fill the register file); the instruction itself updates its destination in place.
inline __m512i dpbusd(__m512i acc, __m512i u, __m512i s) {
#if defined(__GNUC__) && !defined(__clang__)
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
    return acc;
#else
    return _mm512_dpbusd_epi32(acc, u, s);
#endif
}

// Single-token products stream the weights once: software prefetch 4 KiB ahead of the rows being read keeps
// enough misses in flight to reach the memory bandwidth (measured: decode of a 2B4T-shaped model, 2 cores of an
// AVX-512 server part, from 76 % to about 100 % of the read-bandwidth roofline). Prefetches never fault.
constexpr int64_t kPrefetchBytes = 4096;

template <int NR, int NT>
void i2_s_tile(const GemmArgs& g, int64_t r, int64_t t0) {
    // The codes are masked in place instead of shifted down: group 0 arrives as 64·code, group 1 as 16·code,
    // group 2 as 4·code (all ≤ 128, valid unsigned bytes). The (0, 1) and (2, 3) products go to separate
    // accumulators whose lanes are shifted back down at the end (exact: every lane is a multiple of its scale).
    // Two shifts fewer per row and block (measured on an AVX-512 server part: about 5 % faster for 3-token
    // batches, no change for 1–2). Bound per lane: 4·128·128 per block, k/128 blocks, k ≤ 2^20: below 2^29.
    const __m512i m01 = _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(0xC0)), _mm256_set1_epi8(0x30), 1);
    const __m512i m23 = _mm512_inserti64x4(_mm512_set1_epi8(0x0C), _mm256_set1_epi8(0x03), 1);
    const int64_t nb = g.k / QK_I2_S;
    const uint8_t* w[NR];
    for (int i = 0; i < NR; ++i) w[i] = g.w + (r + i) * g.w_row_bytes;
    const int8_t* a[NT];
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const int8_t*>(g.a + (t0 + t) * g.a_row_bytes);
    __m512i acc[NR][NT][2];  // (0, 1) and (2, 3) products
    for (int i = 0; i < NR; ++i) {
        for (int t = 0; t < NT; ++t) acc[i][t][0] = acc[i][t][1] = _mm512_setzero_si512();
    }
    // One 128-k block: the codes of NR rows, NT tokens' activations, 2·NR·NT vpdpbusd (fully unrolled, so the
    // accumulators stay in registers).
    const auto block = [&](int64_t blk) TRIT_INLINE_LAMBDA {
        __m512i c01[NR], c23[NR];
        TRIT_UNROLL
        for (int i = 0; i < NR; ++i) {
            const __m512i wb =
                _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i] + 32 * blk)));
            c01[i] = _mm512_and_si512(wb, m01);
            c23[i] = _mm512_and_si512(wb, m23);
        }
        TRIT_UNROLL
        for (int t = 0; t < NT; ++t) {
            const int8_t* q = a[t] + QK_I2_S * blk;
            const __m512i q01 = _mm512_loadu_si512(q);
            const __m512i q23 = _mm512_loadu_si512(q + 64);
            TRIT_UNROLL
            for (int i = 0; i < NR; ++i) {
                acc[i][t][0] = dpbusd(acc[i][t][0], c01[i], q01);
                acc[i][t][1] = dpbusd(acc[i][t][1], c23[i], q23);
            }
        }
    };
    int64_t b = 0;
    if (NT <= 3 && g.n_tok <= 3) {
        for (; b + 2 <= nb; b += 2) {
            for (int i = 0; i < NR; ++i)
                _mm_prefetch(reinterpret_cast<const char*>(w[i] + 32 * b + kPrefetchBytes), _MM_HINT_T0);
            block(b);
            block(b + 1);
        }
    }
    for (; b < nb; ++b) block(b);
    const __m512i down01 = _mm512_inserti64x4(_mm512_set1_epi32(6), _mm256_set1_epi32(4), 1);
    const __m512i down23 = _mm512_inserti64x4(_mm512_set1_epi32(2), _mm256_set1_epi32(0), 1);
    for (int i = 0; i < NR; ++i) {
        for (int t = 0; t < NT; ++t) {
            const int64_t tt = t0 + t;
            const int32_t sumi = _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_srav_epi32(acc[i][t][0], down01),
                                                                          _mm512_srav_epi32(acc[i][t][1], down23)));
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

// Rows [r0, r1) of one panel for every token: 2×4 tiles (token tiles outside, so the panel's weights and one
// tile's activations stay in L1 while the rows are swept), then the 1–3 leftover tokens as one tile, so each
// weight is read from memory once per batch.
void i2_s_panel(const GemmArgs& g, int64_t r0, int64_t r1) {
    int64_t t = 0;
    for (; t + 4 <= g.n_tok; t += 4) i2_s_rows<2, 4>(g, r0, r1, t);
    switch (g.n_tok - t) {
        case 3: i2_s_rows<2, 3>(g, r0, r1, t); break;
        case 2: i2_s_rows<2, 2>(g, r0, r1, t); break;
        case 1: i2_s_rows<2, 1>(g, r0, r1, t); break;
        default: break;
    }
}

void gemm_i2_s_tiles(const GemmArgs& g, int64_t r0, int64_t r1) {
    // Panel height: about 16 KiB of weights.
    int64_t panel = (16 << 10) / (g.w_row_bytes > 0 ? g.w_row_bytes : 1);
    panel = panel < 4 ? 4 : panel & ~int64_t(1);
    for (int64_t r = r0; r < r1; r += panel) i2_s_panel(g, r, r + panel < r1 ? r + panel : r1);
}

// ---------------------------------------------------------------------------------------------------------------
// I2_S × int8 for batches (prefill). The codes of 64 rows are unpacked once per call into a scratch panel in
// which one zmm holds 4 consecutive k of 16 rows (bytes 4n..4n+3: row n, k = 4q..4q+3), so vpdpbusd with one
// token's 4 activations broadcast to every lane adds to 16 rows' sums at once: no horizontal sums, no unpacking
// in the inner loop. A 64-row × 6-token tile keeps 24 accumulators in registers; each k-quad costs 4 weight
// loads (L2), 6 broadcasts and 24 vpdpbusd. Integer sums are exact, so the results equal ref bit for bit.
// ---------------------------------------------------------------------------------------------------------------


constexpr int64_t kWideRows = 64;
constexpr int64_t kWideMaxK = 1 << 16;  // panel ≤ 4 MiB
constexpr int kWideTokens = 6;
// Below 8 tokens the unpacking costs more than it saves (measured on an AVX-512 server part: the tile kernel
// is faster for 4–6 tokens, even at 8, the panel kernel ~1.3× faster from 12, 2.1× at 128).
constexpr int64_t kWideMinTokens = 8;
constexpr int64_t kWidePrefetchTokens = 32;

// Rows [r, min(r + 64, r1)) of the file layout into P: P + (4q + v)·64 holds rows r + 16v + n (n < 16) at bytes
// 4n..4n+3, codes of k = 4q..4q+3; missing rows are zeros. In a 32-byte I2_S block, bytes 4j..4j+3 hold k-quad
// 8·grp + j of the block in bits 6 − 2·grp (grp = 0..3), so one gather of dword j of 16 rows gives 4 quads.
void wide_unpack(const GemmArgs& g, int64_t r, int64_t r1, uint8_t* P) {
    const int64_t nb = g.k / QK_I2_S;
    const __m512i mask = _mm512_set1_epi8(3);
    const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int32_t>(g.w_row_bytes)));
    for (int64_t v = 0; v < 4; ++v) {
        const int64_t rv = r + 16 * v;
        const int64_t live = r1 - rv;
        if (live <= 0) {
            for (int64_t q = 0; q < g.k / 4; ++q) _mm512_store_si512(P + (4 * q + v) * 64, _mm512_setzero_si512());
            continue;
        }
        const __mmask16 m = live >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << live) - 1u);
        const uint8_t* base = g.w + rv * g.w_row_bytes;
        for (int64_t b = 0; b < nb; ++b) {
            TRIT_UNROLL
            for (int64_t j = 0; j < 8; ++j) {
                const __m512i d = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, base + 32 * b + 4 * j, 1);
                uint8_t* dst = P + ((32 * b + j) * 4 + v) * 64;
                _mm512_store_si512(dst, _mm512_and_si512(_mm512_srli_epi32(d, 6), mask));
                _mm512_store_si512(dst + 8 * 256, _mm512_and_si512(_mm512_srli_epi32(d, 4), mask));
                _mm512_store_si512(dst + 16 * 256, _mm512_and_si512(_mm512_srli_epi32(d, 2), mask));
                _mm512_store_si512(dst + 24 * 256, _mm512_and_si512(d, mask));
            }
        }
    }
}

template <int NT>
void wide_tile(const GemmArgs& g, const uint8_t* P, int64_t r, int64_t r1, int64_t t0) {
    const int64_t nq = g.k / 4;
    const uint8_t* a[NT];
    for (int t = 0; t < NT; ++t) a[t] = g.a + (t0 + t) * g.a_row_bytes;
    __m512i acc[4][NT];
    TRIT_UNROLL
    for (int v = 0; v < 4; ++v) {
        TRIT_UNROLL
        for (int t = 0; t < NT; ++t) acc[v][t] = _mm512_setzero_si512();
    }
    const auto quad = [&](int64_t q) TRIT_INLINE_LAMBDA {
        const uint8_t* p = P + q * 256;
        const __m512i w0 = _mm512_load_si512(p);
        const __m512i w1 = _mm512_load_si512(p + 64);
        const __m512i w2 = _mm512_load_si512(p + 128);
        const __m512i w3 = _mm512_load_si512(p + 192);
        TRIT_UNROLL
        for (int t = 0; t < NT; ++t) {
            int32_t x4;
            std::memcpy(&x4, a[t] + 4 * q, 4);
            const __m512i x = _mm512_set1_epi32(x4);
            acc[0][t] = dpbusd(acc[0][t], w0, x);
            acc[1][t] = dpbusd(acc[1][t], w1, x);
            acc[2][t] = dpbusd(acc[2][t], w2, x);
            acc[3][t] = dpbusd(acc[3][t], w3, x);
        }
    };
    for (int64_t q = 0; q < nq; ++q) quad(q);
    // y = (Σ − Σq) / s · w_scale per element, as ref (IEEE division and multiplication, 16 rows per vector).
    // Fully unrolled (no early exit), so the accumulators never leave the registers.
    const __m512 wscale = _mm512_set1_ps(g.w_scale);
    __mmask16 live[4];
    for (int v = 0; v < 4; ++v) {
        const int64_t n = r1 - (r + 16 * v);
        live[v] = n >= 16 ? static_cast<__mmask16>(0xFFFF) : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1u);
    }
    TRIT_UNROLL
    for (int t = 0; t < NT; ++t) {
        const int64_t tt = t0 + t;
        const __m512i asum = _mm512_set1_epi32(g.a_sum[tt]);
        const __m512 ascale = _mm512_set1_ps(g.a_scale[tt]);
        TRIT_UNROLL
        for (int v = 0; v < 4; ++v) {
            const __m512 yv =
                _mm512_mul_ps(_mm512_div_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[v][t], asum)), ascale), wscale);
            _mm512_mask_storeu_ps(g.y + tt * g.ldy + r + 16 * v, live[v], yv);
        }
    }
}

// Returns false (nothing written) when the panel's scratch cannot be had.
bool gemm_i2_s_wide(const GemmArgs& g, int64_t r0, int64_t r1) {
    thread_local KernelScratch scratch;
    uint8_t* const P = scratch.get(static_cast<size_t>(kWideRows * g.k));
    if (P == nullptr) return false;
    for (int64_t r = r0; r < r1; r += kWideRows) {
        wide_unpack(g, r, r1, P);
        // Long batches: ask for the next panel's weights now (to L2), so its unpacking does not wait on memory
        // (measured on an AVX-512 server part: +8–10 % at 128 tokens; a loss at 16, where the panels pass quickly).
        if (g.n_tok >= kWidePrefetchTokens) {
            for (int64_t rr = r + kWideRows; rr < r + 2 * kWideRows && rr < r1; ++rr) {
                for (int64_t o = 0; o < g.w_row_bytes; o += 64)
                    _mm_prefetch(reinterpret_cast<const char*>(g.w + rr * g.w_row_bytes + o), _MM_HINT_T1);
            }
        }
        int64_t t = 0;
        for (; t + kWideTokens <= g.n_tok; t += kWideTokens) wide_tile<kWideTokens>(g, P, r, r1, t);
        switch (g.n_tok - t) {
            case 5: wide_tile<5>(g, P, r, r1, t); break;
            case 4: wide_tile<4>(g, P, r, r1, t); break;
            case 3: wide_tile<3>(g, P, r, r1, t); break;
            case 2: wide_tile<2>(g, P, r, r1, t); break;
            case 1: wide_tile<1>(g, P, r, r1, t); break;
            default: break;
        }
    }
    return true;
}

void gemm_i2_s_avx512vnni(const GemmArgs& g, int64_t r0, int64_t r1) {
    if (g.n_tok >= kWideMinTokens && g.k <= kWideMaxK && g.k % QK_I2_S == 0 && gemm_i2_s_wide(g, r0, r1)) return;
    gemm_i2_s_tiles(g, r0, r1);
}

// ---------------------------------------------------------------------------------------------------------------
// I2_S × int8 with AMX-INT8 tiles, for prefill (16 tokens or more). The weight codes (0, 1, 2: unsigned) are
// unpacked to bytes, 32 rows at a time, and multiplied with the activations (signed) by tdpbusd into int32
// tiles: C[16 rows][16 tokens] += A[16 rows][64 k] · B[64 k][16 tokens], B in the tiles' "VNNI" layout (row r
// holds k = 4r..4r+3 of each token). Integer sums are exact, so the results equal ref bit for bit. Each call
// sets the tile configuration on its own thread and releases the tiles before returning.
// ---------------------------------------------------------------------------------------------------------------

#if defined(__AMX_TILE__) && defined(__AMX_INT8__)

struct alignas(64) TileConfig {
    uint8_t palette_id = 1;
    uint8_t start_row = 0;
    uint8_t reserved[14] = {};
    uint16_t colsb[16] = {};
    uint8_t rows[16] = {};
};

constexpr int64_t kAmxMinTokens = 16;
constexpr int64_t kAmxMaxK = 1 << 16;

void gemm_i2_s_amx(const GemmArgs& g, int64_t r0, int64_t r1) {
    if (g.n_tok < kAmxMinTokens || g.k > kAmxMaxK || g.k % QK_I2_S != 0) {
        gemm_i2_s_avx512vnni(g, r0, r1);
        return;
    }
    const int64_t nkc = g.k / 64;                     // 64-byte k chunks
    const int64_t n_tt = (g.n_tok + 15) / 16;         // token tiles
    const size_t b_bytes = static_cast<size_t>(n_tt * nkc * 1024);
    const size_t a_bytes = static_cast<size_t>(2 * nkc * 1024);
    thread_local KernelScratch scratch;
    uint8_t* const B = scratch.get(b_bytes + a_bytes);
    if (B == nullptr) {  // no memory for the scratch: the AVX-512 path needs none
        gemm_i2_s_avx512vnni(g, r0, r1);
        return;
    }
    uint8_t* const A = B + b_bytes;

    // B: tile tt, chunk kc at B + (tt·nkc + kc)·1024; row r, bytes 4n..4n+3 = token 16tt+n, k = 64kc + 4r + 0..3.
    for (int64_t tt = 0; tt < n_tt; ++tt) {
        for (int64_t n = 0; n < 16; ++n) {
            const int64_t t = 16 * tt + n;
            const uint8_t* src = t < g.n_tok ? g.a + t * g.a_row_bytes : nullptr;
            for (int64_t kc = 0; kc < nkc; ++kc) {
                uint8_t* dst = B + (tt * nkc + kc) * 1024 + 4 * n;
                for (int64_t r = 0; r < 16; ++r) {
                    uint32_t v = 0;
                    if (src != nullptr) std::memcpy(&v, src + 64 * kc + 4 * r, 4);
                    std::memcpy(dst + 64 * r, &v, 4);
                }
            }
        }
    }

    TileConfig cfg;
    for (int i = 0; i < 8; ++i) {
        cfg.rows[i] = 16;
        cfg.colsb[i] = 64;
    }
    _tile_loadconfig(&cfg);
    const __m512i mask = _mm512_set1_epi8(3);
    const __m512i shift01 = _mm512_inserti64x4(_mm512_set1_epi16(6), _mm256_set1_epi16(4), 1);
    const __m512i shift23 = _mm512_inserti64x4(_mm512_set1_epi16(2), _mm256_set1_epi16(0), 1);
    alignas(64) int32_t c[4][16][16];
    for (int64_t rr = r0; rr < r1; rr += 32) {
        // A: row tile it, chunk kc at A + (it·nkc + kc)·1024; row i = weight row rr + 16it + i (codes, in k order;
        // zeros past r1).
        for (int64_t it = 0; it < 2; ++it) {
            for (int64_t i = 0; i < 16; ++i) {
                const int64_t row = rr + 16 * it + i;
                uint8_t* dst = A + it * nkc * 1024 + 64 * i;
                if (row >= r1) {
                    for (int64_t kc = 0; kc < nkc; ++kc) _mm512_store_si512(dst + kc * 1024, _mm512_setzero_si512());
                    continue;
                }
                const uint8_t* w = g.w + row * g.w_row_bytes;
                for (int64_t b = 0; b < nkc / 2; ++b) {
                    const __m512i wb =
                        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32 * b)));
                    _mm512_store_si512(dst + (2 * b) * 1024, _mm512_and_si512(_mm512_srlv_epi16(wb, shift01), mask));
                    _mm512_store_si512(dst + (2 * b + 1) * 1024, _mm512_and_si512(_mm512_srlv_epi16(wb, shift23), mask));
                }
            }
        }
        for (int64_t tt = 0; tt < n_tt; tt += 2) {
            const bool two = tt + 1 < n_tt;
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            for (int64_t kc = 0; kc < nkc; ++kc) {
                _tile_loadd(4, A + kc * 1024, 64);
                _tile_loadd(5, A + (nkc + kc) * 1024, 64);
                _tile_loadd(6, B + (tt * nkc + kc) * 1024, 64);
                _tile_dpbusd(0, 4, 6);
                _tile_dpbusd(2, 5, 6);
                if (two) {
                    _tile_loadd(7, B + ((tt + 1) * nkc + kc) * 1024, 64);
                    _tile_dpbusd(1, 4, 7);
                    _tile_dpbusd(3, 5, 7);
                }
            }
            _tile_stored(0, c[0], 64);
            _tile_stored(1, c[1], 64);
            _tile_stored(2, c[2], 64);
            _tile_stored(3, c[3], 64);
            // c[2·it + ut]: rows rr + 16it + i, tokens 16(tt + ut) + n. y = (sumi − Σq) / s · w_scale, 16 tokens
            // per vector (IEEE division and multiplication, as ref).
            const __m512 wscale = _mm512_set1_ps(g.w_scale);
            for (int64_t ut = 0; ut < (two ? 2 : 1); ++ut) {
                const int64_t t0 = 16 * (tt + ut);
                const int64_t nt = g.n_tok - t0 < 16 ? g.n_tok - t0 : 16;
                const __mmask16 tmask = static_cast<__mmask16>((1u << nt) - 1u);
                const __m512i asum = _mm512_maskz_loadu_epi32(tmask, g.a_sum + t0);
                const __m512 ascale = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), tmask, g.a_scale + t0);
                for (int64_t it = 0; it < 2; ++it) {
                    for (int64_t i = 0; i < 16; ++i) {
                        const int64_t row = rr + 16 * it + i;
                        if (row >= r1) break;
                        const __m512i sumi = _mm512_load_si512(c[2 * it + ut][i]);
                        const __m512 yv = _mm512_mul_ps(
                            _mm512_div_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(sumi, asum)), ascale), wscale);
                        alignas(64) float yf[16];
                        _mm512_store_ps(yf, yv);
                        for (int64_t n = 0; n < nt; ++n) g.y[(t0 + n) * g.ldy + row] = yf[n];
                    }
                }
            }
        }
    }
    _tile_release();
}

#endif  // AMX

// ---------------------------------------------------------------------------------------------------------------
// F16 dot products (twin of dot_f16_ref, bit-identical): 64 lanes in four zmm, the reduce64 tree, leftovers
// in double.
// ---------------------------------------------------------------------------------------------------------------

inline __m512 load_f16x16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

float dot_f16_avx512(const uint16_t* a, const uint16_t* b, int64_t n) {
    const int64_t np = n & ~int64_t(63);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
           acc3 = _mm512_setzero_ps();
    for (int64_t i = 0; i < np; i += 64) {
        acc0 = _mm512_fmadd_ps(load_f16x16(a + i), load_f16x16(b + i), acc0);
        acc1 = _mm512_fmadd_ps(load_f16x16(a + i + 16), load_f16x16(b + i + 16), acc1);
        acc2 = _mm512_fmadd_ps(load_f16x16(a + i + 32), load_f16x16(b + i + 32), acc2);
        acc3 = _mm512_fmadd_ps(load_f16x16(a + i + 48), load_f16x16(b + i + 48), acc3);
    }
    double sum = 0.0;
    if (np > 0) {
        // reduce64_f32 of ref.cpp: (lane l + lane 32+l) + (lane 16+l + lane 48+l), then 16 → 8 → 4 → 2 → 1.
        const __m512 c = _mm512_add_ps(_mm512_add_ps(acc0, acc2), _mm512_add_ps(acc1, acc3));
        const __m256 t8 = _mm256_add_ps(_mm512_extractf32x8_ps(c, 1), _mm512_castps512_ps256(c));
        __m128 t = _mm_add_ps(_mm256_extractf128_ps(t8, 1), _mm256_castps256_ps128(t8));
        t = _mm_add_ps(t, _mm_movehl_ps(t, t));
        t = _mm_add_ss(t, _mm_movehdup_ps(t));
        sum = static_cast<double>(_mm_cvtss_f32(t));
    }
    for (int64_t i = np; i < n; ++i) sum += static_cast<double>(fp16_to_fp32(a[i]) * fp16_to_fp32(b[i]));
    return static_cast<float>(sum);
}

// Per token the activation row is widened to f32 once (on the stack, up to kF16Stack values): one conversion
// per 16 weights instead of two; same lanes and order as dot_f16_avx512, so bit-identical.
constexpr int64_t kF16Stack = 8192;

void gemm_f16_avx512(const GemmArgs& g, int64_t r0, int64_t r1) {
    if (g.k > kF16Stack) {
        for (int64_t r = r0; r < r1; ++r) {
            const uint16_t* w = reinterpret_cast<const uint16_t*>(g.w + r * g.w_row_bytes);
            for (int64_t t = 0; t < g.n_tok; ++t) {
                g.y[t * g.ldy + r] =
                    dot_f16_avx512(w, reinterpret_cast<const uint16_t*>(g.a + t * g.a_row_bytes), g.k);
            }
        }
        return;
    }
    alignas(64) float af[kF16Stack];
    const int64_t np = g.k & ~int64_t(63);
    for (int64_t t = 0; t < g.n_tok; ++t) {
        const uint16_t* a = reinterpret_cast<const uint16_t*>(g.a + t * g.a_row_bytes);
        for (int64_t i = 0; i < np; i += 16) _mm512_store_ps(af + i, load_f16x16(a + i));
        for (int64_t r = r0; r < r1; ++r) {
            const uint16_t* w = reinterpret_cast<const uint16_t*>(g.w + r * g.w_row_bytes);
            __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps(),
                   acc3 = _mm512_setzero_ps();
            for (int64_t i = 0; i < np; i += 64) {
                _mm_prefetch(reinterpret_cast<const char*>(w + i) + kPrefetchBytes, _MM_HINT_T0);
                _mm_prefetch(reinterpret_cast<const char*>(w + i) + kPrefetchBytes + 64, _MM_HINT_T0);
                acc0 = _mm512_fmadd_ps(load_f16x16(w + i), _mm512_load_ps(af + i), acc0);
                acc1 = _mm512_fmadd_ps(load_f16x16(w + i + 16), _mm512_load_ps(af + i + 16), acc1);
                acc2 = _mm512_fmadd_ps(load_f16x16(w + i + 32), _mm512_load_ps(af + i + 32), acc2);
                acc3 = _mm512_fmadd_ps(load_f16x16(w + i + 48), _mm512_load_ps(af + i + 48), acc3);
            }
            double sum = 0.0;
            if (np > 0) {
                const __m512 c = _mm512_add_ps(_mm512_add_ps(acc0, acc2), _mm512_add_ps(acc1, acc3));
                const __m256 t8 = _mm256_add_ps(_mm512_extractf32x8_ps(c, 1), _mm512_castps512_ps256(c));
                __m128 s4 = _mm_add_ps(_mm256_extractf128_ps(t8, 1), _mm256_castps256_ps128(t8));
                s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
                s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
                sum = static_cast<double>(_mm_cvtss_f32(s4));
            }
            for (int64_t i = np; i < g.k; ++i) sum += static_cast<double>(fp16_to_fp32(w[i]) * fp16_to_fp32(a[i]));
            g.y[t * g.ldy + r] = static_cast<float>(sum);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Attention (twins of attn_scores_f16_ref, attn_pv_f16_ref, attn_softmax_ref; bit-identical): 64 lanes in four
// zmm, lane 16m + l in acc[m], so reduce64 is c = (acc0 + acc2) + (acc1 + acc3) followed by ref's reduce16.
// ---------------------------------------------------------------------------------------------------------------

// reduce16_f32 of ref.cpp for 16 vectors at once: c[p] holds position p's 16 lanes; element p of the result is
// position p's total, each added in ref's tree order (t8[l] = c[8+l] + c[l], t4[l] = t8[4+l] + t8[l],
// (t4[0] + t4[2]) + (t4[1] + t4[3])).
inline __m512 reduce16_x16(const __m512 c[16]) {
    __m512 u[8];  // [t8 of position 2i | t8 of position 2i + 1]
    for (int i = 0; i < 8; ++i) {
        const __m512 lo = _mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 hi = _mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2));
        u[i] = _mm512_add_ps(hi, lo);
    }
    __m512 w[4];  // 128-bit lane k: t4 of position 4i + k
    for (int i = 0; i < 4; ++i) {
        const __m512 lo = _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 hi = _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1));
        w[i] = _mm512_add_ps(hi, lo);
    }
    __m512 y[2];  // lane k: (t4[0] + t4[2], t4[1] + t4[3]) of positions 8i + k, 8i + 4 + k
    for (int i = 0; i < 2; ++i) {
        const __m512 e = _mm512_shuffle_ps(w[2 * i], w[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 f = _mm512_shuffle_ps(w[2 * i], w[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2));
        y[i] = _mm512_add_ps(e, f);
    }
    const __m512 g = _mm512_shuffle_ps(y[0], y[1], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 h = _mm512_shuffle_ps(y[0], y[1], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512 r = _mm512_add_ps(g, h);  // element 4k + m: position k + 4m
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), r);
}

// Scores for head sizes 64·NC (NC ≤ 4): each key row is widened into registers once and serves every query of
// the block; the queries are widened once into L1; 16 positions are reduced together. The key row
// kScorePrefetch positions ahead is fetched meanwhile: the arithmetic per row is long enough that the hardware
// prefetcher alone leaves the loop waiting on memory (one token at 2k positions, one core of the AVX-512
// machine: 11.6–12.4 → 8.4–8.8 ms for the scores of 30 layers).
constexpr int64_t kScoreQ = 8, kScorePrefetch = 16;

template <int NC>
void attn_scores_rows(const uint16_t* q, int64_t q_stride, int64_t n_q, const uint16_t* k, int64_t k_stride,
                      int64_t n_pos, float scale, float* s, int64_t s_stride) {
    constexpr int64_t hd = 64 * NC;
    alignas(64) float qf[kScoreQ][hd];
    __m512 part[kScoreQ][16];  // 16 lanes (c) of (query, position in the block of 16)
    const __m512 vscale = _mm512_set1_ps(scale);
    for (int64_t i0 = 0; i0 < n_q; i0 += kScoreQ) {
        const int64_t nq = n_q - i0 < kScoreQ ? n_q - i0 : kScoreQ;
        for (int64_t i = 0; i < nq; ++i) {
            for (int64_t d = 0; d < hd; d += 16) _mm512_store_ps(&qf[i][d], load_f16x16(q + (i0 + i) * q_stride + d));
        }
        for (int64_t j0 = 0; j0 < n_pos; j0 += 16) {
            const int64_t nb = n_pos - j0 < 16 ? n_pos - j0 : 16;
            for (int64_t jj = 0; jj < 16; ++jj) {
                if (jj >= nb) {
                    for (int64_t i = 0; i < nq; ++i) part[i][jj] = _mm512_setzero_ps();
                    continue;
                }
                const uint16_t* kj = k + (j0 + jj) * k_stride;
                if (j0 + jj + kScorePrefetch < n_pos) {
                    for (int c = 0; c < 2 * NC; ++c)
                        _mm_prefetch(reinterpret_cast<const char*>(kj + kScorePrefetch * k_stride + 32 * c), _MM_HINT_T0);
                }
                __m512 kr[4 * NC];
                for (int c = 0; c < 4 * NC; ++c) kr[c] = load_f16x16(kj + 16 * c);
                for (int64_t i = 0; i < nq; ++i) {
                    __m512 acc[4];
                    // From +0 as ref's lanes (a fused k·q + 0 turns a -0 product into +0 as ref's 0 + k·q does).
                    for (int m = 0; m < 4; ++m)
                        acc[m] = _mm512_fmadd_ps(kr[m], _mm512_load_ps(&qf[i][16 * m]), _mm512_setzero_ps());
                    for (int c = 1; c < NC; ++c) {
                        for (int m = 0; m < 4; ++m)
                            acc[m] = _mm512_fmadd_ps(kr[4 * c + m], _mm512_load_ps(&qf[i][64 * c + 16 * m]), acc[m]);
                    }
                    part[i][jj] = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));
                }
            }
            const __mmask16 mask = static_cast<__mmask16>((1u << nb) - 1u);
            for (int64_t i = 0; i < nq; ++i)
                _mm512_mask_storeu_ps(s + (i0 + i) * s_stride + j0, mask, _mm512_mul_ps(reduce16_x16(part[i]), vscale));
        }
    }
}

void attn_scores_f16_avx512(const uint16_t* q, int64_t q_stride, int64_t n_q, const uint16_t* k, int64_t k_stride,
                            int64_t n_pos, int64_t hd, float scale, float* s, int64_t s_stride) {
    switch (hd) {
        case 64: attn_scores_rows<1>(q, q_stride, n_q, k, k_stride, n_pos, scale, s, s_stride); return;
        case 128: attn_scores_rows<2>(q, q_stride, n_q, k, k_stride, n_pos, scale, s, s_stride); return;
        case 192: attn_scores_rows<3>(q, q_stride, n_q, k, k_stride, n_pos, scale, s, s_stride); return;
        case 256: attn_scores_rows<4>(q, q_stride, n_q, k, k_stride, n_pos, scale, s, s_stride); return;
        default: kernels_avx2()->attn_scores_f16(q, q_stride, n_q, k, k_stride, n_pos, hd, scale, s, s_stride);
    }
}

inline float reduce64_zmm(const __m512 acc[4]) {
    const __m512 c = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));
    const __m256 t8 = _mm256_add_ps(_mm512_extractf32x8_ps(c, 1), _mm512_castps512_ps256(c));
    __m128 t = _mm_add_ps(_mm256_extractf128_ps(t8, 1), _mm256_castps256_ps128(t8));
    t = _mm_add_ps(t, _mm_movehl_ps(t, t));
    t = _mm_add_ss(t, _mm_movehdup_ps(t));
    return _mm_cvtss_f32(t);
}

// Each output dimension is a 64-lane dot product of the probabilities with one transposed value row. A block
// of NQ ≤ 4 queries is done together: per 64 positions the four value vectors are widened once into registers
// and serve all NQ queries (4·NQ accumulators), and the NQ probability rows (8 KiB each at 2k positions) stay in
// L1 while the value rows stream. p·v is exact (kernels.h), so the fused multiply-add equals ref's
// multiply-then-add; a last partial block of 64 positions is read with masks (zeros in both operands add
// nothing: a lane that starts at +0 never becomes -0); positions after np are added in double in order.
inline __mmask16 first_n(int64_t n) {  // mask of the first min(max(n, 0), 16) lanes
    return n >= 16 ? static_cast<__mmask16>(0xffff) : n > 0 ? static_cast<__mmask16>((1u << n) - 1u) : static_cast<__mmask16>(0);
}

template <int NQ>
void attn_pv_block(const float* p, int64_t p_stride, const uint16_t* v, int64_t v_stride, int64_t n_pos, int64_t np,
                   int64_t hd, float* out, int64_t out_stride) {
    const int64_t n_lane_pos = np < n_pos ? np : n_pos;
    const int64_t full = n_lane_pos & ~int64_t(63);
    const int64_t rest = n_lane_pos - full;
    for (int64_t d = 0; d < hd; ++d) {
        const uint16_t* vd = v + d * v_stride;
        // The value rows are 2·n_pos bytes apart, too many streams for the hardware prefetcher: the next row is
        // fetched while this one is summed (the last row fetches itself again).
        const uint16_t* vn = d + 1 < hd ? vd + v_stride : vd;
        __m512 acc[NQ][4];
        for (int q = 0; q < NQ; ++q) {
            for (int m = 0; m < 4; ++m) acc[q][m] = _mm512_setzero_ps();
        }
        for (int64_t j = 0; j < full; j += 64) {
            _mm_prefetch(reinterpret_cast<const char*>(vn + j), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(vn + j + 32), _MM_HINT_T0);
            __m512 vv[4];
            for (int m = 0; m < 4; ++m) vv[m] = load_f16x16(vd + j + 16 * m);
            for (int q = 0; q < NQ; ++q) {
                for (int m = 0; m < 4; ++m)
                    acc[q][m] = _mm512_fmadd_ps(_mm512_loadu_ps(p + q * p_stride + j + 16 * m), vv[m], acc[q][m]);
            }
        }
        if (rest > 0) {
            for (int m = 0; m < 4; ++m) {
                const __mmask16 k = first_n(rest - 16 * m);
                const __m512 vv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, vd + full + 16 * m));
                for (int q = 0; q < NQ; ++q)
                    acc[q][m] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, p + q * p_stride + full + 16 * m), vv, acc[q][m]);
            }
        }
        // Positions np ≤ j < n_pos are added afterwards (attn_pv_tail).
        for (int q = 0; q < NQ; ++q) out[q * out_stride + d] = np > 0 ? reduce64_zmm(acc[q]) : 0.0f;
    }
}

void attn_pv_f16_avx512(const float* p, int64_t p_stride, int64_t n_q, const uint16_t* v, int64_t v_stride,
                        int64_t n_pos, int64_t np, int64_t hd, float* out, int64_t out_stride) {
    for (int64_t q0 = 0; q0 < n_q; q0 += 4) {
        const float* pq = p + q0 * p_stride;
        float* oq = out + q0 * out_stride;
        switch (n_q - q0 < 4 ? n_q - q0 : 4) {
            case 1: attn_pv_block<1>(pq, p_stride, v, v_stride, n_pos, np, hd, oq, out_stride); break;
            case 2: attn_pv_block<2>(pq, p_stride, v, v_stride, n_pos, np, hd, oq, out_stride); break;
            case 3: attn_pv_block<3>(pq, p_stride, v, v_stride, n_pos, np, hd, oq, out_stride); break;
            default: attn_pv_block<4>(pq, p_stride, v, v_stride, n_pos, np, hd, oq, out_stride); break;
        }
    }
    if (n_pos > np) {
        attn_pv_tail(p, p_stride, n_q, v, v_stride, n_pos, np, hd, out, out_stride,
                     [](const uint16_t* src, int64_t n, float* dst) {
                         _mm512_store_ps(dst, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(first_n(n), src)));
                     });
    }
}

// Twin of exp_softmax (ref.cpp) for 16 floats (see exp_softmax8 in x86-avx2.cpp for the MAX/MIN argument order).
inline __m512 exp_softmax16(__m512 x) {
    using namespace exp_softmax_c;
    const __m512 lo = _mm512_set1_ps(kMin), shift = _mm512_set1_ps(kShift);
    const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), _mm512_setzero_ps());
    const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(xc, _mm512_set1_ps(kLog2e), shift), shift);
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-kLn2Hi), xc);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(-kLn2Lo), r);
    __m512 p = _mm512_set1_ps(kPoly[0]);
    for (int i = 1; i < 8; ++i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kPoly[i]));
    const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    __m512 e = _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
    e = _mm512_mask_mov_ps(e, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps());
    return _mm512_mask_mov_ps(e, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

void attn_softmax_avx512(float* s, int64_t s_stride, int64_t n_q, int64_t n_pos, int64_t n_kv) {
    const int64_t n16 = n_pos & ~int64_t(15), rest = n_pos - n16;
    const __mmask16 tmask = static_cast<__mmask16>((1u << rest) - 1u);
    constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    for (int64_t i = 0; i < n_q; ++i) {
        float* si = s + i * s_stride;
        __m512 vmax = _mm512_set1_ps(-INFINITY);
        for (int64_t j = 0; j < n16; j += 16) vmax = _mm512_max_ps(_mm512_loadu_ps(si + j), vmax);
        if (rest > 0) vmax = _mm512_mask_max_ps(vmax, tmask, _mm512_maskz_loadu_ps(tmask, si + n16), vmax);
        alignas(64) float lanes[16];
        _mm512_store_ps(lanes, vmax);
        float max = -INFINITY;
        for (float x : lanes) max = max < x ? x : max;
        const __m512 m = _mm512_set1_ps(max);
        for (int64_t j = 0; j < n16; j += 16)
            _mm512_storeu_ps(si + j, exp_softmax16(_mm512_sub_ps(_mm512_loadu_ps(si + j), m)));
        if (rest > 0) {
            const __m512 e = exp_softmax16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tmask, si + n16), m));
            _mm512_mask_storeu_ps(si + n16, tmask, e);
        }
        for (int64_t j = n_pos; j < n_kv; ++j) si[j] = 0.0f;
        double sum = 0.0;
        int64_t c = 0;
        for (; c + 256 <= n_kv; c += 256) {
            __m512 rows[16];
            for (int b = 0; b < 16; ++b) rows[b] = _mm512_loadu_ps(si + c + 16 * b);
            _mm512_store_ps(lanes, reduce16_x16(rows));
            for (float x : lanes) sum += static_cast<double>(x);
        }
        for (; c < n_kv; c += 16) {
            const __m512 x = _mm512_loadu_ps(si + c);
            const __m256 t8 = _mm256_add_ps(_mm512_extractf32x8_ps(x, 1), _mm512_castps512_ps256(x));
            __m128 t = _mm_add_ps(_mm256_extractf128_ps(t8, 1), _mm256_castps256_ps128(t8));
            t = _mm_add_ps(t, _mm_movehl_ps(t, t));
            t = _mm_add_ss(t, _mm_movehdup_ps(t));
            sum += static_cast<double>(_mm_cvtss_f32(t));
        }
        const __m512 inv = _mm512_set1_ps(static_cast<float>(1.0 / sum));
        for (int64_t j = 0; j < n16; j += 16) {
            const __m256i h = _mm512_cvtps_ph(_mm512_mul_ps(_mm512_loadu_ps(si + j), inv), kRound);
            _mm512_storeu_ps(si + j, _mm512_cvtph_ps(h));
        }
        if (rest > 0) {
            const __m256i h = _mm512_cvtps_ph(_mm512_mul_ps(_mm512_maskz_loadu_ps(tmask, si + n16), inv), kRound);
            _mm512_mask_storeu_ps(si + n16, tmask, _mm512_cvtph_ps(h));
        }
    }
}

}  // namespace

const KernelTable* kernels_avx512vnni() {
    static const KernelTable table = [] {
        KernelTable t = *kernels_avx2();
        t.name = "avx512vnni";
        t.gemm_i2_s = gemm_i2_s_avx512vnni;
        t.gemm_f16 = gemm_f16_avx512;
        t.dot_f16 = dot_f16_avx512;
        t.attn_scores_f16 = attn_scores_f16_avx512;
        t.attn_pv_f16 = attn_pv_f16_avx512;
        t.attn_softmax = attn_softmax_avx512;
        return t;
    }();
    return &table;
}

const KernelTable* kernels_amx() {
#if defined(__AMX_TILE__) && defined(__AMX_INT8__)
    static const KernelTable table = [] {
        KernelTable t = *kernels_avx512vnni();
        t.name = "amx";
        t.gemm_i2_s = gemm_i2_s_amx;
        return t;
    }();
    return &table;
#else
    return nullptr;
#endif
}

}  // namespace trit

#else  // not x86-64

namespace trit {
const KernelTable* kernels_avx512vnni() {
    return nullptr;
}
const KernelTable* kernels_amx() {
    return nullptr;
}
}  // namespace trit

#endif
