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
  static const char* kLayout = "[2, modeCode, countIncludePad, kernel[2], strides[2], padsBegin[2], padsEnd[2]]";
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(11, kLayout);
  c.floatCount(0, "(none)");
  c.allF32();
  c.intIn(0, 2, 2, "nSpatial (poolNhwc: 2)");
  const bool isMax = c.intIn(1, 0, 1, "pool mode code") == 0;
  const bool includePad = c.intIn(2, 0, 1, "countIncludePad") == 1;
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape.size() != 4) c.fail(cat("kernel poolNhwc expects x [N,H,W,C], got ", LayerCheck::describe(x)));
  PoolNhwcDims d{x.shape[0], x.shape[1], x.shape[2], x.shape[3], 0, 0, 0, 0, 0, 0, 0, 0};
  d.kh = c.intIn(3, 1, 1 << 20, "kernel size");
  d.kw = c.intIn(4, 1, 1 << 20, "kernel size");
  d.sh = c.intIn(5, 1, 1 << 20, "stride");
  d.sw = c.intIn(6, 1, 1 << 20, "stride");
  d.pt = c.intIn(7, 0, d.kh - 1, "padBegin (must be below the kernel size)");
  d.pl = c.intIn(8, 0, d.kw - 1, "padBegin (must be below the kernel size)");
  const int64_t pb = c.intIn(9, 0, d.kh - 1, "padEnd (must be below the kernel size)");
  const int64_t pr = c.intIn(10, 0, d.kw - 1, "padEnd (must be below the kernel size)");
  d.oh = windowOutSize(d.h, d.kh, d.sh, d.pt, pb, 1);
  d.ow = windowOutSize(d.w, d.kw, d.sw, d.pl, pr, 1);
  if (d.oh < 1 || d.ow < 1 || y.shape != Shape{d.n, d.oh, d.ow, d.c})
    c.fail(cat("kernel poolNhwc expects output ",
               d.oh < 1 || d.ow < 1 ? std::string("(none: the window does not fit)")
                                    : typeString(DType::f32, {d.n, d.oh, d.ow, d.c}),
               " for input ", typeString(x.dtype, x.shape), "; got ", typeString(y.dtype, y.shape)));
  return std::make_unique<PoolNhwcOp>(c.inputId(0), c.outputId(0), d, isMax, includePad);
}

}  // namespace

KernelDef poolNhwcKernel() { return {"poolNhwc", false, validate}; }

}  // namespace kiln::cpu
