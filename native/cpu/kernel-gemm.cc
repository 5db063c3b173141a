// gemm (matmul): y[..., M, N] = op(a)[..., M, K] * op(b)[..., K, N] + bias,
// then the activation; op() transposes the last two dims when its flag is
// set. Leading (batch) dims broadcast numpy-style; each batch entry is one
// problem of the shared blocked GEMM.
// inputs: a, b, optional bias (N elements, added along the last dim), optional
// residual (y's type, added before the activation).
// ints: [transA, transB, activationCode, hasBias, hasResidual (optional,
// appended)]. floats: [alpha, beta] of the activation.
#include "epilogue.h"
#include "gemm-layer.h"
#include "kernels.h"
#include "layer-check.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

class GemmOp final : public LayerOp {
 public:
  GemmOp(const LayerCheck& c, const GemmParams& p, BatchedGemm g)
      : a_(c.inputId(0)), b_(c.inputId(1)), bias_(p.hasBias ? int64_t(c.inputId(2)) : -1), residual_(p.residual),
        y_(c.outputId(0)), m_(size_t(g.m)), n_(size_t(g.n)), k_(size_t(g.k)), transA_(p.transA), transB_(p.transB),
        act_(p.act), batchOffsets_(std::move(g.offsets)) {
    // A constant operand shared by every batch entry is packed once, here.
    const bool oneA = elementCount(c.input(0).shape) == m_ * k_, oneB = elementCount(c.input(1).shape) == k_ * n_;
    const ptrdiff_t M = ptrdiff_t(m_), N = ptrdiff_t(n_), K = ptrdiff_t(k_);
    if (const float* a = c.constantF32(0); a && oneA)
      packedA_ = prepackA(transA_ ? MatrixRef{a, 1, M} : MatrixRef{a, K, 1}, m_, k_);
    if (const float* b = c.constantF32(1); b && oneB)
      packedB_ = prepackB(transB_ ? MatrixRef{b, 1, K} : MatrixRef{b, N, 1}, k_, n_);
  }

  void run(const RunContext& ctx) const override {
    const float* a = ctx.data<const float>(a_);
    const float* b = ctx.data<const float>(b_);
    const float* bias = bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr;
    float* y = ctx.data<float>(y_);
    const float* residual = residual_ >= 0 ? ctx.data<const float>(uint32_t(residual_)) : nullptr;
    const ptrdiff_t M = ptrdiff_t(m_), N = ptrdiff_t(n_), K = ptrdiff_t(k_);
    std::vector<GemmProblem> problems(batchOffsets_.size());
    for (size_t i = 0; i < problems.size(); ++i) {
      GemmProblem& p = problems[i];
      p.m = m_;
      p.n = n_;
      p.k = k_;
      const float* ai = a + batchOffsets_[i].first;
      const float* bi = b + batchOffsets_[i].second;
      p.a = transA_ ? MatrixRef{ai, 1, M} : MatrixRef{ai, K, 1};
      p.b = transB_ ? MatrixRef{bi, 1, K} : MatrixRef{bi, N, 1};
      if (packedA_.size()) p.aPacked = packedA_.as<const float>();
      if (packedB_.size()) p.bPacked = packedB_.as<const float>();
      p.c = y + ptrdiff_t(i) * M * N;
      p.ldc = n_;
      p.epilogue = {bias, false, act_};
      if (residual) p.epilogue.residual = residual + ptrdiff_t(i) * M * N, p.epilogue.ldr = n_;
    }
    sgemmBatch(*ctx.pool, problems.data(), problems.size());
  }

 private:
  uint32_t a_, b_;
  int64_t bias_, residual_;
  uint32_t y_;
  size_t m_, n_, k_;
  bool transA_, transB_;
  Activation act_;
  std::vector<std::pair<int64_t, int64_t>> batchOffsets_;  // element offsets of a and b per batch entry
  AlignedBuffer packedA_, packedB_;  // empty unless that operand is a constant
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const GemmParams p = readGemmParams(c);
  return std::make_unique<GemmOp>(c, p, checkBatchedGemm(c, p, "gemm"));
}

}  // namespace

KernelDef gemmKernel() { return {"gemm", false, validate}; }

}  // namespace kiln::cpu
