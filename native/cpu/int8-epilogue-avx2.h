// The int8 epilogue of one row of 24 i32 sums held in three AVX2 registers, for the
// AVX2 translation units only (int8-tile-avx2.cc, int8-stem-avx2.cc): internal
// linkage, so no copy built with other ISA flags can be linked in its place.
#pragma once

#include <immintrin.h>

#include <cstring>

#include "int8-gemm.h"

namespace kiln::cpu {
namespace {

// v -> i8 codes of 8 lanes: round half to even, clamp first (cvtps of a huge value is INT_MIN).
inline void storeCodes8(__m256 v, int8_t* out) {
  v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-128.f)), _mm256_set1_ps(127.f));
  const __m256i q = _mm256_cvtps_epi32(v);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packs_epi16(w, w));
}

// The same float steps as the interpreter's int8 epilogue, in its order (mul and add
// kept two roundings, bit for bit the interpreter's): v = f32(acc - comp) *
// multiplier + bias, the activation, then n (<= 24) values to out, f32 or i8 =
// saturate(round_half_even(v / outScale)). relu, clip and none stay in registers
// and a full row is stored directly.
inline void finishRow24(__m256i a0, __m256i a1, __m256i a2, size_t n, const Int8RowEpilogue& e, void* out) {
  const __m256i comp = _mm256_set1_epi32(e.comp);
  const __m256 m = _mm256_set1_ps(e.multiplier), bias = _mm256_set1_ps(e.bias);
  const __m256 lo = _mm256_set1_ps(e.act.alpha), hi = _mm256_set1_ps(e.act.beta), zero = _mm256_setzero_ps();
  const __m256i acc[3] = {a0, a1, a2};
  __m256 v[3];
  for (size_t j = 0; j < 3; ++j) {
    __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc[j], comp)), m);
    __asm__("" : "+x"(x));  // GCC contracts mul + add into an FMA even under -std=c++17: two roundings wanted
    x = _mm256_add_ps(x, bias);
    if (e.act.kind == Act::relu) x = _mm256_max_ps(x, zero);
    else if (e.act.kind == Act::clip) x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    v[j] = x;
  }
  const bool inRegisters = e.act.kind == Act::none || e.act.kind == Act::relu || e.act.kind == Act::clip;
  if (!inRegisters) {
    alignas(32) float t[kInt8Nr];
    for (size_t j = 0; j < 3; ++j) _mm256_store_ps(t + 8 * j, v[j]);
    applyActivation(e.act, t, t, n);
    for (size_t j = 0; j < 3; ++j) v[j] = _mm256_load_ps(t + 8 * j);
  }
  // Whole vectors straight to out, a last part of one through a copy (a row of 112
  // is 4 x 24 + 16: no copy at all).
  if (e.outScale == 0) {
    float* y = static_cast<float*>(out);
    for (size_t j = 0; j < 3 && 8 * j < n; ++j) {
      if (8 * j + 8 <= n) {
        _mm256_storeu_ps(y + 8 * j, v[j]);
        continue;
      }
      alignas(32) float t[8];
      _mm256_store_ps(t, v[j]);
      std::memcpy(y + 8 * j, t, (n - 8 * j) * sizeof(float));
    }
    return;
  }
  const __m256 s = _mm256_set1_ps(e.outScale);
  int8_t* y = static_cast<int8_t*>(out);
  for (size_t j = 0; j < 3 && 8 * j < n; ++j) {
    if (8 * j + 8 <= n) {
      storeCodes8(_mm256_div_ps(v[j], s), y + 8 * j);
      continue;
    }
    alignas(8) int8_t q[8];
    storeCodes8(_mm256_div_ps(v[j], s), q);
    std::memcpy(y + 8 * j, q, n - 8 * j);
  }
}

}  // namespace
}  // namespace kiln::cpu
