// convDepthwiseNhwc: a depthwise conv (groups == C == Cout, 2-D) on NHWC
// tensors, the kernel of the ConvNhwc layers that layout assignment
// (passes/assign-layout.ts) puts between NHWC GEMMs. A pixel's channels are
// contiguous, so a block of 8 channels is one vector: each work item takes a
// band of output rows of one image, and for every 8-channel block copies the
// rows it reads (zero-padded, 32 bytes per pixel, no transpose) into scratch
// and runs the same register-blocked loops as convDepthwise8c
// (vec-kernels-8c.inc) before storing the block back into its pixels. Channel
// counts divisible by 8 (MobileNet's) copy each band's rows once for up to 16
// blocks (whole pixels' channels, not 32-byte pieces) and write y in place
// (conv-direct.inc dw_nhwc, 8 pixels of a block per step); 3x3 kernels at
// stride 1 or 2 (all of MobileNet's) copy nothing and read x in place
// (vec-kernels-dw-nhwc.inc, 2 output rows x 4 pixels a tile).
// inputs: x [N, H, W, C], w [C, 1, kh, kw] (constant), optional b [C];
// output y [N, OH, OW, C]. ints and floats: conv's for 2 spatial dims
// (conv-params.h) with groups == C.
#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "activation.h"
#include "conv-direct.h"
#include "layer-check.h"
#include "copy-small.h"
#include "dw3x3-rows.h"
#include "kernels.h"
#include "vec-kernels.h"
#include "window.h"

namespace kiln::cpu {
namespace {

thread_local AlignedBuffer tIn;
thread_local AlignedBuffer tOut;

constexpr int64_t kBandFloats = 12 * 1024;

struct NhwcDims {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw;
};

class DepthwiseNhwcOp final : public LayerOp {
 public:
  DepthwiseNhwcOp(const NhwcDims& d, Activation act, uint32_t x, uint32_t y, const float* w, const float* b)
      : d_(d), act_(act), x_(x), y_(y) {
    clamp_ = act.kind == Act::relu || act.kind == Act::clip;
    lo_ = act.kind == Act::clip ? act.alpha : 0.f;
    hi_ = act.kind == Act::clip ? act.beta : std::numeric_limits<float>::infinity();
    width_ = (d.ow - 1) * d.sw + (d.kw - 1) * d.dw + 1;
    rowStride_ = width_ * 8;
    for (int64_t ky = 0; ky < d.kh; ++ky)
      for (int64_t kx = 0; kx < d.kw; ++kx) taps_.push_back(long(ky * d.dh * rowStride_ + kx * d.dw * 8));
    const int64_t halo = (d.kh - 1) * d.dh + 1;
    // Every 8-channel block rereads the band's NHWC rows: keep them within L2.
    const int64_t fit = (std::max(halo, kBandFloats * 8 / (d.w * d.c)) - halo) / d.sh + 1;
    band_ = std::clamp<int64_t>(std::min(fit, (d.oh + 3) / 4), 1, d.oh);
    bands_ = (d.oh + band_ - 1) / band_;
    blocks_ = (d.c + 7) / 8;
    small3x3_ = d.kh == 3 && d.kw == 3 && d.dh == 1 && d.dw == 1 && (d.sw == 1 || d.sw == 2);
    // Weights per 8-channel block: [tap][8], then the block's bias [8]; lanes past C are 0.
    const int64_t taps = d.kh * d.kw, per = taps * 8 + 8;
    packed_.assign(size_t(blocks_ * per), 0.f);
    if (w)
      for (int64_t ch = 0; ch < d.c; ++ch) {
        float* p = packed_.data() + ch / 8 * per;
        for (int64_t t = 0; t < taps; ++t) p[t * 8 + ch % 8] = w[ch * taps + t];
        p[taps * 8 + ch % 8] = b ? b[ch] : 0.f;
      }
    // The same weights as [block][tap][8] and the bias as [block][8], for whole blocks.
    direct_ = d.c % 8 == 0 && d.kh <= 64;
    inPlace3x3_ = direct_ && small3x3_ && (d.sh == 1 || d.sh == 2);
    if (inPlace3x3_) zeroRow_.assign(size_t(d.w * d.c), 0.f);
    if (direct_)
      for (int64_t cb = 0; cb < blocks_; ++cb) {
        wDirect_.insert(wDirect_.end(), packed_.begin() + cb * per, packed_.begin() + cb * per + taps * 8);
        bDirect_.insert(bDirect_.end(), packed_.begin() + cb * per + taps * 8, packed_.begin() + (cb + 1) * per);
      }
  }

