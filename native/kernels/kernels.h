// Compute kernels: one table of function pointers per instruction set, chosen once at load.
//
// ref.cpp is the specification: plain loops that define every result. Each ISA file (x86-avx2.cpp,
// x86-avx512.cpp, later arm-neon.cpp) is compiled with only its own flags and fills a table with its fast
// versions, falling back to the ref entry where it has none. Integer kernels (I2_S, TQ, Q8) must equal ref
// bit for bit; float kernels that define a summation order (F16/F32 dots, TQ) equal it too; the rest agree
// within a few ulps, which native/tests/test-kernels.cpp checks.
//
// Weight layouts are the file's (bitnet-format.md §5, §7). A table may ask for a different layout of a weight
// type at load (`repack`); the loader then stores the repacked rows once and hands them to that table's gemm.
// The file format never depends on the CPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

// Compiler hints for the SIMD kernels: a lambda that must be inlined (its loop's accumulators stay in registers)
// and a loop to unroll fully. Other compilers ignore both.
#if defined(__GNUC__) || defined(__clang__)
#define TRIT_INLINE_LAMBDA __attribute__((always_inline))
#define TRIT_UNROLL _Pragma("GCC unroll 8")
#else
#define TRIT_INLINE_LAMBDA
#define TRIT_UNROLL
#endif

namespace trit {

constexpr int64_t QK_I2_S = 128;  // I2_S (x86 layout): 128 weights in 32 bytes, one f32 scale per tensor
constexpr int64_t QK_K = 256;     // TQ1_0, TQ2_0, Q6_K and the Q8_K activations
constexpr int64_t QK8_0 = 32;     // Q8_0

// Byte sizes of the on-disk blocks (ggml's block_* structs).
constexpr int64_t BLOCK_TQ2_0_BYTES = 66;  // uint8 qs[64]; f16 d
constexpr int64_t BLOCK_TQ1_0_BYTES = 54;  // uint8 qs[48]; uint8 qh[4]; f16 d
constexpr int64_t BLOCK_Q6_K_BYTES = 210;  // uint8 ql[128]; uint8 qh[64]; int8 scales[16]; f16 d
constexpr int64_t BLOCK_Q8_0_BYTES = 34;   // f16 d; int8 qs[32]

// Q8_K activations for TQ1_0 / TQ2_0 / Q6_K weights: one block per 256 values, as ggml's block_q8_K.
struct BlockQ8K {
    float d;                   // 1 / iscale
    int8_t qs[QK_K];           // quantized values
    int16_t bsums[QK_K / 16];  // sums of groups of 16 qs
};

// How activations are prepared for a weight type (ggml's "vec_dot_type").
enum class ActFormat : int32_t {
    f32,     // F32 weights: the floats themselves
    f16,     // F16 weights: activations rounded to F16
    bf16,    // BF16 weights: activations rounded to BF16
    i8_row,  // I2_S weights: one int8 row per token with absmax scale and sum (bitnet-format.md §5.4)
    q8_K,    // TQ1_0 / TQ2_0 / Q6_K weights: Q8_K blocks of 256
    q8_0,    // Q8_0 weights: Q8_0 blocks of 32
};

// Arguments of a weight × activation product: y[t * ldy + r] = W[r] · a[t] for rows r in [r0, r1) and tokens
// t in [0, n_tok). The kernel writes only those y entries.
struct GemmArgs {
    const uint8_t* w = nullptr;      // row 0 of the weights (file layout, or the table's repacked layout)
    int64_t w_row_bytes = 0;         // bytes from one row to the next
    int64_t k = 0;                   // elements per row (a multiple of the type's block)
    float w_scale = 1.0f;            // I2_S per-tensor scale; 1 for other types
    const uint8_t* a = nullptr;      // n_tok prepared activation rows (format of the weight type)
    int64_t a_row_bytes = 0;         // bytes from one activation row to the next
    const float* a_scale = nullptr;  // i8_row only: per token s = 127 / absmax
    const int32_t* a_sum = nullptr;  // i8_row only: per token Σ q
    int64_t n_tok = 0;
    float* y = nullptr;
    int64_t ldy = 0;  // floats from one token's outputs to the next
};

using GemmFn = void (*)(const GemmArgs& args, int64_t r0, int64_t r1);

struct KernelTable {
    const char* name;  // "ref", "avx2", "avx512vnni", ...

    // ---- activation preparation, one row of n values ----
    // I2_S: s = 127 / max(|x|, 1e-5) (max in double), q = clamp(round_half_even(x·s), -128, 127), sum = Σ q.
    void (*quantize_i8)(const float* x, int64_t n, int8_t* q, float* scale, int32_t* sum);
    // Q8_K as ggml's quantize_row_q8_K_ref (n % 256 == 0).
    void (*quantize_q8_K)(const float* x, int64_t n, BlockQ8K* y);
    // Q8_0 as ggml's x86 quantize_row_q8_0 (n % 32 == 0): d = amax/127, q = round_half_even(x·127/amax).
    void (*quantize_q8_0)(const float* x, int64_t n, uint8_t* y);
    void (*fp32_to_fp16)(const float* x, uint16_t* y, int64_t n);  // round to nearest even
    void (*fp16_to_fp32)(const uint16_t* x, float* y, int64_t n);
    void (*fp32_to_bf16)(const float* x, uint16_t* y, int64_t n);  // round to nearest even

