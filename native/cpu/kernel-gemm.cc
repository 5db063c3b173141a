// gemm (matmul): y[..., M, N] = op(a)[..., M, K] * op(b)[..., K, N] + bias,
// then the activation; op() transposes the last two dims when its flag is
// set. Leading (batch) dims broadcast numpy-style; each batch entry is one
// problem of the shared blocked GEMM.
// inputs: a, b, optional bias (N elements, added along the last dim), optional
// residual (y's type, added before the activation).
// ints: [transA, transB, activationCode, hasBias, hasResidual (optional,
// appended)]. floats: [alpha, beta] of the activation.
#include "broadcast.h"
#include "epilogue.h"
#include "kernels.h"
#include "layer-check.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

class GemmOp final : public LayerOp {
 public:
  GemmOp(const LayerCheck& c, size_t m, size_t n, size_t k, bool transA, bool transB, Activation act,
         std::vector<std::pair<int64_t, int64_t>> batchOffsets, bool hasBias, int64_t residual)
      : a_(c.inputId(0)), b_(c.inputId(1)), bias_(hasBias ? int64_t(c.inputId(2)) : -1), residual_(residual),
        y_(c.outputId(0)), m_(m), n_(n), k_(k), transA_(transA), transB_(transB), act_(act),
        batchOffsets_(std::move(batchOffsets)) {
    // A constant operand shared by every batch entry is packed once, here.
    const bool oneA = elementCount(c.input(0).shape) == m * k, oneB = elementCount(c.input(1).shape) == k * n;
    const ptrdiff_t M = ptrdiff_t(m), N = ptrdiff_t(n), K = ptrdiff_t(k);
    if (const float* a = c.constantF32(0); a && oneA)
      packedA_ = prepackA(transA ? MatrixRef{a, 1, M} : MatrixRef{a, K, 1}, m, k);
    if (const float* b = c.constantF32(1); b && oneB)
      packedB_ = prepackB(transB ? MatrixRef{b, 1, K} : MatrixRef{b, N, 1}, k, n);
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
  if (c.ints().size() != 5)  // hasResidual is optional
    c.intCount(4, "[transA, transB, activationCode, hasBias, hasResidual (optional)]");
  c.floatCount(2, "[alpha, beta]");
  const bool transA = c.intIn(0, 0, 1, "transA") == 1;
  const bool transB = c.intIn(1, 0, 1, "transB") == 1;
  const bool hasBias = c.intIn(3, 0, 1, "hasBias") == 1;
  const bool hasResidual = c.ints().size() == 5 && c.intIn(4, 0, 1, "hasResidual") == 1;
  const size_t operands = (hasBias ? 3 : 2) + (hasResidual ? 1 : 0);
  c.inputs(operands, operands);
  c.outputs(1);
  const int64_t residual = readResidual(c, 4);
  c.allF32();
  const Activation act = c.activation(2);
  const TensorDesc &a = c.input(0), &b = c.input(1), &y = c.output(0);
  if (a.shape.size() < 2 || b.shape.size() < 2)
    c.fail(cat("kernel gemm expects inputs of rank >= 2, got a ", LayerCheck::describe(a), " and b ", LayerCheck::describe(b)));
  const size_t ra = a.shape.size(), rb = b.shape.size();
  const int64_t M = transA ? a.shape[ra - 1] : a.shape[ra - 2], Ka = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const int64_t Kb = transB ? b.shape[rb - 1] : b.shape[rb - 2], N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (Ka != Kb)
    c.fail(cat("kernel gemm: inner dims differ: a ", LayerCheck::describe(a), " (transA ", transA, ") has K=", Ka,
               ", b ", LayerCheck::describe(b), " (transB ", transB, ") has K=", Kb));
  const Shape batchA(a.shape.begin(), a.shape.end() - 2), batchB(b.shape.begin(), b.shape.end() - 2);
  Shape batch;
  if (!broadcastShapes(batchA, batchB, &batch))
    c.fail(cat("kernel gemm cannot broadcast the batch dims of a ", LayerCheck::describe(a), " and b ",
               LayerCheck::describe(b)));
  Shape expect = batch;
  expect.push_back(M);
  expect.push_back(N);
  if (y.shape != expect)
    c.fail(cat("kernel gemm expects output ", typeString(DType::f32, expect), " for a ", typeString(a.dtype, a.shape),
               " and b ", typeString(b.dtype, b.shape), ", got ", typeString(y.dtype, y.shape)));
  if (hasBias && elementCount(c.input(2).shape) != uint64_t(N))
    c.fail(cat("kernel gemm expects a bias of ", N, " elements, got ", LayerCheck::describe(c.input(2))));

  // Batch strides in whole matrices, 0 where an operand is broadcast.
  const std::vector<int64_t> sa = broadcastStrides(batchA, batch), sb = broadcastStrides(batchB, batch);
  const uint64_t count = elementCount(batch);
  if (count > (uint64_t(1) << 24)) c.fail(cat("kernel gemm supports at most 2^24 batch entries, got ", count));
  std::vector<std::pair<int64_t, int64_t>> offsets(count);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t oa = 0, ob = 0;
    uint64_t rest = i;
    for (size_t d = batch.size(); d-- > 0;) {
      const int64_t coord = int64_t(rest % uint64_t(batch[d]));
      rest /= uint64_t(batch[d]);
      oa += coord * sa[d];
      ob += coord * sb[d];
    }
    offsets[i] = {oa * M * Ka, ob * Kb * N};
  }
  return std::make_unique<GemmOp>(c, size_t(M), size_t(N), size_t(Ka), transA, transB, act, std::move(offsets), hasBias,
                                  residual);
}

}  // namespace

KernelDef gemmKernel() { return {"gemm", false, validate}; }

}  // namespace kiln::cpu