  void run(const RunContext& ctx) const override {
    const NhwcDims& d = d_;
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    if (inPlace3x3_) {
      runInPlace3x3(ctx, x, y);
      return;
    }
    if (direct_) {
      // Whole 8-channel blocks: per item (image, band of output rows, group of up to 16
      // blocks) the band's input rows are copied zero-padded, a pixel's group channels
      // contiguous (runs of up to 512 bytes), then conv-direct.inc's dw_nhwc reads
      // every window without a bounds check and writes y in place.
      const DwNhwcFn fn = dwNhwc();
      const int64_t per = 16, groups = (blocks_ + per - 1) / per;
      const int64_t band = std::clamp<int64_t>((d.oh * d.n * groups + 63) / 64, 1, 8), bands = (d.oh + band - 1) / band;
      const int64_t halo = (d.kh - 1) * d.dh + 1;
      const int64_t wp = std::max(d.pl + d.w, ((d.ow + 7) / 8 * 8 - 1) * d.sw + (d.kw - 1) * d.dw + 1);
      ctx.pool->parallelFor(size_t(d.n * bands * groups), [&](size_t item) {
        const int64_t g = int64_t(item) % groups, nb = int64_t(item) / groups;
        const int64_t n = nb / bands, oy0 = nb % bands * band, oh = std::min(band, d.oh - oy0);
        const int64_t cb0 = g * per, nblk = std::min(per, blocks_ - cb0), ldx = nblk * 8;
        const int64_t rows = (oh - 1) * d.sh + halo, rowStride = wp * ldx;
        tIn.ensure(size_t(rows * rowStride) * sizeof(float));
        float* s = tIn.as<float>();
        const float* image = x + n * d.h * d.w * d.c + cb0 * 8;
        for (int64_t r = 0; r < rows; ++r) {
          float* dst = s + r * rowStride;
          const int64_t iy = oy0 * d.sh + r - d.pt;
          if (iy < 0 || iy >= d.h) {
            zeroFloats(dst, size_t(rowStride));
            continue;
          }
          zeroFloats(dst, size_t(d.pl * ldx));
          for (int64_t ix = 0; ix < d.w; ++ix) copyFloats(dst + (d.pl + ix) * ldx, image + (iy * d.w + ix) * d.c, size_t(ldx));
          zeroFloats(dst + (d.pl + d.w) * ldx, size_t((wp - d.pl - d.w) * ldx));
        }
        float* yb = y + (n * d.oh + oy0) * d.ow * d.c + cb0 * 8;
        fn(s, long(rowStride), long(ldx), long(nblk), long(d.kh), long(d.kw), long(d.sh), long(d.sw), long(d.dh),
           long(d.dw), wDirect_.data() + cb0 * d.kh * d.kw * 8, bDirect_.data() + cb0 * 8, long(oh), long(d.ow),
           long(d.c), clamp_ ? 1 : 0, lo_, hi_, yb);
        if (!clamp_ && act_.kind != Act::none)
          for (int64_t p = 0; p < oh * d.ow; ++p) applyActivation(act_, yb + p * d.c, yb + p * d.c, size_t(ldx));
      });
      return;
    }
    const int64_t halo = (d.kh - 1) * d.dh + 1, taps = d.kh * d.kw, per = taps * 8 + 8;
    const int64_t inner = std::max<int64_t>(0, std::min(d.w, width_ - d.pl));
    const int64_t leftZeros = std::min(d.pl, width_);
    const VecKernels& vk = vecKernels();
    ctx.pool->parallelFor(size_t(d.n * bands_), [&](size_t item) {
      const int64_t n = int64_t(item) / bands_, oy0 = int64_t(item) % bands_ * band_;
      const int64_t oh = std::min(band_, d.oh - oy0), rows = (oh - 1) * d.sh + halo;
      tIn.ensure(size_t(rows * rowStride_) * sizeof(float));
      tOut.ensure(size_t(oh * d.ow * 8) * sizeof(float));
      float* s = tIn.as<float>();
      float* out = tOut.as<float>();
      const float* image = x + n * d.h * d.w * d.c;
      for (int64_t cb = 0; cb < blocks_; ++cb) {
        const int64_t c0 = cb * 8, lanes = std::min<int64_t>(8, d.c - c0);
        for (int64_t r = 0; r < rows; ++r) {
          float* dst = s + r * rowStride_;
          const int64_t iy = oy0 * d.sh + r - d.pt;
          if (iy < 0 || iy >= d.h || inner == 0) {
            zeroFloats(dst, size_t(rowStride_));
            continue;
          }
          zeroFloats(dst, size_t(leftZeros * 8));
          const float* src = image + iy * d.w * d.c + c0;
          float* px = dst + d.pl * 8;
          if (lanes == 8)
            for (int64_t ix = 0; ix < inner; ++ix) copyFloats(px + ix * 8, src + ix * d.c, 8);
          else
            for (int64_t ix = 0; ix < inner; ++ix) {
              for (int64_t c = 0; c < lanes; ++c) px[ix * 8 + c] = src[ix * d.c + c];
              for (int64_t c = lanes; c < 8; ++c) px[ix * 8 + c] = 0.f;
            }
          const int64_t end = (d.pl + inner) * 8;
          zeroFloats(dst + end, size_t(rowStride_ - end));
        }
        const float* wb = packed_.data() + cb * per;
        if (small3x3_)
          vk.dw8Rows3x3(s, long(rowStride_), long(d.sh), long(d.sw), wb, wb + taps * 8, lo_, hi_, clamp_ ? 1 : 0, out,
                        long(oh), long(d.ow));
        else
          vk.dw8Rows(s, long(rowStride_), long(d.sh), long(d.sw * 8), wb, taps_.data(), long(taps), wb + taps * 8, lo_,
                     hi_, clamp_ ? 1 : 0, out, long(oh), long(d.ow));
        if (!clamp_ && act_.kind != Act::none) applyActivation(act_, out, out, size_t(oh * d.ow * 8));
        float* yb = y + (n * d.oh + oy0) * d.ow * d.c + c0;
        const int64_t pixels = oh * d.ow;
        if (lanes == 8)
          for (int64_t p = 0; p < pixels; ++p) copyFloats(yb + p * d.c, out + p * 8, 8);
        else
          for (int64_t p = 0; p < pixels; ++p)
            for (int64_t c = 0; c < lanes; ++c) yb[p * d.c + c] = out[p * 8 + c];
      }
    });
  }

