// gemmBatched: the gemm tactic for many small independent products, as in
// attention's Q*K^T and scores*V ([batch*heads, seq, d] x [.., d, seq]). The
// general kernel cuts every entry into tiles that each pack their own panels of
// A and B; here the items are (entry, row chunk) pairs handed out one at a time,
// and a thread packs an entry's whole B once (it is small: validate caps it) into
// 16-column panels, then sweeps its rows across them on the packed-B GEMM's strip
// kernel (gemm-packed.h) with A read in place, over the full K, so C is written
// once with the epilogue applied in registers. A transposed A is first gathered
// row-major per chunk.
// Parameters are gemm's: ints [transA, transB, activationCode, hasBias(, hasResidual)],
// floats [alpha, beta]; leading dims broadcast numpy-style.
#include <algorithm>
#include <atomic>
#include <memory>

#include "gemm-layer.h"
#include "gemm-packed.h"
#include "kernels.h"
#include "layer-check.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

// Packed B of one entry (K x N rounded up to 16 columns) at most this many floats
// (1 MiB): beyond it the blocked general kernel, which tiles K and N, is the right one.
constexpr uint64_t kMaxPackedB = 256 * 1024;
// Multiply-adds per item: enough that handing one out costs little (a claim is a
// contended atomic), few enough that a thread preempted on one holds little back.
constexpr uint64_t kItemMacs = 256 * 1024;
// Up to this many multiply-adds in all (attention at seq 16: 4 x 16x16x64, ~4 us),
// waking a second thread costs more than it saves.
constexpr uint64_t kMinParallelMacs = 128 * 1024;

// A thread's packed B, tagged with the run and entry it holds.
struct Packed {
  AlignedBuffer b, a;
  uint64_t run = 0;
  size_t entry = SIZE_MAX;
};
thread_local Packed tPacked;
std::atomic<uint64_t> gRuns{0};

size_t ceilDiv(size_t a, size_t b) { return (a + b - 1) / b; }

class GemmBatchedOp final : public LayerOp {
 public:
  GemmBatchedOp(const LayerCheck& c, const GemmParams& p, BatchedGemm g) : l_(c, p, std::move(g)) {
    // Rows per item: a multiple of the 6-row tile, about kItemMacs of work.
    const uint64_t rowMacs = std::max<uint64_t>(uint64_t(l_.n) * l_.k, 1);
    chunk_ = std::min(ceilDiv(l_.m, kPackedMr), std::max<size_t>(1, size_t(kItemMacs / rowMacs / kPackedMr))) * kPackedMr;
  }

  void run(const RunContext& ctx) const override {
    if (l_.m == 0 || l_.n == 0) return;
    const float* a = ctx.data<const float>(l_.a);
    const float* b = ctx.data<const float>(l_.b);
    float* y = ctx.data<float>(l_.y);
    const float* bias = l_.bias >= 0 ? ctx.data<const float>(uint32_t(l_.bias)) : nullptr;
    const float* residual = l_.residual >= 0 ? ctx.data<const float>(uint32_t(l_.residual)) : nullptr;
    const size_t chunks = ceilDiv(l_.m, chunk_), items = l_.offsets.size() * chunks;
    const size_t panels = ceilDiv(l_.n, kPackedNr), mn = l_.m * l_.n;
    const uint64_t run = gRuns.fetch_add(1, std::memory_order_relaxed) + 1;
    auto runItem = [&](size_t item) {
      const size_t entry = item / chunks, row0 = item % chunks * chunk_, rows = std::min(chunk_, l_.m - row0);
      Packed& p = tPacked;
      if (p.run != run || p.entry != entry) {
        p.b.ensure(std::max<size_t>(panels * kPackedNr * l_.k, 1) * sizeof(float));
        packPanels(bRef(b + l_.offsets[entry].second), 0, l_.k, l_.n, p.b.as<float>());
        p.run = run, p.entry = entry;
      }
      const float* ai = a + l_.offsets[entry].first;
      const float* rowsA = ai + row0 * l_.k;
      if (l_.transA) {  // element (i, k) of the entry's A at ai[k * m + i]: gathered row-major
        p.a.ensure(std::max<size_t>(rows * l_.k, 1) * sizeof(float));
        float* dst = p.a.as<float>();
        for (size_t k = 0; k < l_.k; ++k)
          for (size_t i = 0; i < rows; ++i) dst[i * l_.k + k] = ai[k * l_.m + row0 + i];
        rowsA = dst;
      }
      const PanelEpilogue ep{bias, residual ? residual + entry * mn + row0 * l_.n : nullptr, l_.n, l_.act};
      sweepPanels(rowsA, l_.k, rows, p.b.as<const float>(), l_.k, 0, panels, l_.n, y + entry * mn + row0 * l_.n, l_.n,
                  false, &ep);
    };
    if (uint64_t(l_.offsets.size()) * mn * l_.k < kMinParallelMacs) {
      for (size_t i = 0; i < items; ++i) runItem(i);
      return;
    }
    ctx.pool->parallelFor(items, runItem);
  }

 private:
  MatrixRef bRef(const float* b) const {
    return l_.transB ? MatrixRef{b, 1, ptrdiff_t(l_.k)} : MatrixRef{b, ptrdiff_t(l_.n), 1};
  }

  const BatchedGemmLayer l_;
  size_t chunk_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const GemmParams p = readGemmParams(c);
  BatchedGemm g = checkBatchedGemm(c, p, "gemmBatched");
  if (uint64_t(g.k) * uint64_t(g.n) > kMaxPackedB)
    c.fail(cat("kernel gemmBatched packs one entry of b whole, at most ", kMaxPackedB, " elements; b ",
               LayerCheck::describe(c.input(1)), " has K*N = ", g.k * g.n));
  return std::make_unique<GemmBatchedOp>(c, p, std::move(g));
}

}  // namespace

bool runsBatched(const LayerCheck& c, const BatchedGemm& g) {
  return c.input(1).shape.size() > 2 && uint64_t(g.k) * uint64_t(g.n) <= kBatchedMaxKn;
}

std::unique_ptr<LayerOp> makeGemmBatchedOp(const LayerCheck& c, const GemmParams& p, BatchedGemm g) {
  return std::make_unique<GemmBatchedOp>(c, p, std::move(g));
}

KernelDef gemmBatchedKernel() { return {"gemmBatched", false, validate}; }

}  // namespace kiln::cpu
