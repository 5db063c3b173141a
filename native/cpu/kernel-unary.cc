// unary: y = act(x) elementwise, f32.
// ints: [activationCode]. floats: [alpha, beta] (leakyRelu slope = alpha;
// clip min = alpha, max = beta; unused otherwise).
#include "activation.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class UnaryOp final : public LayerOp {
 public:
  UnaryOp(uint32_t x, uint32_t y, uint64_t n, Activation act) : x_(x), y_(y), n_(n), act_(act) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    ctx.pool->parallelRanges(n_, 16384, [&](size_t b, size_t e) { applyActivation(act_, x + b, y + b, e - b); });
  }

 private:
  uint32_t x_, y_;
  uint64_t n_;
  Activation act_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[activationCode]");
  c.floatCount(2, "[alpha, beta]");
  c.allF32();
  if (c.input(0).shape != c.output(0).shape)
    c.fail(cat("kernel unary expects output ", typeString(DType::f32, c.input(0).shape), " (the input's shape), got ",
               typeString(c.output(0).dtype, c.output(0).shape)));
  return std::make_unique<UnaryOp>(c.inputId(0), c.outputId(0), elementCount(c.input(0).shape), c.activation(0));
}

}  // namespace

KernelDef unaryKernel() { return {"unary", true, validate}; }

}  // namespace kiln::cpu
