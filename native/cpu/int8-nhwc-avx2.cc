// AVX2 cores of the NHWC int8 layers (qmatmul's tile is in int8-matmul-avx2.cc;
// compiled with -mavx2 into kiln_avx2; reached only through int8NhwcCores() after the
// cpuid check). Layouts: int8-nhwc.h.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "int8-nhwc.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

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

const Int8NhwcCores kInt8NhwcAvx2 = {"int8-nhwc-avx2", true, int8MatMulAvx2, packPixelsAvx2Unshifted, depthwiseAvx2, finishAvx2};
const Int8NhwcCores kInt8NhwcVnni = {"int8-nhwc-vnni", false, int8MatMulVnni, packPixelsAvx2, depthwiseAvx2, finishAvx2};
const Int8NhwcCores kInt8NhwcAvx512 = {"int8-nhwc-avx512", false, int8MatMulAvx512, packPixelsAvx2, depthwiseAvx2, finishAvx2};

}  // namespace kiln::cpu
