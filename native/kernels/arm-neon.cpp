// NEON kernels for every Armv8-A CPU (Apple M-series, Android): the I2_S product with SMULL + SADALP.
// Compiled with the baseline aarch64 flags; entries without a NEON version come from ref.
#include "kernels.h"

#if defined(__aarch64__) || defined(_M_ARM64)

#define TRIT_NEON_DOT 0
#define TRIT_NEON_NS neon_plain
#include "arm-neon-i2s.h"

namespace trit {

const KernelTable* kernels_neon() {
    static const KernelTable table = [] {
        KernelTable t = *kernels_ref();
        t.name = "neon";
        t.gemm_i2_s = neon_plain::gemm_i2_s_neon;
        return t;
    }();
    return &table;
}

}  // namespace trit

#else

namespace trit {
const KernelTable* kernels_neon() {
    return nullptr;
}
}  // namespace trit

#endif
