// convDirect: a conv tactic (groups 1, 1 or 2 spatial dims, constant weights)
// that runs the 6-channel x 16-pixel register tile of conv-direct.inc over the
// input itself instead of packing an im2col matrix for a GEMM. Each work item
// takes one image, a band of output rows (pointwise convs: a run of pixels) and
// a group of 6-channel blocks:
//   - pointwise (1x1, stride 1, unpadded): the tile reads the input planes in
//     place, pixel runs crossing rows; only a plane's last partial run is copied.
//   - otherwise: the band's input rows are staged once per item into per-thread
//     scratch, zero-padded and split by stride phase (element i of a padded row
//     at phase i % sw, position i / sw), so every tap (c, ky, kx) of 8
//     consecutive outputs is 8 consecutive floats at a fixed offset.
// Output rows shorter than 8 (LeNet's 8x8, 7x7 planes) pair two rows in one tile.
// Bias, a fused residual and relu/clip are applied in registers; other
// activations on the stored tile. Outputs of more than 16 MB leave by streaming
// stores. Parameters are conv's (conv-params.h).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "../cpu-features.h"
#include "../plan-view.h"
#include "conv-direct.h"
#include "conv-params.h"
#include "epilogue.h"
#include "layer-check.h"
#include "vec-kernels.h"

namespace kiln::cpu {

namespace {

bool useAvx2() {
#ifdef KILN_HAVE_AVX2
  static const bool yes = [] {
    const char* v = std::getenv("KILN_VEC_KERNELS");
    const uint64_t host = hostIsaMask();
    return !(v && std::strcmp(v, "generic") == 0) && (host & isa::kAvx2) && (host & isa::kFma);
  }();
  return yes;
#else
  return false;
#endif
}

}  // namespace

// This CPU's build of a conv-direct.inc / pool-plane.inc routine.
#ifdef KILN_HAVE_AVX2
#define KILN_CD_ISA(name) (useAvx2() ? &kiln_cd_avx2_##name : &kiln_cd_generic_##name)
#else
#define KILN_CD_ISA(name) (&kiln_cd_generic_##name)
#endif

DirectTileFn directTile(const char** isa) {
  if (isa) *isa = useAvx2() ? "avx2" : "generic";
  return KILN_CD_ISA(tile);
}

WinoOut8Fn winoOut8() { return KILN_CD_ISA(wino_out8); }
DwNhwcFn dwNhwc() { return KILN_CD_ISA(dw_nhwc); }
void directFence() { KILN_CD_ISA(fence)(); }

const PlanePoolFns& planePool() {
  static const PlanePoolFns fns = {KILN_CD_ISA(pool_nhwc), KILN_CD_ISA(pool_plane), KILN_CD_ISA(plane_reduce)};
  return fns;
}
#undef KILN_CD_ISA

namespace {

constexpr int64_t kRows = 6;                // output channels per tile
constexpr int64_t kStageFloats = 24 * 1024;  // staged input per band, about half of a core's L2 share
constexpr int64_t kRunPixels = 512;         // pointwise: pixels per work item
// Outputs larger than this go out by streaming stores: far past the caches, the next
// layer reads them from memory anyway, and a normal store first reads each line.
constexpr int64_t kStreamBytes = int64_t(16) << 20;

thread_local AlignedBuffer tStage;  // staged band, or a pointwise plane's last partial run
thread_local AlignedBuffer tWeights;  // weights packed per run when the plan's are not prepacked

// One half of a tile: 8 (or fewer) consecutive outputs of one row.
struct Segment {
  int64_t row, col, n;
};

class DirectOp final : public LayerOp {
 public:
  DirectOp(const LayerCheck& c, const ConvLayer& L)
      : L_(L), tile_(directTile()), yImage_(int64_t(imageStrideOf(c.output(0)))) {
    const ConvDims& d = L.d;
    const Window3& w = d.win;
    K_ = d.reduction();
    blocks_ = (d.outChannels + kRows - 1) / kRows;
    const ClampRange range = clampOf(L.act);
    clamp_ = range.on, lo_ = range.lo, hi_ = range.hi;
    pointwise_ = isPointwise(w) && w.in[0] == 1;
    // Streaming stores only where every whole tile half lands 32-byte aligned (planes and,
    // for bands, rows of whole vectors): a line written partly by a normal store and
    // partly by a streaming one is worse than either. Activations other than relu/clip
    // (applied on the stored tile) stay out.
    stream_ = d.batch * d.outChannels * w.outVolume() * int64_t(sizeof(float)) > kStreamBytes &&
              (clamp_ || L.act.kind == Act::none) && w.outVolume() % 8 == 0 && (pointwise_ || w.out[2] % 8 == 0) &&
              c.output(0).offset % 32 == 0 && yImage_ % 8 == 0;  // a strided view's images too
    pointwise_ = isPointwise(w) && w.in[0] == 1;
    if (pointwise_) {
      for (int64_t ci = 0; ci < d.channels; ++ci) off_.push_back(long(ci * w.inVolume()));
      for (int64_t ci = 0; ci < d.channels; ++ci) tailOff_.push_back(long(ci * 16));
    } else {
      const PhaseBands pb = phaseBands(d, kStageFloats);
      phaseLen_ = pb.phaseLen, rowStride_ = pb.rowStride, halo_ = pb.halo, band_ = pb.band, bandRows_ = pb.bandRows;
      off_ = pb.off;
    }
    bands_ = pointwise_ ? (w.outVolume() + kRunPixels - 1) / kRunPixels : (w.out[1] + band_ - 1) / band_;
    // Enough items for the threads: split the channel blocks when images x bands are few.
    const int64_t spatial = d.batch * bands_;
    groups_ = std::clamp<int64_t>((32 + spatial - 1) / spatial, 1, blocks_);
    perGroup_ = (blocks_ + groups_ - 1) / groups_;
    groups_ = (blocks_ + perGroup_ - 1) / perGroup_;
    const float* weights = c.constantF32(1);
    const float* bias = L.b >= 0 ? c.constantF32(2) : nullptr;
    if (weights && (L.b < 0 || bias)) {
      packed_.reset(size_t(blocks_ * (K_ + 1) * kRows) * sizeof(float));
      pack(weights, bias, packed_.as<float>());
    }
  }

