// The Winograd int8 GEMM tiles (int8-winograd.h) for AVX-512 VNNI CPUs, compiled into
// kiln_avx512vnni (-mavx512f/bw/dq/vl/vnni); reached only after cpuid reports those:
// vpdpwssd sums the two i16 x i16 products of each i32 lane into it in one
// instruction, where AVX2 takes vpmaddwd + vpaddd. Exact either way (i32 sums).
// The AVX2 tile's 4 x 24 shape and layouts in ymm (KILN_INT8_TILE=vnni256):
// int8WinogradMicroVnni.
// GCC 12 flags the intrinsics' own `__Y = __Y` placeholders (_mm512_undefined_*) once
// they are inlined here (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define KILN_INT8_VNNI 1
#include "int8-winograd-avx2.cc"

#include <algorithm>
#include <cstdint>

namespace kiln::cpu {

// acc[8][32]: 16 zmm accumulators (8 rows x 2 vectors of 16 tiles), the pair's V in
// zmm30-31, each row's U pair as vpdpwssd's broadcast memory operand. In assembly, as
// the zmm stem's loop (int8-stem-avx512.cc; with intrinsics GCC may copy accumulators
// between registers every step); the accumulators are outputs only, zeroed inside,
// which keeps the asm within its 30 operands.
void int8WinogradMicroAvx512(const int16_t* a, const int16_t* b, size_t kp, int32_t* acc) {
  __m512i c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
#define KILN_ZERO(i) "vpxord %[c" #i "0], %[c" #i "0], %[c" #i "0]\n\t vpxord %[c" #i "1], %[c" #i "1], %[c" #i "1]\n\t"
#define KILN_ROW(i, o) "vpdpwssd " #o "(%[a])%{1to16%}, %%zmm30, %[c" #i "0]\n\t vpdpwssd " #o "(%[a])%{1to16%}, %%zmm31, %[c" #i "1]\n\t"
  __asm__(
      KILN_ZERO(0) KILN_ZERO(1) KILN_ZERO(2) KILN_ZERO(3) KILN_ZERO(4) KILN_ZERO(5) KILN_ZERO(6) KILN_ZERO(7)
      "test %[kp], %[kp]\n\t jz 2f\n"
      "1:\n\t vmovdqu64 (%[b]), %%zmm30\n\t vmovdqu64 64(%[b]), %%zmm31\n\t"
      KILN_ROW(0, 0) KILN_ROW(1, 4) KILN_ROW(2, 8) KILN_ROW(3, 12) KILN_ROW(4, 16) KILN_ROW(5, 20) KILN_ROW(6, 24) KILN_ROW(7, 28)
      "add $32, %[a]\n\t add $128, %[b]\n\t dec %[kp]\n\t jnz 1b\n"
      "2:\n\t"
      : [c00] "=v"(c00), [c01] "=v"(c01), [c10] "=v"(c10), [c11] "=v"(c11), [c20] "=v"(c20), [c21] "=v"(c21), [c30] "=v"(c30), [c31] "=v"(c31),
        [c40] "=v"(c40), [c41] "=v"(c41), [c50] "=v"(c50), [c51] "=v"(c51), [c60] "=v"(c60), [c61] "=v"(c61), [c70] "=v"(c70), [c71] "=v"(c71),
        [a] "+r"(a), [b] "+r"(b), [kp] "+r"(kp)
      : "m"(*(const char(*)[])a), "m"(*(const char(*)[])b)
      : "cc", "xmm30", "xmm31");
#undef KILN_ROW
#undef KILN_ZERO
  const __m512i c[16] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71};
  for (size_t i = 0; i < 16; ++i) _mm512_storeu_si512(acc + 16 * i, c[i]);
}

}  // namespace kiln::cpu

