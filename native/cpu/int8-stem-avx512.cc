// Int8Stem's row in zmm for AVX-512 VNNI CPUs (int8-stem.h; compiled into
// kiln_avx512vnni, reached only where cpuid reports avx512f/bw/vl/vnni). The ymm row
// (int8-stem-avx2.cc) on panels of 32 pixels: a quad of a panel ([kq][32][4] u8) is
// two zmm, and each of up to 8 channels (two 4-channel blocks of the group's packed
// weights) adds its broadcast weight quad into two accumulators by vpdpbusd (16
// sums, exact, any tap order). The accumulators start at -comp, so the epilogue
// begins at the convert; its float steps and order are the ymm row's
// (int8-tile-avx2.h's rowValues24 / finishRow24), 16 lanes an instruction: f32(acc -
// comp) * multiplier rounded alone, + bias (0 when none), the activation, then f32
// out or i8 = saturate(round_half_even(v / outScale)) (a divide, as QConv's oracle),
// the last part of a row by masked stores.
// GCC 12 flags the intrinsics' own `__Y = __Y` placeholders once inlined (bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "int8-stem.h"

namespace kiln::cpu {

namespace {

#define KILN_INLINE inline __attribute__((always_inline))

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store(void* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

// A product as it is, to the compiler: GCC contracts a multiply and an add into an
// FMA by default, which rounds once where the interpreter rounds twice.
KILN_INLINE __m512 rounded(__m512 v) {
  asm("" : "+v"(v));
  return v;
}

// Sums of 4 channels x 32 pixels into c[0..4), starting from their values: a holds
// the channels' block ([kq][4][4] s8), b a panel [kq][32][4] u8. As assembly (written
// with intrinsics, GCC copied 8 of 16 accumulators between registers every quad):
// zmm30-31 hold the quad's panel, each channel's weights come as vpdpbusd's broadcast
// memory operand. An asm takes at most 30 operands: 8 channels are two loops over
// the panel (from L1).
KILN_INLINE void blockSums(const int8_t* a, const uint8_t* b, size_t kq, __m512i* c) {
#define KILN_CH(i, o) "vpdpbusd " #o "(%[a])%{1to16%}, %%zmm30, %[c" #i "0]\n\t vpdpbusd " #o "(%[a])%{1to16%}, %%zmm31, %[c" #i "1]\n\t"
  __asm__(
      "test %[kq], %[kq]\n\t jz 2f\n"
      "1:\n\t vmovdqu64 (%[b]), %%zmm30\n\t vmovdqu64 64(%[b]), %%zmm31\n\t" KILN_CH(0, 0) KILN_CH(1, 4) KILN_CH(2, 8) KILN_CH(3, 12)
      "add $16, %[a]\n\t add $128, %[b]\n\t dec %[kq]\n\t jnz 1b\n"
      "2:\n\t"
      : [c00] "+v"(c[0]), [c01] "+v"(c[1]), [c10] "+v"(c[2]), [c11] "+v"(c[3]), [c20] "+v"(c[4]), [c21] "+v"(c[5]), [c30] "+v"(c[6]), [c31] "+v"(c[7]), [a] "+r"(a), [b] "+r"(b),
        [kq] "+r"(kq)
      : "m"(*(const char(*)[])a), "m"(*(const char(*)[])b)
      : "cc", "xmm30", "xmm31");
#undef KILN_CH
}

// Sums of R (4 or 8) channels x 32 pixels, less comp: the second block of channels
// kq * 16 bytes after the first.
template <int R>
KILN_INLINE void tileSums(const int8_t* a, const uint8_t* b, size_t kq, const int32_t* comp, __m512i (&acc)[8][2]) {
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm512_set1_epi32(-comp[i]);
  blockSums(a, b, kq, &acc[0][0]);
  if constexpr (R == 8) blockSums(a + kq * 16, b, kq, &acc[4][0]);
}

struct RowConsts {
  __m512 m, bias, lo, hi, scale;
  const Activation* act;
  bool i8;
};

// One channel's 32 sums (already less comp), n <= 32 of them real, into out.
KILN_INLINE void finishRow32(const __m512i (&acc)[2], size_t n, const RowConsts& k, uint8_t* out) {
  __m512 v[2];
  const Act kind = k.act->kind;
  for (int j = 0; j < 2; ++j) {
    __m512 x = rounded(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[j]), k.m));
    x = _mm512_add_ps(x, k.bias);
    if (kind == Act::relu) x = _mm512_max_ps(x, _mm512_setzero_ps());
    else if (kind == Act::clip) x = _mm512_min_ps(_mm512_max_ps(x, k.lo), k.hi);
    v[j] = x;
  }
  if (kind != Act::none && kind != Act::relu && kind != Act::clip) {
    alignas(64) float t[32];
    _mm512_store_ps(t, v[0]), _mm512_store_ps(t + 16, v[1]);
    applyActivation(*k.act, t, t, n);
    v[0] = _mm512_load_ps(t), v[1] = _mm512_load_ps(t + 16);
  }
  for (size_t j = 0; j < 2 && 16 * j < n; ++j) {
    const __mmask16 lanes = n >= 16 * j + 16 ? __mmask16(0xffff) : __mmask16((1u << (n - 16 * j)) - 1);
    if (!k.i8) {
      _mm512_mask_storeu_ps(reinterpret_cast<float*>(out) + 16 * j, lanes, v[j]);
      continue;
    }
    // round_half_even as cvtps does; the upper clamp first (cvtps of a huge value or
    // NaN is INT_MIN, which vpmovsdb saturates to -128, where the ymm clamp puts it).
    const __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_set1_ps(127.f), _mm512_div_ps(v[j], k.scale)));
    _mm512_mask_cvtsepi32_storeu_epi8(out + 16 * j, lanes, q);
  }
}