  void run(const RunContext& ctx) const override {
    const ConvDims& d = L_.d;
    const float* x = ctx.data<const float>(L_.x);
    float* y = ctx.data<float>(L_.y);
    const float* residual = L_.residual >= 0 ? ctx.data<const float>(uint32_t(L_.residual)) : nullptr;
    const float* packed = packed_.as<float>();
    if (!packed) {  // weights not prepacked (a bias computed at run time): pack now
      tWeights.ensure(size_t(blocks_ * (K_ + 1) * kRows) * sizeof(float));
      pack(ctx.data<const float>(L_.w), L_.b >= 0 ? ctx.data<const float>(uint32_t(L_.b)) : nullptr, tWeights.as<float>());
      packed = tWeights.as<float>();
    }
    const size_t items = size_t(d.batch * bands_ * groups_);
    ctx.pool->parallelFor(items, [&](size_t item) {
      const int64_t g = int64_t(item) % groups_, nb = int64_t(item) / groups_;
      const int64_t n = nb / bands_, band = nb % bands_;
      const int64_t b0 = g * perGroup_, b1 = std::min(blocks_, b0 + perGroup_);
      if (pointwise_)
        runPointwise(x, y, residual, packed, n, band, b0, b1);
      else
        runBand(x, y, residual, packed, n, band, b0, b1);
      if (stream_) directFence();
    });
  }

 private:
  // [block][k][6] weights then [block][6] bias, zeros past the layer's channels.
  void pack(const float* w, const float* bias, float* dst) const {
    const int64_t Cout = L_.d.outChannels;
    for (int64_t blk = 0; blk < blocks_; ++blk) {
      float* wb = dst + blk * K_ * kRows;
      for (int64_t k = 0; k < K_; ++k)
        for (int64_t i = 0; i < kRows; ++i) {
          const int64_t co = blk * kRows + i;
          wb[k * kRows + i] = co < Cout ? w[co * K_ + k] : 0.f;
        }
    }
    float* bb = dst + blocks_ * K_ * kRows;
    for (int64_t co = 0; co < blocks_ * kRows; ++co) bb[co] = bias && co < Cout ? bias[co] : 0.f;
  }