namespace kiln::cpu {

namespace {

// Lanes k of a 32-byte load at column x that lie in [0, w).
inline __mmask32 columns(ptrdiff_t x, ptrdiff_t w) {
  const ptrdiff_t lo = std::max<ptrdiff_t>(0, -x), hi = std::min<ptrdiff_t>(32, w - x);
  if (hi <= lo) return 0;
  return (hi >= 32 ? ~0u : (1u << hi) - 1) & ~((1u << lo) - 1);
}

// The 32 bytes at row + x in the lanes of `lanes`, the rest zeros (masked lanes read
// nothing); a null row (outside the plane) is all zeros.
inline __m256i rowBytes(const int8_t* row, ptrdiff_t x, __mmask32 lanes) {
  if (!row) return _mm256_setzero_si256();
  return _mm256_maskz_loadu_epi8(lanes, reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(row) + uintptr_t(x)));
}

// Columns x + 2j (even) and x + 2j + 1 (odd), j < 16, of channel 0's row (low half)
// and channel 1's (high half), as i16.
inline void evenOdd(__m256i a0, __m256i a1, __m512i& even, __m512i& odd) {
  const __m512i pick = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
  // Quadwords after the shuffle: c0 e0-7, c0 o0-7, c0 e8-15, c0 o8-15, then c1's.
  const __m512i s = _mm512_shuffle_epi8(_mm512_inserti64x4(_mm512_castsi256_si512(a0), a1, 1), pick);
  const __m512i q = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), s);
  even = _mm512_cvtepi8_epi16(_mm512_castsi512_si256(q));
  odd = _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(q, 1));
}

}  // namespace

void int8WinogradInputAvx512(const int8_t* p0, const int8_t* p1, size_t h, size_t w, ptrdiff_t y0, ptrdiff_t x0, int16_t* v, size_t pStride) {
  __m512i d[4][4];
  const __mmask32 at0 = columns(x0, ptrdiff_t(w)), at2 = columns(x0 + 2, ptrdiff_t(w));
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) {
    const ptrdiff_t iy = y0 + r;
    const bool inside = iy >= 0 && iy < ptrdiff_t(h);
    const int8_t* r0 = inside ? p0 + size_t(iy) * w : nullptr;
    const int8_t* r1 = inside && p1 ? p1 + size_t(iy) * w : nullptr;
    evenOdd(rowBytes(r0, x0, at0), rowBytes(r1, x0, at0), d[r][0], d[r][1]);          // columns 2j, 2j + 1
    evenOdd(rowBytes(r0, x0 + 2, at2), rowBytes(r1, x0 + 2, at2), d[r][2], d[r][3]);  // columns 2j + 2, 2j + 3
  }
  __m512i e[4][4];
  for (int q = 0; q < 4; ++q) {
    e[0][q] = _mm512_sub_epi16(d[0][q], d[2][q]);
    e[1][q] = _mm512_add_epi16(d[1][q], d[2][q]);
    e[2][q] = _mm512_sub_epi16(d[2][q], d[1][q]);
    e[3][q] = _mm512_sub_epi16(d[1][q], d[3][q]);
  }
  // Channel 0's 16 tiles and channel 1's, interleaved into pairs (word 2k from k, 2k + 1
  // from 16 + k; set lists the last first): one vpermw a position.
  const __m512i pairs = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  auto put = [&](int p, __m512i t) { _mm512_storeu_si512(v + size_t(p) * pStride, _mm512_permutexvar_epi16(pairs, t)); };
  for (int i = 0; i < 4; ++i) {
    put(i * 4 + 0, _mm512_sub_epi16(e[i][0], e[i][2]));
    put(i * 4 + 1, _mm512_add_epi16(e[i][1], e[i][2]));
    put(i * 4 + 2, _mm512_sub_epi16(e[i][2], e[i][1]));
    put(i * 4 + 3, _mm512_sub_epi16(e[i][1], e[i][3]));
  }
}

void int8WinogradOutputAvx512(const int32_t* m, size_t pStride, int32_t* row0, int32_t* row1) {
  __m512i x[16];
  for (size_t p = 0; p < 16; ++p) x[p] = _mm512_loadu_si512(m + p * pStride);
  __m512i r0[4], r1[4];
  for (int j = 0; j < 4; ++j) {
    r0[j] = _mm512_add_epi32(_mm512_add_epi32(x[j], x[4 + j]), x[8 + j]);
    r1[j] = _mm512_sub_epi32(_mm512_sub_epi32(x[4 + j], x[8 + j]), x[12 + j]);
  }
  // Wrapping i32 sums whose true value is a multiple of 4 that fits: shifting is dividing.
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  auto store = [&](int32_t* row, const __m512i (&r)[4]) {
    const __m512i a = _mm512_srai_epi32(_mm512_add_epi32(_mm512_add_epi32(r[0], r[1]), r[2]), 2);
    const __m512i b = _mm512_srai_epi32(_mm512_sub_epi32(_mm512_sub_epi32(r[1], r[2]), r[3]), 2);
    _mm512_storeu_si512(row, _mm512_permutex2var_epi32(a, lo, b));
    _mm512_storeu_si512(row + 16, _mm512_permutex2var_epi32(a, hi, b));
  };
  store(row0, r0);
  if (row1) store(row1, r1);
}

}  // namespace kiln::cpu
