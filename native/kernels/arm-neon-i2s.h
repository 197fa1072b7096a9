// The I2_S × int8 product for the NEON tables (twin of gemm_i2_s_ref, bit for bit), included by arm-neon.cpp
// (plain Armv8-A NEON) and arm-neon-dotprod.cpp (Armv8.2-A dot product), each compiled with its own flags.
// TRIT_NEON_DOT selects the accumulation step: SDOT (4 products per int32 lane) or SMULL + SADALP.
//
// A 32-byte I2_S block holds element j (bits 7-6), 32 + j (5-4), 64 + j (3-2) and 96 + j (1-0) in byte j; the two
// 16-byte halves of a block give the codes of 16 consecutive elements per group with one shift and one mask.
// Codes 0..2 are used as they are (signed bytes), and Σ q is subtracted at the end, as in ref.
#pragma once

#include <arm_neon.h>

#include "kernels.h"

namespace trit {
namespace TRIT_NEON_NS {

inline int32x4_t i2s_acc(int32x4_t acc, int8x16_t c, int8x16_t q) {
#if TRIT_NEON_DOT
    return vdotq_s32(acc, c, q);
#else
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(c), vget_low_s8(q)));
    return vpadalq_s16(acc, vmull_high_s8(c, q));
#endif
}

template <int NR, int NT>
void i2_s_tile(const GemmArgs& g, int64_t r, int64_t t0) {
    const uint8x16_t mask = vdupq_n_u8(3);
    const int64_t nb = g.k / QK_I2_S;
    const uint8_t* w[NR];
    for (int i = 0; i < NR; ++i) w[i] = g.w + (r + i) * g.w_row_bytes;
    const int8_t* a[NT];
    for (int t = 0; t < NT; ++t) a[t] = reinterpret_cast<const int8_t*>(g.a + (t0 + t) * g.a_row_bytes);
    int32x4_t acc[NR][NT];
    for (int i = 0; i < NR; ++i)
        for (int t = 0; t < NT; ++t) acc[i][t] = vdupq_n_s32(0);
    for (int64_t b = 0; b < nb; ++b) {
        uint8x16_t lo[NR], hi[NR];
        for (int i = 0; i < NR; ++i) {
            lo[i] = vld1q_u8(w[i] + 32 * b);
            hi[i] = vld1q_u8(w[i] + 32 * b + 16);
        }
        for (int grp = 0; grp < 4; ++grp) {
            const int shift = 6 - 2 * grp;
            int8x16_t c0[NR], c1[NR];
            for (int i = 0; i < NR; ++i) {
                c0[i] = vreinterpretq_s8_u8(vandq_u8(vshlq_u8(lo[i], vdupq_n_s8(static_cast<int8_t>(-shift))), mask));
                c1[i] = vreinterpretq_s8_u8(vandq_u8(vshlq_u8(hi[i], vdupq_n_s8(static_cast<int8_t>(-shift))), mask));
            }
            for (int t = 0; t < NT; ++t) {
                const int8_t* q = a[t] + QK_I2_S * b + 32 * grp;
                const int8x16_t q0 = vld1q_s8(q), q1 = vld1q_s8(q + 16);
                for (int i = 0; i < NR; ++i) {
                    acc[i][t] = i2s_acc(acc[i][t], c0[i], q0);
                    acc[i][t] = i2s_acc(acc[i][t], c1[i], q1);
                }
            }
        }
    }
    for (int i = 0; i < NR; ++i) {
        for (int t = 0; t < NT; ++t) {
            const int64_t tt = t0 + t;
            const int32_t sumi = vaddvq_s32(acc[i][t]);
            g.y[tt * g.ldy + r + i] = static_cast<float>(sumi - g.a_sum[tt]) / g.a_scale[tt] * g.w_scale;
        }
    }
}

inline void gemm_i2_s_neon(const GemmArgs& g, int64_t r0, int64_t r1) {
    int64_t t = 0;
    for (; t + 4 <= g.n_tok; t += 4) {
        int64_t r = r0;
        for (; r + 2 <= r1; r += 2) i2_s_tile<2, 4>(g, r, t);
        for (; r < r1; ++r) i2_s_tile<1, 4>(g, r, t);
    }
    // The 1–3 leftover tokens as one tile: each weight is read once per batch.
    const int64_t rem = g.n_tok - t;
    int64_t r = r0;
    if (rem == 3) {
        for (; r + 2 <= r1; r += 2) i2_s_tile<2, 3>(g, r, t);
        for (; r < r1; ++r) i2_s_tile<1, 3>(g, r, t);
    } else if (rem == 2) {
        for (; r + 2 <= r1; r += 2) i2_s_tile<2, 2>(g, r, t);
        for (; r < r1; ++r) i2_s_tile<1, 2>(g, r, t);
    } else if (rem == 1) {
        for (; r + 4 <= r1; r += 4) i2_s_tile<4, 1>(g, r, t);
        for (; r < r1; ++r) i2_s_tile<1, 1>(g, r, t);
    }
}

}  // namespace TRIT_NEON_NS
}  // namespace trit
