// logSoftmax: y = x - max - log(sum(exp(x - max))) along one axis, f32, in
// place. ints: [axis] (0 <= axis < rank); floats: none. x is viewed as
// [outer, axis, inner]: contiguous rows (inner = 1) use the vectorized row
// primitive; a strided axis is processed a block of inner positions at a time
// so reads stay contiguous.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernel-reduce-rows.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

constexpr uint64_t kBlock = 256;

class LogSoftmaxOp final : public LayerOp {
 public:
  LogSoftmaxOp(uint32_t x, uint32_t y, uint64_t outer, uint64_t len, uint64_t inner)
      : x_(x), y_(y), outer_(outer), len_(len), inner_(inner) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const uint64_t blocks = (inner_ + kBlock - 1) / kBlock;
    const uint64_t perItem = len_ * std::min(inner_, kBlock);
    const size_t grain = perItem >= 8192 ? 1 : static_cast<size_t>(8192 / perItem);
    ctx.pool->parallelRanges(outer_ * blocks, grain, [&](size_t b, size_t e) {
      for (size_t item = b; item < e; ++item) {
        const uint64_t o = item / blocks, i0 = (item % blocks) * kBlock;
        const uint64_t base = o * len_ * inner_ + i0;
        if (inner_ == 1)
          rows::logSoftmax(x + base, y + base, len_);
        else
          block(x + base, y + base, std::min(kBlock, inner_ - i0));
      }
    });
  }

 private:
  void block(const float* x, float* y, uint64_t n) const {
    float maxv[kBlock];
    double sum[kBlock];
    std::fill(maxv, maxv + n, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + n, 0.0);
    for (uint64_t a = 0; a < len_; ++a)
      for (uint64_t i = 0; i < n; ++i) maxv[i] = std::max(maxv[i], x[a * inner_ + i]);
    for (uint64_t a = 0; a < len_; ++a)
      for (uint64_t i = 0; i < n; ++i) sum[i] += double(rows::expApprox(x[a * inner_ + i] - maxv[i]));
    float logSum[kBlock];
    for (uint64_t i = 0; i < n; ++i) logSum[i] = float(std::log(sum[i]));
    for (uint64_t a = 0; a < len_; ++a)
      for (uint64_t i = 0; i < n; ++i) y[a * inner_ + i] = (x[a * inner_ + i] - maxv[i]) - logSum[i];
  }

  uint32_t x_, y_;
  uint64_t outer_, len_, inner_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[axis]");
  c.floatCount(0, "(none)");
  c.allF32();
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape.empty()) c.fail("kernel logSoftmax needs an input of rank >= 1");
  if (x.shape != y.shape)
    c.fail(cat("kernel logSoftmax expects output ", typeString(DType::f32, x.shape), " (the input's shape), got ",
               LayerCheck::describe(y)));
  const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
  uint64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= uint64_t(x.shape[i]);
  for (size_t i = size_t(axis) + 1; i < x.shape.size(); ++i) inner *= uint64_t(x.shape[i]);
  return std::make_unique<LogSoftmaxOp>(c.inputId(0), c.outputId(0), outer, uint64_t(x.shape[axis]), inner);
}

}  // namespace

KernelDef logSoftmaxKernel() { return {"logSoftmax", true, validate}; }

}  // namespace kiln::cpu
