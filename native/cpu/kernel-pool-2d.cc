// pool2d: the pooling tactic for 1 or 2 spatial dims (every CNN's max and
// average pools), with pool's parameters and results (kernel-pool.cc). Per
// output row the window's input rows are first reduced vertically into one
// padded row (split by column parity for horizontal stride 2), then 8 outputs
// at a time take their horizontal taps from it, one call per plane (pool-plane.inc);
// global pools reduce each plane in one pass. The portable kernel's scalar
// window loops cost ~10x more.
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
#include "pool-params.h"
#include "conv-direct.h"
#include "window.h"

namespace kiln::cpu {
namespace {

thread_local AlignedBuffer tRows;

class Pool2dOp final : public LayerOp {
 public:
  Pool2dOp(uint32_t x, uint32_t y, int64_t planes, const Window3& w, bool isMax, bool includePad)
      : x_(x), y_(y), planes_(planes), w_(w), max_(isMax) {
    global_ = w.kernel[1] == w.in[1] && w.kernel[2] == w.in[2] && w.out[1] == 1 && w.out[2] == 1 &&
              w.padBegin[1] + w.padBegin[2] + w.padEnd[1] + w.padEnd[2] == 0;
    // Averages: the scale of each output row and column (padded to whole vectors).
    for (int64_t oy = 0; oy < w.out[1]; ++oy) {
      const int64_t y0 = oy * w.stride[1] - w.padBegin[1];
      const int64_t rows = std::min(y0 + w.kernel[1], w.in[1]) - std::max<int64_t>(y0, 0);
      rowScale_.push_back(1.f / float(includePad ? w.kernel[1] : rows));
    }
    for (int64_t ox = 0; ox < (w.out[2] + 7) / 8 * 8; ++ox) {
      const int64_t x0 = ox * w.stride[2] - w.padBegin[2];
      const int64_t cols = std::min(x0 + w.kernel[2], w.in[2]) - std::max<int64_t>(x0, 0);
      colScale_.push_back(1.f / float(includePad || ox >= w.out[2] ? w.kernel[2] : cols));
    }
    // Work items of about 16K input floats: LeNet's 24x24 planes go several to an item.
    perItem_ = std::clamp<int64_t>(16384 / std::max<int64_t>(w.inVolume(), 1), 1, planes_);
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const int64_t inVol = w_.inVolume(), outVol = w_.outVolume();
    const PlanePoolFns& fns = planePool();
    const size_t items = size_t((planes_ + perItem_ - 1) / perItem_);
    ctx.pool->parallelFor(items, [&](size_t item) {
      const int64_t p0 = int64_t(item) * perItem_, n = std::min(perItem_, planes_ - p0);
      if (global_) {
        fns.reduce(x + p0 * inVol, long(n), long(inVol), max_ ? 1 : 0, 1.f / float(inVol), y + p0);
        return;
      }
      const Window3& w = w_;
      tRows.ensure(size_t(2 * planePoolScratch(long(w.out[2]), long(w.kernel[2]), long(w.stride[2]))) * sizeof(float));
      for (int64_t p = p0; p < p0 + n; ++p)
        fns.plane(x + p * inVol, long(w.in[1]), long(w.in[2]), long(w.kernel[1]), long(w.kernel[2]), long(w.stride[1]),
                  long(w.stride[2]), long(w.padBegin[1]), long(w.padBegin[2]), long(w.out[1]), long(w.out[2]),
                  max_ ? 1 : 0, rowScale_.data(), colScale_.data(), tRows.as<float>(), y + p * outVol);
    });
  }

 private:
  uint32_t x_, y_;
  int64_t planes_;
  Window3 w_;
  bool max_, global_ = false;
  int64_t perItem_ = 1;
  std::vector<float> rowScale_, colScale_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const PoolLayer L = readPoolLayer(c, 2, false);
  return std::make_unique<Pool2dOp>(c.inputId(0), c.outputId(0), L.batch * L.channels, L.w, L.isMax, L.includePad);
}

}  // namespace

KernelDef pool2dKernel() { return {"pool2d", false, validate}; }

}  // namespace kiln::cpu
