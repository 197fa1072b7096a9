// Every kernel of every table this CPU runs against ref.cpp, on random and edge-case data: zeros, all ±1,
// largest magnitudes, rounding ties, lengths that are not a multiple of the SIMD width or the tile, 1 row,
// odd row and token counts, and partial row ranges (a kernel must write exactly its rows). Integer kernels
// and the float kernels with a defined summation order must match ref bit for bit. ref itself is checked
// against naive float/double math.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "check.h"
#include "kernels.h"
#include "model.h"
#include "trit/engine.h"

namespace {

using trit::BlockQ8K;
using trit::GemmArgs;
using trit::KernelTable;

const KernelTable& ref() {
    return *trit::kernels_ref();
}

// The SIMD tables available here (ref excluded).
std::vector<const KernelTable*> simd_tables() {
    std::vector<const KernelTable*> out;
    for (const KernelTable* t : trit::kernels_available()) {
        if (t != trit::kernels_ref()) out.push_back(t);
    }
    return out;
}

std::mt19937 rng(12345);

float uniform(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(rng);
}
float normal(float sd) {
    return std::normal_distribution<float>(0.0f, sd)(rng);
}
int randint(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
}

bool same_bits(float a, float b) {
    return std::memcmp(&a, &b, sizeof(float)) == 0 || (a != a && b != b);
}

// Activation vectors of many shapes: normal, tiny (below the 1e-5 absmax floor), zeros, constants, huge,
// ties.
std::vector<std::vector<float>> activation_cases(int64_t n) {
    std::vector<std::vector<float>> cases;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = normal(1.0f);
    cases.push_back(v);
    for (float& x : v) x = normal(1e-7f);
    cases.push_back(v);
    cases.emplace_back(static_cast<size_t>(n), 0.0f);
    cases.emplace_back(static_cast<size_t>(n), 1.0f);
    cases.emplace_back(static_cast<size_t>(n), -1.0f);
    for (size_t i = 0; i < v.size(); ++i) v[i] = (i % 2 ? -1.0f : 1.0f) * 3.0e38f;
    cases.push_back(v);
    // Exact .5 ties after scaling: absmax 127 gives s = 1, so x·s = x.
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(static_cast<int>(i % 9) - 4) + 0.5f;
    v[0] = 127.0f;
    cases.push_back(v);
    for (float& x : v) x = uniform(-1000.0f, 1000.0f);
    cases.push_back(v);
    return cases;
}

// ---------------------------------------------------------------------------------------------------------------

TEST(fp16_conversions) {
    // Known values of the scalar conversions (round to nearest even, subnormals, overflow).
    CHECK(trit::fp32_to_fp16(1.0f) == 0x3c00);
    CHECK(trit::fp32_to_fp16(-2.0f) == 0xc000);
    CHECK(trit::fp32_to_fp16(65504.0f) == 0x7bff);
    CHECK(trit::fp32_to_fp16(65519.99f) == 0x7bff);
    CHECK(trit::fp32_to_fp16(65520.0f) == 0x7c00);
    CHECK(trit::fp32_to_fp16(std::ldexp(1.0f, -24)) == 0x0001);
    CHECK(trit::fp32_to_fp16(std::ldexp(1.0f, -25)) == 0x0000);         // tie → even (0)
    CHECK(trit::fp32_to_fp16(std::ldexp(3.0f, -25)) == 0x0002);         // tie → even (2)
    CHECK(trit::fp32_to_fp16(std::ldexp(1023.5f, -24)) == 0x0400);      // rounds up into the normals
    CHECK(trit::fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // tie → even
    CHECK(trit::fp32_to_fp16(0.1f) == 0x2e66);
    CHECK(trit::fp32_to_fp16(INFINITY) == 0x7c00);
    CHECK((trit::fp32_to_fp16(NAN) & 0x7e00) == 0x7e00);
    // Every finite half survives a round trip through float.
    for (uint32_t h = 0; h < 65536; ++h) {
        if ((h & 0x7c00) == 0x7c00) continue;
        if (trit::fp32_to_fp16(trit::fp16_to_fp32(static_cast<uint16_t>(h))) != h) {
            CHECK_MSG(false, "fp16 round trip of " + std::to_string(h));
            break;
        }
    }
    CHECK(trit::bf16_to_fp32(trit::fp32_to_bf16(1.5f)) == 1.5f);
    CHECK(trit::fp32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);  // tie → even

    // Every table's row conversions equal the scalar ones bit for bit (odd lengths exercise the tails).
    std::vector<uint16_t> all_halves(65536 + 3);
    for (size_t i = 0; i < all_halves.size(); ++i) all_halves[i] = static_cast<uint16_t>(i);
    std::vector<float> floats(100003);
    for (size_t i = 0; i < floats.size(); ++i) {
        uint32_t bits = static_cast<uint32_t>(rng());
        if (i % 3 == 0)
            bits = (bits & 0x807fffffu) | (static_cast<uint32_t>(randint(96, 144)) << 23);  // near F16 range
        std::memcpy(&floats[i], &bits, 4);
    }
    for (const KernelTable* t : trit::kernels_available()) {
        std::vector<float> f(all_halves.size());
        t->fp16_to_fp32(all_halves.data(), f.data(), static_cast<int64_t>(all_halves.size()));
        int bad = 0;
        for (size_t i = 0; i < f.size(); ++i) bad += !same_bits(f[i], trit::fp16_to_fp32(all_halves[i]));
        CHECK_MSG(bad == 0, std::string(t->name) + " fp16_to_fp32");
        std::vector<uint16_t> h(floats.size()), b(floats.size());
        t->fp32_to_fp16(floats.data(), h.data(), static_cast<int64_t>(floats.size()));
        t->fp32_to_bf16(floats.data(), b.data(), static_cast<int64_t>(floats.size()));
        bad = 0;
        int bad_bf = 0;
        for (size_t i = 0; i < floats.size(); ++i) {
            bad += h[i] != trit::fp32_to_fp16(floats[i]);
            bad_bf += b[i] != trit::fp32_to_bf16(floats[i]);
        }
        CHECK_MSG(bad == 0, std::string(t->name) + " fp32_to_fp16: " + std::to_string(bad) + " mismatches");
        CHECK_MSG(bad_bf == 0, std::string(t->name) + " fp32_to_bf16");
    }
}

TEST(quantize_i8) {
    for (int64_t n : {1, 7, 8, 31, 32, 33, 127, 128, 130, 257, 1000, 2560}) {
        for (const std::vector<float>& x : activation_cases(n)) {
            std::vector<int8_t> q0(static_cast<size_t>(n));
            float s0 = 0;
            int32_t sum0 = 0;
            ref().quantize_i8(x.data(), n, q0.data(), &s0, &sum0);
            // ref against the definition: s = 127 / max(|x|, 1e-5), round half to even, clamp, sum.
            double amax = 1e-5;
            for (float v : x) amax = std::max(amax, std::fabs(static_cast<double>(v)));
            CHECK(s0 == static_cast<float>(127.0 / amax));
            int32_t sum = 0;
            for (int64_t i = 0; i < n; ++i) {
                const float r =
                    std::nearbyint(std::fmin(std::fmax(x[static_cast<size_t>(i)] * s0, -128.0f), 127.0f));
                CHECK(q0[static_cast<size_t>(i)] == static_cast<int8_t>(r));
                sum += static_cast<int32_t>(r);
            }
            CHECK(sum == sum0);
            for (const KernelTable* t : simd_tables()) {
                std::vector<int8_t> q(static_cast<size_t>(n));
                float s = 0;
                int32_t su = 0;
                t->quantize_i8(x.data(), n, q.data(), &s, &su);
                CHECK_MSG(q == q0 && s == s0 && su == sum0, std::string(t->name) + " n=" + std::to_string(n));
            }
        }
    }
    // Ties round to even: with absmax 127 (s = 1), 2.5 → 2, 3.5 → 4, -2.5 → -2.
    const float x[4] = {127.0f, 2.5f, 3.5f, -2.5f};
    int8_t q[4];
    float s;
    int32_t sum;
    ref().quantize_i8(x, 4, q, &s, &sum);
    CHECK(s == 1.0f && q[0] == 127 && q[1] == 2 && q[2] == 4 && q[3] == -2 && sum == 131);
}

TEST(quantize_q8_K_and_q8_0) {
    for (int64_t n : {256, 512, 2560}) {
        for (const std::vector<float>& x : activation_cases(n)) {
            std::vector<BlockQ8K> b0(static_cast<size_t>(n / 256));
            ref().quantize_q8_K(x.data(), n, b0.data());
            // ref: q = min(127, round(-127/max · x)) with max the signed value of largest magnitude; d =
            // 1/iscale.
            for (size_t ib = 0; ib < b0.size(); ++ib) {
                const float* xb = x.data() + 256 * ib;
                float amax = 0, max = 0;
                for (int j = 0; j < 256; ++j) {
                    if (std::fabs(xb[j]) > amax) {
                        amax = std::fabs(xb[j]);
                        max = xb[j];
                    }
                }
                if (amax == 0) {
                    CHECK(b0[ib].d == 0.0f);
                    continue;
                }
                const float iscale = -127.0f / max;
                CHECK(b0[ib].d == 1.0f / iscale);
                int sum16 = 0;
                for (int j = 0; j < 256; ++j) {
                    const int v = static_cast<int>(std::nearbyint(iscale * xb[j]));
                    CHECK(b0[ib].qs[j] == static_cast<int8_t>(std::min(127, v)));
                    sum16 += b0[ib].qs[j];
                    if (j % 16 == 15) {
                        CHECK(b0[ib].bsums[j / 16] == sum16);
                        sum16 = 0;
                    }
                }
            }
            std::vector<uint8_t> a0(static_cast<size_t>(n / 32 * trit::BLOCK_Q8_0_BYTES));
            ref().quantize_q8_0(x.data(), n, a0.data());
            for (const KernelTable* t : simd_tables()) {
                std::vector<BlockQ8K> b(b0.size());
                t->quantize_q8_K(x.data(), n, b.data());
                CHECK_MSG(std::memcmp(b.data(), b0.data(), b.size() * sizeof(BlockQ8K)) == 0, t->name);
                std::vector<uint8_t> a(a0.size());
                t->quantize_q8_0(x.data(), n, a.data());
                CHECK_MSG(a == a0, std::string(t->name) + " quantize_q8_0 n=" + std::to_string(n));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Weight × activation products
// ---------------------------------------------------------------------------------------------------------------

// Runs `gemm` of every SIMD table and of ref on the same arguments over the partial row range [r0, r1) and
// checks that (a) rows outside the range are untouched, (b) SIMD equals ref bit for bit.
void compare_gemm(const char* what, trit::GemmFn KernelTable::*fn, GemmArgs g, int64_t rows,
                  std::vector<float>* ref_out) {
    const int64_t r0 = rows > 2 ? 1 : 0, r1 = rows > 3 ? rows - 1 : rows;
    auto run = [&](const KernelTable& t, int64_t a, int64_t b) {
        std::vector<float> y(static_cast<size_t>(g.n_tok * rows), NAN);
        g.y = y.data();
        g.ldy = rows;
        (t.*fn)(g, a, b);
        return y;
    };
    const std::vector<float> full = run(ref(), 0, rows);
    const std::vector<float> part = run(ref(), r0, r1);
    for (int64_t t = 0; t < g.n_tok; ++t) {
        for (int64_t r = 0; r < rows; ++r) {
            const float v = part[static_cast<size_t>(t * rows + r)];
            if (r < r0 || r >= r1) {
                CHECK_MSG(v != v, std::string(what) + ": ref wrote outside its rows");
            } else {
                CHECK(same_bits(v, full[static_cast<size_t>(t * rows + r)]));
            }
        }
    }
    for (const KernelTable* t : simd_tables()) {
        if (t->*fn == ref().*fn) continue;
        const std::vector<float> y = run(*t, r0, r1);
        int bad = 0;
        for (int64_t tt = 0; tt < g.n_tok; ++tt) {
            for (int64_t r = 0; r < rows; ++r) {
                const float v = y[static_cast<size_t>(tt * rows + r)];
                const bool inside = r >= r0 && r < r1;
                if (inside ? !same_bits(v, full[static_cast<size_t>(tt * rows + r)]) : v == v) ++bad;
            }
        }
        CHECK_MSG(bad == 0, std::string(t->name) + " " + what + ": " + std::to_string(bad) +
                                " outputs differ from ref (k=" + std::to_string(g.k) +
                                " rows=" + std::to_string(rows) + " n_tok=" + std::to_string(g.n_tok) + ")");
    }
    if (ref_out != nullptr) *ref_out = full;
}

TEST(gemm_i2_s) {
    // Batches of ≥ 8 / 16 tokens take the panel kernels (32 or 64 rows per panel): 70 and 133 rows span several
    // panels with a partial last one.
    for (int64_t k : {128, 256, 1152, 4224}) {
        for (int64_t rows : {1, 3, 4, 5, 17, 40, 70, 133}) {
            for (int64_t n_tok : {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 35, 64}) {
                for (int weight_case = 0; weight_case < 4; ++weight_case) {
                    // Weights: random codes, or all +1 / all -1 / all 0 (codes 2 / 0 / 1).
                    std::vector<uint8_t> w(static_cast<size_t>(rows * k / 4 + 32));
                    for (uint8_t& b : w) {
                        const auto code = [&] {
                            return weight_case == 0   ? randint(0, 2)
                                   : weight_case == 1 ? 2
                                   : weight_case == 2 ? 0
                                                      : 1;
                        };
                        b = static_cast<uint8_t>(code() << 6 | code() << 4 | code() << 2 | code());
                    }
                    // Activations: quantized random rows, plus rows at the int8 extremes.
                    std::vector<int8_t> q(static_cast<size_t>(n_tok * k));
                    std::vector<float> scale(static_cast<size_t>(n_tok));
                    std::vector<int32_t> sum(static_cast<size_t>(n_tok));
                    for (int64_t t = 0; t < n_tok; ++t) {
                        std::vector<float> x(static_cast<size_t>(k));
                        for (float& v : x) v = t % 3 == 1 ? 127.0f : t % 3 == 2 ? -128.0f : normal(2.0f);
                        ref().quantize_i8(x.data(), k, &q[static_cast<size_t>(t * k)],
                                          &scale[static_cast<size_t>(t)], &sum[static_cast<size_t>(t)]);
                    }
                    GemmArgs g;
                    g.w = w.data();
                    g.w_row_bytes = k / 4;
                    g.k = k;
                    g.w_scale = 0.75f;
                    g.a = reinterpret_cast<const uint8_t*>(q.data());
                    g.a_row_bytes = k;
                    g.a_scale = scale.data();
                    g.a_sum = sum.data();
                    g.n_tok = n_tok;
                    std::vector<float> y;
                    compare_gemm("gemm_i2_s", &KernelTable::gemm_i2_s, g, rows, &y);
                    // ref against the definition: y = (Σ t·q) / s · w_scale, t = code − 1 in the x86 block
                    // layout.
                    for (int64_t r = 0; r < rows; ++r) {
                        for (int64_t t = 0; t < n_tok; ++t) {
                            int32_t acc = 0;
                            for (int64_t e = 0; e < k; ++e) {
                                const int64_t blk = e / 128, j = e % 128;
                                const uint8_t byte = w[static_cast<size_t>(r * k / 4 + blk * 32 + j % 32)];
                                const int code = (byte >> (6 - 2 * (j / 32))) & 3;
                                acc += (code - 1) * q[static_cast<size_t>(t * k + e)];
                            }
                            const float want =
                                static_cast<float>(acc) / scale[static_cast<size_t>(t)] * 0.75f;
                            CHECK(same_bits(y[static_cast<size_t>(t * rows + r)], want));
                        }
                    }
                }
            }
        }
    }
}

// TQ1_0 packing of 5 (or 4, padded with a 0 trit) codes, most significant first: ceil(v · 256 / 243).
uint8_t tq1_pack(const int* codes, int n) {
    int v = 0;
    for (int i = 0; i < 5; ++i) v = v * 3 + (i < n ? codes[i] : 0);
    return static_cast<uint8_t>((v * 256 + 242) / 243);
}

// Encodes ternary codes (0/1/2 per element, 256 per block) as TQ2_0 and TQ1_0 blocks with scale d.
void tq_encode(const std::vector<int>& codes, int64_t n_blocks, uint16_t d, std::vector<uint8_t>* tq2,
               std::vector<uint8_t>* tq1) {
    tq2->assign(static_cast<size_t>(n_blocks * trit::BLOCK_TQ2_0_BYTES), 0);
    tq1->assign(static_cast<size_t>(n_blocks * trit::BLOCK_TQ1_0_BYTES), 0);
    for (int64_t ib = 0; ib < n_blocks; ++ib) {
        const int* c = &codes[static_cast<size_t>(ib * 256)];
        uint8_t* b2 = tq2->data() + ib * trit::BLOCK_TQ2_0_BYTES;
        for (int e = 0; e < 256; ++e)
            b2[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(c[e] << (2 * ((e % 128) / 32)));
        std::memcpy(b2 + 64, &d, 2);
        uint8_t* b1 = tq1->data() + ib * trit::BLOCK_TQ1_0_BYTES;
        int tmp[5];
        for (int m = 0; m < 32; ++m) {
            for (int n = 0; n < 5; ++n) tmp[n] = c[32 * n + m];
            b1[m] = tq1_pack(tmp, 5);
        }
        for (int m = 0; m < 16; ++m) {
            for (int n = 0; n < 5; ++n) tmp[n] = c[160 + 16 * n + m];
            b1[32 + m] = tq1_pack(tmp, 5);
        }
        for (int j = 0; j < 4; ++j) {
            for (int n = 0; n < 4; ++n) tmp[n] = c[240 + 4 * n + j];
            b1[48 + j] = tq1_pack(tmp, 4);
        }
        std::memcpy(b1 + 52, &d, 2);
    }
}

TEST(gemm_tq_q8_K) {
    for (int64_t k : {256, 512, 2560}) {
        for (int64_t rows : {1, 3, 6}) {
            for (int64_t n_tok : {1, 2, 5}) {
                const int64_t nb = k / 256;
                std::vector<uint8_t> w2, w1;
                std::vector<int> codes(static_cast<size_t>(rows * k));
                std::vector<uint8_t> all2, all1;
                const uint16_t d = trit::fp32_to_fp16(uniform(0.01f, 2.0f));
                for (int& c : codes) c = randint(0, 2);
                for (int64_t r = 0; r < rows; ++r) {
                    const std::vector<int> rc(codes.begin() + r * k, codes.begin() + (r + 1) * k);
                    tq_encode(rc, nb, d, &w2, &w1);
                    all2.insert(all2.end(), w2.begin(), w2.end());
                    all1.insert(all1.end(), w1.begin(), w1.end());
                }
                std::vector<BlockQ8K> a(static_cast<size_t>(n_tok * nb));
                std::vector<float> x(static_cast<size_t>(n_tok * k));
                for (size_t i = 0; i < x.size(); ++i) x[i] = i % 700 < 256 && n_tok > 1 ? 0.0f : normal(1.0f);
                for (int64_t t = 0; t < n_tok; ++t)
                    ref().quantize_q8_K(&x[static_cast<size_t>(t * k)], k, &a[static_cast<size_t>(t * nb)]);
                GemmArgs g;
                g.k = k;
                g.a = reinterpret_cast<const uint8_t*>(a.data());
                g.a_row_bytes = nb * static_cast<int64_t>(sizeof(BlockQ8K));
                g.n_tok = n_tok;
                std::vector<float> y2, y1;
                g.w = all2.data();
                g.w_row_bytes = nb * trit::BLOCK_TQ2_0_BYTES;
                compare_gemm("gemm_tq2_0", &KernelTable::gemm_tq2_0, g, rows, &y2);
                g.w = all1.data();
                g.w_row_bytes = nb * trit::BLOCK_TQ1_0_BYTES;
                compare_gemm("gemm_tq1_0", &KernelTable::gemm_tq1_0, g, rows, &y1);
                // Both encodings of the same ternary matrix give bit-identical results (as in the
                // references).
                CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
                // And they approximate Σ t · q · d_a · d_w.
                for (int64_t r = 0; r < rows; ++r) {
                    for (int64_t t = 0; t < n_tok; ++t) {
                        double want = 0, mag = 0;
                        for (int64_t e = 0; e < k; ++e) {
                            const BlockQ8K& b = a[static_cast<size_t>(t * nb + e / 256)];
                            const double v = (codes[static_cast<size_t>(r * k + e)] - 1) * b.qs[e % 256] *
                                             static_cast<double>(b.d) * trit::fp16_to_fp32(d);
                            want += v;
                            mag += std::fabs(v);
                        }
                        CHECK(std::fabs(y2[static_cast<size_t>(t * rows + r)] - want) <= 1e-5 * mag + 1e-30);
                    }
                }
            }
        }
    }
}

TEST(gemm_q6_K_and_q8_0) {
    for (int64_t k : {256, 512}) {
        for (int64_t rows : {1, 5, 8, 19}) {
            const int64_t n_tok = 3, nb = k / 256;
            // Q6_K weights: random bytes with a small f16 scale (any byte pattern is a valid Q6_K block).
            std::vector<uint8_t> w6(static_cast<size_t>(rows * nb * trit::BLOCK_Q6_K_BYTES));
            for (uint8_t& b : w6) b = static_cast<uint8_t>(rng());
            for (int64_t i = 0; i < rows * nb; ++i) {
                const uint16_t d = trit::fp32_to_fp16(uniform(0.001f, 0.01f));
                std::memcpy(&w6[static_cast<size_t>(i * trit::BLOCK_Q6_K_BYTES + 208)], &d, 2);
            }
            std::vector<float> x(static_cast<size_t>(n_tok * k));
            for (float& v : x) v = normal(1.0f);
            std::vector<BlockQ8K> a(static_cast<size_t>(n_tok * nb));
            for (int64_t t = 0; t < n_tok; ++t)
                ref().quantize_q8_K(&x[static_cast<size_t>(t * k)], k, &a[static_cast<size_t>(t * nb)]);
            GemmArgs g;
            g.w = w6.data();
            g.w_row_bytes = nb * trit::BLOCK_Q6_K_BYTES;
            g.k = k;
            g.a = reinterpret_cast<const uint8_t*>(a.data());
            g.a_row_bytes = nb * static_cast<int64_t>(sizeof(BlockQ8K));
            g.n_tok = n_tok;
            std::vector<float> y6;
            compare_gemm("gemm_q6_K", &KernelTable::gemm_q6_K, g, rows, &y6);
            // Against the loader's dequantizer (the embedding lookup) times the dequantized activations.
            trit::Weight wt;
            wt.type = trit::TensorType::Q6_K;
            wt.data = w6.data();
            wt.k = k;
            wt.rows = rows;
            wt.row_bytes = g.w_row_bytes;
            std::vector<float> row(static_cast<size_t>(k));
            for (int64_t r = 0; r < rows; ++r) {
                trit::weight_row_to_f32(wt, r, row.data());
                for (int64_t t = 0; t < n_tok; ++t) {
                    double want = 0, mag = 0;
                    for (int64_t e = 0; e < k; ++e) {
                        const BlockQ8K& b = a[static_cast<size_t>(t * nb + e / 256)];
                        const double v =
                            static_cast<double>(row[static_cast<size_t>(e)]) * b.qs[e % 256] * b.d;
                        want += v;
                        mag += std::fabs(v);
                    }
                    CHECK(std::fabs(y6[static_cast<size_t>(t * rows + r)] - want) <= 1e-5 * mag + 1e-30);
                }
            }

            // Q8_0 weights from random floats, Q8_0 activations.
            std::vector<float> wf(static_cast<size_t>(rows * k));
            for (float& v : wf) v = normal(0.05f);
            std::vector<uint8_t> w8(static_cast<size_t>(rows * k / 32 * trit::BLOCK_Q8_0_BYTES));
            for (int64_t r = 0; r < rows; ++r) {
                ref().quantize_q8_0(&wf[static_cast<size_t>(r * k)], k,
                                    &w8[static_cast<size_t>(r * k / 32 * trit::BLOCK_Q8_0_BYTES)]);
            }
            std::vector<uint8_t> a8(static_cast<size_t>(n_tok * k / 32 * trit::BLOCK_Q8_0_BYTES));
            for (int64_t t = 0; t < n_tok; ++t) {
                ref().quantize_q8_0(&x[static_cast<size_t>(t * k)], k,
                                    &a8[static_cast<size_t>(t * k / 32 * trit::BLOCK_Q8_0_BYTES)]);
            }
            g.w = w8.data();
            g.w_row_bytes = k / 32 * trit::BLOCK_Q8_0_BYTES;
            g.a = a8.data();
            g.a_row_bytes = k / 32 * trit::BLOCK_Q8_0_BYTES;
            std::vector<float> y8;
            compare_gemm("gemm_q8_0", &KernelTable::gemm_q8_0, g, rows, &y8);
            wt.type = trit::TensorType::Q8_0;
            wt.data = w8.data();
            wt.row_bytes = g.w_row_bytes;
            for (int64_t r = 0; r < rows; ++r) {
                trit::weight_row_to_f32(wt, r, row.data());
                for (int64_t t = 0; t < n_tok; ++t) {
                    double want = 0;
                    for (int64_t e = 0; e < k; ++e)
                        want += static_cast<double>(row[static_cast<size_t>(e)]) *
                                x[static_cast<size_t>(t * k + e)];
                    CHECK(std::fabs(y8[static_cast<size_t>(t * rows + r)] - want) <=
                          0.02 * std::sqrt(static_cast<double>(k)) * 0.05);
                }
            }
        }
    }
}

TEST(gemm_float_types) {
    for (int64_t k : {1, 7, 63, 64, 65, 128, 200, 256, 2560}) {
        for (int64_t rows : {1, 4, 7, 9}) {
            const int64_t n_tok = 3;
            std::vector<float> wf(static_cast<size_t>(rows * k)), xf(static_cast<size_t>(n_tok * k));
            for (float& v : wf) v = normal(1.0f);
            for (float& v : xf) v = normal(1.0f);
            std::vector<uint16_t> w16(wf.size()), x16(xf.size()), wb(wf.size()), xb(xf.size());
            ref().fp32_to_fp16(wf.data(), w16.data(), static_cast<int64_t>(wf.size()));
            ref().fp32_to_fp16(xf.data(), x16.data(), static_cast<int64_t>(xf.size()));
            ref().fp32_to_bf16(wf.data(), wb.data(), static_cast<int64_t>(wf.size()));
            ref().fp32_to_bf16(xf.data(), xb.data(), static_cast<int64_t>(xf.size()));
            GemmArgs g;
            g.k = k;
            g.n_tok = n_tok;
            struct Case {
                const char* name;
                trit::GemmFn KernelTable::*fn;
                const void* w;
                const void* a;
                int64_t elem;
                float (*to_f32)(const void*, size_t);
            } const cases[] = {
                {"gemm_f32", &KernelTable::gemm_f32, wf.data(), xf.data(), 4,
                 [](const void* p, size_t i) { return static_cast<const float*>(p)[i]; }},
                {"gemm_f16", &KernelTable::gemm_f16, w16.data(), x16.data(), 2,
                 [](const void* p, size_t i) {
                     return trit::fp16_to_fp32(static_cast<const uint16_t*>(p)[i]);
                 }},
                {"gemm_bf16", &KernelTable::gemm_bf16, wb.data(), xb.data(), 2,
                 [](const void* p, size_t i) {
                     return trit::bf16_to_fp32(static_cast<const uint16_t*>(p)[i]);
                 }},
            };
            for (const Case& c : cases) {
                g.w = static_cast<const uint8_t*>(c.w);
                g.w_row_bytes = k * c.elem;
                g.a = static_cast<const uint8_t*>(c.a);
                g.a_row_bytes = k * c.elem;
                std::vector<float> y;
                compare_gemm(c.name, c.fn, g, rows, &y);
                for (int64_t r = 0; r < rows; ++r) {
                    for (int64_t t = 0; t < n_tok; ++t) {
                        double want = 0, mag = 0;
                        for (int64_t e = 0; e < k; ++e) {
                            const double v =
                                static_cast<double>(c.to_f32(c.w, static_cast<size_t>(r * k + e))) *
                                c.to_f32(c.a, static_cast<size_t>(t * k + e));
                            want += v;
                            mag += std::fabs(v);
                        }
                        CHECK_MSG(
                            std::fabs(y[static_cast<size_t>(t * rows + r)] - want) <= 1e-5 * mag + 1e-30,
                            c.name);
                    }
                }
            }
        }
    }
}

TEST(attention_kernels) {
    for (int64_t n : {1, 5, 16, 63, 64, 65, 128, 130, 256}) {
        std::vector<float> af(static_cast<size_t>(n)), bf(static_cast<size_t>(n));
        for (float& v : af) v = normal(1.0f);
        for (float& v : bf) v = normal(1.0f);
        std::vector<uint16_t> a(af.size()), b(bf.size());
        ref().fp32_to_fp16(af.data(), a.data(), n);
        ref().fp32_to_fp16(bf.data(), b.data(), n);
        const float d0 = ref().dot_f16(a.data(), b.data(), n);
        double want = 0, mag = 0;
        for (int64_t i = 0; i < n; ++i) {
            const double v = static_cast<double>(trit::fp16_to_fp32(a[static_cast<size_t>(i)])) *
                             trit::fp16_to_fp32(b[static_cast<size_t>(i)]);
            want += v;
            mag += std::fabs(v);
        }
        CHECK(std::fabs(d0 - want) <= 1e-6 * mag + 1e-30);
        // axpy with an F16-representable alpha (as attention uses it).
        const float alpha = trit::fp16_to_fp32(trit::fp32_to_fp16(0.3f));
        std::vector<float> y0(bf);
        ref().axpy_f16(alpha, a.data(), y0.data(), n);
        for (const KernelTable* t : simd_tables()) {
            CHECK_MSG(same_bits(t->dot_f16(a.data(), b.data(), n), d0),
                      std::string(t->name) + " dot_f16 n=" + std::to_string(n));
            std::vector<float> y(bf);
            t->axpy_f16(alpha, a.data(), y.data(), n);
            CHECK_MSG(std::memcmp(y.data(), y0.data(), y.size() * sizeof(float)) == 0,
                      std::string(t->name) + " axpy_f16");
        }
    }
    // The reduction trees sum exactly when every partial sum is exact.
    float lanes[64];
    for (int i = 0; i < 64; ++i) lanes[i] = static_cast<float>(i);
    CHECK(trit::reduce64_f32(lanes, 1) == 2016.0f);
    CHECK(trit::reduce16_f32(lanes) == 120.0f);
}

TEST(attention_scores) {
    for (int64_t hd : {1, 64, 80, 128, 256}) {
        for (int64_t n_pos : {1, 7, 8, 64, 129}) {
            for (int64_t n_q : {1, 2, 4, 9}) {
                const int64_t stride = hd * 3 + 5;  // rows of several heads, odd stride
                const int64_t q_stride = hd + 3, s_stride = n_pos + 5;
                std::vector<uint16_t> q(static_cast<size_t>(q_stride * n_q)), k(static_cast<size_t>(stride * n_pos));
                for (uint16_t& v : q) v = trit::fp32_to_fp16(normal(1.0f));
                for (uint16_t& v : k) v = trit::fp32_to_fp16(normal(1.0f));
                std::vector<float> s0(static_cast<size_t>(s_stride * n_q), 7.0f);
                ref().attn_scores_f16(q.data(), q_stride, n_q, k.data() + 2, stride, n_pos, hd, 0.125f, s0.data(),
                                      s_stride);
                for (int64_t i = 0; i < n_q; ++i) {
                    for (int64_t j = 0; j < n_pos; ++j) {
                        CHECK(same_bits(s0[static_cast<size_t>(i * s_stride + j)],
                                        ref().dot_f16(q.data() + i * q_stride, k.data() + 2 + j * stride, hd) * 0.125f));
                    }
                }
                for (const KernelTable* t : simd_tables()) {
                    std::vector<float> s1(s0.size(), 7.0f);
                    t->attn_scores_f16(q.data(), q_stride, n_q, k.data() + 2, stride, n_pos, hd, 0.125f, s1.data(),
                                       s_stride);
                    // Same bits everywhere, including the untouched gaps between the queries' rows.
                    CHECK_MSG(std::memcmp(s1.data(), s0.data(), s0.size() * sizeof(float)) == 0,
                              std::string(t->name) + " attn_scores_f16 hd=" + std::to_string(hd) +
                                  " n_pos=" + std::to_string(n_pos) + " n_q=" + std::to_string(n_q));
                }
            }
        }
    }
}

TEST(attention_pv) {
    for (int64_t hd : {1, 64, 80, 128, 136}) {
        for (int64_t n_pos : {1, 31, 64, 100, 200, 4200}) {
            for (int64_t n_q : {1, 3, 4, 6, 8, 12, 13}) {
                const int64_t n_kv = std::max<int64_t>(32, (n_pos + 31) / 32 * 32), np = n_kv & ~int64_t(63);
                // Transposed values: one row of positions per dimension, rows longer than n_pos.
                const int64_t stride = n_pos + 37, p_stride = n_pos + 3, out_stride = hd + 2;
                std::vector<float> p(static_cast<size_t>(p_stride * n_q));
                // Probabilities as the engine makes them: F16-representable.
                for (float& x : p) x = trit::fp16_to_fp32(trit::fp32_to_fp16(uniform(0.0f, 0.05f)));
                // Positions ≥ n_pos hold NaN: the kernels must never read them.
                std::vector<uint16_t> v(static_cast<size_t>(stride * hd + 1), 0x7e00);
                for (int64_t d = 0; d < hd; ++d) {
                    for (int64_t j = 0; j < n_pos; ++j)
                        v[static_cast<size_t>(1 + d * stride + j)] = trit::fp32_to_fp16(normal(1.0f));
                }
                std::vector<float> o0(static_cast<size_t>(out_stride * n_q), 7.0f);
                ref().attn_pv_f16(p.data(), p_stride, n_q, v.data() + 1, stride, n_pos, np, hd, o0.data(), out_stride);
                for (int64_t i = 0; i < n_q; ++i) {
                    for (int64_t d = 0; d < hd; ++d) {
                        double want = 0, mag = 0;
                        for (int64_t j = 0; j < n_pos; ++j) {
                            const double x = static_cast<double>(p[static_cast<size_t>(i * p_stride + j)]) *
                                             trit::fp16_to_fp32(v[static_cast<size_t>(1 + d * stride + j)]);
                            want += x;
                            mag += std::fabs(x);
                        }
                        CHECK(std::fabs(o0[static_cast<size_t>(i * out_stride + d)] - want) <= 1e-5 * mag + 1e-30);
                    }
                }
                for (const KernelTable* t : simd_tables()) {
                    std::vector<float> o1(o0.size(), 7.0f);
                    t->attn_pv_f16(p.data(), p_stride, n_q, v.data() + 1, stride, n_pos, np, hd, o1.data(), out_stride);
                    CHECK_MSG(std::memcmp(o1.data(), o0.data(), o0.size() * sizeof(float)) == 0,
                              std::string(t->name) + " attn_pv_f16 hd=" + std::to_string(hd) +
                                  " n=" + std::to_string(n_pos) + " n_q=" + std::to_string(n_q));
                }
            }
        }
    }
}

// exp_softmax against the double-precision exponential on [-87, 0] (every 977th float there, plus the ends),
// and its edge cases.
TEST(exp_softmax) {
    double worst = 0.0;
    auto check_at = [&](float x) {
        const float e = trit::exp_softmax(x);
        const double want = std::exp(static_cast<double>(x));
        const double ulp = std::ldexp(1.0, std::ilogb(want) - 23);
        worst = std::max(worst, std::fabs(static_cast<double>(e) - want) / ulp);
    };
    uint32_t bits;
    const float lo = -87.0f;
    std::memcpy(&bits, &lo, sizeof(bits));
    for (uint32_t b = 0x80000000u; b <= bits; b += 977u) {
        float x;
        std::memcpy(&x, &b, sizeof(x));
        check_at(x);
    }
    check_at(-87.0f);
    check_at(-1e-30f);
    CHECK_MSG(worst <= 2.0, "exp_softmax max error " + std::to_string(worst) + " ulp");
    CHECK(trit::exp_softmax(0.0f) == 1.0f);
    CHECK(trit::exp_softmax(-0.0f) == 1.0f);
    CHECK(trit::exp_softmax(-87.5f) == 0.0f);
    CHECK(trit::exp_softmax(-INFINITY) == 0.0f);
    CHECK(trit::exp_softmax(NAN) != trit::exp_softmax(NAN));
    CHECK(trit::exp_softmax(5.0f) == 1.0f);  // the domain is x ≤ 0: larger x is clamped
}

TEST(attention_softmax) {
    for (int64_t n_pos : {1, 7, 8, 15, 16, 17, 64, 100, 255, 256, 257, 700, 2048}) {
        for (int64_t n_q : {1, 3}) {
            const int64_t n_kv = std::max<int64_t>(32, (n_pos + 31) / 32 * 32), stride = n_kv + 16;
            for (int kind = 0; kind < 5; ++kind) {
                std::vector<float> s0(static_cast<size_t>(stride * n_q), 7.0f);
                for (int64_t i = 0; i < n_q; ++i) {
                    for (int64_t j = 0; j < n_kv; ++j) {
                        float& x = s0[static_cast<size_t>(i * stride + j)];
                        x = j < n_pos ? normal(kind == 1 ? 30.0f : 3.0f) : NAN;  // garbage past n_pos
                        if (kind == 2 && j < n_pos) x = static_cast<float>(j % 3) - 1.0f;  // ties and ±0
                        if (kind == 2 && j < n_pos && j % 5 == 0) x = -0.0f;
                        if (kind == 3 && j < n_pos && j % 7 == 3) x = -1e30f;  // far below: e = 0
                        if (kind == 4 && j < n_pos && j == n_pos / 2) x = NAN;   // poisons the row
                    }
                }
                std::vector<float> in(s0);
                ref().attn_softmax(s0.data(), stride, n_q, n_pos, n_kv);
                // ref against the formula in double.
                if (kind != 4) {
                    for (int64_t i = 0; i < n_q; ++i) {
                        const float* x = in.data() + i * stride;
                        double max = -INFINITY, sum = 0.0;
                        for (int64_t j = 0; j < n_pos; ++j) max = std::max(max, static_cast<double>(x[j]));
                        for (int64_t j = 0; j < n_pos; ++j) sum += std::exp(x[j] - max);
                        for (int64_t j = 0; j < n_kv; ++j) {
                            const float got = s0[static_cast<size_t>(i * stride + j)];
                            const double want = j < n_pos ? std::exp(x[j] - max) / sum : 0.0;
                            CHECK(std::fabs(got - want) <= 1e-3 * want + 1e-7);
                        }
                        CHECK(s0[static_cast<size_t>(i * stride + n_kv)] == 7.0f);
                    }
                }
                for (const KernelTable* t : simd_tables()) {
                    std::vector<float> s1(in);
                    t->attn_softmax(s1.data(), stride, n_q, n_pos, n_kv);
                    bool same = true;
                    for (size_t j = 0; j < s1.size(); ++j) same = same && same_bits(s1[j], s0[j]);
                    CHECK_MSG(same, std::string(t->name) + " attn_softmax n_pos=" + std::to_string(n_pos) +
                                        " n_q=" + std::to_string(n_q) + " kind=" + std::to_string(kind));
                }
            }
        }
    }
}

TEST(table_selection) {
    const std::vector<std::string> names = trit::available_kernels();
    REQUIRE(!names.empty());
    CHECK(names.back() == "ref");
    CHECK(std::string(trit::kernels_select("ref")->name) == "ref");
    for (const std::string& n : names) CHECK(trit::kernels_select(n)->name == n);
    CHECK_THROWS_CODE(trit::kernels_select("sse9"), trit::ErrorCode::argument);
    const trit::CpuFeatures f = trit::cpu_features_detect();
    if (!f.avx512vnni) CHECK_THROWS_CODE(trit::kernels_select("avx512"), trit::ErrorCode::unsupported);
    if (f.avx512vnni) CHECK(std::string(trit::kernels_select("avx512")->name) == "avx512vnni");
    if (!f.amx) CHECK_THROWS_CODE(trit::kernels_select("amx"), trit::ErrorCode::unsupported);
    if (!f.avxvnni) CHECK_THROWS_CODE(trit::kernels_select("avxvnni"), trit::ErrorCode::unsupported);
    std::fprintf(stderr, "    tables on this CPU:");
    for (const std::string& n : names) std::fprintf(stderr, " %s", n.c_str());
    std::fprintf(stderr, "\n");
}

}  // namespace

int main(int argc, char** argv) {
    return check::run_all(argc, argv);
}
