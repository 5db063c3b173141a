// AVX-512F 12x32 micro-kernel: 24 zmm accumulators (12 rows x 2 vectors of
// 16), 2 zmm for the B row; the A value is broadcast straight from memory into
// the FMA. Compiled with -mavx512f (binding.gyp); only called after cpuid and
// XCR0 said the CPU and OS support AVX-512.
// Deliberately includes no project headers (see sgemm-micro.h).
#include <immintrin.h>

#include <cstddef>

extern "C" void kiln_sgemm_avx512_12x32(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                        bool accumulate) {
  constexpr int MR = 12;
  __m512 acc0[MR], acc1[MR];
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();

#pragma GCC unroll 2
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += MR;
    b += 32;
  }

#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc0[i] = _mm512_add_ps(acc0[i], _mm512_loadu_ps(ci));
      acc1[i] = _mm512_add_ps(acc1[i], _mm512_loadu_ps(ci + 16));
    }
    _mm512_storeu_ps(ci, acc0[i]);
    _mm512_storeu_ps(ci + 16, acc1[i]);
  }
}
