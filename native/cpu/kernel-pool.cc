// pool: N-d max or average pooling (1, 2 or 3 spatial dims), f32, one
// (image, channel) plane per work item. Max ignores padding; average divides
// by the number of real (non-pad) elements in the window, or by the full
// window size when countIncludePad is set. Pads must be smaller than the
// window, so every window holds at least one real element.
// ints: [nSpatial, modeCode (max 0, avg 1), countIncludePad (0/1),
//        kernel[n], strides[n], padsBegin[n], padsEnd[n]]. floats: none.
#include <algorithm>
#include <limits>

#include "kernels.h"
#include "layer-check.h"
#include "window.h"

namespace kiln::cpu {
namespace {

class PoolOp final : public LayerOp {
 public:
  PoolOp(uint32_t x, uint32_t y, int64_t planes, const Window3& w, bool isMax, bool includePad)
      : x_(x), y_(y), planes_(planes), w_(w), max_(isMax), includePad_(includePad) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const int64_t inVol = w_.inVolume(), outVol = w_.outVolume();
    const int64_t work = outVol * w_.kernelVolume();
    const size_t grain = work >= 32768 ? 1 : size_t(32768 / std::max<int64_t>(work, 1));
    ctx.pool->parallelRanges(size_t(planes_), grain, [&](size_t b, size_t e) {
      for (size_t p = b; p < e; ++p) plane(x + int64_t(p) * inVol, y + int64_t(p) * outVol);
    });
  }

 private:
  void plane(const float* x, float* y) const {
    const Window3& w = w_;
    const float fullCount = float(w.kernelVolume());
    for (int64_t oz = 0; oz < w.out[0]; ++oz) {
      const int64_t z0 = oz * w.stride[0] - w.padBegin[0];
      const int64_t za = std::max<int64_t>(z0, 0), zb = std::min(z0 + w.kernel[0], w.in[0]);
      for (int64_t oy = 0; oy < w.out[1]; ++oy) {
        const int64_t y0 = oy * w.stride[1] - w.padBegin[1];
        const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + w.kernel[1], w.in[1]);
        for (int64_t ox = 0; ox < w.out[2]; ++ox) {
          const int64_t x0 = ox * w.stride[2] - w.padBegin[2];
          const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + w.kernel[2], w.in[2]);
          float acc = max_ ? -std::numeric_limits<float>::infinity() : 0.f;
          for (int64_t iz = za; iz < zb; ++iz)
            for (int64_t iy = ya; iy < yb; ++iy) {
              const float* row = x + (iz * w.in[1] + iy) * w.in[2];
              if (max_) {
                for (int64_t ix = xa; ix < xb; ++ix) acc = std::max(acc, row[ix]);
              } else {
                for (int64_t ix = xa; ix < xb; ++ix) acc += row[ix];
              }
            }
          if (!max_) acc /= includePad_ ? fullCount : float((zb - za) * (yb - ya) * (xb - xa));
          *y++ = acc;
        }
      }
    }
  }

  uint32_t x_, y_;
  int64_t planes_;
  Window3 w_;
  bool max_, includePad_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  static const char* kLayout = "[nSpatial, modeCode, countIncludePad, kernel[n], strides[n], padsBegin[n], padsEnd[n]]";
  c.inputs(1, 1);
  c.outputs(1);
  if (c.ints().empty()) c.fail(cat("kernel pool expects ints ", kLayout, ", got []"));
  const size_t n = size_t(c.intIn(0, 1, 3, "nSpatial"));
  c.intCount(3 + 4 * n, kLayout);
  c.floatCount(0, "(none)");
  c.allF32();
  const bool isMax = c.intIn(1, 0, 1, "pool mode code") == 0;
  const bool includePad = c.intIn(2, 0, 1, "countIncludePad") == 1;
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape.size() != n + 2)
    c.fail(cat("kernel pool with ", n, " spatial dims expects an input of rank ", n + 2, ", got ", LayerCheck::describe(x)));
  Window3 w;
  Shape expect = {x.shape[0], x.shape[1]};
  bool fits = true;
  for (size_t i = 0; i < n; ++i) {
    const size_t a = 3 - n + i;  // spatial dims are right-aligned in Window3
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
    c.fail(cat("kernel pool expects output ", fits ? typeString(DType::f32, expect) : std::string("(none: the window does not fit)"),
               " for input ", typeString(x.dtype, x.shape), ", kernel ", listString(slice(c.ints(), 3, n)),
               ", strides ", listString(slice(c.ints(), 3 + n, n)), ", pads ", listString(slice(c.ints(), 3 + 2 * n, n)),
               "+", listString(slice(c.ints(), 3 + 3 * n, n)), "; got ", typeString(y.dtype, y.shape)));
  return std::make_unique<PoolOp>(c.inputId(0), c.outputId(0), x.shape[0] * x.shape[1], w, isMax, includePad);
}

}  // namespace

KernelDef poolKernel() { return {"pool", false, validate}; }

}  // namespace kiln::cpu
