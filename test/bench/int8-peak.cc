// The int8 peak this CPU's AVX2 reaches, against the fp32 FMA peak: 12 independent
// accumulators for fp32, 8 for int8 (no memory traffic, no spills), one core. vpmaddubsw + vpmaddwd + vpaddd is
// the u8 x s8 step of QConv / QMatMul's tile (32 products per vpmaddubsw); vfmadd is
// fp32's (8 per instruction). Not a bound for int8: on this project's EPYC host it reads ~68 GMAC/s a core, while
// qmatmul's 5 x 16 tile loop runs ~83 and MobileNetV2's deep 1x1 layers 85-90; vpmaddubsw and vpmaddwd each issue
// twice a cycle there (two multiply pipes), so the step tops out at 32 products a cycle. Build and run (README, INT8):
//   g++ -O2 -mavx2 -mfma -o /tmp/int8-peak test/bench/int8-peak.cc && /tmp/int8-peak
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#define R12(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11)
int main() {
  const long n = 100000000;
  __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(0.5f);
// Distinct starting values: 12 equal accumulators would let gcc keep one and count it 12 times.
#define D(i) __m256 f##i = _mm256_set1_ps(float(i));
  R12(D)
  auto t = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
// f * x + y, each step on the last (fma(x, y, f) let gcc compute x * y once and add it 12
// times, which read as a higher FMA peak than the CPU has).
#define F(i) f##i = _mm256_fmadd_ps(f##i, x, y);
    R12(F)
    __asm__ volatile("" : "+x"(x));
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  __m256 sum = _mm256_setzero_ps();
#define S(i) sum = _mm256_add_ps(sum, f##i);
  R12(S)
  // 8 accumulators, 2 varying u8 operands, 4 s8 ones and the ones: 15 ymm registers (12
  // accumulators with 4 + 3 operands needed 20, and the spills read as a slower int8 step).
  __m256i a0 = _mm256_set1_epi8(3), a1 = _mm256_set1_epi8(4), ones = _mm256_set1_epi16(1);
  __m256i b0 = _mm256_set1_epi8(5), b1 = _mm256_set1_epi8(9), b2 = _mm256_set1_epi8(11), b3 = _mm256_set1_epi8(13);
#define R8(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)
#define DI(i) __m256i c##i = _mm256_setzero_si256();
  R8(DI)
  auto t2 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
#define I(i, A, B) c##i = _mm256_add_epi32(c##i, _mm256_madd_epi16(_mm256_maddubs_epi16(A, B), ones));
    I(0,a0,b0) I(1,a0,b1) I(2,a0,b2) I(3,a0,b3) I(4,a1,b0) I(5,a1,b1) I(6,a1,b2) I(7,a1,b3)
    __asm__ volatile("" : "+x"(a0), "+x"(a1));
  }
  double s2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  __m256i si = _mm256_setzero_si256();
#define SI(i) si = _mm256_add_epi32(si, c##i);
  R8(SI)
  printf("fp32 FMA %.1f GMAC/s/core, u8s8 maddubs+madd+add %.1f GMAC/s/core, int8/fp32 %.2f (%f %d)\n", n * 12 * 8 / s / 1e9, n * 8 * 32 / s2 / 1e9, (n * 8 * 32 / s2) / (n * 12 * 8 / s), _mm256_cvtss_f32(sum), _mm256_extract_epi32(si, 0));
}
