// convDepthwise8c: a depthwise conv tactic (groups == C == Cout, 1 or 2
// spatial dims) that computes on the 8-channel interleaved layout (NCHW8c's
// block) while its tensors stay NCHW: each work item takes 8 channels and a
// band of output rows, interleaves the input rows it reads (zero-padded) into
// per-thread scratch, runs every tap as one 8-wide FMA per output
// (vec-kernels-8c.inc dw8_rows), and transposes the results back into the 8
// output planes. Small planes (MobileNet's 14x14 and 7x7) and stride 2 keep
// every lane busy, where the per-plane kernel (convDepthwise) pads rows to 16.
// Parameters are conv's (conv-params.h).
#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "conv-params.h"
#include "copy-small.h"
#include "kernels.h"
#include "vec-kernels.h"

namespace kiln::cpu {
namespace {

thread_local AlignedBuffer tIn;   // interleaved, padded input rows of one band
thread_local AlignedBuffer tOut;  // interleaved output rows of one band
thread_local AlignedBuffer tW;    // the block's weights [tap][8] and bias [8]

// Scratch per band, in floats: about half of a 64 KiB L2 slice's worth keeps
// the interleaved rows hot between the taps of neighbouring output rows.
constexpr int64_t kBandFloats = 12 * 1024;

class Depthwise8cOp final : public LayerOp {
 public:
  explicit Depthwise8cOp(const ConvLayer& L) : L_(L) {
    clamp_ = L.act.kind == Act::relu || L.act.kind == Act::clip;
    lo_ = L.act.kind == Act::clip ? L.act.alpha : -std::numeric_limits<float>::infinity();
    if (L.act.kind == Act::relu) lo_ = 0.f;
    hi_ = L.act.kind == Act::clip ? L.act.beta : std::numeric_limits<float>::infinity();
    const Window3& w = L.d.win;
    width_ = (w.out[2] - 1) * w.stride[2] + (w.kernel[2] - 1) * w.dilation[2] + 1;
    rowStride_ = width_ * 8;
    for (int64_t ky = 0; ky < w.kernel[1]; ++ky)
      for (int64_t kx = 0; kx < w.kernel[2]; ++kx)
        taps_.push_back(long(ky * w.dilation[1] * rowStride_ + kx * w.dilation[2] * 8));
    const int64_t halo = (w.kernel[1] - 1) * w.dilation[1] + 1;
    const int64_t fit = (kBandFloats / rowStride_ - halo) / w.stride[1] + 1;
    band_ = std::clamp<int64_t>(fit, 1, w.out[1]);
    bands_ = (w.out[1] + band_ - 1) / band_;
    blocks_ = (L.d.channels + 7) / 8;
    small3x3_ = w.kernel[1] == 3 && w.kernel[2] == 3 && w.dilation[1] == 1 && w.dilation[2] == 1 &&
                (w.stride[2] == 1 || w.stride[2] == 2);
  }

