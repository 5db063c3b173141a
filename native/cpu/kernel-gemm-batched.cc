// gemmBatched: the gemm tactic for many small independent products, as in
// attention's Q*K^T and scores*V ([batch*heads, seq, d] x [.., d, seq]). The
// general kernel cuts every entry into tiles that each pack their own panels of
// A and B and are handed out one by one; here each thread takes one contiguous
// run of (entry, MR-row block) items, packs an entry's whole B once into its
// own buffer (it is small: validate caps it), and sweeps its row blocks across
// that B with the micro-kernel over the full K, so C is written once.
// Parameters are gemm's: ints [transA, transB, activationCode, hasBias(, hasResidual)],
// floats [alpha, beta]; leading dims broadcast numpy-style.
#include <algorithm>
#include <memory>

#include "epilogue.h"
#include "gemm-layer.h"
#include "kernels.h"
#include "layer-check.h"
#include "sgemm-micro.h"
#include "sgemm-pack.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

// Packed B of one entry (K x N rounded up to NR) at most this many floats (1 MiB):
// beyond it the blocked general kernel, which tiles K and N, is the right one.
constexpr uint64_t kMaxPackedB = 256 * 1024;
// Up to this many multiply-adds in all (attention at seq 16: 4 x 16x16x64, ~4 us),
// waking a second thread costs more than it saves.
constexpr uint64_t kMinParallelMacs = 128 * 1024;

struct Buffers {
  AlignedBuffer a, b;
};
thread_local Buffers tBuffers;

size_t roundUp(size_t v, size_t m) { return (v + m - 1) / m * m; }

class GemmBatchedOp final : public LayerOp {
 public:
  GemmBatchedOp(const LayerCheck& c, const GemmParams& p, BatchedGemm g) : l_(c, p, std::move(g)) {}

  void run(const RunContext& ctx) const override {
    const MicroKernel& mk = activeMicroKernel();
    const float* a = ctx.data<const float>(l_.a);
    const float* b = ctx.data<const float>(l_.b);
    float* y = ctx.data<float>(l_.y);
    Epilogue ep{l_.bias >= 0 ? ctx.data<const float>(uint32_t(l_.bias)) : nullptr, false, l_.act};
    const float* residual = l_.residual >= 0 ? ctx.data<const float>(uint32_t(l_.residual)) : nullptr;
    const size_t blocks = (l_.m + mk.mr - 1) / mk.mr, items = l_.offsets.size() * blocks;
    const uint64_t macs = uint64_t(l_.offsets.size()) * l_.m * l_.n * l_.k;
    const size_t parts = macs < kMinParallelMacs ? 1 : std::min<size_t>(ctx.pool->threads(), items);
    auto part = [&](size_t t) {
      const size_t begin = items * t / parts, end = items * (t + 1) / parts;
      Buffers& buf = tBuffers;
      buf.a.ensure(mk.mr * l_.k * sizeof(float));
      buf.b.ensure(roundUp(l_.n, mk.nr) * l_.k * sizeof(float));
      float* const packedA = buf.a.as<float>();
      float* const packedB = buf.b.as<float>();
      size_t packedEntry = SIZE_MAX;
      for (size_t item = begin; item < end; ++item) {
        const size_t entry = item / blocks, row0 = item % blocks * mk.mr, rows = std::min(mk.mr, l_.m - row0);
        if (entry != packedEntry) {
          StridedPanelSource(bRef(b + l_.offsets[entry].second)).pack(0, l_.k, 0, l_.n, mk.nr, packedB);
          packedEntry = entry;
        }
        packA(aRef(a + l_.offsets[entry].first), row0, rows, 0, l_.k, mk.mr, packedA);
        float* c = y + entry * l_.m * l_.n;
        Epilogue e = ep;
        if (residual) e.residual = residual + entry * l_.m * l_.n, e.ldr = l_.n;
        sweep(mk, packedA, packedB, c, row0, rows, e);
      }
    };
    if (parts == 1) part(0);
    else ctx.pool->parallelFor(parts, part);
  }

 private:
  MatrixRef aRef(const float* a) const {
    return l_.transA ? MatrixRef{a, 1, ptrdiff_t(l_.m)} : MatrixRef{a, ptrdiff_t(l_.k), 1};
  }
  MatrixRef bRef(const float* b) const {
    return l_.transB ? MatrixRef{b, 1, ptrdiff_t(l_.k)} : MatrixRef{b, ptrdiff_t(l_.n), 1};
  }

  // One MR-row block of C across every NR panel of B; edge tiles through a stack tile.
  void sweep(const MicroKernel& mk, const float* packedA, const float* packedB, float* c, size_t row0, size_t rows,
             const Epilogue& e) const {
    const bool epilogue = !epilogueIsEmpty(e);
    for (size_t j0 = 0; j0 < l_.n; j0 += mk.nr) {
      const size_t cols = std::min(mk.nr, l_.n - j0);
      float* tile = c + row0 * l_.n + j0;
      const float* panel = packedB + j0 * l_.k;
      if (rows == mk.mr && cols == mk.nr) {
        mk.fn(l_.k, packedA, panel, tile, l_.n, false);
        if (epilogue) applyEpilogue(e, tile, l_.n, rows, cols, row0, j0);
        continue;
      }
      alignas(64) float tmp[kMaxMr * kMaxNr];
      mk.fn(l_.k, packedA, panel, tmp, mk.nr, false);
      if (epilogue) applyEpilogue(e, tmp, mk.nr, rows, cols, row0, j0);
      for (size_t i = 0; i < rows; ++i) std::copy(tmp + i * mk.nr, tmp + i * mk.nr + cols, tile + i * l_.n);
    }
  }

  const BatchedGemmLayer l_;
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

KernelDef gemmBatchedKernel() { return {"gemmBatched", false, validate}; }

}  // namespace kiln::cpu
