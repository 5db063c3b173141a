// gemm (matmul): y[..., M, N] = op(a)[..., M, K] * op(b)[..., K, N] + bias,
// then the activation; op() transposes the last two dims when its flag is
// set. Leading (batch) dims broadcast numpy-style; each batch entry is one
// problem of the shared blocked GEMM, except with transA 0 and b constant 2-D
// weights, which run on the packed-B GEMM (gemm-packed.h) as gemmPacked does, and
// with a small b per entry, which run as gemmBatched does: whichever tactic a noisy
// autotune keeps, those layers get the faster kernel.
// gemmWide is the same layer on the 4x24 register tile, which pads fewer rows where M
// is a multiple of 4 but not of 6 (64, 256: a ResNet layer's output channels).
// inputs: a, b, optional bias (N elements, added along the last dim), optional
// residual (y's type, added before the activation).
// ints: [transA, transB, activationCode, hasBias, hasResidual (optional,
// appended)]. floats: [alpha, beta] of the activation.
#include "epilogue.h"
#include "gemm-layer.h"
#include "gemm-packed.h"
#include "kernels.h"
#include "layer-check.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

class GemmOp final : public LayerOp {
 public:
  GemmOp(const LayerCheck& c, const GemmParams& p, BatchedGemm g, MicroTile tile) : l_(c, p, std::move(g)), tile_(tile) {
    // A constant operand shared by every batch entry is packed once, here.
    const bool oneA = elementCount(c.input(0).shape) == l_.m * l_.k, oneB = elementCount(c.input(1).shape) == l_.k * l_.n;
    const ptrdiff_t M = ptrdiff_t(l_.m), N = ptrdiff_t(l_.n), K = ptrdiff_t(l_.k);
    if (const float* a = c.constantF32(0); a && oneA)
      packedA_ = prepackA(l_.transA ? MatrixRef{a, 1, M} : MatrixRef{a, K, 1}, l_.m, l_.k, tile_);
    if (const float* b = c.constantF32(1); b && oneB)
      packedB_ = prepackB(l_.transB ? MatrixRef{b, 1, K} : MatrixRef{b, N, 1}, l_.k, l_.n, tile_);
  }

  void run(const RunContext& ctx) const override {
    const float* a = ctx.data<const float>(l_.a);
    const float* b = ctx.data<const float>(l_.b);
    const float* bias = l_.bias >= 0 ? ctx.data<const float>(uint32_t(l_.bias)) : nullptr;
    float* y = ctx.data<float>(l_.y);
    const float* residual = l_.residual >= 0 ? ctx.data<const float>(uint32_t(l_.residual)) : nullptr;
    const ptrdiff_t M = ptrdiff_t(l_.m), N = ptrdiff_t(l_.n), K = ptrdiff_t(l_.k);
    std::vector<GemmProblem> problems(l_.offsets.size());
    for (size_t i = 0; i < problems.size(); ++i) {
      GemmProblem& p = problems[i];
      p.m = l_.m;
      p.n = l_.n;
      p.k = l_.k;
      const float* ai = a + l_.offsets[i].first;
      const float* bi = b + l_.offsets[i].second;
      p.a = l_.transA ? MatrixRef{ai, 1, M} : MatrixRef{ai, K, 1};
      p.b = l_.transB ? MatrixRef{bi, 1, K} : MatrixRef{bi, N, 1};
      if (packedA_.size()) p.aPacked = packedA_.as<const float>();
      if (packedB_.size()) p.bPacked = packedB_.as<const float>();
      p.c = y + ptrdiff_t(i) * M * N;
      p.ldc = l_.n;
      p.epilogue = {bias, false, l_.act};
      p.tile = tile_;
      if (residual) p.epilogue.residual = residual + ptrdiff_t(i) * M * N, p.epilogue.ldr = l_.n;
    }
    sgemmBatch(*ctx.pool, problems.data(), problems.size());
  }

 private:
  const BatchedGemmLayer l_;
  const MicroTile tile_;
  AlignedBuffer packedA_, packedB_;  // empty unless that operand is a constant
};

std::unique_ptr<LayerOp> validateOn(const LayerCheck& c, MicroTile tile) {
  const GemmParams p = readGemmParams(c);
  BatchedGemm g = checkBatchedGemm(c, p, "gemm");
  // Constant 2-D weights: every batch entry's rows are one GEMM on the packed-B path.
  if (runsPacked(c, p)) return makeGemmPackedOp(c, p, RowsGemm{g.m * int64_t(g.offsets.size()), g.n, g.k});
  // A small b per entry (attention): gemmBatched's (entry, rows) items on the packed-B strips.
  if (runsBatched(c, g)) return makeGemmBatchedOp(c, p, std::move(g));
  return std::make_unique<GemmOp>(c, p, std::move(g), tile);
}

std::unique_ptr<LayerOp> validate(const LayerCheck& c) { return validateOn(c, MicroTile::standard); }
std::unique_ptr<LayerOp> validateWide(const LayerCheck& c) { return validateOn(c, MicroTile::wide); }

}  // namespace

KernelDef gemmKernel() { return {"gemm", false, validate}; }
KernelDef gemmWideKernel() { return {"gemmWide", false, validateWide}; }

}  // namespace kiln::cpu
