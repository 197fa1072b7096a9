// NEON + dot product (Armv8.2-A FEAT_DotProd: Apple M1 and later, most Android cores since Cortex-A55/A75):
// the I2_S product with SDOT. Compiled with -march=armv8.2-a+dotprod only; selected at run time from HWCAP
// (Linux/Android) or sysctl (macOS).
#include "kernels.h"

#if (defined(__aarch64__) || defined(_M_ARM64)) && defined(__ARM_FEATURE_DOTPROD)

#define TRIT_NEON_DOT 1
#define TRIT_NEON_NS neon_dot
#include "arm-neon-i2s.h"

namespace trit {

const KernelTable* kernels_neondot() {
    static const KernelTable table = [] {
        KernelTable t = *kernels_neon();
        t.name = "neondot";
        t.gemm_i2_s = neon_dot::gemm_i2_s_neon;
        return t;
    }();
    return &table;
}

}  // namespace trit

#else

namespace trit {
const KernelTable* kernels_neondot() {
    return nullptr;
}
}  // namespace trit

#endif
