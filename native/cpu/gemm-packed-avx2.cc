// AVX2+FMA strip kernel of the packed-B GEMM (gemm-packed.h): up to 6 rows x 16
// columns of C per register tile (12 accumulators), A read in place through
// broadcasts, B from its packed panel. The epilogue runs on the accumulators of
// the last K block: bias, residual, then the activation, GELU included, so a
// transformer FFN's first GEMM writes its output once. Compiled with -mavx2
// -mfma (binding.gyp); called only after cpuid said the CPU has both.
// Deliberately includes no project header but gemm-packed-micro.h.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "gemm-packed-micro.h"

namespace {

// GELU, erf form: with h = 0.5 x erfc(|x| / sqrt 2), x - h for x >= 0 and h below
// (no cancellation in 1 + erf on the negative side). erfc(z) = 1 / (1 + a1 z + ...
// + a6 z^6)^16 (Abramowitz & Stegun 7.1.28, absolute error 3e-7; GELU within 7e-7
// of the exact value on [-10, 10]): no exp and one division, 30-40% cheaper than
// 7.1.26's exp-based form on the FFN's epilogue. At |x| = inf erfc is 0 and h is
// forced to 0, so gelu(+inf) = +inf and gelu(-inf) = 0 as in the portable routine.
inline __m256 gelu(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(sign, x), _mm256_set1_ps(0.70710678118654752f));
  __m256 p = _mm256_set1_ps(0.0000430638f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.0002765672f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.0001520143f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.0092705272f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.0422820123f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(0.0705230784f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.f));
  p = _mm256_mul_ps(p, p);
  p = _mm256_mul_ps(p, p);
  p = _mm256_mul_ps(p, p);
  p = _mm256_mul_ps(p, p);
  const __m256 erfc = _mm256_div_ps(_mm256_set1_ps(1.f), p);
  __m256 h = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), erfc);
  h = _mm256_andnot_ps(_mm256_cmp_ps(erfc, _mm256_setzero_ps(), _CMP_EQ_OQ), h);
  return _mm256_blendv_ps(h, _mm256_sub_ps(x, h), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}
// Operand order keeps NaN where the portable activations do (maxps/minps return
// the second operand when either is NaN).
inline __m256 activate(__m256 v, int act, __m256 lo, __m256 hi) {
  switch (act) {
    case 1: return _mm256_max_ps(v, _mm256_setzero_ps());
    case 2: return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
    case 3: return _mm256_blendv_ps(_mm256_mul_ps(v, lo), v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ));
    case 4: return gelu(v);
    default: return v;
  }
}

// Loads / stores the two halves of a tile row, masked past `cols` when kFull is false.
template <bool kFull>
inline __m256 load(const float* p, __m256i mask) {
  if (kFull) return _mm256_loadu_ps(p);
  return _mm256_maskload_ps(p, mask);
}

template <bool kFull>
inline void store(float* p, __m256 v, __m256i mask) {
  if (kFull) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, mask, v);
}

// One R x 16 tile (R <= 6) of C.
template <int R, bool kFull>
inline __attribute__((always_inline)) void tile(size_t kc, const float* a, size_t lda, const float* b, float* c,
                                                size_t ldc, bool accumulate, const KilnPackedEpilogue* ep,
                                                __m256i m0, __m256i m1) {
  __m256 acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b + 16 * k), b1 = _mm256_load_ps(b + 16 * k + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r * lda + k);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  if (accumulate) {
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      acc[r][0] = _mm256_add_ps(acc[r][0], load<kFull>(c + r * ldc, m0));
      acc[r][1] = _mm256_add_ps(acc[r][1], load<kFull>(c + r * ldc + 8, m1));
    }
  }
  if (ep) {
    if (ep->bias) {
      const __m256 b0 = load<kFull>(ep->bias, m0), b1 = load<kFull>(ep->bias + 8, m1);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) acc[r][0] = _mm256_add_ps(acc[r][0], b0), acc[r][1] = _mm256_add_ps(acc[r][1], b1);
    }
    if (ep->residual) {
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        acc[r][0] = _mm256_add_ps(acc[r][0], load<kFull>(ep->residual + r * ep->ldr, m0));
        acc[r][1] = _mm256_add_ps(acc[r][1], load<kFull>(ep->residual + r * ep->ldr + 8, m1));
      }
    }
    if (ep->act != 0) {
      const __m256 lo = _mm256_set1_ps(ep->alpha), hi = _mm256_set1_ps(ep->beta);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        acc[r][0] = activate(acc[r][0], ep->act, lo, hi);
        acc[r][1] = activate(acc[r][1], ep->act, lo, hi);
      }
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    store<kFull>(c + r * ldc, acc[r][0], m0);
    store<kFull>(c + r * ldc + 8, acc[r][1], m1);
  }
}

template <bool kFull>
void strip(size_t mc, size_t kc, const float* a, size_t lda, const float* b, float* c, size_t ldc, bool accumulate,
           const KilnPackedEpilogue* ep, __m256i m0, __m256i m1) {
  KilnPackedEpilogue rowEp = ep ? *ep : KilnPackedEpilogue{};
  // Tiles of 6 rows, but the last 7-9 rows as two of 3-5: a tile of 1-2 rows has
  // too few accumulators to cover the FMA latency (M = 8: 4 + 4, not 6 + 2).
  for (size_t i = 0, rows; i < mc; i += rows) {
    const size_t left = mc - i;
    rows = left >= 10 || left <= 6 ? (left < 6 ? left : 6) : left - left / 2;
    const KilnPackedEpilogue* e = nullptr;
    if (ep) {
      rowEp.residual = ep->residual ? ep->residual + i * ep->ldr : nullptr;
      e = &rowEp;
    }
    const float* ai = a + i * lda;
    float* ci = c + i * ldc;
    switch (rows) {
      case 6: tile<6, kFull>(kc, ai, lda, b, ci, ldc, accumulate, e, m0, m1); break;
      case 5: tile<5, kFull>(kc, ai, lda, b, ci, ldc, accumulate, e, m0, m1); break;
      case 4: tile<4, kFull>(kc, ai, lda, b, ci, ldc, accumulate, e, m0, m1); break;
      case 3: tile<3, kFull>(kc, ai, lda, b, ci, ldc, accumulate, e, m0, m1); break;
      case 2: tile<2, kFull>(kc, ai, lda, b, ci, ldc, accumulate, e, m0, m1); break;
      default: tile<1, kFull>(kc, ai, lda, b, ci, ldc, accumulate, e, m0, m1); break;
    }
  }
}

}  // namespace

extern "C" void kiln_gemmp_avx2_strip(size_t mc, size_t kc, const float* a, size_t lda, const float* panel, float* c,
                                      size_t ldc, size_t cols, bool accumulate, const KilnPackedEpilogue* ep) {
  if (cols >= 16) {
    const __m256i all = _mm256_set1_epi32(-1);
    strip<true>(mc, kc, a, lda, panel, c, ldc, accumulate, ep, all, all);
    return;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(cols)), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(cols) - 8), lane);
  strip<false>(mc, kc, a, lda, panel, c, ldc, accumulate, ep, m0, m1);
}
