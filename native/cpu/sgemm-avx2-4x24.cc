// AVX2+FMA 4x24 micro-kernel, the wide tile: 12 ymm accumulators (4 rows x 3
// vectors of 8), 3 for the B row, 1 for the broadcast A value. It suits row
// counts that are multiples of 4 but not of 6 (a conv's 16, 20, 64 output
// channels pad to 18, 24, 66 rows on the 6x16 tile) and issues 12 FMAs per 3
// loads + 4 broadcasts. Built with -mavx2 -mfma (binding.gyp), called only
// after cpuid said the CPU has both.
// Deliberately includes no project headers (see sgemm-micro.h).
#include <immintrin.h>

#include <cstddef>

#define KILN_W_FMA(i)                                 \
  {                                                   \
    const __m256 ai = _mm256_broadcast_ss(a + (i));   \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);       \
    c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);       \
    c##i##2 = _mm256_fmadd_ps(ai, b2, c##i##2);       \
  }

#define KILN_W_APPLY(i, f)              \
  {                                     \
    c##i##0 = f(c##i##0, 0);            \
    c##i##1 = f(c##i##1, 1);            \
    c##i##2 = f(c##i##2, 2);            \
  }

#define KILN_W_STORE(i)                              \
  {                                                  \
    float* ci = c + (i) * ldc;                       \
    _mm256_storeu_ps(ci, c##i##0);                   \
    _mm256_storeu_ps(ci + 8, c##i##1);               \
    _mm256_storeu_ps(ci + 16, c##i##2);              \
  }

// Epilogue as the 6x16 kernel's: row or column bias, then relu (clamp 1,
// NaN -> lo) or clip (clamp 2, NaN kept).
template <bool kEpilogue>
static inline __attribute__((always_inline)) void kernel4x24(size_t kc, const float* a, const float* b, float* c,
                                                             size_t ldc, bool accumulate, const float* rowBias,
                                                             const float* colBias, float lo, float hi, int clamp) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  for (size_t i = 0; i < 4; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), b2 = _mm256_loadu_ps(b + 16);
    KILN_W_FMA(0)
    KILN_W_FMA(1)
    KILN_W_FMA(2)
    KILN_W_FMA(3)
    a += 4;
    b += 24;
  }
  if (accumulate) {
    auto add = [&](__m256 v, int row, int j) { return _mm256_add_ps(v, _mm256_loadu_ps(c + row * ldc + 8 * j)); };
#define KILN_W_ACC(i) c##i##0 = add(c##i##0, i, 0), c##i##1 = add(c##i##1, i, 1), c##i##2 = add(c##i##2, i, 2);
    KILN_W_ACC(0) KILN_W_ACC(1) KILN_W_ACC(2) KILN_W_ACC(3)
#undef KILN_W_ACC
  }
  if (kEpilogue) {
    if (rowBias) {
#define KILN_W_RB(i)                                          \
  {                                                           \
    const __m256 bi = _mm256_broadcast_ss(rowBias + (i));     \
    c##i##0 = _mm256_add_ps(c##i##0, bi);                     \
    c##i##1 = _mm256_add_ps(c##i##1, bi);                     \
    c##i##2 = _mm256_add_ps(c##i##2, bi);                     \
  }
      KILN_W_RB(0) KILN_W_RB(1) KILN_W_RB(2) KILN_W_RB(3)
#undef KILN_W_RB
    }
    if (colBias) {
      const __m256 cb[3] = {_mm256_loadu_ps(colBias), _mm256_loadu_ps(colBias + 8), _mm256_loadu_ps(colBias + 16)};
      auto addBias = [&](__m256 v, int j) { return _mm256_add_ps(v, cb[j]); };
      KILN_W_APPLY(0, addBias) KILN_W_APPLY(1, addBias) KILN_W_APPLY(2, addBias) KILN_W_APPLY(3, addBias)
    }
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    if (clamp == 1) {
      auto relu = [&](__m256 v, int) { return _mm256_max_ps(v, vlo); };
      KILN_W_APPLY(0, relu) KILN_W_APPLY(1, relu) KILN_W_APPLY(2, relu) KILN_W_APPLY(3, relu)
    } else if (clamp == 2) {
      auto clip = [&](__m256 v, int) { return _mm256_min_ps(vhi, _mm256_max_ps(vlo, v)); };
      KILN_W_APPLY(0, clip) KILN_W_APPLY(1, clip) KILN_W_APPLY(2, clip) KILN_W_APPLY(3, clip)
    }
  }
  KILN_W_STORE(0)
  KILN_W_STORE(1)
  KILN_W_STORE(2)
  KILN_W_STORE(3)
}

extern "C" void kiln_sgemm_avx2_4x24(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                     bool accumulate) {
  kernel4x24<false>(kc, a, b, c, ldc, accumulate, nullptr, nullptr, 0.f, 0.f, 0);
}

extern "C" void kiln_sgemm_avx2_4x24_epilogue(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                              bool accumulate, const float* rowBias, const float* colBias, float lo,
                                              float hi, int clamp) {
  kernel4x24<true>(kc, a, b, c, ldc, accumulate, rowBias, colBias, lo, hi, clamp);
}
