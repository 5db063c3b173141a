// The C boundary of the packed-B GEMM's per-ISA strip kernels (gemm-packed.h). The
// AVX2 one lives in a translation unit compiled with -mavx2 -mfma that includes
// only this header, so no inline function compiled for AVX2 can reach portable
// code through the linker (as sgemm-micro.h).
#pragma once

#include <cstddef>

// The epilogue a panel call applies on the last K block (null before it): code is
// 0 none, 1 relu, 2 clip [alpha, beta], 3 leakyRelu (alpha), 4 gelu (erf form).
struct KilnPackedEpilogue {
  const float* bias;      // at the panel's first column, or null
  const float* residual;  // at the strip's first row and the panel's first column, or null
  size_t ldr;
  int act;
  float alpha, beta;
};

extern "C" {
// Rows [0, mc) of C against one B panel (kc x 16, k-major): c = (accumulate ? c : 0)
// + a * panel, then ep when non-null; only the first `cols` (1..16) columns are stored.
void kiln_gemmp_avx2_strip(size_t mc, size_t kc, const float* a, size_t lda, const float* panel, float* c,
                           size_t ldc, size_t cols, bool accumulate, const KilnPackedEpilogue* ep);
}
