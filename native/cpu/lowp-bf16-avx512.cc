// AVX-512 BF16 variant of the 16-bit GEMV (lowp-bf16-fp16.h): vdpbf16ps
// multiplies pairs of bf16 and adds both products to an f32 lane, so the
// bf16 panel holds k and k+1 of a column next to each other and the row of a
// is converted to bf16 pairs on the fly (exact: a bf16 layer's input already
// is bf16). fp16 weights have no such instruction here and take AVX2's path.
// Compiled only into its own static library; called only after cpuid says
// avx512bf16 (this is untested on machines without it, where it never runs).
#include <immintrin.h>

#include <cstring>

#include "lowp-bf16-fp16.h"

extern "C" void kiln_lowp_gemv_avx512bf16(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out,
                                          int bf16) {
  if (!bf16) return kiln_lowp_gemv_avx2(rows, K, a, lda, panel, out, bf16);
  const long pairs = (K + 1) / 2;
  for (long r = 0; r < rows; ++r) {
    const float* x = a + r * lda;
    __m512 acc = _mm512_setzero_ps();
    for (long p = 0; p < pairs; ++p) {
      const float x0 = x[2 * p], x1 = 2 * p + 1 < K ? x[2 * p + 1] : 0.f;
      uint32_t b0, b1;
      std::memcpy(&b0, &x0, 4);
      std::memcpy(&b1, &x1, 4);
      // One (x0, x1) bf16 pair, low half first, in all 16 lanes (the top halves: exact).
      const __m512bh xp = (__m512bh)_mm512_set1_epi32(int((b0 >> 16) | (b1 & 0xffff0000u)));
      const __m512bh w = (__m512bh)_mm512_loadu_si512(panel + p * 32);
      acc = _mm512_dpbf16_ps(acc, xp, w);
    }
    _mm512_storeu_ps(out + r * 16, acc);
  }
}
