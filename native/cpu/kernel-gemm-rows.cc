// gemmRows: the gemm tactic for a batched a against one shared 2-D b, as in
// transformer projections written [seq, batch, d] x [d, n]: the generic
// kernel runs one GEMM per batch entry (M = 1 each, padded to the 6-row
// micro-tile), while the batch of a contiguous a is just more rows. Here the
// whole layer is one GEMM with M = every row of a; a constant b runs on the
// packed-B GEMM (gemm-packed.h), as gemmPacked does.
// Parameters are gemm's: ints [transA, transB, activationCode, hasBias(, hasResidual)],
// floats [alpha, beta]; needs transA 0 and b of rank 2.
#include <memory>

#include "epilogue.h"
#include "gemm-layer.h"
#include "gemm-packed.h"
#include "kernels.h"
#include "layer-check.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

class GemmRowsOp final : public LayerOp {
 public:
  GemmRowsOp(const LayerCheck& c, size_t rows, size_t n, size_t k, bool transB, Activation act, bool hasBias,
             int64_t residual)
      : a_(c.inputId(0)), b_(c.inputId(1)), bias_(hasBias ? int64_t(c.inputId(2)) : -1), residual_(residual),
        y_(c.outputId(0)), rows_(rows), n_(n), k_(k), transB_(transB), act_(act) {}

  void run(const RunContext& ctx) const override {
    GemmProblem p;
    p.m = rows_;
    p.n = n_;
    p.k = k_;
    p.a = {ctx.data<const float>(a_), ptrdiff_t(k_), 1};
    p.b = bRef(ctx.data<const float>(b_));
    p.c = ctx.data<float>(y_);
    p.ldc = n_;
    p.epilogue = {bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr, false, act_};
    if (residual_ >= 0) p.epilogue.residual = ctx.data<const float>(uint32_t(residual_)), p.epilogue.ldr = n_;
    sgemmBatch(*ctx.pool, &p, 1);
  }

 private:
  MatrixRef bRef(const float* b) const {
    return transB_ ? MatrixRef{b, 1, ptrdiff_t(k_)} : MatrixRef{b, ptrdiff_t(n_), 1};
  }

  uint32_t a_, b_;
  int64_t bias_, residual_;
  uint32_t y_;
  size_t rows_, n_, k_;
  bool transB_;
  Activation act_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const GemmParams p = readGemmParams(c);
  const TensorDesc &a = c.input(0), &b = c.input(1);
  if (p.transA || b.shape.size() != 2 || a.shape.size() < 2)
    c.fail(cat("kernel gemmRows needs transA 0, a of rank >= 2 and b of rank 2, got a ", LayerCheck::describe(a),
               " (transA ", p.transA, ") and b ", LayerCheck::describe(b)));
  const RowsGemm g = checkRowsGemm(c, p, "gemmRows");
  if (runsPacked(c, p)) return makeGemmPackedOp(c, p, g);  // constant weights: the packed-B path
  return std::make_unique<GemmRowsOp>(c, size_t(g.rows), size_t(g.n), size_t(g.k), p.transB, p.act, p.hasBias,
                                      p.residual);
}

}  // namespace

KernelDef gemmRowsKernel() { return {"gemmRows", false, validate}; }

}  // namespace kiln::cpu
