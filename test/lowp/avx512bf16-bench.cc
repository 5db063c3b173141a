// Single-thread timing of one fully connected layer at batch 1 (y[N] = W[N x K] x)
// on the three GEMV panel routines: f32 weights (vec-kernels' AVX2 gemv_panel), bf16
// weights widened by AVX2 (kiln_lowp_gemv_avx2), and bf16 pairs on vdpbf16ps
// (kiln_lowp_gemv_avx512bf16). For hosts with AVX-512 BF16; build as
// avx512bf16-check.cc plus native/cpu/vec-kernels-avx2.cc, with -ffp-contract=fast.
#include <chrono>
#include <cstdio>
#include <vector>

#include "../../native/cpu-features.h"
#include "../../native/cpu/elementwise-types.h"
#include "../../native/cpu/lowp-bf16-fp16.h"

extern "C" void kiln_vec_avx2_gemv_panel(long rows, long K, const float* a, long lda, const float* panel, float* out);

using namespace kiln::cpu;

template <typename F>
double bestMs(F&& f) {
  double best = 1e30;
  for (int rep = 0; rep < 30; ++rep) {
    const auto t = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  }
  return best;
}

int main() {
  const uint64_t need = kiln::isa::kAvx512f | kiln::isa::kAvx512bw | kiln::isa::kAvx512vl | kiln::isa::kAvx512bf16;
  if ((kiln::hostIsaMask() & need) != need) return std::printf("no avx512bf16 here\n"), 0;
  for (const auto [K, N] : {std::pair<long, long>{512, 1000}, {2048, 1000}, {4096, 4096}}) {
    const long panels = (N + 15) / 16;
    std::vector<float> a(size_t(K), 0.5f), f32(size_t(panels * K * 16), 0.25f), out(64);
    std::vector<uint16_t> swz(size_t(panels * K * 16), f32ToBF16(0.25f)), pairs(size_t(panels * (K + 1) / 2 * 2 * 16), f32ToBF16(0.25f));
    float sink = 0;
    const double t32 = bestMs([&] { for (long p = 0; p < panels; ++p) kiln_vec_avx2_gemv_panel(1, K, a.data(), K, f32.data() + p * K * 16, out.data()), sink += out[0]; });
    const double tAvx2 = bestMs([&] { for (long p = 0; p < panels; ++p) kiln_lowp_gemv_avx2(1, K, a.data(), K, swz.data() + p * K * 16, out.data(), 1), sink += out[0]; });
    const size_t stride = size_t((K + 1) / 2 * 2 * 16);
    const double tDp = bestMs([&] { for (long p = 0; p < panels; ++p) kiln_lowp_gemv_avx512bf16(1, K, a.data(), K, pairs.data() + p * stride, out.data(), 1), sink += out[0]; });
    std::printf("K=%ld N=%ld: f32 %.4f ms, bf16 avx2 %.4f ms (%.2fx), bf16 vdpbf16ps %.4f ms (%.2fx)  [%g]\n", K, N, t32, tAvx2, t32 / tAvx2, tDp, t32 / tDp, double(sink > 0));
  }
  return 0;
}
