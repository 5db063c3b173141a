// The 3x3 depthwise row kernel of vec-kernels-dw-nhwc.inc (compiled per ISA with the
// vec kernels) for NHWC rows read in place (kernel-conv-depthwise-nhwc.cc), in the
// build vecKernels() picked for this CPU. On contiguous 8-channel scratch rows
// (convDepthwise8c) dw8Rows3x3 stays faster: its nine weights never leave registers,
// and nothing there is worth a second output row's reuse of the input.
#pragma once

#include <cstring>

#include "vec-kernels.h"

extern "C" {
void kiln_vec_generic_dw3x3_nhwc_rows(const float* const*, long, long, long, long, long, long, const float*,
                                      const float*, long, long, int, float, float, float* const*, long);
#ifdef KILN_HAVE_AVX2
void kiln_vec_avx2_dw3x3_nhwc_rows(const float* const*, long, long, long, long, long, long, const float*, const float*,
                                   long, long, int, float, float, float* const*, long);
#endif
}

namespace kiln::cpu {

// (rows, nrows, W, C, sh, sw, pl, w, b, cb0, cb1, clamp, lo, hi, y, OW): see the .inc.
using Dw3x3RowsFn = decltype(&kiln_vec_generic_dw3x3_nhwc_rows);

inline Dw3x3RowsFn dw3x3Rows() {
#ifdef KILN_HAVE_AVX2
  if (std::strcmp(vecKernels().isa, "avx2") == 0) return &kiln_vec_avx2_dw3x3_nhwc_rows;
#endif
  return &kiln_vec_generic_dw3x3_nhwc_rows;
}

}  // namespace kiln::cpu
