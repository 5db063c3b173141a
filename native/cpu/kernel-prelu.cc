// prelu: y = x < 0 ? slope * x : x, f32, with slope broadcast to x's shape
// (ONNX's unidirectional broadcasting; a per-channel slope is [C,1,1]).
// ints: none. floats: none.
#include "broadcast.h"
#include "elementwise-loop.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class PReluOp final : public LayerOp {
 public:
  PReluOp(uint32_t x, uint32_t slope, uint32_t y, NaryLoop loop, uint64_t total)
      : x_(x), slope_(slope), y_(y), loop_(std::move(loop)), total_(total) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    const float* slope = ctx.data<const float>(slope_);
    float* y = ctx.data<float>(y_);
    forEachSpan(loop_, ctx.pool, total_, 16384, [&](size_t i, const LoopOffsets& off, const LoopOffsets& step, size_t n) {
      const float* xs = x + off[0];  // x has the output's shape: its step is always 1
      const float* s = slope + off[1];
      float* ys = y + i;
      // x < 0 ? s*x : x as x times a selected factor: a select between values
      // vectorizes where a select guarding a multiply does not, and unlike a sum of
      // the two halves it keeps -0 (ONNX: -0 >= 0, so -0 passes through) and NaN.
      if (step[1]) {
        for (size_t k = 0; k < n; ++k) {
          const float v = xs[k];
          ys[k] = v * (v < 0.f ? s[k] : 1.f);
        }
      } else {
        const float sv = *s;
        for (size_t k = 0; k < n; ++k) {
          const float v = xs[k];
          ys[k] = v * (v < 0.f ? sv : 1.f);
        }
      }
    });
  }

 private:
  uint32_t x_, slope_, y_;
  NaryLoop loop_;
  uint64_t total_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 2);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(0, "(none)");
  c.allF32();
  const TensorDesc &x = c.input(0), &slope = c.input(1), &y = c.output(0);
  Shape expect;
  if (!broadcastShapes(x.shape, slope.shape, &expect) || expect != x.shape)
    c.fail(cat("kernel prelu needs a slope that broadcasts to x ", LayerCheck::describe(x), ", got ",
               LayerCheck::describe(slope)));
  if (y.shape != x.shape)
    c.fail(cat("kernel prelu expects output ", typeString(DType::f32, x.shape), ", got ", typeString(y.dtype, y.shape)));
  return std::make_unique<PReluOp>(c.inputId(0), c.inputId(1), c.outputId(0),
                                   planNaryLoop({x.shape, slope.shape}, y.shape), elementCount(y.shape));
}

}  // namespace

KernelDef preluKernel() { return {"prelu", true, validate}; }

}  // namespace kiln::cpu
