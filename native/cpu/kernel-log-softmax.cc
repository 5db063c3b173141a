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
#include "axis-blocks.h"

namespace kiln::cpu {
namespace {

class LogSoftmaxOp final : public LayerOp {
 public:
  LogSoftmaxOp(uint32_t x, uint32_t y, AxisView v) : x_(x), y_(y), v_(v) {}

  void run(const RunContext& ctx) const override {
    forEachAxisBlock(ctx.pool, v_, ctx.data<const float>(x_), ctx.data<float>(y_),
                     [&](const float* x, float* y) { rows::logSoftmax(x, y, v_.len); },
                     [&](const float* x, float* y, uint64_t n) { block(x, y, n); });
  }

 private:
  void block(const float* x, float* y, uint64_t n) const {
    float maxv[kAxisBlock];
    double sum[kAxisBlock];
    std::fill(maxv, maxv + n, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + n, 0.0);
    for (uint64_t a = 0; a < v_.len; ++a)
      for (uint64_t i = 0; i < n; ++i) maxv[i] = std::max(maxv[i], x[a * v_.inner + i]);
    for (uint64_t a = 0; a < v_.len; ++a)
      for (uint64_t i = 0; i < n; ++i) sum[i] += double(rows::expApprox(x[a * v_.inner + i] - maxv[i]));
    float logSum[kAxisBlock];
    for (uint64_t i = 0; i < n; ++i) logSum[i] = float(std::log(sum[i]));
    for (uint64_t a = 0; a < v_.len; ++a)
      for (uint64_t i = 0; i < n; ++i) y[a * v_.inner + i] = (x[a * v_.inner + i] - maxv[i]) - logSum[i];
  }

  uint32_t x_, y_;
  AxisView v_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const AxisView v = checkAxisLayer(c, "logSoftmax");
  return std::make_unique<LogSoftmaxOp>(c.inputId(0), c.outputId(0), v);
}

}  // namespace

KernelDef logSoftmaxKernel() { return {"logSoftmax", true, validate}; }

}  // namespace kiln::cpu