    // ---- weights × prepared activations ----
    GemmFn gemm_i2_s;   // i8_row activations; integer accumulation, y = (Σ t·q) / s · w_scale
    GemmFn gemm_tq2_0;  // q8_K activations
    GemmFn gemm_tq1_0;  // q8_K activations
    GemmFn gemm_q6_K;   // q8_K activations
    GemmFn gemm_q8_0;   // q8_0 activations
    GemmFn gemm_f16;    // f16 activations, dot_f16 per element
    GemmFn gemm_bf16;   // bf16 activations, f32 accumulation
    GemmFn gemm_f32;    // f32 activations, 64-lane fused multiply-add order (see ref.cpp)

    // ---- attention over the F16 KV cache ----
    float (*dot_f16)(const uint16_t* a, const uint16_t* b, int64_t n);      // 64-lane order, see ref.cpp
    void (*axpy_f16)(float alpha, const uint16_t* x, float* y, int64_t n);  // y[i] += alpha · x[i]

    // ---- optional weight repacking at load (null: the table reads the file layout) ----
    // For I2_S: bytes the repacked copy of a [rows × k] tensor needs, and the repacking itself.
    int64_t (*repack_i2_s_bytes)(int64_t rows, int64_t k);
    void (*repack_i2_s)(const uint8_t* src, uint8_t* dst, int64_t rows, int64_t k);

