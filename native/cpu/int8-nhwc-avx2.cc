// AVX2 cores of the NHWC int8 layers (compiled with -mavx2 into kiln_avx2; reached
// only through int8NhwcCores() after the cpuid check). Layouts: int8-nhwc.h.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "int8-nhwc.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

// 12 accumulators (4 pixels x 3 vectors of 8 channels), 3 weight vectors, 1 broadcast.
void microAvx2(const uint8_t* a, const int8_t* b, size_t kq, int32_t* acc, bool accumulate) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256i c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  for (size_t q = 0; q < kq; ++q, a += 16, b += 96) {
    const __m256i b0 = load(b), b1 = load(b + 32), b2 = load(b + 64);
    __m256i x;
    int32_t v;
#define KILN_INT8_ROW(i)                                                                      \
  std::memcpy(&v, a + 4 * i, 4);                                                               \
  x = _mm256_set1_epi32(v);                                                                    \
  c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b0), ones)); \
  c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b1), ones)); \
  c##i##2 = _mm256_add_epi32(c##i##2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, b2), ones));
    KILN_INT8_ROW(0) KILN_INT8_ROW(1) KILN_INT8_ROW(2) KILN_INT8_ROW(3)
#undef KILN_INT8_ROW
  }
  const __m256i c[12] = {c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32};
  for (size_t i = 0; i < 12; ++i) store(acc + 8 * i, accumulate ? _mm256_add_epi32(load(acc + 8 * i), c[i]) : c[i]);
}

// Four rows, 16 k at a time: xor to u8, then a 4 x 4 transpose of dwords gives the quads.
void packRowsAvx2(const int8_t* const* rows, size_t k, size_t kq, uint8_t* a) {
  const __m128i flip = _mm_set1_epi8(char(0x80));
  alignas(16) int8_t tail[16];
  size_t q = 0;
  for (; q < kq; q += 4, a += 64) {
    __m128i r[4];
    for (size_t i = 0; i < 4; ++i) {
      if (!rows[i]) {
        r[i] = _mm_setzero_si128();
        continue;
      }
      const size_t k0 = 4 * q;
      if (k0 + 16 <= k) {
        r[i] = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[i] + k0)), flip);
      } else {
        // Past K the codes are 0, whatever they meet (the weights there are 0 too).
        std::memset(tail, 0, sizeof tail);
        std::memcpy(tail, rows[i] + k0, k - k0);
        const __m128i keep = _mm_cmplt_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm_set1_epi8(char(k - k0)));
        r[i] = _mm_and_si128(_mm_xor_si128(_mm_load_si128(reinterpret_cast<const __m128i*>(tail)), flip), keep);
      }
    }
    const __m128i t0 = _mm_unpacklo_epi32(r[0], r[1]), t1 = _mm_unpacklo_epi32(r[2], r[3]);
    const __m128i t2 = _mm_unpackhi_epi32(r[0], r[1]), t3 = _mm_unpackhi_epi32(r[2], r[3]);
    const __m128i out[4] = {_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1), _mm_unpacklo_epi64(t2, t3), _mm_unpackhi_epi64(t2, t3)};
    const size_t n = std::min<size_t>(4, kq - q);
    for (size_t j = 0; j < n; ++j) _mm_storeu_si128(reinterpret_cast<__m128i*>(a + 16 * j), out[j]);
  }
}

void depthwiseAvx2(const int8_t* const* taps, size_t pairs, const int16_t* w, size_t channels, int32_t* acc) {
  const size_t blocks = channels / 16;
  for (size_t blk = 0; blk < blocks; ++blk) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0;
    const int16_t* wb = w + blk * pairs * 32;
    for (size_t p = 0; p < pairs; ++p, wb += 32) {
      const __m256i xa = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[2 * p] + 16 * blk)));
      const __m256i xb = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[2 * p + 1] + 16 * blk)));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, xb), load(wb)));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, xb), load(wb + 16)));
    }
    // a0 holds channels [0-3 | 8-11], a1 [4-7 | 12-15].
    store(acc + 16 * blk, _mm256_permute2x128_si256(a0, a1, 0x20));
    store(acc + 16 * blk + 8, _mm256_permute2x128_si256(a0, a1, 0x31));
  }
  const int16_t* wt = w + blocks * pairs * 32;
  for (size_t c = blocks * 16; c < channels; ++c, wt += 2 * pairs) {
    int32_t s = 0;
    for (size_t t = 0; t < 2 * pairs; ++t) s += int32_t(taps[t][c]) * wt[t];
    acc[c] = s;
  }
}

