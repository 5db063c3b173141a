// The Winograd int8 GEMM tile (int8-winograd.h), compiled with -mavx2 into kiln_avx2;
// reached only where QConv found an AVX2 int8 tile. int8-winograd-avx512.cc compiles
// the tile again with KILN_INT8_VNNI: each step one vpdpwssd for vpmaddwd + vpaddd.
#include <immintrin.h>

#include <cstring>

#include "int8-winograd.h"

namespace kiln::cpu {

namespace {
inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
// c + the i16 pair products of b and u, summed per i32 lane.
#ifdef KILN_INT8_VNNI
inline __m256i dot2(__m256i c, __m256i b, __m256i u) { return _mm256_dpwssd_epi32(c, b, u); }
#else
inline __m256i dot2(__m256i c, __m256i b, __m256i u) { return _mm256_add_epi32(c, _mm256_madd_epi16(b, u)); }
#endif
}  // namespace

// 12 accumulators (4 rows x 3 vectors of 8 tiles), 3 V vectors, 1 broadcast pair of U.
#ifdef KILN_INT8_VNNI
void int8WinogradMicroVnni(
#else
void int8WinogradMicroAvx2(
#endif
    const int16_t* a, const int16_t* b, size_t kp, int32_t* acc) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256i c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  for (size_t q = 0; q < kp; ++q, a += 8, b += 48) {
    const __m256i b0 = load(b), b1 = load(b + 16), b2 = load(b + 32);
    __m256i u;
    int32_t v;
#define KILN_WINO_ROW(i)                                            \
  std::memcpy(&v, a + 2 * i, 4);                                     \
  u = _mm256_set1_epi32(v);                                          \
  c##i##0 = dot2(c##i##0, b0, u);                                   \
  c##i##1 = dot2(c##i##1, b1, u);                                   \
  c##i##2 = dot2(c##i##2, b2, u);
    KILN_WINO_ROW(0) KILN_WINO_ROW(1) KILN_WINO_ROW(2) KILN_WINO_ROW(3)
#undef KILN_WINO_ROW
  }
  const __m256i c[12] = {c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32};
  for (size_t i = 0; i < 12; ++i) _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + 8 * i), c[i]);
}

}  // namespace kiln::cpu

#ifndef KILN_INT8_VNNI
namespace kiln::cpu {

namespace {

// Bytes 0, 2, .., 14 then 1, 3, .., 15 of a 16-byte row.
inline void evenOdd(__m128i row, __m128i& even, __m128i& odd) {
  const __m128i pick = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  const __m128i s = _mm_shuffle_epi8(row, pick);
  even = _mm_cvtepi8_epi16(s);
  odd = _mm_cvtepi8_epi16(_mm_srli_si128(s, 8));
}

// V = B^T d B of 8 adjacent tiles of one channel: rows[r] points at the patch row's
// first byte (18 used, 32 readable); t[p] gets the 8 tiles' values of position p.
inline void input8(const int8_t* const rows[4], __m128i t[16]) {
  __m128i d[4][4];
  for (int r = 0; r < 4; ++r) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[r]));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[r] + 16));
    evenOdd(a, d[r][0], d[r][1]);                       // columns 2j and 2j + 1
    evenOdd(_mm_alignr_epi8(b, a, 2), d[r][2], d[r][3]);  // columns 2j + 2 and 2j + 3
  }
  __m128i e[4][4];
  for (int q = 0; q < 4; ++q) {
    e[0][q] = _mm_sub_epi16(d[0][q], d[2][q]);
    e[1][q] = _mm_add_epi16(d[1][q], d[2][q]);
    e[2][q] = _mm_sub_epi16(d[2][q], d[1][q]);
    e[3][q] = _mm_sub_epi16(d[1][q], d[3][q]);
  }
  for (int i = 0; i < 4; ++i) {
    t[i * 4 + 0] = _mm_sub_epi16(e[i][0], e[i][2]);
    t[i * 4 + 1] = _mm_add_epi16(e[i][1], e[i][2]);
    t[i * 4 + 2] = _mm_sub_epi16(e[i][2], e[i][1]);
    t[i * 4 + 3] = _mm_sub_epi16(e[i][1], e[i][3]);
  }
}

}  // namespace

void int8WinogradInputAvx2(const int8_t* const c0[4], const int8_t* const c1[4], int16_t* v, size_t pStride) {
  __m128i t0[16], t1[16];
  input8(c0, t0);
  if (c1) input8(c1, t1);
  else for (auto& x : t1) x = _mm_setzero_si128();
  for (size_t p = 0; p < 16; ++p) {
    int16_t* dst = v + p * pStride;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_unpacklo_epi16(t0[p], t1[p]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 8), _mm_unpackhi_epi16(t0[p], t1[p]));
  }
}

void int8WinogradOutputAvx2(const int32_t* m, size_t pStride, int32_t* row0, int32_t* row1) {
  __m256i x[16];
  for (size_t p = 0; p < 16; ++p) x[p] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + p * pStride));
  __m256i r0[4], r1[4];
  for (int j = 0; j < 4; ++j) {
    r0[j] = _mm256_add_epi32(_mm256_add_epi32(x[j], x[4 + j]), x[8 + j]);
    r1[j] = _mm256_sub_epi32(_mm256_sub_epi32(x[4 + j], x[8 + j]), x[12 + j]);
  }
  // Wrapping i32 sums whose true value is a multiple of 4 that fits: shifting is dividing.
  const __m256i o00 = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(r0[0], r0[1]), r0[2]), 2);
  const __m256i o01 = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_sub_epi32(r0[1], r0[2]), r0[3]), 2);
  const __m256i o10 = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(r1[0], r1[1]), r1[2]), 2);
  const __m256i o11 = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_sub_epi32(r1[1], r1[2]), r1[3]), 2);
  auto store = [](int32_t* row, __m256i a, __m256i b) {
    const __m256i lo = _mm256_unpacklo_epi32(a, b), hi = _mm256_unpackhi_epi32(a, b);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(row), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
  };
  store(row0, o00, o01);
  if (row1) store(row1, o10, o11);
}

}  // namespace kiln::cpu
#endif
