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
#include "axis-blocks.h"

namespace kiln::cpu {
namespace {

class SoftmaxOp final : public LayerOp {
 public:
  SoftmaxOp(uint32_t x, uint32_t y, AxisView v) : x_(x), y_(y), v_(v) {}

  void run(const RunContext& ctx) const override {
    forEachAxisBlock(ctx.pool, v_, ctx.data<const float>(x_), ctx.data<float>(y_),
                     [&](const float* x, float* y) { rows::softmax(x, y, v_.len); },
                     [&](const float* x, float* y, uint64_t n) { block(x, y, n); });
  }

 private:
  // n inner positions starting at x (stride between axis steps: v_.inner).
  void block(const float* x, float* y, uint64_t n) const {
    float maxv[kAxisBlock], sum[kAxisBlock];
    std::fill(maxv, maxv + n, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + n, 0.f);
    for (uint64_t a = 0; a < v_.len; ++a) {
      const float* xa = x + a * v_.inner;
      for (uint64_t i = 0; i < n; ++i) maxv[i] = std::max(maxv[i], xa[i]);
    }
    for (uint64_t a = 0; a < v_.len; ++a) {
      const float* xa = x + a * v_.inner;
      float* ya = y + a * v_.inner;
      for (uint64_t i = 0; i < n; ++i) {
        ya[i] = std::exp(xa[i] - maxv[i]);
        sum[i] += ya[i];
      }
    }
    for (uint64_t i = 0; i < n; ++i) sum[i] = 1.f / sum[i];
    for (uint64_t a = 0; a < v_.len; ++a) {
      float* ya = y + a * v_.inner;
      for (uint64_t i = 0; i < n; ++i) ya[i] *= sum[i];
    }
  }

  uint32_t x_, y_;
  AxisView v_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const AxisView v = checkAxisLayer(c, "softmax");
  return std::make_unique<SoftmaxOp>(c.inputId(0), c.outputId(0), v);
}

}  // namespace

KernelDef softmaxKernel() { return {"softmax", true, validate}; }

}  // namespace kiln::cpu
