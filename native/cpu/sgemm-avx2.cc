// AVX2+FMA 6x16 micro-kernel: 12 ymm accumulators (6 rows x 2 vectors of 8),
// 2 ymm for the B row, 1 for the broadcast A value: 15 of 16 registers. Per k
// step it issues 12 FMAs against 2 loads + 6 broadcasts, enough to keep both
// FMA ports busy on Haswell..Zen. Compiled with -mavx2 -mfma (binding.gyp);
// only called after cpuid said the CPU has both.
// Deliberately includes no project headers (see sgemm-micro.h).
#include <immintrin.h>

#include <cstddef>

#define KILN_ROW_FMA(i)                                 \
  {                                                     \
    const __m256 ai = _mm256_broadcast_ss(a + (i));     \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);         \
    c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);         \
  }

#define KILN_ROW_STORE(i)                                                  \
  {                                                                        \
    float* ci = c + (i) * ldc;                                             \
    if (accumulate) {                                                      \
      c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(ci));               \
      c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(ci + 8));           \
    }                                                                      \
    _mm256_storeu_ps(ci, c##i##0);                                         \
    _mm256_storeu_ps(ci + 8, c##i##1);                                     \
  }

extern "C" void kiln_sgemm_avx2_6x16(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                     bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (size_t i = 0; i < 6; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);

#pragma GCC unroll 4
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    KILN_ROW_FMA(0)
    KILN_ROW_FMA(1)
    KILN_ROW_FMA(2)
    KILN_ROW_FMA(3)
    KILN_ROW_FMA(4)
    KILN_ROW_FMA(5)
    a += 6;
    b += 16;
  }

  KILN_ROW_STORE(0)
  KILN_ROW_STORE(1)
  KILN_ROW_STORE(2)
  KILN_ROW_STORE(3)
  KILN_ROW_STORE(4)
  KILN_ROW_STORE(5)
}
