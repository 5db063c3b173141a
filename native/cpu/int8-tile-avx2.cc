// AVX2 int8 tile (compiled with -mavx2 into kiln_avx2; reached only through
// int8Tile() after the cpuid check): the 4 x 24 u8 x s8 micro-kernel, the packing
// of B (activation rows -> [K/4][24][4] u8), the vector epilogue, and the per-tensor
// quantize and dequantize rows. Layouts and the pair limit of vpmaddubsw: int8-gemm.h.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "int8-tile-avx2.h"
#include "int8-gemm.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

// acc[4][24] = the tile's sums (tileSums; row 3's last two vectors sum in acc itself).
void microSums(const int8_t* a, const uint8_t* b, size_t kq, int32_t* acc) {
  __m256i c[10];
  store(acc + 80, _mm256_setzero_si256());
  store(acc + 88, _mm256_setzero_si256());
  tileSums(a, b, kq, acc + 80, c);
  for (size_t i = 0; i < 10; ++i) store(acc + 8 * i, c[i]);
}

void microAvx2(const int8_t* a, const uint8_t* b, size_t kq, int32_t* acc, bool accumulate) {
  if (!accumulate) return microSums(a, b, kq, acc);
  alignas(32) int32_t sums[kInt8Mr * kInt8Nr];
  microSums(a, b, kq, sums);
  for (size_t i = 0; i < kInt8Mr * kInt8Nr; i += 8) store(acc + i, _mm256_add_epi32(load(acc + i), load(sums + i)));
}

}  // namespace

void int8PackBAvx2(const int8_t* src, size_t stride, size_t k, size_t n, uint8_t* b) {
  const __m128i flip = _mm_set1_epi8(char(0x80));
  alignas(16) int8_t tail[32];
  for (size_t r0 = 0; r0 < k; r0 += 4, b += 96) {
    __m128i lo[4], hi[4];
    for (size_t i = 0; i < 4; ++i) {
      const size_t r = r0 + i;
      const int8_t* p = src + r * stride;
      if (r >= k) {
        lo[i] = hi[i] = _mm_setzero_si128();
        continue;
      }
      if (n < kInt8Nr) {
        std::memset(tail, 0, sizeof tail);
        std::memcpy(tail, p, n);
        p = tail;
      }
      lo[i] = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), flip);
      hi[i] = _mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 16)), flip);
    }
    // Bytes (r0[j], r1[j]) as words, then words of (r2, r3): quads of pixel j.
    __m128i x = _mm_unpacklo_epi8(lo[0], lo[1]), y = _mm_unpacklo_epi8(lo[2], lo[3]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(b), _mm_unpacklo_epi16(x, y));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 16), _mm_unpackhi_epi16(x, y));
    x = _mm_unpackhi_epi8(lo[0], lo[1]), y = _mm_unpackhi_epi8(lo[2], lo[3]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 32), _mm_unpacklo_epi16(x, y));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 48), _mm_unpackhi_epi16(x, y));
    x = _mm_unpacklo_epi8(hi[0], hi[1]), y = _mm_unpacklo_epi8(hi[2], hi[3]);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 64), _mm_unpacklo_epi16(x, y));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 80), _mm_unpackhi_epi16(x, y));
  }
}

// The stem's finishRow24 stores per vector; QConv's rows store whole or through one
// copy, which timed 3x faster on ResNet-18's stride-2 QConvs (3x3 s2 64->128 at 56x56
// b8: 3.9 against 12.2 ms).
void int8FinishAvx2(const int32_t* acc, size_t n, const Int8RowEpilogue& e, void* out) {
  __m256 v[3];
  rowValues24(load(acc), load(acc + 8), load(acc + 16), n, e, v);
  if (e.outScale == 0) {
    float* y = static_cast<float*>(out);
    if (n == kInt8Nr) {
      for (size_t j = 0; j < 3; ++j) _mm256_storeu_ps(y + 8 * j, v[j]);
    } else {
      alignas(32) float t[kInt8Nr];
      for (size_t j = 0; j < 3; ++j) _mm256_store_ps(t + 8 * j, v[j]);
      std::memcpy(y, t, n * sizeof(float));
    }
    return;
  }
  alignas(32) int8_t q[kInt8Nr];
  const __m256 s = _mm256_set1_ps(e.outScale);
  int8_t* y = static_cast<int8_t*>(out);
  int8_t* dst = n == kInt8Nr ? y : q;
  for (size_t j = 0; j < 3; ++j) storeCodes8(_mm256_div_ps(v[j], s), dst + 8 * j);
  if (dst == q) std::memcpy(y, q, n);
}

void quantizeRowAvx2(const float* x, size_t n, float scale, int32_t zp, bool u8, void* y) {
  const __m256 s = _mm256_set1_ps(scale), z = _mm256_set1_ps(float(zp));
  const float lo = u8 ? 0.f : -128.f, hi = u8 ? 255.f : 127.f;
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  uint8_t* out = static_cast<uint8_t*>(y);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, z), vlo), vhi);
    const __m256i q = _mm256_cvtps_epi32(v);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), u8 ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w));
  }
  for (; i < n; ++i) {
    const float q = std::min(hi, std::max(lo, std::nearbyint(x[i] / scale) + float(zp)));
    out[i] = u8 ? uint8_t(q) : uint8_t(int8_t(q));
  }
}

void dequantizeRowAvx2(const void* q, bool u8, size_t n, float scale, int32_t zp, float* y) {
  const uint8_t* in = static_cast<const uint8_t*>(q);
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i z = _mm256_set1_epi32(zp);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i));
    const __m256i w = _mm256_sub_epi32(u8 ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b), z);
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(w), s));
  }
  for (; i < n; ++i) y[i] = float((u8 ? int32_t(in[i]) : int32_t(int8_t(in[i]))) - zp) * scale;
}

const Int8Tile kInt8TileAvx2 = {"u8s8-avx2-4x24", true, microAvx2, int8PackBAvx2, int8FinishAvx2};

}  // namespace kiln::cpu
