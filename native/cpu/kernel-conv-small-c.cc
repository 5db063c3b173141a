// convSmallC: a conv tactic for the stem convs of CNNs, whose few input channels
// (1 to 4: RGB images, LeNet's digits) make a GEMM's reduction too short (K = 27
// for a 3x3 RGB stem) to pay for im2col packing, and the direct 6x16 tile's
// per-tile call and setup a third of its work. Each work item takes one image and
// a band of output rows:
//   1. the band's input rows are staged into per-thread scratch, zero-padded and
//      split by stride phase (phase-split.h), so tap (c, ky, kx) of 8 consecutive
//      outputs is 8 consecutive floats at a fixed offset;
//   2. each output row is one call of conv-small-c.inc's row routine: every
//      4-channel block, 24 pixels per register tile, bias and relu/clip in
//      registers, written straight to the NCHW planes (other activations follow
//      on the stored row).
// Groups 1, 2 spatial dims, constant weights, no fused residual; any stride,
// padding and dilation. Parameters are conv's (conv-params.h).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "../cpu-features.h"
#include "conv-params.h"
#include "kernels.h"
#include "layer-check.h"
#include "phase-split.h"

// The portable build of the row routine (the AVX2 one is conv-small-c-avx2.cc).
#define KILN_SC(name) kiln_sc_generic_##name
#include "conv-small-c.inc"
#undef KILN_SC

extern "C" void kiln_sc_avx2_row(const float*, const long*, long, const float*, const float*, long, long, float*,
                                 long, long, int, float, float);

namespace kiln::cpu {
namespace {

using RowFn = void (*)(const float* s, const long* off, long K, const float* w, const float* bias, long blocks,
                       long cout, float* y, long plane, long OW, int clamp, float lo, float hi);

RowFn rowFn() {
#ifdef KILN_HAVE_AVX2
  const char* v = std::getenv("KILN_VEC_KERNELS");
  const uint64_t host = hostIsaMask();
  if (!(v && std::strcmp(v, "generic") == 0) && (host & isa::kAvx2) && (host & isa::kFma)) return &kiln_sc_avx2_row;
#endif
  return &kiln_sc_generic_row;
}

constexpr int64_t kBlock = 4;                // output channels per register tile
constexpr int64_t kMaxChannels = 4;          // input channels this tactic takes
constexpr int64_t kStageFloats = 16 * 1024;  // staged input per band: well inside L2 next to the weights

thread_local AlignedBuffer tStage;

class SmallCOp final : public LayerOp {
 public:
  SmallCOp(const LayerCheck& c, const ConvLayer& L) : L_(L), row_(rowFn()) {
    const ConvDims& d = L.d;
    const Window3& w = d.win;
    K_ = d.reduction();
    blocks_ = (d.outChannels + kBlock - 1) / kBlock;
    const ClampRange range = clampOf(L.act);
    clamp_ = range.on, lo_ = range.lo, hi_ = range.hi;
    const PhaseBands pb = phaseBands(d, kStageFloats);
    phaseLen_ = pb.phaseLen, rowStride_ = pb.rowStride, halo_ = pb.halo, band_ = pb.band, bandRows_ = pb.bandRows;
    off_ = pb.off;
    bands_ = (w.out[1] + band_ - 1) / band_;
    // [block][k][4] weights then [block][4] bias, zeros past the layer's channels.
    const float* weights = c.constantF32(1);
    const float* bias = L.b >= 0 ? c.constantF32(2) : nullptr;
    if (!weights) return;  // validation only: nothing to run
    packed_.reset(size_t(blocks_ * kBlock * (K_ + 1)) * sizeof(float));
    float* dst = packed_.as<float>();
    for (int64_t blk = 0; blk < blocks_; ++blk)
      for (int64_t k = 0; k < K_; ++k)
        for (int64_t i = 0; i < kBlock; ++i) {
          const int64_t co = blk * kBlock + i;
          dst[(blk * K_ + k) * kBlock + i] = co < d.outChannels ? weights[co * K_ + k] : 0.f;
        }
    float* bb = dst + blocks_ * K_ * kBlock;
    for (int64_t co = 0; co < blocks_ * kBlock; ++co) bb[co] = bias && co < d.outChannels ? bias[co] : 0.f;
  }

