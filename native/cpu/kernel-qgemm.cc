// qgemm (fully connected, y = x w^T) in int8 (int8-layer.h): each row of x against
// the weights through int8DotRows. ints: [activationCode, hasBias].
#include <algorithm>
#include <vector>

#include "int8-gemm.h"
#include "int8-layer.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class QGemmOp final : public LayerOp {
 public:
  QGemmOp(const LayerCheck& c) : l_(c, 0) {
    c.intCount(2, "[activationCode, hasBias]");
    const TensorDesc& xt = c.input(0);
    if (xt.shape.size() != 2 || size_t(xt.shape[1]) != l_.k) c.fail(cat("qgemm needs x [M,", l_.k, "], got ", LayerCheck::describe(xt)));
    m_ = size_t(xt.shape[0]);
  }

  void run(const RunContext& ctx) const override {
    const int8_t* x = ctx.data<const int8_t>(l_.x);
    const Int8DotRowsFn dot = int8DotRows();
    // Rows of x are few (the batch): spread the work over blocks of w's rows as well.
    const size_t block = 64, blocks = (l_.cout + block - 1) / block;
    ctx.pool->parallelFor(m_ * blocks, [&](size_t t) {
      const size_t m = t / blocks, o0 = (t % blocks) * block, count = std::min(block, l_.cout - o0);
      std::vector<int16_t> row(l_.kp, 0);
      std::vector<int32_t> acc(count);
      for (size_t i = 0; i < l_.k; ++i) row[i] = x[m * l_.k + i];
      dot(row.data(), l_.kp, l_.w.data() + o0 * l_.kp, count, acc.data());
      l_.finish(ctx, acc.data(), o0, count, [&](size_t o) { return m * l_.cout + o; });
    });
  }

 private:
  Int8Layer l_;
  size_t m_;
};

std::unique_ptr<LayerOp> validateQGemm(const LayerCheck& c) {
  c.floatCount(4, "[alpha, beta, xScale, outScale]");
  return std::make_unique<QGemmOp>(c);
}

}  // namespace

KernelDef qgemmKernel() { return {"qgemm", false, validateQGemm}; }

}  // namespace kiln::cpu
