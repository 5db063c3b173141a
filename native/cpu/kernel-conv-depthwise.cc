// convDepthwise: the conv tactic for depthwise convolutions (groups == C,
// Cout = C * multiplier; MobileNet's 3x3 layers), 1 or 2 spatial dims. As
// GEMM each group would be a 1-row product; here each output plane is one
// vectorized pass: the input plane is copied once, zero-padded and split by
// stride phase, into per-thread scratch, then every tap is a contiguous
// multiply-add over 16 outputs held in registers (vec-kernels.inc dw_plane).
// Parameters are conv's (conv-params.h).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "conv-params.h"
#include "copy-small.h"
#include "phase-split.h"
#include "kernels.h"
#include "vec-kernels.h"

namespace kiln::cpu {
namespace {

thread_local AlignedBuffer tPlane;
// The layer whose padded geometry tPlane holds: its padding is zero and every
// plane of that layer rewrites the same interior positions, so only the first
// plane on a thread pays for the fill.
// Layers are told apart by a serial number, not their address, which a later
// layer may reuse.
thread_local uint64_t tPlaneOwner = 0;
std::atomic<uint64_t> gNextSerial{1};
thread_local AlignedBuffer tOut;  // full 16-wide rows for outputs whose width is not a multiple of 16

struct PlaneGeometry {
  int64_t rows;      // padded input rows the outputs read
  int64_t width;     // padded input columns the outputs read
  int64_t phaseLen;  // floats per stride phase of one row, with read slack
  int64_t rowStride;
};

class DepthwiseOp final : public LayerOp {
 public:
  explicit DepthwiseOp(const ConvLayer& L) : L_(L), serial_(gNextSerial.fetch_add(1)) {
    // relu and clip are a clamp applied in registers before the store.
    clamp_ = L.act.kind == Act::relu || L.act.kind == Act::clip;
    clampLo_ = L.act.kind == Act::clip ? L.act.alpha : 0.f;
    clampHi_ = L.act.kind == Act::clip ? L.act.beta : std::numeric_limits<float>::infinity();
    const Window3& w = L.d.win;
    const int64_t sw = w.stride[2];
    g_.rows = (w.out[1] - 1) * w.stride[1] + (w.kernel[1] - 1) * w.dilation[1] + 1;
    g_.width = (w.out[2] - 1) * sw + (w.kernel[2] - 1) * w.dilation[2] + 1;
    g_.phaseLen = (w.kernel[2] - 1) * w.dilation[2] / sw + (w.out[2] + 15) / 16 * 16 + 1;
    g_.rowStride = sw * g_.phaseLen;
    for (int64_t ky = 0; ky < w.kernel[1]; ++ky)
      for (int64_t kx = 0; kx < w.kernel[2]; ++kx) {
        const int64_t o = kx * w.dilation[2];
        taps_.push_back(long(ky * w.dilation[1] * g_.rowStride + (o % sw) * g_.phaseLen + o / sw));
      }
  }

  void run(const RunContext& ctx) const override {
    const ConvDims& d = L_.d;
    const float* x = ctx.data<const float>(L_.x);
    const float* w = ctx.data<const float>(L_.w);
    const float* bias = L_.b >= 0 ? ctx.data<const float>(uint32_t(L_.b)) : nullptr;
    float* y = ctx.data<float>(L_.y);
    const int64_t mult = d.outChannels / d.channels;
    const int64_t inVol = d.win.inVolume(), outVol = d.win.outVolume();
    const size_t planes = size_t(d.batch * d.outChannels);
    const int64_t oh = d.win.out[1], ow = d.win.out[2], ldy = (ow + 15) / 16 * 16;
    ctx.pool->parallelFor(planes, [&](size_t p) {
      const int64_t n = int64_t(p) / d.outChannels, oc = int64_t(p) % d.outChannels;
      float* scratch = preparePlane(x + (n * d.channels + oc / mult) * inVol);
      float* out = y + int64_t(p) * outVol;
      // Rows written 16 wide: straight into y when that is its width, else
      // into scratch rows copied out after (a masked tail store costs more).
      float* rows = out;
      if (ldy != ow) {
        tOut.ensure(size_t(oh * ldy) * sizeof(float));
        rows = tOut.as<float>();
      }
      vecKernels().dwPlane(scratch, long(g_.rowStride), long(d.win.stride[1]), w + oc * int64_t(taps_.size()),
                           taps_.data(), long(taps_.size()), bias ? bias[oc] : 0.f, clampLo_, clampHi_, clamp_ ? 1 : 0,
                           rows, long(ldy), long(oh), long(ow));
      if (rows != out)
        for (int64_t r = 0; r < oh; ++r) copyFloats(out + r * ow, rows + r * ldy, size_t(ow));
      if (!clamp_ && L_.act.kind != Act::none) applyActivation(L_.act, out, out, size_t(outVol));
    });
  }

 private:
  // The plane, zero-padded and phase-split, in this thread's scratch.
  float* preparePlane(const float* x) const {
    const Window3& w = L_.d.win;
    const int64_t H = w.in[1], W = w.in[2], sw = w.stride[2];
    const int64_t top = w.padBegin[1], left = w.padBegin[2];
    const size_t floats = size_t(g_.rows * g_.rowStride);
    if (tPlane.size() < floats * sizeof(float) || tPlaneOwner != serial_) {
      tPlane.ensure(floats * sizeof(float));
      zeroFloats(tPlane.as<float>(), floats);
      tPlaneOwner = serial_;
    }
    float* dst = tPlane.as<float>();
    // Rows outside the input stay zero; columns past the last window are never
    // read into an output that is kept.
    const int64_t r0 = std::max<int64_t>(top, 0), r1 = std::min(g_.rows, H + top);
    for (int64_t r = r0; r < r1; ++r)
      phaseSplitInterior(x + (r - top) * W, std::min(W, g_.width - left), left, sw, g_.phaseLen, dst + r * g_.rowStride);
    return dst;
  }

  ConvLayer L_;
  uint64_t serial_;
  PlaneGeometry g_;
  std::vector<long> taps_;
  bool clamp_ = false;
  float clampLo_ = 0.f, clampHi_ = 0.f;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const ConvLayer L = readConvLayer(c);
  const ConvDims& d = L.d;
  if (d.groups != d.channels || d.nSpatial > 2)
    c.fail(cat("kernel convDepthwise needs groups == input channels and 1 or 2 spatial dims, got groups ", d.groups,
               " for ", d.channels, " channels and ", d.nSpatial, " spatial dims"));
  if (d.win.kernel[1] * d.win.kernel[2] > 4096) c.fail("kernel convDepthwise supports at most 4096 taps");
  return std::make_unique<DepthwiseOp>(L);
}

}  // namespace

KernelDef convDepthwiseKernel() { return {"convDepthwise", false, validate}; }

}  // namespace kiln::cpu