  // Tiles of 16 over segments (pairs of up to 8 outputs), for channel blocks [b0, b1).
  // Segment rows index `yBase` rows of ldRow floats; b(s) is the input pointer of segment s.
  template <typename BFn>
  void tiles(const Segment* segs, size_t count, const long* off, BFn b, float* yImage, const float* rImage,
             const float* packed, int64_t b0, int64_t b1, int64_t ldRow, long pf) const {
    const ConvDims& d = L_.d;
    const int64_t plane = d.win.outVolume();
    for (size_t s = 0; s < count; s += 2) {
      const Segment& s0 = segs[s];
      const Segment& s1 = s + 1 < count ? segs[s + 1] : segs[s];
      const int64_t n1 = s + 1 < count ? s1.n : 0;
      const int64_t o0 = s0.row * ldRow + s0.col, o1 = s1.row * ldRow + s1.col;
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t co = blk * kRows, rows = std::min(kRows, d.outChannels - co);
        float* yb = yImage + co * plane;
        const float* rb = rImage ? rImage + co * plane : nullptr;
        tile_(long(K_), b(s0), b(s1), off, packed + blk * K_ * kRows, packed + blocks_ * K_ * kRows + co,
              rb ? rb + o0 : nullptr, rb ? rb + o1 : nullptr, yb + o0, yb + o1, long(plane), long(rows), long(s0.n),
              long(n1), clamp_ ? 1 : 0, lo_, hi_, stream_ ? -(blk == b0 ? pf : 0) - 1 : blk == b0 ? pf : 0);
        if (!clamp_ && L_.act.kind != Act::none)
          for (int64_t i = 0; i < rows; ++i) {
            applyActivation(L_.act, yb + i * plane + o0, yb + i * plane + o0, size_t(s0.n));
            if (n1) applyActivation(L_.act, yb + i * plane + o1, yb + i * plane + o1, size_t(n1));
          }
      }
    }
  }

  void runPointwise(const float* x, float* y, const float* residual, const float* packed, int64_t n, int64_t run,
                    int64_t b0, int64_t b1) const {
    const ConvDims& d = L_.d;
    const int64_t plane = d.win.outVolume();
    const int64_t p0 = run * kRunPixels, p1 = std::min(plane, p0 + kRunPixels);
    const float* xImage = x + n * d.channels * plane;
    float* yImage = y + n * yImage_;
    const float* rImage = residual ? residual + n * d.outChannels * plane : nullptr;
    // Whole tiles read the planes in place; a last run of fewer than 16 is copied.
    const int64_t whole = p0 + (p1 - p0) / 16 * 16;
    Segment segs[2 * kRunPixels / 8];
    size_t count = 0;
    for (int64_t p = p0; p < whole; p += 8) segs[count++] = {0, p, 8};
    tiles(segs, count, off_.data(), [&](const Segment& s) { return xImage + s.col; }, yImage, rImage, packed, b0, b1, 0,
          long(64));
    if (whole == p1) return;
    tStage.ensure(size_t(d.channels * 16) * sizeof(float));
    float* t = tStage.as<float>();
    const int64_t left = p1 - whole;
    for (int64_t ci = 0; ci < d.channels; ++ci) {
      std::memcpy(t + ci * 16, xImage + ci * plane + whole, size_t(left) * sizeof(float));
      std::memset(t + ci * 16 + left, 0, size_t(16 - left) * sizeof(float));
    }
    Segment tail[2] = {{0, whole, std::min<int64_t>(8, left)}, {0, whole + 8, left - 8}};
    tiles(tail, left > 8 ? 2 : 1, tailOff_.data(), [&](const Segment& s) { return t + (s.col - whole); }, yImage,
          rImage, packed, b0, b1, 0, 0);
  }

