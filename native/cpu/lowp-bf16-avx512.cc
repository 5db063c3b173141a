// AVX-512 BF16 variant of the 16-bit GEMV (lowp-bf16-fp16.h): vdpbf16ps
// multiplies pairs of bf16 and adds both products to an f32 lane, so the
// bf16 panel holds k and k+1 of a column next to each other and the row of a
// is converted to bf16 pairs on the fly (exact: a bf16 layer's input already
// is bf16). fp16 weights have no such instruction here and take AVX2's path.
// Compiled only into its own static library; called only after cpuid says
// avx512bf16. The AVX2 development machine never runs it; on a Xeon host with
// avx512_bf16 (the run tool's) test/lowp/avx512bf16-check.cc matched a double reference (1120 outputs)
// and avx512bf16-bench.cc measured it level with the AVX2 bf16 path (both bound
// by weight bandwidth), 1.5-1.9x the f32 GEMV.
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "lowp-bf16-fp16.h"

extern "C" void kiln_lowp_gemv_avx512bf16(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out,
                                          int bf16) {
  if (!bf16) return kiln_lowp_gemv_avx2(rows, K, a, lda, panel, out, bf16);
  const long pairs = (K + 1) / 2;
  // Each (x[2p], x[2p+1]) as one 32-bit lane of two bf16, low half first (the top
  // halves: exact for a bf16 layer's input), so the loop broadcasts it from memory.
  thread_local std::vector<uint32_t> xp;
  xp.resize(size_t(pairs));
  for (long r = 0; r < rows; ++r) {
    const float* x = a + r * lda;
    long p0 = 0;
    // 16 pairs at a time: vcvtne2ps2bf16 of 32 values gives them in order (exact here).
    for (; 2 * p0 + 32 <= K; p0 += 16)
      _mm512_storeu_si512(xp.data() + p0, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + 2 * p0 + 16), _mm512_loadu_ps(x + 2 * p0)));
    for (long p = p0; p < pairs; ++p) {
      uint32_t b0, b1 = 0;
      std::memcpy(&b0, x + 2 * p, 4);
      if (2 * p + 1 < K) std::memcpy(&b1, x + 2 * p + 1, 4);
      xp[size_t(p)] = (b0 >> 16) | (b1 & 0xffff0000u);
    }
    // Four accumulators hide vdpbf16ps's latency.
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    long p = 0;
    for (; p + 4 <= pairs; p += 4)
      for (int u = 0; u < 4; ++u)
        acc[u] = _mm512_dpbf16_ps(acc[u], (__m512bh)_mm512_set1_epi32(int(xp[size_t(p + u)])),
                                  (__m512bh)_mm512_loadu_si512(panel + (p + u) * 32));
    for (; p < pairs; ++p)
      acc[0] = _mm512_dpbf16_ps(acc[0], (__m512bh)_mm512_set1_epi32(int(xp[size_t(p)])), (__m512bh)_mm512_loadu_si512(panel + p * 32));
    _mm512_storeu_ps(out + r * 16, _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
  }
}
