// Winograd F(2x2, 3x3)'s filter transform, shared by the unfused and fused tactics
// (kernel-conv-winograd.cc, kernel-conv-winograd-fused.cc).
#pragma once

#include <cstdint>

namespace kiln::cpu {

// U = G g G^T for one 3x3 filter g, G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]; element
// xi = 4 i + j of U lands at u[xi * stride]. G's halves are exact, so the transforms
// keep results within a few ulps of direct convolution.
inline void winogradFilter(const float* g, float* u, int64_t stride) {
  float t[4][3];
  for (int j = 0; j < 3; ++j) {
    t[0][j] = g[j];
    t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
    t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
    t[3][j] = g[6 + j];
  }
  for (int i = 0; i < 4; ++i) {
    const float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
    for (int j = 0; j < 4; ++j) u[(i * 4 + j) * stride] = r[j];
  }
}

}  // namespace kiln::cpu
