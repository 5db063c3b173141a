// The 8 x 8 register transpose of transposeTiled (kernel-transpose-tiled.cc) as a
// helper for any kernel that turns a small 2-D block around in memory (the int8 stem's
// f32 NHWC rows): floats through AVX2 where cpuid has it, bytes through SSE2, the edges
// (and other CPUs) by scalars. Internal linkage: each translation unit its own copy.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kiln::cpu {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// dst[i * ldd + j] = src[j * lds + i] for an 8x8 block.
__attribute__((target("avx2"))) inline void tile8x8(const float* src, size_t lds, float* dst, size_t ldd) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
// The same for bytes: rows of 8 interleaved by bytes, then words, then dwords, so each
// 16-byte register ends holding two output rows.
inline void tile8x8(const uint8_t* src, size_t lds, uint8_t* dst, size_t ldd) {
  __m128i r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i * lds));
  const __m128i a0 = _mm_unpacklo_epi8(r[0], r[1]), a1 = _mm_unpacklo_epi8(r[2], r[3]);
  const __m128i a2 = _mm_unpacklo_epi8(r[4], r[5]), a3 = _mm_unpacklo_epi8(r[6], r[7]);
  const __m128i b0 = _mm_unpacklo_epi16(a0, a1), b1 = _mm_unpackhi_epi16(a0, a1);
  const __m128i b2 = _mm_unpacklo_epi16(a2, a3), b3 = _mm_unpackhi_epi16(a2, a3);
  const __m128i c[4] = {_mm_unpacklo_epi32(b0, b2), _mm_unpackhi_epi32(b0, b2), _mm_unpacklo_epi32(b1, b3), _mm_unpackhi_epi32(b1, b3)};
  for (int i = 0; i < 4; ++i) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + 2 * i * ldd), c[i]);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + (2 * i + 1) * ldd), _mm_srli_si128(c[i], 8));
  }
}
// Whether tile8x8 runs for T here: the byte tile is SSE2 (every x86-64), the float one AVX2.
template <typename T>
inline bool tile8x8Runs() {
  if constexpr (sizeof(T) == 1) return true;
  static const bool ok = __builtin_cpu_supports("avx2");
  return ok;
}
#else
inline void tile8x8(const float*, size_t, float*, size_t) {}
inline void tile8x8(const uint8_t*, size_t, uint8_t*, size_t) {}
template <typename T>
inline bool tile8x8Runs() { return false; }
#endif

// dst[j * ldd + l] = src[l * lds + j] for j < rows (at most 8) and l < cols: 8x8 tiles
// while 8 rows and 8 columns remain (vec: tile8x8Runs<T>()), scalars for the rest.
template <typename T>
inline void transposeRows8(const T* src, size_t lds, size_t rows, size_t cols, T* dst, size_t ldd, bool vec) {
  size_t l = 0;
  if (vec && rows == 8)
    for (; l + 8 <= cols; l += 8) tile8x8(src + l * lds, lds, dst + l, ldd);
  for (size_t j = 0; j < rows; ++j)
    for (size_t c = l; c < cols; ++c) dst[j * ldd + c] = src[c * lds + j];
}

}  // namespace
}  // namespace kiln::cpu
