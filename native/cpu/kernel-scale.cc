// scale: y = (x * scale + shift) ^ power, f32 (TensorRT's IScaleLayer).
// inputs: x, shift, scale, power (always all four). Each of shift, scale and
// power holds either 1 value (applied everywhere) or the mode's count:
// uniform 1, channel x.shape[channelAxis], elementwise x's element count.
// ints: [modeCode (uniform 0, channel 1, elementwise 2), channelAxis].
// floats: none. pow is skipped wherever power == 1.
#include <cmath>

#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class ScaleOp final : public LayerOp {
 public:
  // x is viewed as [outer, channels, inner]; parameters are indexed by channel.
  ScaleOp(const LayerCheck& c, uint64_t outer, uint64_t channels, uint64_t inner)
      : x_(c.inputId(0)), shift_(c.inputId(1)), scale_(c.inputId(2)), power_(c.inputId(3)), y_(c.outputId(0)),
        outer_(outer), channels_(channels), inner_(inner),
        shiftAll_(elementCount(c.input(1).shape) == channels), scaleAll_(elementCount(c.input(2).shape) == channels),
        powerAll_(elementCount(c.input(3).shape) == channels) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    const float* shift = ctx.data<const float>(shift_);
    const float* scale = ctx.data<const float>(scale_);
    const float* power = ctx.data<const float>(power_);
    float* y = ctx.data<float>(y_);
    const uint64_t rows = outer_ * channels_;
    const size_t grain = inner_ >= 16384 ? 1 : static_cast<size_t>(16384 / inner_);
    ctx.pool->parallelRanges(rows, grain, [&](size_t rb, size_t re) {
      for (size_t row = rb; row < re; ++row) {
        const uint64_t ch = row % channels_;
        const float s = scale[scaleAll_ ? ch : 0], t = shift[shiftAll_ ? ch : 0], p = power[powerAll_ ? ch : 0];
        const float* xr = x + row * inner_;
        float* yr = y + row * inner_;
        if (p == 1.f) {
          for (uint64_t i = 0; i < inner_; ++i) yr[i] = xr[i] * s + t;
        } else {
          for (uint64_t i = 0; i < inner_; ++i) yr[i] = std::pow(xr[i] * s + t, p);
        }
      }
    });
  }

 private:
  uint32_t x_, shift_, scale_, power_, y_;
  uint64_t outer_, channels_, inner_;
  bool shiftAll_, scaleAll_, powerAll_;  // per-channel values, else one value
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(4, 4);
  c.outputs(1);
  c.intCount(2, "[modeCode, channelAxis]");
  c.floatCount(0, "(none)");
  c.allF32();
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape != y.shape)
    c.fail(cat("kernel scale expects output ", typeString(DType::f32, x.shape), " (the input's shape), got ",
               typeString(y.dtype, y.shape)));
  const int64_t mode = c.intIn(0, 0, 2, "scale mode code");
  const uint64_t numel = elementCount(x.shape);
  uint64_t outer = 1, channels = 1, inner = numel;
  if (mode == 1) {
    if (x.shape.empty()) c.fail("kernel scale in channel mode needs an input of rank >= 1");
    const int64_t axis = c.intIn(1, 0, int64_t(x.shape.size()) - 1, "channel axis");
    channels = static_cast<uint64_t>(x.shape[axis]);
    outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= static_cast<uint64_t>(x.shape[i]);
    inner = numel / outer / channels;
  } else if (mode == 2) {
    channels = numel;
    inner = 1;
  }
  static const char* const kModes[] = {"uniform", "channel", "elementwise"};
  static const char* const kRoles[] = {"", "shift", "scale", "power"};
  for (size_t i = 1; i <= 3; ++i) {
    const uint64_t n = elementCount(c.input(i).shape);
    if (n != 1 && n != channels)
      c.fail(cat("kernel scale in ", kModes[mode], " mode expects ", kRoles[i], " with 1",
                 channels != 1 ? cat(" or ", channels) : std::string(), " elements, got ",
                 LayerCheck::describe(c.input(i))));
  }
  return std::make_unique<ScaleOp>(c, outer, channels, inner);
}

}  // namespace

KernelDef scaleKernel() { return {"scale", true, validate}; }

}  // namespace kiln::cpu
