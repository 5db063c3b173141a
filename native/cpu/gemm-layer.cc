#include "gemm-layer.h"

#include "broadcast.h"
#include "epilogue.h"

namespace kiln::cpu {

GemmParams readGemmParams(const LayerCheck& c) {
  if (c.ints().size() != 5)  // hasResidual is optional
    c.intCount(4, "[transA, transB, activationCode, hasBias, hasResidual (optional)]");
  c.floatCount(2, "[alpha, beta]");
  GemmParams p;
  p.transA = c.intIn(0, 0, 1, "transA") == 1;
  p.transB = c.intIn(1, 0, 1, "transB") == 1;
  p.hasBias = c.intIn(3, 0, 1, "hasBias") == 1;
  const bool hasResidual = c.ints().size() == 5 && c.intIn(4, 0, 1, "hasResidual") == 1;
  const size_t operands = (p.hasBias ? 3 : 2) + (hasResidual ? 1 : 0);
  c.inputs(operands, operands);
  c.outputs(1);
  p.residual = readResidual(c, 4);
  c.allF32();
  p.act = c.activation(2);
  return p;
}

BatchedGemmLayer::BatchedGemmLayer(const LayerCheck& c, const GemmParams& p, BatchedGemm g)
    : a(c.inputId(0)), b(c.inputId(1)), y(c.outputId(0)), bias(p.hasBias ? int64_t(c.inputId(2)) : -1),
      residual(p.residual), m(size_t(g.m)), n(size_t(g.n)), k(size_t(g.k)), transA(p.transA), transB(p.transB),
      act(p.act), offsets(std::move(g.offsets)) {}

BatchedGemm checkBatchedGemm(const LayerCheck& c, const GemmParams& p, const char* kernel) {
  const TensorDesc &a = c.input(0), &b = c.input(1), &y = c.output(0);
  if (a.shape.size() < 2 || b.shape.size() < 2)
    c.fail(cat("kernel ", kernel, " expects inputs of rank >= 2, got a ", LayerCheck::describe(a), " and b ",
               LayerCheck::describe(b)));
  const size_t ra = a.shape.size(), rb = b.shape.size();
  BatchedGemm g;
  g.m = p.transA ? a.shape[ra - 1] : a.shape[ra - 2];
  g.k = p.transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const int64_t kb = p.transB ? b.shape[rb - 1] : b.shape[rb - 2];
  g.n = p.transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (g.k != kb)
    c.fail(cat("kernel ", kernel, ": inner dims differ: a ", LayerCheck::describe(a), " (transA ", p.transA, ") has K=",
               g.k, ", b ", LayerCheck::describe(b), " (transB ", p.transB, ") has K=", kb));
  const Shape batchA(a.shape.begin(), a.shape.end() - 2), batchB(b.shape.begin(), b.shape.end() - 2);
  Shape batch;
  if (!broadcastShapes(batchA, batchB, &batch))
    c.fail(cat("kernel ", kernel, " cannot broadcast the batch dims of a ", LayerCheck::describe(a), " and b ",
               LayerCheck::describe(b)));
  Shape expect = batch;
  expect.push_back(g.m);
  expect.push_back(g.n);
  if (y.shape != expect)
    c.fail(cat("kernel ", kernel, " expects output ", typeString(DType::f32, expect), ", got ", LayerCheck::describe(y)));
  if (p.hasBias && elementCount(c.input(2).shape) != uint64_t(g.n))
    c.fail(cat("kernel ", kernel, " expects a bias of ", g.n, " elements, got ", LayerCheck::describe(c.input(2))));
  const uint64_t count = elementCount(batch);
  if (count > (uint64_t(1) << 24)) c.fail(cat("kernel ", kernel, " supports at most 2^24 batch entries, got ", count));
  // Whole-matrix strides per batch dim, 0 along a broadcast one.
  const std::vector<int64_t> sa = broadcastStrides(batchA, batch), sb = broadcastStrides(batchB, batch);
  g.offsets.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t oa = 0, ob = 0;
    for (size_t d = batch.size(), rest = i; d-- > 0; rest /= size_t(batch[d])) {
      const int64_t coord = int64_t(rest % size_t(batch[d]));
      oa += coord * sa[d], ob += coord * sb[d];
    }
    g.offsets[i] = {oa * g.m * g.k, ob * g.k * g.n};
  }
  return g;
}

RowsGemm checkRowsGemm(const LayerCheck& c, const GemmParams& p, const char* kernel) {
  const TensorDesc &a = c.input(0), &b = c.input(1), &y = c.output(0);
  RowsGemm g;
  g.k = a.shape.back();
  const int64_t kb = p.transB ? b.shape[1] : b.shape[0];
  g.n = p.transB ? b.shape[0] : b.shape[1];
  if (g.k != kb)
    c.fail(cat("kernel ", kernel, ": inner dims differ: a has K=", g.k, ", b ", LayerCheck::describe(b), " has K=", kb));
  Shape expect(a.shape.begin(), a.shape.end() - 1);
  expect.push_back(g.n);
  if (y.shape != expect)
    c.fail(cat("kernel ", kernel, " expects output ", typeString(DType::f32, expect), ", got ", LayerCheck::describe(y)));
  if (p.hasBias && elementCount(c.input(2).shape) != uint64_t(g.n))
    c.fail(cat("kernel ", kernel, " expects a bias of ", g.n, " elements, got ", LayerCheck::describe(c.input(2))));
  g.rows = int64_t(elementCount(a.shape) / uint64_t(g.k > 0 ? g.k : 1));
  return g;
}

}  // namespace kiln::cpu