// v -> i8 codes of 8 lanes. cvtps rounds half to even (the default MXCSR mode, as
// nearbyint); the clamp comes first because cvtps of a huge value is INT_MIN.
inline __m128i codes8(__m256 v) {
  v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-128.f)), _mm256_set1_ps(127.f));
  const __m256i q = _mm256_cvtps_epi32(v);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  return _mm_packs_epi16(w, w);
}

// Eight channels of the epilogue, in the interpreter's float steps and order (no FP
// contraction in this library); i8 output multiplies by the f32 reciprocal of outScale.
struct Lanes {
  const Int8ChannelEpilogue& e;
  __m256 zero, lo, hi, rs, inv;
  bool simple, i8Residual;

  explicit Lanes(const Int8ChannelEpilogue& ep)
      : e(ep), zero(_mm256_setzero_ps()), lo(_mm256_set1_ps(ep.act.alpha)), hi(_mm256_set1_ps(ep.act.beta)),
        rs(_mm256_set1_ps(ep.residualScale)), inv(_mm256_set1_ps(ep.outScale > 0 ? 1.f / ep.outScale : 0.f)),
        simple(ep.act.kind == Act::none || ep.act.kind == Act::relu || ep.act.kind == Act::clip), i8Residual(ep.residualScale > 0) {}

  // acc, comp, multiplier, bias and residual of 8 channels (each pointer to 8 readable values).
  __m256 value(const int32_t* acc, const int32_t* comp, const float* m, const float* b, const void* r) const {
    __m256i ai = load(acc);
    if (comp) ai = _mm256_sub_epi32(ai, load(comp));
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(ai), _mm256_loadu_ps(m));
    if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b));
    if (r) {
      const __m256 rv = i8Residual ? _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(static_cast<const __m128i*>(r)))), rs)
                                   : _mm256_loadu_ps(static_cast<const float*>(r));
      v = _mm256_add_ps(v, rv);
    }
    if (e.act.kind == Act::relu) return _mm256_max_ps(v, zero);
    if (e.act.kind == Act::clip) return _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    if (!simple) {
      alignas(32) float t[8];
      _mm256_store_ps(t, v);
      applyActivation(e.act, t, t, 8);
      v = _mm256_load_ps(t);
    }
    return v;
  }
};

void finishAvx2(const int32_t* acc, size_t n, const Int8ChannelEpilogue& e, void* out) {
  const Lanes l(e);
  const size_t rsize = e.residualScale > 0 ? 1 : 4;
  const auto* r = static_cast<const uint8_t*>(e.residual);
  size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256 v = l.value(acc + c, e.comp ? e.comp + c : nullptr, e.multiplier + c, e.bias ? e.bias + c : nullptr, r ? r + c * rsize : nullptr);
    if (e.outScale > 0) _mm_storel_epi64(reinterpret_cast<__m128i*>(static_cast<int8_t*>(out) + c), codes8(_mm256_mul_ps(v, l.inv)));
    else _mm256_storeu_ps(static_cast<float*>(out) + c, v);
  }
  if (c == n) return;
  // The last few channels through zero-padded copies of their operands.
  const size_t m = n - c;
  alignas(32) int32_t ta[8] = {}, tc[8] = {};
  alignas(32) float tm[8] = {}, tb[8] = {}, tr[8] = {};
  std::memcpy(ta, acc + c, m * 4);
  std::memcpy(tm, e.multiplier + c, m * 4);
  if (e.comp) std::memcpy(tc, e.comp + c, m * 4);
  if (e.bias) std::memcpy(tb, e.bias + c, m * 4);
  if (r) std::memcpy(tr, r + c * rsize, m * rsize);
  const __m256 v = l.value(ta, e.comp ? tc : nullptr, tm, e.bias ? tb : nullptr, r ? tr : nullptr);
  if (e.outScale > 0) {
    alignas(16) int8_t t[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(t), codes8(_mm256_mul_ps(v, l.inv)));
    std::memcpy(static_cast<int8_t*>(out) + c, t, m);
  } else {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    std::memcpy(static_cast<float*>(out) + c, t, m * 4);
  }
}

}  // namespace

const Int8NhwcCores kInt8NhwcAvx2 = {"int8-nhwc-avx2", true, microAvx2, packRowsAvx2, depthwiseAvx2, finishAvx2};

}  // namespace kiln::cpu
