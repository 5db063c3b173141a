// The AVX2 parts of Int8Stem (int8-stem.h; compiled with -mavx2 into kiln_avx2,
// reached only after int8Tile() found a tile): B panels packed from tap offsets, and
// the 4 x 24 u8 x s8 tile over a row's panels with the epilogue applied to the
// accumulators in registers.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "int8-tile-avx2.h"
#include "int8-stem.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

}  // namespace

#ifndef KILN_INT8_VNNI
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

#endif

// Channel blocks outer, tiles inner: each channel's output row is written front to
// back (whole cache lines), as the fp32 stem kernel does. The sums stay in registers
// into the epilogue: through a buffer in memory, each row's loads waited on the
// store buffer full of output rows (2.5x slower).
#ifdef KILN_INT8_VNNI
void int8StemRowVnni(const int8_t* a,
#else
void int8StemRowAvx2(const int8_t* a,
#endif
                      const uint8_t* panels, size_t kq, size_t ow, size_t count, const int32_t* comp, const Int8StemEpilogue& e, void* y, size_t plane) {
  const size_t esize = e.outScale > 0 ? 1 : 4;
  for (size_t r0 = 0; r0 < count; r0 += kInt8Mr, a += kq * 16) {
    const size_t rows = std::min(kInt8Mr, count - r0);
    Int8RowEpilogue re[kInt8Mr];
    for (size_t i = 0; i < rows; ++i) re[i] = {comp[r0 + i], e.multiplier[r0 + i], e.bias ? e.bias[r0 + i] : 0.f, e.act, e.outScale};
    uint8_t* out = static_cast<uint8_t*>(y) + r0 * plane * esize;
    for (size_t ox = 0; ox < ow; ox += kInt8Nr) {
      __m256i c[10];
      alignas(32) int32_t spill[16] = {};
      tileSums(a, panels + (ox / kInt8Nr) * kq * 96, kq, spill, c);
      const __m256i c31 = load(spill), c32 = load(spill + 8);
      const size_t n = std::min(kInt8Nr, ow - ox);
      uint8_t* o = out + ox * esize;
      finishRow24(c[0], c[1], c[2], n, re[0], o);
      if (rows > 1) finishRow24(c[3], c[4], c[5], n, re[1], o + plane * esize);
      if (rows > 2) finishRow24(c[6], c[7], c[8], n, re[2], o + 2 * plane * esize);
      if (rows > 3) finishRow24(c[9], c31, c32, n, re[3], o + 3 * plane * esize);
    }
  }
}

}  // namespace kiln::cpu
