// The AVX2 parts of Int8Stem (int8-stem.h; compiled with -mavx2 into kiln_avx2,
// reached only after int8Tile() found a tile): f32 input rows quantized into the
// staged band, B panels packed from tap offsets, and the 4 x 24 u8 x s8 tile over a
// row's panels with the epilogue applied to the accumulators in registers.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
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


// 8 codes round_half_even(f32(x / scale)) as i32 lanes, saturated once packed to i8,
// as quantizeRowAvx2 gives them: cvtps rounds half to even itself (MXCSR's default,
// which std::nearbyint in the tails relies on as well), and the lanes it cannot
// convert (NaN, below -2^31) become INT_MIN, which the packs saturate to -128, where
// quantizeRowAvx2's clamp puts them too. A quarter faster than round, max and min.
inline __m256i quantize8(__m256 x, __m256 scale) {
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_set1_ps(127.f), _mm256_div_ps(x, scale)));
}

void int8StemStageRowF32Avx2(const float* src, size_t width, size_t left, size_t stride, size_t phaseLen, float scale, uint8_t* dst) {
  const __m256 vs = _mm256_set1_ps(scale);
  const __m256i flip = _mm256_set1_epi8(char(0x80)), order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  // Within each lane: its even bytes, then its odd ones.
  const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  uint8_t* even = dst + (left % 2) * phaseLen + left / 2;
  uint8_t* odd = dst + (1 - left % 2) * phaseLen + (left + 1) / 2;
  size_t ix = 0;
  for (; (stride == 1 || stride == 2) && ix + 32 <= width; ix += 32) {
    const __m256i a = _mm256_packs_epi32(quantize8(_mm256_loadu_ps(src + ix), vs), quantize8(_mm256_loadu_ps(src + ix + 8), vs));
    const __m256i b = _mm256_packs_epi32(quantize8(_mm256_loadu_ps(src + ix + 16), vs), quantize8(_mm256_loadu_ps(src + ix + 24), vs));
    // The packs saturate to i8 and interleave the lanes' dwords of 4 codes: put the 32 back in order, flip to u8.
    const __m256i codes = _mm256_xor_si256(_mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), order), flip);
    if (stride == 1) {
      store(dst + left + ix, codes);
      continue;
    }
    const __m256i parts = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(codes, split), 0xd8);  // 16 even columns | 16 odd
    _mm_storeu_si128(reinterpret_cast<__m128i*>(even + ix / 2), _mm256_castsi256_si128(parts));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(odd + ix / 2), _mm256_extracti128_si256(parts, 1));
  }
  for (; ix < width; ++ix) {
    const float q = std::min(127.f, std::max(-128.f, std::nearbyint(src[ix] / scale)));
    const size_t i = ix + left;
    dst[(i % stride) * phaseLen + i / stride] = uint8_t(int8_t(q)) ^ 0x80;
  }
}


// dst[p][c] = src[c][p], 16 channels x 32 pixels a step: the 16 rows (lanes: pixels
// 0-15 and 16-31) transposed within each lane by four unpack rounds (bytes, words,
// dwords, qwords), after which a[k] holds pixel k (lane 0) and 16 + k (lane 1). A
// row's last step starts 32 pixels before its end (overlapping the one before: the
// same bytes again); rows under 32 pixels and channels past the last 16 go one by one.
void int8StemToPixelsAvx2(const uint8_t* src, size_t channels, size_t pixels, uint8_t* dst) {
  size_t c0 = 0;
  for (; c0 + 16 <= channels && pixels >= 32; c0 += 16)
    for (size_t step = 0; step < pixels; step += 32) {
      const size_t p0 = std::min(step, pixels - 32);
      __m256i a[16], b[16];
      for (size_t i = 0; i < 16; ++i) a[i] = load(src + (c0 + i) * pixels + p0);
      for (int i = 0; i < 8; ++i) b[2 * i] = _mm256_unpacklo_epi8(a[2 * i], a[2 * i + 1]), b[2 * i + 1] = _mm256_unpackhi_epi8(a[2 * i], a[2 * i + 1]);
      // a[4q + j]: pixels 4j..4j+3 of rows 4q..4q+3.
      for (int q = 0; q < 4; ++q)
        for (int h = 0; h < 2; ++h) {
          a[4 * q + 2 * h] = _mm256_unpacklo_epi16(b[4 * q + h], b[4 * q + 2 + h]);
          a[4 * q + 2 * h + 1] = _mm256_unpackhi_epi16(b[4 * q + h], b[4 * q + 2 + h]);
        }
      // b[8o + 2j]: pixels 4j, 4j + 1 of rows 8o..8o+7; b[8o + 2j + 1]: pixels 4j + 2, 4j + 3.
      for (int o = 0; o < 2; ++o)
        for (int j = 0; j < 4; ++j) {
          b[8 * o + 2 * j] = _mm256_unpacklo_epi32(a[8 * o + j], a[8 * o + 4 + j]);
          b[8 * o + 2 * j + 1] = _mm256_unpackhi_epi32(a[8 * o + j], a[8 * o + 4 + j]);
        }
      for (int k = 0; k < 8; ++k) a[2 * k] = _mm256_unpacklo_epi64(b[k], b[8 + k]), a[2 * k + 1] = _mm256_unpackhi_epi64(b[k], b[8 + k]);
      for (size_t k = 0; k < 16; ++k) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (p0 + k) * channels + c0), _mm256_castsi256_si128(a[k]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (p0 + 16 + k) * channels + c0), _mm256_extracti128_si256(a[k], 1));
      }
    }
  for (size_t p = 0; p < pixels; ++p)
    for (size_t c = c0; c < channels; ++c) dst[p * channels + c] = src[c * pixels + p];
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
