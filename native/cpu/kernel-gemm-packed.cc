// gemmPacked: the gemm tactic for a (rows flattened, any leading dims) against a
// constant 2-D b: y[..., N] = a[..., K] * op(b)[K, N] + bias + residual, then the
// activation, on the packed-B GEMM (gemm-packed.h) with b packed once per process
// for every op on the same weights and the epilogue, GELU included, in registers.
// Parameters are gemm's: ints [transA, transB, activationCode, hasBias(, hasResidual)],
// floats [alpha, beta]; needs transA 0, a of rank >= 2 and b a rank-2 constant.
#include <memory>

#include "gemm-layer.h"
#include "gemm-packed.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class GemmPackedOp final : public LayerOp {
 public:
  GemmPackedOp(const LayerCheck& c, const GemmParams& p, const RowsGemm& g)
      : a_(c.inputId(0)), y_(c.outputId(0)), bias_(p.hasBias ? int64_t(c.inputId(2)) : -1), residual_(p.residual),
        rows_(size_t(g.rows)), n_(size_t(g.n)), k_(size_t(g.k)), act_(p.act) {
    // Null while a plan is only validated (inspect): such an op never runs.
    if (const float* b = c.constantF32(1)) {
      const MatrixRef ref = p.transB ? MatrixRef{b, 1, ptrdiff_t(k_)} : MatrixRef{b, ptrdiff_t(n_), 1};
      packed_ = sharedPackedB(ref, k_, n_);
    }
  }

  void run(const RunContext& ctx) const override {
    PackedGemm g;
    g.m = rows_;
    g.a = ctx.data<const float>(a_);
    g.lda = k_;
    g.b = packed_.get();
    g.c = ctx.data<float>(y_);
    g.ldc = n_;
    g.bias = bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr;
    g.residual = residual_ >= 0 ? ctx.data<const float>(uint32_t(residual_)) : nullptr;
    g.ldr = n_;
    g.act = act_;
    packedGemm(*ctx.pool, g);
  }

 private:
  uint32_t a_, y_;
  int64_t bias_, residual_;
  size_t rows_, n_, k_;
  Activation act_;
  std::shared_ptr<const PackedB> packed_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const GemmParams p = readGemmParams(c);
  const TensorDesc &a = c.input(0), &b = c.input(1);
  if (p.transA || a.shape.size() < 2 || b.shape.size() != 2 || b.location != Location::weights)
    c.fail(cat("kernel gemmPacked needs transA 0, a of rank >= 2 and constant 2-D weights b, got a ",
               LayerCheck::describe(a), " (transA ", p.transA, ") and b ", LayerCheck::describe(b)));
  return std::make_unique<GemmPackedOp>(c, p, checkRowsGemm(c, p, "gemmPacked"));
}

}  // namespace

bool runsPacked(const LayerCheck& c, const GemmParams& p) {
  return !p.transA && c.input(0).shape.size() >= 2 && c.input(1).shape.size() == 2 &&
         c.input(1).location == Location::weights;
}

std::unique_ptr<LayerOp> makeGemmPackedOp(const LayerCheck& c, const GemmParams& p, const RowsGemm& g) {
  return std::make_unique<GemmPackedOp>(c, p, g);
}

KernelDef gemmPackedKernel() { return {"gemmPacked", false, validate}; }

}  // namespace kiln::cpu
