// Portable 4x8 micro-kernel: plain C++ the compiler vectorizes with whatever
// baseline the build targets (SSE2 on x86-64, NEON on arm64). 4x8 accumulators
// fit the 16 vector registers those ISAs have, with room for A and B.
// Deliberately includes no project headers (see sgemm-micro.h).
#include <cstddef>

extern "C" void kiln_sgemm_generic_4x8(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                       bool accumulate) {
  constexpr int MR = 4, NR = 8;
  float acc[MR][NR] = {};
  for (size_t k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i) {
      const float ai = a[i];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (accumulate)
      for (int j = 0; j < NR; ++j) ci[j] += acc[i][j];
    else
      for (int j = 0; j < NR; ++j) ci[j] = acc[i][j];
  }
}
