// AVX2 int8 dot rows (compiled with -mavx2 into kiln_avx2; called only through
// int8DotRows() after the cpuid check). Four weight rows share each load of x;
// their accumulators reduce together with two hadds.
#include <immintrin.h>

#include "int8-gemm.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

inline int32_t sum8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_hadd_epi32(s, s);
  s = _mm_hadd_epi32(s, s);
  return _mm_cvtsi128_si32(s);
}

}  // namespace

void int8DotRowsAvx2(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const int16_t* w0 = w + j * kp;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t k = 0; k < kp; k += kInt8KStep) {
      const __m256i xv = load(x + k);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(xv, load(w0 + k)));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(xv, load(w0 + kp + k)));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(xv, load(w0 + 2 * kp + k)));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(xv, load(w0 + 3 * kp + k)));
    }
    // Per 128-bit lane: [sum a0, sum a1, sum a2, sum a3] of that lane's halves.
    const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
    const __m128i r = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j), r);
  }
  for (; j < n; ++j) {
    const int16_t* wj = w + j * kp;
    __m256i a = _mm256_setzero_si256();
    for (size_t k = 0; k < kp; k += kInt8KStep) a = _mm256_add_epi32(a, _mm256_madd_epi16(load(x + k), load(wj + k)));
    out[j] = sum8(a);
  }
}

}  // namespace kiln::cpu