// R channels (of which `rows` are real) of one output row: tiles of 32 pixels.
template <int R>
void rowBlock(const int8_t* a, const uint8_t* panels, size_t kq, size_t ow, size_t rows, const int32_t* comp, const Int8StemEpilogue& e, uint8_t* out, size_t plane) {
  const size_t esize = e.outScale > 0 ? 1 : 4;
  RowConsts k[R];
  for (size_t i = 0; i < size_t(R); ++i) {
    const size_t c = std::min(i, rows - 1);
    k[i] = {_mm512_set1_ps(e.multiplier[c]), _mm512_set1_ps(e.bias ? e.bias[c] : 0.f), _mm512_set1_ps(e.act.alpha), _mm512_set1_ps(e.act.beta), _mm512_set1_ps(e.outScale), &e.act,
            e.outScale > 0};
  }
  int32_t cs[8] = {};
  for (size_t i = 0; i < rows; ++i) cs[i] = comp[i];
  for (size_t ox = 0; ox < ow; ox += 32, panels += kq * 128) {
    __m512i acc[8][2];
    tileSums<R>(a, panels, kq, cs, acc);
    const size_t n = std::min<size_t>(32, ow - ox);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i)
      if (size_t(i) < rows) finishRow32(acc[i], n, k[i], out + (size_t(i) * plane + ox) * esize);
  }
}

}  // namespace

// Four taps' 32 bytes interleaved into quads, as int8StemPackAvx2 does for 24: bytes
// of taps (0, 1) and (2, 3) as words, then the words as dwords; each lane's four
// results are pixels (0-3, 4-7, 8-11, 12-15) of lane 0 and (16-19, ...) of lane 1.
void int8StemPackAvx512(const uint8_t* base, const int32_t* off, size_t kq, uint8_t* b) {
  for (size_t q = 0; q < kq; ++q, off += 4, b += 128) {
    const __m256i r0 = load(base + off[0]), r1 = load(base + off[1]), r2 = load(base + off[2]), r3 = load(base + off[3]);
    const __m256i x = _mm256_unpacklo_epi8(r0, r1), y = _mm256_unpacklo_epi8(r2, r3);
    const __m256i p0 = _mm256_unpacklo_epi16(x, y), p1 = _mm256_unpackhi_epi16(x, y);  // pixels 0-3 | 16-19, 4-7 | 20-23
    const __m256i u = _mm256_unpackhi_epi8(r0, r1), v = _mm256_unpackhi_epi8(r2, r3);
    const __m256i p2 = _mm256_unpacklo_epi16(u, v), p3 = _mm256_unpackhi_epi16(u, v);  // 8-11 | 24-27, 12-15 | 28-31
    store(b, _mm256_permute2x128_si256(p0, p1, 0x20));
    store(b + 32, _mm256_permute2x128_si256(p2, p3, 0x20));
    store(b + 64, _mm256_permute2x128_si256(p0, p1, 0x31));
    store(b + 96, _mm256_permute2x128_si256(p2, p3, 0x31));
  }
}

// Channels in steps of 8 (two blocks), a last step of 4 when one block is left; each
// step's rows front to back, tile by tile, as the ymm row writes them.
void int8StemRowAvx512(const int8_t* a, const uint8_t* panels, size_t kq, size_t ow, size_t count, const int32_t* comp, const Int8StemEpilogue& e, void* y, size_t plane) {
  const size_t esize = e.outScale > 0 ? 1 : 4;
  uint8_t* out = static_cast<uint8_t*>(y);
  for (size_t r0 = 0; r0 < count;) {
    const size_t rows = std::min<size_t>(8, count - r0);
    const Int8StemEpilogue ge{e.multiplier + r0, e.bias ? e.bias + r0 : nullptr, e.act, e.outScale};
    if (rows > 4) rowBlock<8>(a, panels, kq, ow, rows, comp + r0, ge, out + r0 * plane * esize, plane);
    else rowBlock<4>(a, panels, kq, ow, rows, comp + r0, ge, out + r0 * plane * esize, plane);
    const size_t step = rows > 4 ? 8 : 4;
    r0 += step, a += (step / 4) * kq * 16;
  }
}

}  // namespace kiln::cpu
