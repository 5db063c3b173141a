// Standalone check of the vdpbf16ps GEMV (native/cpu/lowp-bf16-avx512.cc) against a
// double-precision reference, for machines that have AVX-512 BF16 (this project's
// AVX2 development machine does not; the run tool's hosts may). Build and run:
//   g++ -std=c++17 -O2 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512bf16 \
//     -DKILN_HAVE_AVX2 -DKILN_HAVE_AVX512BF16 test/lowp/avx512bf16-check.cc native/cpu/lowp-bf16-avx512.cc \
//     native/cpu/lowp-bf16-fp16-avx2.cc native/cpu/lowp-bf16-fp16.cc native/cpu-features.cc -o /tmp/bf16check && /tmp/bf16check
// Exit 0: every case within tolerance (or the CPU lacks avx512bf16: nothing to check, said so).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../../native/cpu-features.h"
#include "../../native/cpu/elementwise-types.h"
#include "../../native/cpu/lowp-bf16-fp16.h"

using namespace kiln;
using namespace kiln::cpu;

int main() {
  const uint64_t need = isa::kAvx512f | isa::kAvx512bw | isa::kAvx512vl | isa::kAvx512bf16;
  std::printf("host avx512bf16: %s; dispatch picks: %s\n", (hostIsaMask() & need) == need ? "yes" : "no", lowpRoutines().name);
  if ((hostIsaMask() & need) != need) return 0;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  int bad = 0, cases = 0;
  for (long K : {1L, 2L, 7L, 32L, 33L, 100L, 515L})
    for (long rows = 1; rows <= 4; ++rows) {
      std::vector<uint16_t> w(size_t(K) * 16), panel(size_t((K + 1) / 2 * 2) * 16, 0);
      std::vector<float> a(size_t(rows * K)), out(size_t(rows) * 16);
      for (auto& v : w) v = f32ToBF16(u(rng));
      for (auto& v : a) v = bf16ToF32(f32ToBF16(u(rng)));  // a bf16 layer's input is bf16-exact
      for (long k = 0; k < K; ++k)
        for (size_t j = 0; j < 16; ++j) panel[bf16PanelSlot(BF16Panel::kPairs, size_t(k), j)] = w[size_t(k) * 16 + j];
      kiln_lowp_gemv_avx512bf16(rows, K, a.data(), K, panel.data(), out.data(), 1);
      for (long r = 0; r < rows; ++r)
        for (size_t j = 0; j < 16; ++j) {
          double ref = 0, mag = 0;
          for (long k = 0; k < K; ++k) {
            const double t = double(a[size_t(r * K + k)]) * bf16ToF32(w[size_t(k) * 16 + j]);
            ref += t;
            mag += std::fabs(t);
          }
          ++cases;
          if (std::fabs(out[size_t(r) * 16 + j] - ref) > 1e-5 * mag + 1e-30) {
            if (++bad <= 5) std::printf("K=%ld row %ld col %zu: got %.8g, reference %.8g\n", K, r, j, out[size_t(r) * 16 + j], ref);
          }
        }
    }
  std::printf("%d of %d outputs outside tolerance\n", bad, cases);
  return bad == 0 ? 0 : 1;
}
