// Picks the GEMM micro-kernel once per process from the CPU's features. The
// ISA-specific variants exist only in x86-64 builds (KILN_HAVE_AVX2 /
// KILN_HAVE_AVX512 come from binding.gyp), so other targets get the portable one.
#include <cstdlib>
#include <cstring>

#include "../cpu-features.h"
#include "sgemm-micro.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

// Blocking: kc * nr floats of B (one micro-panel) stay in L1, mc * kc floats of
// A in L2; nc bounds the packed B block, which streams from L2/L3.
constexpr MicroKernel kGeneric{"generic-4x8", kiln_sgemm_generic_4x8, 4, 8, 128, 256, 2048};
#ifdef KILN_HAVE_AVX2
// Remainders of up to 6 columns run along M (kiln_sgemm_avx2_cols): cols FMAs
// per panel and k against the padded tile's 12.
constexpr MicroKernel kAvx2{"avx2-6x16", kiln_sgemm_avx2_6x16, 6, 16, 120, 256, 3072, kiln_sgemm_avx2_6x16_epilogue,
                            kiln_sgemm_avx2_cols, 6};
constexpr MicroKernel kAvx2Wide{"avx2-4x24", kiln_sgemm_avx2_4x24, 4, 24, 128, 256, 3072, kiln_sgemm_avx2_4x24_epilogue,
                                kiln_sgemm_avx2_cols, 6};
#endif
#ifdef KILN_HAVE_AVX512
constexpr MicroKernel kAvx512{"avx512-12x32", kiln_sgemm_avx512_12x32, 12, 32, 144, 256, 3072};
#endif

const MicroKernel& pick() {
  const uint64_t host = hostIsaMask();
  const char* forced = std::getenv("KILN_GEMM_KERNEL");
  auto allowed = [&](const char* name) { return !forced || std::strcmp(forced, name) == 0; };
  (void)host;
#ifdef KILN_HAVE_AVX512
  if (allowed("avx512") && (host & isa::kAvx512f)) return kAvx512;
#endif
#ifdef KILN_HAVE_AVX2
  if (allowed("avx2") && (host & isa::kAvx2) && (host & isa::kFma)) return kAvx2;
#endif
  if (forced && std::strcmp(forced, "generic") != 0) {
    // A variant this CPU or build cannot run was forced: fall back to the
    // best one rather than crash with an illegal instruction.
#ifdef KILN_HAVE_AVX512
    if (host & isa::kAvx512f) return kAvx512;
#endif
#ifdef KILN_HAVE_AVX2
    if ((host & isa::kAvx2) && (host & isa::kFma)) return kAvx2;
#endif
  }
  return kGeneric;
}

}  // namespace

const MicroKernel& activeMicroKernel() {
  static const MicroKernel& kernel = pick();
  return kernel;
}

const MicroKernel& microKernelFor(int tile) {
#ifdef KILN_HAVE_AVX2
  if (tile == 1 && activeMicroKernel().fn == kiln_sgemm_avx2_6x16) return kAvx2Wide;
#endif
  (void)tile;
  return activeMicroKernel();
}

const char* sgemmKernelName() { return activeMicroKernel().name; }

}  // namespace kiln::cpu
