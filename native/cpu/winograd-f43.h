// Winograd F(4x4, 3x3) for kernel-conv-winograd-f43.cc: the filter transform and the
// input / output transforms of winograd-f43.inc, picked once per process for this CPU
// (the AVX2+FMA build when cpuid allows, else the portable one, also forced by
// KILN_VEC_KERNELS=generic).
#pragma once

#include <cstdint>

namespace kiln::cpu {

// U = G g G^T for one 3x3 filter g, element xi = 6 i + j at u[xi * stride], with
// G = [1 0 0; 1/3 1/3 1/3; -1/3 1/3 -1/3; -16/15 -8/15 -4/15; 1/15 -2/15 4/15; 0 0 1]
// (points 0, 1, -1, 1/2, -2, infinity; winograd-f43.inc). Computed in double and rounded
// once: thirds and fifteenths are not exact in binary, so float intermediates would add
// their rounding to every U.
inline void winogradF43Filter(const float* g, float* u, int64_t stride) {
  const double G[6][3] = {{1, 0, 0},
                          {1. / 3, 1. / 3, 1. / 3},
                          {-1. / 3, 1. / 3, -1. / 3},
                          {-16. / 15, -8. / 15, -4. / 15},
                          {1. / 15, -2. / 15, 4. / 15},
                          {0, 0, 1}};
  double t[6][3];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 3; ++j) t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) u[(6 * i + j) * stride] = float(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
}

struct WinogradF43Fns {
  // winograd-f43.inc input8 / output8.
  void (*input8)(const float* const* rows, float* v, long vstride);
  void (*output8)(const float* m, long mstride, float bias, float* y, const float* r, const long* off,
                  const long* roff, long ldy, const long* hv, int clamp, float lo, float hi);
};
const WinogradF43Fns& winogradF43Fns();

}  // namespace kiln::cpu

extern "C" {
void kiln_wf_generic_input8(const float* const*, float*, long);
void kiln_wf_avx2_input8(const float* const*, float*, long);
void kiln_wf_generic_output8(const float*, long, float, float*, const float*, const long*, const long*, long,
                             const long*, int, float, float);
void kiln_wf_avx2_output8(const float*, long, float, float*, const float*, const long*, const long*, long, const long*,
                          int, float, float);
}