 private:
  // Items of a band of 8, 4 or 2 output rows (the tallest that still gives both threads
  // several items) x a group of channel blocks (more groups where bands alone are too
  // few: batch 1, 7x7). The kernel takes 2 rows at a time; within a band the input rows
  // two neighbouring pairs share are still in this core's caches.
  void runInPlace3x3(const RunContext& ctx, const float* x, float* y) const {
    const NhwcDims& d = d_;
    const Dw3x3RowsFn fn = dw3x3Rows();
    const int64_t want = 8 * int64_t(ctx.pool->threads());
    int64_t band = 8;
    while (band > 2 && d.n * ((d.oh + band - 1) / band) < want) band /= 2;
    const int64_t bands = (d.oh + band - 1) / band;
    int64_t groups = 1;
    while (d.n * bands * groups < want && groups * 2 <= blocks_) groups *= 2;
    ctx.pool->parallelFor(size_t(d.n * bands * groups), [&](size_t item) {
      const int64_t g = int64_t(item) % groups, nb = int64_t(item) / groups;
      const int64_t n = nb / bands, oy0 = nb % bands * band, oy1 = std::min(d.oh, oy0 + band);
      const int64_t cb0 = blocks_ * g / groups, cb1 = blocks_ * (g + 1) / groups;
      const float* image = x + n * d.h * d.w * d.c;
      for (int64_t oy = oy0; oy < oy1; oy += 2) {
        const int64_t rows = std::min<int64_t>(2, oy1 - oy);
        const float* in[5];
        for (int64_t i = 0; i < (rows - 1) * d.sh + 3; ++i) {
          const int64_t iy = oy * d.sh - d.pt + i;
          in[i] = iy < 0 || iy >= d.h ? zeroRow_.data() : image + iy * d.w * d.c;
        }
        float* out[2] = {y + (n * d.oh + oy) * d.ow * d.c, y + (n * d.oh + oy + rows - 1) * d.ow * d.c};
        fn(in, long(rows), long(d.w), long(d.c), long(d.sh), long(d.sw), long(d.pl), wDirect_.data(), bDirect_.data(),
           long(cb0), long(cb1), clamp_ ? 1 : 0, lo_, hi_, out, long(d.ow));
        if (!clamp_ && act_.kind != Act::none)
          for (int64_t p = 0; p < rows * d.ow; ++p) {
            float* px = out[0] + p * d.c + cb0 * 8;
            applyActivation(act_, px, px, size_t((cb1 - cb0) * 8));
          }
      }
    });
  }