  void run(const RunContext& ctx) const override {
    const ConvDims& d = L_.d;
    const float* x = ctx.data<const float>(L_.x);
    float* y = ctx.data<float>(L_.y);
    ctx.pool->parallelFor(size_t(d.batch * bands_), [&](size_t item) {
      runBand(x, y, int64_t(item) / bands_, int64_t(item) % bands_);
    });
  }

 private:
  void runBand(const float* x, float* y, int64_t n, int64_t band) const {
    const ConvDims& d = L_.d;
    const Window3& w = d.win;
    const int64_t H = w.in[1], W = w.in[2], OW = w.out[2], sh = w.stride[1], plane = w.outVolume();
    const int64_t oy0 = band * band_, oh = std::min(band_, w.out[1] - oy0);
    const int64_t rows = (oh - 1) * sh + halo_;
    tStage.ensure(size_t(d.channels * bandRows_ * rowStride_) * sizeof(float));
    float* s = tStage.as<float>();
    const float* xImage = x + n * d.channels * H * W;
    for (int64_t ci = 0; ci < d.channels; ++ci)
      for (int64_t r = 0; r < rows; ++r) {
        float* dst = s + (ci * bandRows_ + r) * rowStride_;
        const int64_t iy = oy0 * sh + r - w.padBegin[1];
        if (iy < 0 || iy >= H)
          std::memset(dst, 0, size_t(rowStride_) * sizeof(float));
        else
          phaseSplitRow(xImage + (ci * H + iy) * W, W, w.padBegin[2], w.stride[2], phaseLen_, 0.f, dst);
      }
    const float* packed = packed_.as<float>();
    float* yImage = y + n * d.outChannels * plane;
    for (int64_t r = 0; r < oh; ++r) {
      float* yRow = yImage + (oy0 + r) * OW;
      row_(s + r * sh * rowStride_, off_.data(), long(K_), packed, packed + blocks_ * K_ * kBlock, long(blocks_),
           long(d.outChannels), yRow, long(plane), long(OW), clamp_ ? 1 : 0, lo_, hi_);
      if (!clamp_ && L_.act.kind != Act::none)
        for (int64_t co = 0; co < d.outChannels; ++co) applyActivation(L_.act, yRow + co * plane, yRow + co * plane, size_t(OW));
    }
  }

  ConvLayer L_;
  RowFn row_;
  int64_t K_ = 0, blocks_ = 0, band_ = 1, bandRows_ = 1, bands_ = 1, halo_ = 1, phaseLen_ = 0, rowStride_ = 0;
  bool clamp_ = false;
  float lo_ = 0.f, hi_ = 0.f;
  std::vector<long> off_;
  AlignedBuffer packed_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const ConvLayer L = readConvLayer(c);
  const ConvDims& d = L.d;
  if (d.groups != 1 || d.nSpatial != 2 || d.channels > kMaxChannels)
    c.fail(cat("kernel convSmallC needs groups 1, 2 spatial dims and at most ", kMaxChannels,
               " input channels, got groups ", d.groups, ", ", d.nSpatial, " spatial dims and ", d.channels,
               " channels"));
  if (c.input(1).location != Location::weights || (L.b >= 0 && c.input(2).location != Location::weights))
    c.fail("kernel convSmallC needs constant weights and bias (packed once at load)");
  return std::make_unique<SmallCOp>(c, L);
}

}  // namespace

KernelDef convSmallCKernel() { return {"convSmallC", false, validate}; }

}  // namespace kiln::cpu
