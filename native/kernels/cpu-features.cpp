// CPU feature detection and kernel-table selection. Compiled without ISA flags: it only asks the CPU.
//
// On x86 a feature counts only when CPUID reports it AND the OS saves the registers it needs (XGETBV: XCR0
// bits 1-2 for SSE/AVX state, 5-7 for the AVX-512 opmask and upper ZMM state).
#include <cstdlib>
#include <string>

#include "kernels.h"
#include "trit/engine.h"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace trit {

namespace {

#if defined(__x86_64__) || defined(_M_X64)

struct CpuidRegs {
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf) {
    CpuidRegs r;
#if defined(_MSC_VER)
    int regs[4];
    __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
    r.eax = static_cast<uint32_t>(regs[0]);
    r.ebx = static_cast<uint32_t>(regs[1]);
    r.ecx = static_cast<uint32_t>(regs[2]);
    r.edx = static_cast<uint32_t>(regs[3]);
#else
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
    return r;
}

uint64_t xgetbv0() {
#if defined(_MSC_VER)
    return _xgetbv(0);
#else
    uint32_t eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
#endif
}

inline bool bit(uint32_t v, int i) {
    return ((v >> i) & 1u) != 0;
}

#endif

}  // namespace

CpuFeatures cpu_features_detect() {
    CpuFeatures f;
#if defined(__x86_64__) || defined(_M_X64)
    const uint32_t max_leaf = cpuid(0, 0).eax;
    if (max_leaf < 7) return f;
    const CpuidRegs l1 = cpuid(1, 0);
    const bool osxsave = bit(l1.ecx, 27);
    if (!osxsave) return f;
    const uint64_t xcr0 = xgetbv0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;
    const bool zmm_state = (xcr0 & 0xe6) == 0xe6;
    const bool avx = bit(l1.ecx, 28), fma = bit(l1.ecx, 12), f16c = bit(l1.ecx, 29);
    const CpuidRegs l7 = cpuid(7, 0);
    const bool avx2 = bit(l7.ebx, 5);
    const bool avx512f = bit(l7.ebx, 16), avx512dq = bit(l7.ebx, 17), avx512bw = bit(l7.ebx, 30),
               avx512vl = bit(l7.ebx, 31), avx512vnni = bit(l7.ecx, 11);
    f.avx2 = ymm_state && avx && avx2 && fma && f16c;
    const CpuidRegs l71 = cpuid(7, 1);
    f.avxvnni = f.avx2 && bit(l71.eax, 4);
    f.avx512vnni = f.avx2 && zmm_state && avx512f && avx512dq && avx512bw && avx512vl && avx512vnni;
    // AMX: CPUID.7.0:EDX bits 24 (tiles) and 25 (int8), XCR0 bits 17-18 (tile config and data), and on Linux
    // the per-process permission for the tile data state (arch_prctl ARCH_REQ_XCOMP_PERM, feature 18). Other
    // systems: not used.
    const bool amx_cpu = bit(l7.edx, 24) && bit(l7.edx, 25) && (xcr0 & 0x60000) == 0x60000;
#if defined(__linux__)
    static const bool amx_granted = amx_cpu && syscall(SYS_arch_prctl, 0x1023, 18) == 0;
    f.amx = f.avx512vnni && amx_granted;
#else
    (void)amx_cpu;
#endif
#elif defined(__aarch64__) || defined(_M_ARM64)
    f.neon = true;  // Advanced SIMD is part of every Armv8-A CPU
#if defined(__linux__)
    const unsigned long hwcap = getauxval(AT_HWCAP);
    f.dotprod = (hwcap & (1ul << 20)) != 0;  // HWCAP_ASIMDDP
#elif defined(__APPLE__)
    int v = 0;
    size_t len = sizeof(v);
    f.dotprod = sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, nullptr, 0) == 0 && v != 0;
#endif
#endif
    return f;
}

std::vector<const KernelTable*> kernels_available() {
    std::vector<const KernelTable*> tables;
    const CpuFeatures f = cpu_features_detect();
#if defined(__x86_64__) || defined(_M_X64)
    if (f.amx && kernels_amx() != nullptr) tables.push_back(kernels_amx());
    if (f.avx512vnni && kernels_avx512vnni() != nullptr) tables.push_back(kernels_avx512vnni());
    if (f.avxvnni && kernels_avxvnni() != nullptr) tables.push_back(kernels_avxvnni());
    if (f.avx2 && kernels_avx2() != nullptr) tables.push_back(kernels_avx2());
#elif defined(__aarch64__) || defined(_M_ARM64)
    if (f.dotprod && kernels_neondot() != nullptr) tables.push_back(kernels_neondot());
    if (f.neon && kernels_neon() != nullptr) tables.push_back(kernels_neon());
#else
    (void)f;
#endif
    tables.push_back(kernels_ref());
    return tables;
}

const KernelTable* kernels_select(const std::string& forced) {
    std::string name = forced;
    if (name.empty()) {
        const char* env = std::getenv("TRIT_KERNELS");
        if (env != nullptr) name = env;
    }
    const std::vector<const KernelTable*> available = kernels_available();
    if (name.empty()) return available.front();
    if (name == "avx512") name = "avx512vnni";
    if (name != "ref" && name != "avx2" && name != "avxvnni" && name != "avx512vnni" && name != "amx" &&
        name != "neon" && name != "neondot") {
        throw Error(ErrorCode::argument, "unknown kernel table '" + name +
                                             "' (expected ref, avx2, avxvnni, avx512vnni, amx, neon or neondot)");
    }
    for (const KernelTable* t : available) {
        if (name == t->name) return t;
    }
    throw Error(ErrorCode::unsupported, "kernel table '" + name + "' is not supported by this CPU or build");
}

std::vector<std::string> available_kernels() {
    std::vector<std::string> names;
    for (const KernelTable* t : kernels_available()) names.emplace_back(t->name);
    return names;
}

}  // namespace trit
