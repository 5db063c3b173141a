// AVX2 + F16C variants of the bf16 / fp16 routines (lowp-bf16-fp16.h). bf16 to
// f32 is a 16-bit shift; f32 to bf16 rounds to nearest even by adding 0x7fff
// plus the lowest kept bit (NaN kept quiet); fp16 goes through F16C.
#include <immintrin.h>

#include <cstring>

#include "lowp-bf16-fp16.h"

namespace {

inline __m256 widenBf16(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }

inline __m128i narrowBf16(__m256 v) {
  const __m256i b = _mm256_castps_si256(v);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
  __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), lsb), 16);
  // NaN: the high half with the quiet bit, never rounded into infinity.
  const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x40));
  r = _mm256_blendv_epi8(r, quiet, nan);
  // Pack the eight 32-bit lanes (values < 2^16) into eight 16-bit ones.
  const __m128i lo = _mm256_castsi256_si128(r), hi = _mm256_extracti128_si256(r, 1);
  return _mm_packus_epi32(lo, hi);
}

inline __m256 widen(__m128i h, int bf16) { return bf16 ? widenBf16(h) : _mm256_cvtph_ps(h); }

// The 16 weights of a panel row as two f32 vectors of columns 0-7 and 8-15. A
// swizzled bf16 row (bf16PanelSlot) widens with two unpacks against zero from
// one load; fp16 (and plain bf16) with F16C or a shift per half.
template <bool kSwizzled>
inline void widenRow(const uint16_t* row, int bf16, __m256& w0, __m256& w1) {
  if (kSwizzled) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row)), zero = _mm256_setzero_si256();
    w0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, v));
    w1 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, v));
    return;
  }
  const __m128i* p = reinterpret_cast<const __m128i*>(row);
  w0 = widen(_mm_loadu_si128(p), bf16);
  w1 = widen(_mm_loadu_si128(p + 1), bf16);
}

// Up to 4 rows x 16 columns; each k reads 32 bytes of weights (half of what
// the f32 panel costs) and widens them in registers. The row count is a
// template parameter so the accumulators stay in registers; one row runs two
// k at a time on separate accumulators to hide the FMA latency.
template <int R, bool kSwizzled>
void gemvRows(long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16) {
  __m256 acc[R][2], odd[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  long k = 0;
  auto step = [&](long kk, __m256 (&c)[R][2]) {
    __m256 w0, w1;
    widenRow<kSwizzled>(panel + kk * 16, bf16, w0, w1);
    for (int r = 0; r < R; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + r * lda + kk);
      c[r][0] = _mm256_fmadd_ps(x, w0, c[r][0]);
      c[r][1] = _mm256_fmadd_ps(x, w1, c[r][1]);
    }
  };
  if (R == 1) {
    __m256 second[R][2];
    second[0][0] = second[0][1] = _mm256_setzero_ps();
    for (; k + 2 <= K; k += 2) {
      step(k, acc);
      step(k + 1, second);
    }
    odd[0] = second[0][0];
    odd[1] = second[0][1];
  }
  for (; k < K; ++k) step(k, acc);
  acc[0][0] = _mm256_add_ps(acc[0][0], odd[0]);
  acc[0][1] = _mm256_add_ps(acc[0][1], odd[1]);
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(out + r * 16, acc[r][0]);
    _mm256_storeu_ps(out + r * 16 + 8, acc[r][1]);
  }
}

}  // namespace

extern "C" {

void kiln_lowp_widen_avx2(const uint16_t* src, float* dst, size_t n, int bf16) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)), bf16));
  if (i < n) kiln_lowp_widen_generic(src + i, dst + i, n - i, bf16);
}

void kiln_lowp_narrow_avx2(const float* src, uint16_t* dst, size_t n, int bf16) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(src + i);
    const __m128i h = bf16 ? narrowBf16(v) : _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  if (i < n) kiln_lowp_narrow_generic(src + i, dst + i, n - i, bf16);
}

}  // extern "C"

namespace {

template <bool kSwizzled>
void gemv(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16) {
  switch (rows) {
    case 1: return gemvRows<1, kSwizzled>(K, a, lda, panel, out, bf16);
    case 2: return gemvRows<2, kSwizzled>(K, a, lda, panel, out, bf16);
    case 3: return gemvRows<3, kSwizzled>(K, a, lda, panel, out, bf16);
    default: return gemvRows<4, kSwizzled>(K, a, lda, panel, out, bf16);
  }
}

}  // namespace

// bf16 panels come swizzled (the AVX2 routines' layout); fp16 ones k-major.
extern "C" void kiln_lowp_gemv_avx2(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16) {
  if (bf16) return gemv<true>(rows, K, a, lda, panel, out, bf16);
  gemv<false>(rows, K, a, lda, panel, out, bf16);
}

