// The AVX2 parts of Int8Stem (int8-stem.h; compiled with -mavx2 into kiln_avx2,
// reached only after int8Tile() found a tile): B panels packed from tap offsets, and
// the 4 x 24 u8 x s8 tile over a row's panels with the epilogue applied to the
// accumulators in registers.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "int8-epilogue-avx2.h"
#include "int8-stem.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

}  // namespace

// Four taps' 24 bytes (read as 32: lanes hold pixels 0-15 and 16-31) interleaved
// into quads: bytes of taps (0, 1) and (2, 3) as words, then the words as dwords;
// lane 0 gives pixels 0-15, lane 1 pixels 16-23.
void int8StemPackAvx2(const uint8_t* base, const int32_t* off, size_t kq, uint8_t* b) {
  for (size_t q = 0; q < kq; ++q, off += 4, b += 96) {
    const __m256i r0 = load(base + off[0]), r1 = load(base + off[1]), r2 = load(base + off[2]), r3 = load(base + off[3]);
    const __m256i x = _mm256_unpacklo_epi8(r0, r1), y = _mm256_unpacklo_epi8(r2, r3);
    const __m256i p0 = _mm256_unpacklo_epi16(x, y), p1 = _mm256_unpackhi_epi16(x, y);  // pixels 0-3 | 16-19, 4-7 | 20-23
    const __m256i u = _mm256_unpackhi_epi8(r0, r1), v = _mm256_unpackhi_epi8(r2, r3);
    const __m256i p2 = _mm256_unpacklo_epi16(u, v), p3 = _mm256_unpackhi_epi16(u, v);  // pixels 8-11, 12-15
    store(b, _mm256_permute2x128_si256(p0, p1, 0x20));
    store(b + 32, _mm256_permute2x128_si256(p2, p3, 0x20));
    store(b + 64, _mm256_permute2x128_si256(p0, p1, 0x31));
  }
}

// Channel blocks outer, tiles inner: each channel's output row is written front to
// back (whole cache lines), as the fp32 stem kernel does. The sums stay in registers
// into the epilogue: through a buffer in memory, each row's loads waited on the
// store buffer full of output rows (2.5x slower).
void int8StemRowAvx2(const int8_t* a, const uint8_t* panels, size_t kq, size_t ow, size_t count, const int32_t* comp, const Int8StemEpilogue& e, void* y, size_t plane) {
  const __m256i ones = _mm256_set1_epi16(1);
  const size_t esize = e.outScale > 0 ? 1 : 4;
  for (size_t r0 = 0; r0 < count; r0 += kInt8Mr, a += kq * 16) {
    const size_t rows = std::min(kInt8Mr, count - r0);
    Int8RowEpilogue re[kInt8Mr];
    for (size_t i = 0; i < rows; ++i) re[i] = {comp[r0 + i], e.multiplier[r0 + i], e.bias ? e.bias[r0 + i] : 0.f, e.act, e.outScale};
    uint8_t* out = static_cast<uint8_t*>(y) + r0 * plane * esize;
    for (size_t ox = 0; ox < ow; ox += kInt8Nr) {
      __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
      __m256i c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
      const int8_t* ak = a;
      const uint8_t* bk = panels + (ox / kInt8Nr) * kq * 96;
      for (size_t q = 0; q < kq; ++q, ak += 16, bk += 96) {
        const __m256i b0 = load(bk), b1 = load(bk + 32), b2 = load(bk + 64);
        __m256i w;
        int32_t wv;
#define KILN_INT8_ROW(i)                                                                      \
  std::memcpy(&wv, ak + 4 * i, 4);                                                            \
  w = _mm256_set1_epi32(wv);                                                                  \
  c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(_mm256_maddubs_epi16(b0, w), ones)); \
  c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(_mm256_maddubs_epi16(b1, w), ones)); \
  c##i##2 = _mm256_add_epi32(c##i##2, _mm256_madd_epi16(_mm256_maddubs_epi16(b2, w), ones));
        KILN_INT8_ROW(0) KILN_INT8_ROW(1) KILN_INT8_ROW(2) KILN_INT8_ROW(3)
#undef KILN_INT8_ROW
      }
      const size_t n = std::min(kInt8Nr, ow - ox);
      uint8_t* o = out + ox * esize;
      finishRow24(c00, c01, c02, n, re[0], o);
      if (rows > 1) finishRow24(c10, c11, c12, n, re[1], o + plane * esize);
      if (rows > 2) finishRow24(c20, c21, c22, n, re[2], o + 2 * plane * esize);
      if (rows > 3) finishRow24(c30, c31, c32, n, re[3], o + 3 * plane * esize);
    }
  }
}

}  // namespace kiln::cpu