    // ---- attention scores of n_q queries that share one KV head (the heads of a grouped-query group):
    // s[i·s_stride + j] = dot_f16(q_i, k_j, hd) · scale with q_i = q + i·q_stride, k_j = k + j·k_stride, for
    // i < n_q and j < n_pos; bit-identical to that formula. Each key row is read once for all n_q queries. ----
    void (*attn_scores_f16)(const uint16_t* q, int64_t q_stride, int64_t n_q, const uint16_t* k, int64_t k_stride,
                            int64_t n_pos, int64_t hd, float scale, float* s, int64_t s_stride);
    // ---- attention output of n_q queries that share one KV head, from the transposed values (dimension d of
    // position j at v[d·v_stride + j]): out_i[d] = Σ_j p_i[j] · v[d·v_stride + j] with p_i = p + i·p_stride,
    // out_i = out + i·out_stride, for d < hd, in the order of ref: positions j < min(np, n_pos) go to lane
    // j mod 64 (y += p·v), the 64 lanes are summed with reduce64_f32, then positions np ≤ j < n_pos are added in
    // double (np = multiple of 64). Values at positions ≥ n_pos are never read. The p values must be
    // F16-representable (the engine rounds the probabilities to F16): every p·v is then exact in f32, so a
    // multiply-then-add and a fused multiply-add give the same bits. ----
    void (*attn_pv_f16)(const float* p, int64_t p_stride, int64_t n_q, const uint16_t* v, int64_t v_stride,
                        int64_t n_pos, int64_t np, int64_t hd, float* out, int64_t out_stride);
    // ---- softmax of n_q score rows in place, each row s_i = s + i·s_stride holding n_kv floats (n_kv a multiple
    // of 16, n_pos ≤ n_kv): m = max_{j<n_pos} s_j (a NaN score is skipped), e_j = exp_softmax(s_j − m),
    // e_j = 0 for n_pos ≤ j < n_kv, Σ = the n_kv/16 chunks' reduce16_f32 added in double in order, and
    // p_j = f16(e_j · (float)(1/Σ)) written back as floats (0 past n_pos). ----
    void (*attn_softmax)(float* s, int64_t s_stride, int64_t n_q, int64_t n_pos, int64_t n_kv);
};

// The tables compiled into this binary (each returns nullptr when its ISA was not compiled in).
const KernelTable* kernels_ref();
const KernelTable* kernels_avx2();
const KernelTable* kernels_avx512vnni();
const KernelTable* kernels_amx();  // avx512vnni with AMX-INT8 tiles for the I2_S prefill
const KernelTable* kernels_avxvnni();
const KernelTable* kernels_neon();
const KernelTable* kernels_neondot();

// CPU features relevant to kernel choice (CPUID + XGETBV on x86: the OS must save the wide registers).
struct CpuFeatures {
    bool avx2 = false;        // AVX2 + FMA + F16C, YMM state enabled
    bool avx512vnni = false;  // AVX-512 F/BW/VL/DQ + VNNI, ZMM and opmask state enabled
    bool avxvnni = false;     // AVX-VNNI (VEX vpdpbusd on ymm), YMM state enabled
    bool amx = false;         // AMX-TILE + AMX-INT8 with tile state enabled and granted to this process
    bool neon = false;        // aarch64 Advanced SIMD
    bool dotprod = false;     // aarch64 FEAT_DotProd (SDOT/UDOT)
};
CpuFeatures cpu_features_detect();

// Tables usable on this CPU, best first; always ends with ref.
std::vector<const KernelTable*> kernels_available();

// The table to use: `forced` if non-empty ("ref", "avx2", "avxvnni", "avx512vnni", "amx"; "avx512" is accepted for
// the latter),
// else env TRIT_KERNELS if set, else the best available. Throws trit::Error(argument) for an unknown name and
// Error(unsupported) for a table this CPU cannot run.
const KernelTable* kernels_select(const std::string& forced);

// The fixed reduction trees of the float kernels (see ref.cpp): 64 lanes (lane i at lanes[i * stride]) and 16
// lanes.
float reduce64_f32(const float* lanes, int64_t stride);
float reduce16_f32(const float* x);

// exp(x) of the attention softmax, defined for every table by these IEEE single operations (so a SIMD twin gives
// the same bits): x' = min(max(x, -87), 0); n = round(x'·log2 e) by the 1.5·2^23 shift; r = x' − n·ln 2 in two
// fused steps (ln 2 = hi + lo); p = the degree-7 Taylor polynomial of e^r by fused Horner steps; result p·2^n.
// x < -87 gives 0, NaN gives x. On [-87, 0] it is within 2 ulp of e^x (native/tests/test-kernels.cpp).
float exp_softmax(float x);
namespace exp_softmax_c {
constexpr float kMin = -87.0f;  // e^-87 ≈ 1.6e-38 is still a normal float
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kShift = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.42860682030941723212e-6f;
// e^r ≈ Σ_{i≤7} r^i / i!, Horner from the highest power: kPoly[0] = 1/7!, …, kPoly[7] = 1/0!.
constexpr float kPoly[8] = {1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f,
                            1.0f / 6.0f,    0.5f,          1.0f,          1.0f};
}  // namespace exp_softmax_c

// Scratch memory of a batch kernel (one per thread: thread_local), 64-byte aligned; grows on demand. get() returns
// null when the memory cannot be had (the kernel then takes a path that needs none).
struct KernelScratch {
    std::unique_ptr<uint8_t[]> mem;
    size_t cap = 0;
    uint8_t* get(size_t bytes) {
        if (bytes > cap) {
            mem.reset(new (std::nothrow) uint8_t[bytes + 64]);
            cap = mem ? bytes : 0;
            if (!mem) return nullptr;
        }
        const uintptr_t p = reinterpret_cast<uintptr_t>(mem.get());
        return reinterpret_cast<uint8_t*>((p + 63) & ~uintptr_t(63));
    }
};

// The tail of attn_pv_f16 (ref.cpp) for the SIMD tables: positions np ≤ j < n_pos of every (query, dimension)
// added to out in double, in position order, each product p·v formed in float (exact: see attn_pv_f16 in
// KernelTable). Blocks of 4 queries × 8 dimensions keep 32 independent chains of double additions in flight,
// where one chain alone waits for every addition (a 128-token prefill has such a tail for half of its tokens).
// `widen16(src, n, dst)` writes n ≤ 16 F16 values from src to dst[0..n) as floats (dst: 16 floats, 64-byte
// aligned).
template <typename Widen16>
inline void attn_pv_tail(const float* p, int64_t p_stride, int64_t n_q, const uint16_t* v, int64_t v_stride,
                         int64_t n_pos, int64_t np, int64_t hd, float* out, int64_t out_stride,
                         Widen16 widen16) {
    constexpr int kQ = 4, kD = 8;
    alignas(64) float vf[kD][16];
    for (int64_t d0 = 0; d0 < hd; d0 += kD) {
        const int nd = static_cast<int>(hd - d0 < kD ? hd - d0 : kD);
        for (int64_t q0 = 0; q0 < n_q; q0 += kQ) {
            const int nq = static_cast<int>(n_q - q0 < kQ ? n_q - q0 : kQ);
            double sum[kQ][kD] = {};
            for (int qi = 0; qi < nq; ++qi) {
                const float* o = out + (q0 + qi) * out_stride + d0;
                for (int dd = 0; dd < nd; ++dd) sum[qi][dd] = static_cast<double>(o[dd]);
            }
            for (int64_t j0 = np; j0 < n_pos; j0 += 16) {
                const int64_t nj = n_pos - j0 < 16 ? n_pos - j0 : 16;
                for (int dd = 0; dd < nd; ++dd) widen16(v + (d0 + dd) * v_stride + j0, nj, vf[dd]);
                for (int64_t jj = 0; jj < nj; ++jj) {
                    for (int qi = 0; qi < nq; ++qi) {
                        const float pj = p[(q0 + qi) * p_stride + j0 + jj];
                        for (int dd = 0; dd < nd; ++dd) sum[qi][dd] += static_cast<double>(pj * vf[dd][jj]);
                    }
                }
            }
            for (int qi = 0; qi < nq; ++qi) {
                float* o = out + (q0 + qi) * out_stride + d0;
                for (int dd = 0; dd < nd; ++dd) o[dd] = static_cast<float>(sum[qi][dd]);
            }
        }
    }
}

// Scalar helpers shared by ref.cpp and the engine (exact IEEE conversions).
uint16_t fp32_to_fp16(float f);
float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);
float bf16_to_fp32(uint16_t h);

}  // namespace trit
