// AVX512-VNNI int8 tile (its own static library, compiled with -mavx512vnni
// -mavx512vl; reached only through int8Tile() after cpuid reports avx512vnni and
// avx512vl): the AVX2 tile's layout and 4 x 24 shape, with vpdpbusd summing the
// four u8 x s8 products of each i32 lane in one instruction and without the i16
// saturation of vpmaddubsw, so any i8 weights take one plane.
#include <immintrin.h>

#include <cstring>

#include "int8-gemm.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

void microVnni(const int8_t* a, const uint8_t* b, size_t kq, int32_t* acc, bool accumulate) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256i c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  for (size_t q = 0; q < kq; ++q, a += 16, b += 96) {
    const __m256i b0 = load(b), b1 = load(b + 32), b2 = load(b + 64);
    __m256i w;
    int32_t v;
#define KILN_INT8_ROW(i)                           \
  std::memcpy(&v, a + 4 * i, 4);                    \
  w = _mm256_set1_epi32(v);                         \
  c##i##0 = _mm256_dpbusd_epi32(c##i##0, b0, w);    \
  c##i##1 = _mm256_dpbusd_epi32(c##i##1, b1, w);    \
  c##i##2 = _mm256_dpbusd_epi32(c##i##2, b2, w);
    KILN_INT8_ROW(0) KILN_INT8_ROW(1) KILN_INT8_ROW(2) KILN_INT8_ROW(3)
#undef KILN_INT8_ROW
  }
  // One store per register (an array of them becomes a stack copy and rep movsq: int8-tile-avx2.cc).
#define KILN_INT8_STORE(i, c)                                      \
  {                                                                \
    __m256i* p = reinterpret_cast<__m256i*>(acc + 8 * i);          \
    _mm256_storeu_si256(p, accumulate ? _mm256_add_epi32(_mm256_loadu_si256(p), c) : c); \
  }
  KILN_INT8_STORE(0, c00) KILN_INT8_STORE(1, c01) KILN_INT8_STORE(2, c02) KILN_INT8_STORE(3, c10) KILN_INT8_STORE(4, c11) KILN_INT8_STORE(5, c12)
  KILN_INT8_STORE(6, c20) KILN_INT8_STORE(7, c21) KILN_INT8_STORE(8, c22) KILN_INT8_STORE(9, c30) KILN_INT8_STORE(10, c31) KILN_INT8_STORE(11, c32)
#undef KILN_INT8_STORE
}

}  // namespace

const Int8Tile kInt8TileAvx512Vnni = {"u8s8-vnni-4x24", false, microVnni, int8PackBAvx2, int8FinishAvx2};

}  // namespace kiln::cpu
