// softmax along one axis, f32, numerically stable (the max is subtracted
// before exp). x is viewed as [outer, axis, inner]; contiguous rows (inner = 1,
// attention's last axis) use the vectorized row primitive of the reduce
// family; with inner > 1 the axis is strided, so a block of inner positions is
// processed together to keep reads contiguous.
// ints: [axis] (0 <= axis < rank). floats: none.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernel-reduce-rows.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

constexpr uint64_t kBlock = 256;  // inner positions handled together

class SoftmaxOp final : public LayerOp {
 public:
  SoftmaxOp(uint32_t x, uint32_t y, uint64_t outer, uint64_t axis, uint64_t inner)
      : x_(x), y_(y), outer_(outer), axis_(axis), inner_(inner) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const uint64_t blocks = (inner_ + kBlock - 1) / kBlock;
    const uint64_t perItem = axis_ * std::min(inner_, kBlock);
    const size_t grain = perItem >= 8192 ? 1 : static_cast<size_t>(8192 / perItem);
    ctx.pool->parallelRanges(outer_ * blocks, grain, [&](size_t b, size_t e) {
      for (size_t item = b; item < e; ++item) {
        const uint64_t o = item / blocks, i0 = (item % blocks) * kBlock;
        const uint64_t n = std::min(kBlock, inner_ - i0);
        const uint64_t base = o * axis_ * inner_ + i0;
        if (inner_ == 1)
          rows::softmax(x + base, y + base, axis_);
        else
          block(x + base, y + base, n);
      }
    });
  }

 private:
  // n inner positions starting at x (stride between axis steps: inner_).
  void block(const float* x, float* y, uint64_t n) const {
    float maxv[kBlock], sum[kBlock];
    std::fill(maxv, maxv + n, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + n, 0.f);
    for (uint64_t a = 0; a < axis_; ++a) {
      const float* xa = x + a * inner_;
      for (uint64_t i = 0; i < n; ++i) maxv[i] = std::max(maxv[i], xa[i]);
    }
    for (uint64_t a = 0; a < axis_; ++a) {
      const float* xa = x + a * inner_;
      float* ya = y + a * inner_;
      for (uint64_t i = 0; i < n; ++i) {
        ya[i] = std::exp(xa[i] - maxv[i]);
        sum[i] += ya[i];
      }
    }
    for (uint64_t i = 0; i < n; ++i) sum[i] = 1.f / sum[i];
    for (uint64_t a = 0; a < axis_; ++a) {
      float* ya = y + a * inner_;
      for (uint64_t i = 0; i < n; ++i) ya[i] *= sum[i];
    }
  }

  uint32_t x_, y_;
  uint64_t outer_, axis_, inner_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[axis]");
  c.floatCount(0, "(none)");
  c.allF32();
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape.empty()) c.fail("kernel softmax needs an input of rank >= 1");
  if (x.shape != y.shape)
    c.fail(cat("kernel softmax expects output ", typeString(DType::f32, x.shape), " (the input's shape), got ",
               typeString(y.dtype, y.shape)));
  const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
  uint64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= static_cast<uint64_t>(x.shape[i]);
  for (size_t i = size_t(axis) + 1; i < x.shape.size(); ++i) inner *= static_cast<uint64_t>(x.shape[i]);
  return std::make_unique<SoftmaxOp>(c.inputId(0), c.outputId(0), outer, static_cast<uint64_t>(x.shape[axis]), inner);
}

}  // namespace

KernelDef softmaxKernel() { return {"softmax", true, validate}; }

}  // namespace kiln::cpu
