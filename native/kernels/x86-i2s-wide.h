// I2_S × int8 for batches (prefill) with 256-bit vectors: included, inside an anonymous namespace, by the AVX2
// and AVX-VNNI kernel files (each compiled with its own flags), which supply the product as `Dot`:
//   Dot::step(acc, u, s)  acc + the products of unsigned codes u and signed activations s, 4 bytes per lane
//                         (maddubs into int16 pairs, or vpdpbusd into int32);
//   Dot::widen(acc)       the block's lanes as int32 row sums (madd with ones, or nothing).
//
// The codes of 32 rows are unpacked once per call into a scratch panel in which one ymm holds 4 consecutive k of
// 8 rows (bytes 4n..4n+3: row n, k = 4q..4q+3), so one token's 4 activations broadcast to every lane meet 8 rows
// at once: no horizontal sums and no unpacking in the inner loop, whose 16-row × 5-token tile keeps 10 sums, 2
// weight vectors and the broadcast in registers. Integer sums are exact: the results equal ref bit for bit.
// Twin of gemm_i2_s_ref.
//
// Include it after kernels.h, <immintrin.h> and <cstring>, inside the including file's anonymous namespace in
// trit (so each file gets its own copy, compiled with its own flags).
#pragma once

constexpr int64_t kWideRows = 32;
constexpr int64_t kWideVecs = kWideRows / 8;
constexpr int64_t kWideMaxK = 1 << 16;  // panel ≤ 2 MiB
constexpr int kWideTokens = 5;
constexpr int kWideTileVecs = 2;

// Lanes n < rows (clamped to 0..8) set.
inline __m256i wide_live_rows(int64_t rows) {
    const int32_t n = static_cast<int32_t>(rows < 0 ? 0 : rows > 8 ? 8 : rows);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Rows [r, min(r + 32, r1)) into P: P + (4q + v)·32 holds rows r + 8v + n (n < 8) at bytes 4n..4n+3, codes of
// k = 4q..4q+3; missing rows are zeros. In a 32-byte I2_S block, dword j (bytes 4j..4j+3) holds k-quad
// 8·grp + j of the block in bits 6 − 2·grp (grp = 0..3): 8 rows' blocks are transposed as an 8 × 8 dword
// matrix, and each of its columns gives 4 quads by a shift and a mask.
inline void wide_unpack(const GemmArgs& g, int64_t r, int64_t r1, uint8_t* P) {
    const int64_t nb = g.k / QK_I2_S;
    const __m256i mask = _mm256_set1_epi8(3);
    for (int64_t v = 0; v < kWideVecs; ++v) {
        const int64_t rv = r + 8 * v;
        const int64_t live = r1 - rv < 8 ? r1 - rv : 8;
        const uint8_t* row[8];
        for (int64_t n = 0; n < 8; ++n) row[n] = n < live ? g.w + (rv + n) * g.w_row_bytes : nullptr;
        for (int64_t b = 0; b < nb; ++b) {
            __m256i x[8];
            for (int64_t n = 0; n < 8; ++n) {
                x[n] = row[n] != nullptr ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[n] + 32 * b))
                                         : _mm256_setzero_si256();
            }
            const __m256i t0 = _mm256_unpacklo_epi32(x[0], x[1]), t1 = _mm256_unpackhi_epi32(x[0], x[1]);
            const __m256i t2 = _mm256_unpacklo_epi32(x[2], x[3]), t3 = _mm256_unpackhi_epi32(x[2], x[3]);
            const __m256i t4 = _mm256_unpacklo_epi32(x[4], x[5]), t5 = _mm256_unpackhi_epi32(x[4], x[5]);
            const __m256i t6 = _mm256_unpacklo_epi32(x[6], x[7]), t7 = _mm256_unpackhi_epi32(x[6], x[7]);
            // u[j] holds dword j (low lane) and j + 4 (high lane) of rows 0–3, u[4 + j] the same of rows 4–7.
            const __m256i u[8] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                                  _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3),
                                  _mm256_unpacklo_epi64(t4, t6), _mm256_unpackhi_epi64(t4, t6),
                                  _mm256_unpacklo_epi64(t5, t7), _mm256_unpackhi_epi64(t5, t7)};
            for (int64_t j = 0; j < 8; ++j) {
                const __m256i d = j < 4 ? _mm256_permute2x128_si256(u[j], u[j + 4], 0x20)
                                        : _mm256_permute2x128_si256(u[j - 4], u[j], 0x31);
                uint8_t* dst = P + ((32 * b + j) * kWideVecs + v) * 32;
                constexpr int64_t kGroup = 8 * kWideVecs * 32;  // 8 quads further
                _mm256_store_si256(reinterpret_cast<__m256i*>(dst), _mm256_and_si256(_mm256_srli_epi32(d, 6), mask));
                _mm256_store_si256(reinterpret_cast<__m256i*>(dst + kGroup),
                                   _mm256_and_si256(_mm256_srli_epi32(d, 4), mask));
                _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 2 * kGroup),
                                   _mm256_and_si256(_mm256_srli_epi32(d, 2), mask));
                _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 3 * kGroup), _mm256_and_si256(d, mask));
            }
        }
    }
}

