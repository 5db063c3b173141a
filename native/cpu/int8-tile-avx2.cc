// AVX2 int8 tile (compiled with -mavx2 into kiln_avx2; reached only through
// int8Tile() after the cpuid check): the 4 x 24 u8 x s8 micro-kernel, the packing
// of B (activation rows -> [K/4][24][4] u8), the vector epilogue, and the per-tensor
// quantize and dequantize rows. Layouts and the pair limit of vpmaddubsw: int8-gemm.h.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "int8-epilogue-avx2.h"
#include "int8-gemm.h"

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }


// acc[4][24] = sum over kq quads, as assembly: 12 accumulators, 3 B vectors, the
// broadcast, a product and the i16 ones need 18 ymm registers, and GCC's choice of
// which to spill moved with any edit around the loop (2 to 7 accumulators, and an
// array copy by rep movsq whose 8-byte stores the epilogue's vector loads could not
// forward from). Here ymm0-9 hold rows 0-2 and row 3's first vector, row 3's other
// two live in acc itself (a load and a store a quad, L1), ymm10-12 are B, ymm13
// the weights' broadcast, ymm14 the product, ymm15 the ones.
void microSums(const int8_t* a, const uint8_t* b, size_t kq, int32_t* acc) {
  __asm__ volatile(
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vmovdqa %%ymm0, %%ymm1\n\t vmovdqa %%ymm0, %%ymm2\n\t vmovdqa %%ymm0, %%ymm3\n\t vmovdqa %%ymm0, %%ymm4\n\t"
      "vmovdqa %%ymm0, %%ymm5\n\t vmovdqa %%ymm0, %%ymm6\n\t vmovdqa %%ymm0, %%ymm7\n\t vmovdqa %%ymm0, %%ymm8\n\t"
      "vmovdqa %%ymm0, %%ymm9\n\t"
      "vmovdqu %%ymm0, 320(%[acc])\n\t vmovdqu %%ymm0, 352(%[acc])\n\t"
      "vpcmpeqw %%ymm15, %%ymm15, %%ymm15\n\t vpsrlw $15, %%ymm15, %%ymm15\n\t"
      "test %[kq], %[kq]\n\t jz 2f\n"
      "1:\n\t"
      "vmovdqu (%[b]), %%ymm10\n\t vmovdqu 32(%[b]), %%ymm11\n\t vmovdqu 64(%[b]), %%ymm12\n\t"
#define KILN_STEP(bv, c) "vpmaddubsw %%ymm13, %%ymm" #bv ", %%ymm14\n\t vpmaddwd %%ymm15, %%ymm14, %%ymm14\n\t vpaddd %%ymm14, %%ymm" #c ", %%ymm" #c "\n\t"
#define KILN_STEP_MEM(bv, off) "vpmaddubsw %%ymm13, %%ymm" #bv ", %%ymm14\n\t vpmaddwd %%ymm15, %%ymm14, %%ymm14\n\t vpaddd " #off "(%[acc]), %%ymm14, %%ymm14\n\t vmovdqu %%ymm14, " #off "(%[acc])\n\t"
      "vpbroadcastd (%[a]), %%ymm13\n\t" KILN_STEP(10, 0) KILN_STEP(11, 1) KILN_STEP(12, 2)
      "vpbroadcastd 4(%[a]), %%ymm13\n\t" KILN_STEP(10, 3) KILN_STEP(11, 4) KILN_STEP(12, 5)
      "vpbroadcastd 8(%[a]), %%ymm13\n\t" KILN_STEP(10, 6) KILN_STEP(11, 7) KILN_STEP(12, 8)
      "vpbroadcastd 12(%[a]), %%ymm13\n\t" KILN_STEP(10, 9) KILN_STEP_MEM(11, 320) KILN_STEP_MEM(12, 352)
#undef KILN_STEP
#undef KILN_STEP_MEM
      "add $16, %[a]\n\t add $96, %[b]\n\t dec %[kq]\n\t jnz 1b\n"
      "2:\n\t"
      "vmovdqu %%ymm0, (%[acc])\n\t vmovdqu %%ymm1, 32(%[acc])\n\t vmovdqu %%ymm2, 64(%[acc])\n\t"
      "vmovdqu %%ymm3, 96(%[acc])\n\t vmovdqu %%ymm4, 128(%[acc])\n\t vmovdqu %%ymm5, 160(%[acc])\n\t"
      "vmovdqu %%ymm6, 192(%[acc])\n\t vmovdqu %%ymm7, 224(%[acc])\n\t vmovdqu %%ymm8, 256(%[acc])\n\t"
      "vmovdqu %%ymm9, 288(%[acc])\n\t"
      "vzeroupper\n\t"
      : [a] "+r"(a), [b] "+r"(b), [kq] "+r"(kq)
      : [acc] "r"(acc)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15");
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

void int8FinishAvx2(const int32_t* acc, size_t n, const Int8RowEpilogue& e, void* out) {
  finishRow24(load(acc), load(acc + 8), load(acc + 16), n, e, out);
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