  NhwcDims d_;
  Activation act_;
  uint32_t x_, y_;
  int64_t width_ = 0, rowStride_ = 0, band_ = 1, bands_ = 1, blocks_ = 1;
  std::vector<long> taps_;
  std::vector<float> packed_, wDirect_, bDirect_, zeroRow_;
  bool clamp_ = false, small3x3_ = false, direct_ = false, inPlace3x3_ = false;
  float lo_ = 0.f, hi_ = 0.f;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 3);
  c.outputs(1);
  c.intCount(11, "[nSpatial 2, groups, activationCode, strides[2], padsBegin[2], padsEnd[2], dilations[2]]");
  c.floatCount(2, "[alpha, beta]");
  c.intIn(0, 2, 2, "nSpatial");
  c.allF32();
  const TensorDesc &x = c.input(0), &w = c.input(1), &y = c.output(0);
  if (x.shape.size() != 4) c.fail(cat("kernel convDepthwiseNhwc expects x [N,H,W,C], got ", LayerCheck::describe(x)));
  const int64_t C = x.shape[3];
  const int64_t groups = c.intIn(1, 1, std::numeric_limits<int32_t>::max(), "groups");
  if (groups != C) c.fail(cat("kernel convDepthwiseNhwc needs groups == channels ", C, ", got groups ", groups));
  if (w.shape.size() != 4 || w.shape[0] != C || w.shape[1] != 1)
    c.fail(cat("kernel convDepthwiseNhwc expects weights [", C, ",1,kh,kw], got ", LayerCheck::describe(w)));
  if (w.location != Location::weights) c.fail("kernel convDepthwiseNhwc needs constant weights");
  if (c.inputCount() == 3 && c.input(2).shape != Shape{C})
    c.fail(cat("kernel convDepthwiseNhwc expects bias [", C, "], got ", LayerCheck::describe(c.input(2))));
  if (c.inputCount() == 3 && c.input(2).location != Location::weights) c.fail("kernel convDepthwiseNhwc needs a constant bias");
  const auto& v = c.ints();
  NhwcDims d{x.shape[0], C, x.shape[1], x.shape[2], 0, 0, w.shape[2], w.shape[3], v[3], v[4], v[5], v[6], v[9], v[10]};
  for (size_t i = 3; i < 11; ++i)
    if (v[i] < (i >= 5 && i < 9 ? 0 : 1)) c.fail(cat("kernel convDepthwiseNhwc: strides and dilations must be >= 1, pads >= 0"));
  d.oh = windowOutSize(d.h, d.kh, d.sh, d.pt, v[7], d.dh);
  d.ow = windowOutSize(d.w, d.kw, d.sw, d.pl, v[8], d.dw);
  if (d.kh * d.kw > 4096) c.fail("kernel convDepthwiseNhwc supports at most 4096 taps");
  if (d.oh <= 0 || d.ow <= 0 || y.shape != Shape{d.n, d.oh, d.ow, C})
    c.fail(cat("kernel convDepthwiseNhwc expects output [", d.n, ",", d.oh, ",", d.ow, ",", C, "], got ",
               LayerCheck::describe(y)));
  return std::make_unique<DepthwiseNhwcOp>(d, c.activation(2), c.inputId(0), c.outputId(0), c.constantF32(1),
                                           c.inputCount() == 3 ? c.constantF32(2) : nullptr);
}

}  // namespace

KernelDef convDepthwiseNhwcKernel() { return {"convDepthwiseNhwc", false, validate}; }

}  // namespace kiln::cpu