// Row vectors v0 .. v0 + NV − 1 of the panel (rows r + 8·v0 ..) for NT tokens from t0.
template <class Dot, int NV, int NT>
void wide_tile(const GemmArgs& g, const uint8_t* P, int64_t v0, int64_t r, int64_t r1, int64_t t0) {
    const int64_t nb = g.k / QK_I2_S;
    const uint8_t* a[NT];
    for (int t = 0; t < NT; ++t) a[t] = g.a + (t0 + t) * g.a_row_bytes;
    __m256i acc[NV][NT];
    TRIT_UNROLL
    for (int v = 0; v < NV; ++v) {
        TRIT_UNROLL
        for (int t = 0; t < NT; ++t) acc[v][t] = _mm256_setzero_si256();
    }
    for (int64_t b = 0; b < nb; ++b) {
        __m256i blk[NV][NT];
        TRIT_UNROLL
        for (int v = 0; v < NV; ++v) {
            TRIT_UNROLL
            for (int t = 0; t < NT; ++t) blk[v][t] = _mm256_setzero_si256();
        }
        const auto quad = [&](int64_t q) TRIT_INLINE_LAMBDA {
            const uint8_t* p = P + (kWideVecs * q + v0) * 32;
            __m256i w[NV];
            TRIT_UNROLL
            for (int v = 0; v < NV; ++v) w[v] = _mm256_load_si256(reinterpret_cast<const __m256i*>(p + 32 * v));
            TRIT_UNROLL
            for (int t = 0; t < NT; ++t) {
                int32_t x4;
                std::memcpy(&x4, a[t] + 4 * q, 4);
                const __m256i x = _mm256_set1_epi32(x4);
                TRIT_UNROLL
                for (int v = 0; v < NV; ++v) blk[v][t] = Dot::step(blk[v][t], w[v], x);
            }
        };
        for (int64_t q = 32 * b; q < 32 * b + 32; ++q) quad(q);
        TRIT_UNROLL
        for (int v = 0; v < NV; ++v) {
            TRIT_UNROLL
            for (int t = 0; t < NT; ++t) acc[v][t] = _mm256_add_epi32(acc[v][t], Dot::widen(blk[v][t]));
        }
    }
    // y = (Σ − Σq) / s · w_scale per element, as ref; rows past r1 are not written.
    const __m256 wscale = _mm256_set1_ps(g.w_scale);
    __m256i live[NV];
    for (int v = 0; v < NV; ++v) live[v] = wide_live_rows(r1 - (r + 8 * (v0 + v)));
    TRIT_UNROLL
    for (int t = 0; t < NT; ++t) {
        const int64_t tt = t0 + t;
        const __m256i asum = _mm256_set1_epi32(g.a_sum[tt]);
        const __m256 ascale = _mm256_set1_ps(g.a_scale[tt]);
        float* y = g.y + tt * g.ldy + r + 8 * v0;
        TRIT_UNROLL
        for (int v = 0; v < NV; ++v) {
            const __m256 yv =
                _mm256_mul_ps(_mm256_div_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc[v][t], asum)), ascale), wscale);
            _mm256_maskstore_ps(y + 8 * v, live[v], yv);
        }
    }
}

template <class Dot, int NT>
void wide_tiles(const GemmArgs& g, const uint8_t* P, int64_t r, int64_t r1, int64_t t) {
    for (int64_t v = 0; v < kWideVecs && r + 8 * v < r1; v += kWideTileVecs) {
        wide_tile<Dot, kWideTileVecs, NT>(g, P, v, r, r1, t);
    }
}

// Rows [r0, r1) for every token. Returns false (nothing written) when the batch does not suit the kernel
// (k too large, not whole blocks) or the panel's scratch cannot be had.
template <class Dot>
bool gemm_i2_s_wide(const GemmArgs& g, int64_t r0, int64_t r1) {
    if (g.k > kWideMaxK || g.k % QK_I2_S != 0) return false;
    thread_local KernelScratch scratch;
    uint8_t* const P = scratch.get(static_cast<size_t>(kWideRows * g.k));
    if (P == nullptr) return false;
    for (int64_t r = r0; r < r1; r += kWideRows) {
        wide_unpack(g, r, r1, P);
        int64_t t = 0;
        for (; t + kWideTokens <= g.n_tok; t += kWideTokens) wide_tiles<Dot, kWideTokens>(g, P, r, r1, t);
        switch (g.n_tok - t) {
            case 4: wide_tiles<Dot, 4>(g, P, r, r1, t); break;
            case 3: wide_tiles<Dot, 3>(g, P, r, r1, t); break;
            case 2: wide_tiles<Dot, 2>(g, P, r, r1, t); break;
            case 1: wide_tiles<Dot, 1>(g, P, r, r1, t); break;
            default: break;
        }
    }
    return true;
}
