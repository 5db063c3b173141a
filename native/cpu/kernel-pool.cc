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
#include "pool-params.h"
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
  const PoolLayer L = readPoolLayer(c, 3, false);
  return std::make_unique<PoolOp>(c.inputId(0), c.outputId(0), L.batch * L.channels, L.w, L.isMax, L.includePad);
}

}  // namespace

KernelDef poolKernel() { return {"pool", false, validate}; }

}  // namespace kiln::cpu
