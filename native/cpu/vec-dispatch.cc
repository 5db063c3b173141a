// Picks the vec-kernels build for this CPU (see vec-kernels.h). The AVX2
// build exists only in x86-64 builds (KILN_HAVE_AVX2 from binding.gyp).
#include <cstdlib>
#include <cstring>

#include "../cpu-features.h"
#include "vec-kernels.h"

namespace kiln::cpu {
namespace {

#define KILN_VEC_TABLE(isa)                                                                                \
  VecKernels {                                                                                             \
#isa, kiln_vec_##isa##_dw_plane, kiln_vec_##isa##_reduce_rows,                     \
        kiln_vec_##isa##_pool_row, kiln_vec_##isa##_gemv_panel, kiln_vec_##isa##_fma_loop,                 \
        kiln_vec_##isa##_wino_input, kiln_vec_##isa##_wino_output, kiln_vec_##isa##_deinterleave2,           \
        kiln_vec_##isa##_interleave8, kiln_vec_##isa##_deinterleave8, kiln_vec_##isa##_dw8_rows, kiln_vec_##isa##_dw8_rows3x3, kiln_vec_##isa##_act_transcendental \
  }

bool forcedGeneric() {
  for (const char* var : {"KILN_VEC_KERNELS", "KILN_GEMM_KERNEL"}) {
    const char* v = std::getenv(var);
    if (v && std::strcmp(v, "generic") == 0) return true;
  }
  return false;
}

VecKernels pick() {
#ifdef KILN_HAVE_AVX2
  const uint64_t host = hostIsaMask();
  if (!forcedGeneric() && (host & isa::kAvx2) && (host & isa::kFma)) return KILN_VEC_TABLE(avx2);
#endif
  return KILN_VEC_TABLE(generic);
}

}  // namespace

const VecKernels& vecKernels() {
  static const VecKernels table = pick();
  return table;
}

}  // namespace kiln::cpu