  void run(const RunContext& ctx) const override {
    const ConvDims& d = L_.d;
    const Window3& w = d.win;
    const float* x = ctx.data<const float>(L_.x);
    const float* wt = ctx.data<const float>(L_.w);
    const float* bias = L_.b >= 0 ? ctx.data<const float>(uint32_t(L_.b)) : nullptr;
    float* y = ctx.data<float>(L_.y);
    const int64_t H = w.in[1], W = w.in[2], OH = w.out[1], OW = w.out[2];
    const int64_t sh = w.stride[1], top = w.padBegin[1], left = w.padBegin[2];
    const int64_t taps = int64_t(taps_.size());
    const int64_t halo = (w.kernel[1] - 1) * w.dilation[1] + 1;
    const int64_t inner = std::max<int64_t>(0, std::min(W, width_ - left));  // input columns read
    const int64_t leftZeros = std::min(left, width_);
    const VecKernels& vk = vecKernels();
    const size_t items = size_t(d.batch * blocks_ * bands_);
    ctx.pool->parallelFor(items, [&](size_t item) {
      const int64_t band = int64_t(item) % bands_, nb = int64_t(item) / bands_;
      const int64_t n = nb / blocks_, c0 = nb % blocks_ * 8, lanes = std::min<int64_t>(8, d.channels - c0);
      const int64_t oy0 = band * band_, oh = std::min(band_, OH - oy0);
      const int64_t rows = (oh - 1) * sh + halo;
      tIn.ensure(size_t(rows * rowStride_) * sizeof(float));
      tOut.ensure(size_t(oh * OW * 8) * sizeof(float));
      tW.ensure(size_t(taps * 8 + 8) * sizeof(float));
      float* s = tIn.as<float>();
      float* out = tOut.as<float>();
      float* wb = tW.as<float>();
      for (int64_t c = 0; c < 8; ++c) {
        const bool live = c < lanes;
        for (int64_t t = 0; t < taps; ++t) wb[t * 8 + c] = live ? wt[(c0 + c) * taps + t] : 0.f;
        wb[taps * 8 + c] = live && bias ? bias[c0 + c] : 0.f;
      }
      const float* plane = x + (n * d.channels + c0) * H * W;
      for (int64_t r = 0; r < rows; ++r) {
        float* dst = s + r * rowStride_;
        const int64_t iy = oy0 * sh + r - top;
        if (iy < 0 || iy >= H || inner == 0) {
          zeroFloats(dst, size_t(rowStride_));
          continue;
        }
        zeroFloats(dst, size_t(leftZeros * 8));
        vk.interleave8(plane + iy * W, long(H * W), long(lanes), long(inner), dst + left * 8);
        const int64_t end = (left + inner) * 8;
        zeroFloats(dst + end, size_t(rowStride_ - end));
      }
      if (small3x3_)
        vk.dw8Rows3x3(s, long(rowStride_), long(sh), long(w.stride[2]), wb, wb + taps * 8, lo_, hi_, clamp_ ? 1 : 0, out,
                      long(oh), long(OW));
      else
        vk.dw8Rows(s, long(rowStride_), long(sh), long(w.stride[2] * 8), wb, taps_.data(), long(taps), wb + taps * 8,
                   lo_, hi_, clamp_ ? 1 : 0, out, long(oh), long(OW));
      if (!clamp_ && L_.act.kind != Act::none) applyActivation(L_.act, out, out, size_t(oh * OW * 8));
      float* yb = y + ((n * d.channels + c0) * OH + oy0) * OW;
      vk.deinterleave8(out, long(oh * OW), long(lanes), yb, long(OH * OW));
    });
  }

 private:
  ConvLayer L_;
  int64_t width_ = 0, rowStride_ = 0, band_ = 1, bands_ = 1, blocks_ = 1;
  std::vector<long> taps_;
  bool clamp_ = false, small3x3_ = false;
  float lo_ = 0.f, hi_ = 0.f;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const ConvLayer L = readConvLayer(c);
  const ConvDims& d = L.d;
  if (d.groups != d.channels || d.outChannels != d.channels || d.nSpatial > 2)
    c.fail(cat("kernel convDepthwise8c needs groups == input channels == output channels and 1 or 2 spatial dims, got groups ",
               d.groups, ", ", d.channels, " input and ", d.outChannels, " output channels, ", d.nSpatial, " spatial dims"));
  if (d.win.kernel[1] * d.win.kernel[2] > 4096) c.fail("kernel convDepthwise8c supports at most 4096 taps");
  if (c.ints().size() != size_t(3 + 4 * d.nSpatial) && c.ints().back() != 0)
    c.fail("kernel convDepthwise8c does not take a fused residual");
  return std::make_unique<Depthwise8cOp>(L);
}

}  // namespace

KernelDef convDepthwise8cKernel() { return {"convDepthwise8c", false, validate}; }

}  // namespace kiln::cpu
