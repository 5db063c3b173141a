// pool2d: the pooling tactic for 1 or 2 spatial dims (every CNN's max and
// average pools), with pool's parameters and results (kernel-pool.cc). Per
// output row the window's input rows are first reduced vertically into one
// row (a vectorized max or sum in one pass), which is then padded and split by stride
// phase so each horizontal tap is a contiguous vector pass; the portable
// kernel's scalar window loops cost ~10x more.
// ints: [nSpatial, modeCode (max 0, avg 1), countIncludePad (0/1),
//        kernel[n], strides[n], padsBegin[n], padsEnd[n]]. floats: none.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "kernels.h"
#include "layer-check.h"
#include "phase-split.h"
#include "vec-kernels.h"
#include "window.h"

namespace kiln::cpu {
namespace {

thread_local AlignedBuffer tRows;

class Pool2dOp final : public LayerOp {
 public:
  Pool2dOp(uint32_t x, uint32_t y, int64_t planes, const Window3& w, bool isMax, bool includePad)
      : x_(x), y_(y), planes_(planes), w_(w), max_(isMax), includePad_(includePad) {
    width_ = (w.out[2] - 1) * w.stride[2] + w.kernel[2];
    phaseLen_ = (w.kernel[2] - 1) / w.stride[2] + w.out[2] + 1;
    if (!max_) {
      // Real (non-pad) columns of each window, for averages that exclude padding.
      for (int64_t ox = 0; ox < w.out[2]; ++ox) {
        const int64_t x0 = ox * w.stride[2] - w.padBegin[2];
        colCount_.push_back(float(std::min(x0 + w.kernel[2], w.in[2]) - std::max<int64_t>(x0, 0)));
      }
    }
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const int64_t inVol = w_.inVolume(), outVol = w_.outVolume();
    ctx.pool->parallelFor(size_t(planes_), [&](size_t p) { plane(x + int64_t(p) * inVol, y + int64_t(p) * outVol); });
  }

 private:
  void plane(const float* x, float* y) const {
    const Window3& w = w_;
    const VecKernels& vk = vecKernels();
    const int64_t W = w.in[2], sw = w.stride[2], left = w.padBegin[2];
    const float fill = max_ ? -std::numeric_limits<float>::infinity() : 0.f;
    tRows.ensure(size_t(W + sw * phaseLen_) * sizeof(float));
    float* vert = tRows.as<float>();
    float* split = vert + W;
    for (int64_t oy = 0; oy < w.out[1]; ++oy) {
      const int64_t y0 = oy * w.stride[1] - w.padBegin[1];
      const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + w.kernel[1], w.in[1]);
      vk.reduceRows(x + ya * W, long(W), long(yb - ya), long(W), max_ ? 1 : 0, vert);
      phaseSplitRow(vert, W, left, sw, phaseLen_, fill, split);
      float* yrow = y + oy * w.out[2];
      vk.poolRow(split, long(phaseLen_), long(sw), long(w.kernel[2]), max_ ? 1 : 0, yrow, long(w.out[2]));
      if (max_) continue;
      if (includePad_) {
        const float inv = 1.f / float(w.kernel[1] * w.kernel[2]);
        for (int64_t ox = 0; ox < w.out[2]; ++ox) yrow[ox] *= inv;
      } else {
        const float rows = float(yb - ya);
        for (int64_t ox = 0; ox < w.out[2]; ++ox) yrow[ox] /= rows * colCount_[size_t(ox)];
      }
    }
  }

  uint32_t x_, y_;
  int64_t planes_;
  Window3 w_;
  bool max_, includePad_;
  int64_t width_ = 0, phaseLen_ = 0;
  std::vector<float> colCount_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  static const char* kLayout = "[nSpatial, modeCode, countIncludePad, kernel[n], strides[n], padsBegin[n], padsEnd[n]]";
  c.inputs(1, 1);
  c.outputs(1);
  if (c.ints().empty()) c.fail(cat("kernel pool2d expects ints ", kLayout, ", got []"));
  const size_t n = size_t(c.intIn(0, 1, 2, "nSpatial (pool2d: 1 or 2)"));
  c.intCount(3 + 4 * n, kLayout);
  c.floatCount(0, "(none)");
  c.allF32();
  const bool isMax = c.intIn(1, 0, 1, "pool mode code") == 0;
  const bool includePad = c.intIn(2, 0, 1, "countIncludePad") == 1;
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape.size() != n + 2)
    c.fail(cat("kernel pool2d with ", n, " spatial dims expects an input of rank ", n + 2, ", got ", LayerCheck::describe(x)));
  Window3 w;
  Shape expect = {x.shape[0], x.shape[1]};
  bool fits = true;
  for (size_t i = 0; i < n; ++i) {
    const size_t a = 3 - n + i;
    w.in[a] = x.shape[2 + i];
    w.kernel[a] = c.intIn(3 + i, 1, 1 << 20, "kernel size");
    w.stride[a] = c.intIn(3 + n + i, 1, 1 << 20, "stride");
    w.padBegin[a] = c.intIn(3 + 2 * n + i, 0, w.kernel[a] - 1, "padBegin (must be below the kernel size)");
    w.padEnd[a] = c.intIn(3 + 3 * n + i, 0, w.kernel[a] - 1, "padEnd (must be below the kernel size)");
    w.out[a] = windowOutSize(w.in[a], w.kernel[a], w.stride[a], w.padBegin[a], w.padEnd[a], 1);
    fits = fits && w.out[a] >= 1;
    expect.push_back(w.out[a]);
  }
  if (!fits || y.shape != expect)
    c.fail(cat("kernel pool2d expects output ", fits ? typeString(DType::f32, expect) : std::string("(none: the window does not fit)"),
               " for input ", typeString(x.dtype, x.shape), "; got ", typeString(y.dtype, y.shape)));
  return std::make_unique<Pool2dOp>(c.inputId(0), c.outputId(0), x.shape[0] * x.shape[1], w, isMax, includePad);
}

}  // namespace

KernelDef pool2dKernel() { return {"pool2d", false, validate}; }

}  // namespace kiln::cpu
