// The 4 x 24 u8 x s8 tile's loop and the int8 epilogue of one row of 24 i32 sums held
// in three AVX2 registers, for the AVX2 translation units only (int8-tile-avx2.cc,
// int8-stem-avx2.cc): internal linkage, so no copy built with other ISA flags can be
// linked in its place.
#pragma once

#include <immintrin.h>

#include <cstring>

#include "int8-gemm.h"

namespace kiln::cpu {
namespace {

// The tile's sums over kq quads (layouts: int8-gemm.h), as assembly: 12 accumulators,
// 3 B vectors, the broadcast, a product and the i16 ones need 17 ymm registers, and
// GCC's choice of which to spill moved with any edit around the loop (2 to 7
// accumulators a quad, or an array copy by rep movsq). Here ymm0-9 hold rows 0-2 and
// row 3's first vector, row 3's other two live in spill[0..16) (zeroed by the
// caller; a load and a store a quad, L1), ymm10-12 are B, ymm13 the weights'
// broadcast, ymm14 the product, ymm15 the ones. The register variables are bound
// only for the asm: the sums leave as plain values.
// The VNNI build (int8-stem-vnni.cc) sums with vpdpbusd, the four products of a lane
// into it in one instruction: no product or ones register is needed, so row 3's other
// two accumulators live in ymm14-15 and go to spill[0..16) at the end.
inline void tileSums(const int8_t* a, const uint8_t* b, size_t kq, int32_t* spill, __m256i (&c)[10]) {
  register __m256i c0 asm("xmm0") = _mm256_setzero_si256();
  register __m256i c1 asm("xmm1") = c0;
  register __m256i c2 asm("xmm2") = c0;
  register __m256i c3 asm("xmm3") = c0;
  register __m256i c4 asm("xmm4") = c0;
  register __m256i c5 asm("xmm5") = c0;
  register __m256i c6 asm("xmm6") = c0;
  register __m256i c7 asm("xmm7") = c0;
  register __m256i c8 asm("xmm8") = c0;
  register __m256i c9 asm("xmm9") = c0;
#ifdef KILN_INT8_VNNI
#define KILN_SETUP "vpxor %%xmm14, %%xmm14, %%xmm14\n\t vpxor %%xmm15, %%xmm15, %%xmm15\n\t"
#define KILN_STEP(bv, c) "vpdpbusd %%ymm13, %%ymm" #bv ", %%ymm" #c "\n\t"
#define KILN_ROW3_REST KILN_STEP(11, 14) KILN_STEP(12, 15)
#define KILN_FINISH "vmovdqu %%ymm14, (%[sp])\n\t vmovdqu %%ymm15, 32(%[sp])\n\t"
#else
#define KILN_SETUP "vpcmpeqw %%ymm15, %%ymm15, %%ymm15\n\t vpsrlw $15, %%ymm15, %%ymm15\n\t"
#define KILN_STEP(bv, c) "vpmaddubsw %%ymm13, %%ymm" #bv ", %%ymm14\n\t vpmaddwd %%ymm15, %%ymm14, %%ymm14\n\t vpaddd %%ymm14, %%ymm" #c ", %%ymm" #c "\n\t"
#define KILN_STEP_MEM(bv, off) "vpmaddubsw %%ymm13, %%ymm" #bv ", %%ymm14\n\t vpmaddwd %%ymm15, %%ymm14, %%ymm14\n\t vpaddd " #off "(%[sp]), %%ymm14, %%ymm14\n\t vmovdqu %%ymm14, " #off "(%[sp])\n\t"
#define KILN_ROW3_REST KILN_STEP_MEM(11, 0) KILN_STEP_MEM(12, 32)
#define KILN_FINISH ""
#endif
  __asm__ volatile(
      KILN_SETUP
      "test %[kq], %[kq]\n\t jz 2f\n"
      "1:\n\t"
      "vmovdqu (%[b]), %%ymm10\n\t vmovdqu 32(%[b]), %%ymm11\n\t vmovdqu 64(%[b]), %%ymm12\n\t"
      "vpbroadcastd (%[a]), %%ymm13\n\t" KILN_STEP(10, 0) KILN_STEP(11, 1) KILN_STEP(12, 2)
      "vpbroadcastd 4(%[a]), %%ymm13\n\t" KILN_STEP(10, 3) KILN_STEP(11, 4) KILN_STEP(12, 5)
      "vpbroadcastd 8(%[a]), %%ymm13\n\t" KILN_STEP(10, 6) KILN_STEP(11, 7) KILN_STEP(12, 8)
      "vpbroadcastd 12(%[a]), %%ymm13\n\t" KILN_STEP(10, 9) KILN_ROW3_REST
      "add $16, %[a]\n\t add $96, %[b]\n\t dec %[kq]\n\t jnz 1b\n"
      "2:\n\t" KILN_FINISH
      : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5), "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9),
        [a] "+r"(a), [b] "+r"(b), [kq] "+r"(kq)
      : [sp] "r"(spill)
      : "memory", "cc", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#undef KILN_SETUP
#undef KILN_STEP
#undef KILN_STEP_MEM
#undef KILN_ROW3_REST
#undef KILN_FINISH
  c[0] = c0, c[1] = c1, c[2] = c2, c[3] = c3, c[4] = c4, c[5] = c5, c[6] = c6, c[7] = c7, c[8] = c8, c[9] = c9;
}

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
// multiplier + bias, then the activation, for a row of 24 sums held in three
// registers (n <= 24 of them real); relu, clip and none stay in registers.
inline void rowValues24(__m256i a0, __m256i a1, __m256i a2, size_t n, const Int8RowEpilogue& e, __m256 (&v)[3]) {
  const __m256i comp = _mm256_set1_epi32(e.comp);
  const __m256 m = _mm256_set1_ps(e.multiplier), bias = _mm256_set1_ps(e.bias);
  const __m256 lo = _mm256_set1_ps(e.act.alpha), hi = _mm256_set1_ps(e.act.beta), zero = _mm256_setzero_ps();
  const __m256i acc[3] = {a0, a1, a2};
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
}

// rowValues24, then n (<= 24) values to out, f32 or i8 = saturate(round_half_even(v /
// outScale)), a full row stored directly.
inline void finishRow24(__m256i a0, __m256i a1, __m256i a2, size_t n, const Int8RowEpilogue& e, void* out) {
  __m256 v[3];
  rowValues24(a0, a1, a2, n, e, v);
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
