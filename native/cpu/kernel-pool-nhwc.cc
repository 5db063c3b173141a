// poolNhwc: max and average pooling on NHWC tensors (the PoolNhwc layers of
// layout assignment), so a pool inside an NHWC region (MobileNet's global average
// after its last 1x1 conv) needs no reformat to NCHW first. A pixel's channels
// are contiguous: every window reduces whole vectors of 8 channels
// (pool-plane.inc pool_nhwc). Items: output rows of an image, or, for a global
// pool (one output pixel), blocks of 64 channels.
// inputs: x [N,H,W,C]; output y [N,OH,OW,C]. ints: pool's for 2 spatial dims
// [2, modeCode (max 0, avg 1), countIncludePad, kernel[2], strides[2],
// padsBegin[2], padsEnd[2]]; floats: none.
#include <algorithm>
#include <memory>

#include "conv-direct.h"
#include "kernels.h"
#include "layer-check.h"
#include "pool-params.h"
#include "window.h"

namespace kiln::cpu {
namespace {

constexpr int64_t kGlobalChannels = 64;  // channels per item of a global pool

struct PoolNhwcDims {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl;
};

class PoolNhwcOp final : public LayerOp {
 public:
  PoolNhwcOp(uint32_t x, uint32_t y, const PoolNhwcDims& d, bool isMax, bool includePad)
      : x_(x), y_(y), d_(d), max_(isMax), includePad_(includePad) {}

  void run(const RunContext& ctx) const override {
    const PoolNhwcDims& d = d_;
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const PlanePoolFns& fns = planePool();
    const int64_t image = d.h * d.w * d.c, outImage = d.oh * d.ow * d.c;
    if (d.oh * d.ow == 1) {
      const int64_t chunks = (d.c + kGlobalChannels - 1) / kGlobalChannels;
      ctx.pool->parallelFor(size_t(d.n * chunks), [&](size_t item) {
        const int64_t n = int64_t(item) / chunks, c0 = int64_t(item) % chunks * kGlobalChannels;
        fns.nhwc(x + n * image + c0, long(d.h), long(d.w), long(d.c), long(std::min(kGlobalChannels, d.c - c0)),
                 long(d.kh), long(d.kw), long(d.sh), long(d.sw), long(d.pt), long(d.pl), 0, 0, 1, 1, max_ ? 1 : 0,
                 includePad_ ? 1 : 0, y + n * outImage + c0);
      });
      return;
    }
    ctx.pool->parallelFor(size_t(d.n * d.oh), [&](size_t item) {
      const int64_t n = int64_t(item) / d.oh, oy = int64_t(item) % d.oh;
      fns.nhwc(x + n * image, long(d.h), long(d.w), long(d.c), long(d.c), long(d.kh), long(d.kw), long(d.sh),
               long(d.sw), long(d.pt), long(d.pl), long(oy), 0, long(d.ow), long(d.ow), max_ ? 1 : 0,
               includePad_ ? 1 : 0, y + n * outImage);
    });
  }

 private:
  uint32_t x_, y_;
  PoolNhwcDims d_;
  bool max_, includePad_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const PoolLayer L = readPoolLayer(c, 2, true);
  if (c.ints()[0] != 2) c.fail("kernel poolNhwc needs 2 spatial dims");
  const Window3& w = L.w;
  const PoolNhwcDims d{L.batch, w.in[1], w.in[2], L.channels, w.out[1], w.out[2], w.kernel[1], w.kernel[2], w.stride[1], w.stride[2], w.padBegin[1], w.padBegin[2]};
  return std::make_unique<PoolNhwcOp>(c.inputId(0), c.outputId(0), d, L.isMax, L.includePad);
}

}  // namespace

KernelDef poolNhwcKernel() { return {"poolNhwc", false, validate}; }

}  // namespace kiln::cpu