  void runBand(const float* x, float* y, const float* residual, const float* packed, int64_t n, int64_t band,
               int64_t b0, int64_t b1) const {
    const ConvDims& d = L_.d;
    const Window3& w = d.win;
    const int64_t H = w.in[1], W = w.in[2], OW = w.out[2], sh = w.stride[1], sw = w.stride[2];
    const int64_t oy0 = band * band_, oh = std::min(band_, w.out[1] - oy0);
    const int64_t rows = (oh - 1) * sh + halo_;
    tStage.ensure(size_t(d.channels * bandRows_ * rowStride_) * sizeof(float));
    float* s = tStage.as<float>();
    const float* xImage = x + n * d.channels * H * W;
    const int64_t left = w.padBegin[2];
    for (int64_t ci = 0; ci < d.channels; ++ci)
      for (int64_t r = 0; r < rows; ++r) {
        float* dst = s + (ci * bandRows_ + r) * rowStride_;
        const int64_t iy = oy0 * sh + r - w.padBegin[1];
        if (iy < 0 || iy >= H) {
          std::memset(dst, 0, size_t(rowStride_) * sizeof(float));
          continue;
        }
        const float* src = xImage + (ci * H + iy) * W;
        if (sw == 1) {
          const int64_t a = std::min(left, phaseLen_), b = std::clamp<int64_t>(W, 0, phaseLen_ - a);
          std::memset(dst, 0, size_t(a) * sizeof(float));
          std::memcpy(dst + a, src, size_t(b) * sizeof(float));
          std::memset(dst + a + b, 0, size_t(phaseLen_ - a - b) * sizeof(float));
          continue;
        }
        if (sw == 2) {
          // Input column ix sits at padded position ix + left: phase (ix + left) % 2.
          std::memset(dst, 0, size_t(rowStride_) * sizeof(float));
          const int64_t cols = std::clamp<int64_t>(rowStride_ - left, 0, W);
          float* evenDst = dst + (left % 2) * phaseLen_ + left / 2;
          float* oddDst = dst + (1 - left % 2) * phaseLen_ + (left + 1) / 2;
          vecKernels().deinterleave2(src, long(cols / 2), evenDst, oddDst);
          if (cols % 2) evenDst[cols / 2] = src[cols - 1];
          continue;
        }
        for (int64_t ph = 0; ph < sw; ++ph) {
          float* out = dst + ph * phaseLen_;
          for (int64_t j = 0; j < phaseLen_; ++j) {
            const int64_t ix = j * sw + ph - left;
            out[j] = ix >= 0 && ix < W ? src[ix] : 0.f;
          }
        }
      }
    std::vector<Segment> segs;
    segs.reserve(size_t(oh * ((OW + 7) / 8)));
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t c = 0; c < OW; c += 8) segs.push_back({oy0 + r, c, std::min<int64_t>(8, OW - c)});
    tiles(segs.data(), segs.size(), off_.data(),
          [&](const Segment& sg) { return s + (sg.row - oy0) * sh * rowStride_ + sg.col; },
          y + n * yImage_, residual ? residual + n * d.outChannels * w.outVolume() : nullptr,
          packed, b0, b1, OW, 0);
  }

  ConvLayer L_;
  DirectTileFn tile_;
  int64_t K_ = 0, blocks_ = 0, groups_ = 1, perGroup_ = 1, bands_ = 1;
  int64_t band_ = 1, bandRows_ = 1, halo_ = 1, phaseLen_ = 0, rowStride_ = 0;
  int64_t yImage_;  // elements from one image of y to the next (a strided view's are further apart)
  bool pointwise_ = false, clamp_ = false, stream_ = false;
  float lo_ = 0.f, hi_ = 0.f;
  std::vector<long> off_, tailOff_;
  AlignedBuffer packed_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const ConvLayer L = readConvLayer(c, true);
  const ConvDims& d = L.d;
  if (d.groups != 1 || d.nSpatial > 2)
    c.fail(cat("kernel convDirect needs groups 1 and 1 or 2 spatial dims, got groups ", d.groups, " and ", d.nSpatial,
               " spatial dims"));
  if (c.input(1).location != Location::weights)
    c.fail("kernel convDirect needs constant weights (packed once at load)");
  if (d.reduction() > (int64_t(1) << 20))
    c.fail(cat("kernel convDirect supports at most 2^20 weights per output channel, got ", d.reduction()));
  return std::make_unique<DirectOp>(c, L);
}

}  // namespace

KernelDef convDirectKernel() { return {"convDirect", false, validate, false, true}; }

}  // namespace kiln::cpu
