// conv1x1 / conv1x1Stream: pointwise conv tactics (1x1 kernel, stride 1, no
// padding, groups 1, constant weights and bias) that run the 4-channel x
// 24-pixel tile of conv-1x1.inc over the input planes where they lie: no im2col,
// no packing of X, no K blocking. With 16-64 input channels (SqueezeNet's
// expands, MobileNet's expansions) the layer is bound by its output write, which
// the GEMM path slows with packing passes and 64-channel-wide store patterns.
//
// Work items are (image, pixel strip, group of channel blocks), about 32 of them;
// an item walks its strip in chunks of X that fit L1, running every block over a
// chunk while the first block prefetches the next, so 4 output rows at a time
// stream out and X is read from memory once. The last tile of a plane reads a
// zero-padded copy of the plane's end instead of running past it; outputs may be
// strided views (a concat eliminated at batch > 1). conv1x1Stream writes through streaming
// stores: a block's 4 rows are channels c, c + s, c + 2s, c + 3s with s chosen so
// the rows share their 32-byte alignment even when a plane is not a multiple of 8
// floats (SqueezeNet's 55x55), each block starts with a short head up to a 64-byte
// line, and strip boundaries fall on lines, so every line is written whole by one
// thread. Bias, a fused residual and relu/clip are applied in registers; other
// activations on the stored rows. Parameters are conv's (conv-params.h).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <vector>

#include "../aligned-buffer.h"
#include "../cpu-features.h"
#include "../plan-view.h"
#include "conv-1x1.h"
#include "conv-params.h"
#include "layer-check.h"

#define KILN_PW(name) kiln_pw_generic_##name
#include "conv-1x1.inc"
#undef KILN_PW

namespace kiln::cpu {
namespace {

constexpr int64_t kRows = 4, kTile = 24;
constexpr int64_t kChunkBytes = 16 * 1024;  // X's pixels that every block of an item runs over in turn: in L1
constexpr int64_t kItems = 32;              // at least this many items (a preempted thread leaves little)
constexpr int64_t kTail = 48;               // floats per row of the plane-end copy: 24 pixels + a tile's overrun

thread_local AlignedBuffer tTail;  // the planes' last pixels

Conv1x1Fn pickTile() {
#ifdef KILN_HAVE_AVX2
  const char* v = std::getenv("KILN_VEC_KERNELS");
  const uint64_t host = hostIsaMask();
  if (!(v && std::strcmp(v, "generic") == 0) && (host & isa::kAvx2) && (host & isa::kFma))
    return {&kiln_pw_avx2_run, &kiln_pw_avx2_fence, "avx2"};
#endif
  return {&kiln_pw_generic_run, &kiln_pw_generic_fence, "generic"};
}

// Output rows c0, c0 + stride, ... (rows of them).
struct Block {
  int64_t c0, stride, rows;
};

class Conv1x1Op final : public LayerOp {
 public:
  Conv1x1Op(const LayerCheck& c, const ConvLayer& L, bool stream)
      : L_(L), fn_(conv1x1Tile()), yImage_(int64_t(imageStrideOf(c.output(0)))) {
    const ConvDims& d = L.d;
    K_ = d.channels, M_ = d.outChannels, P_ = d.win.outVolume();
    const ClampRange range = clampOf(L.act);
    clamp_ = range.on, lo_ = range.lo, hi_ = range.hi;
    // Activations applied on the stored rows would read streamed lines back from memory.
    stream_ = stream && (clamp_ || L.act.kind == Act::none);
    // Rows whose planes start at the same offset within 8 floats: P * stride % 8 == 0.
    const int64_t stride = stream_ ? 8 / std::gcd<int64_t>(P_, 8) : 1, chunk = stride * kRows;
    for (int64_t q = 0; q < M_; q += chunk) {
      if (M_ - q >= chunk) {
        for (int64_t j = 0; j < stride; ++j) blocks_.push_back({q + j, stride, kRows});
        continue;
      }
      for (int64_t c0 = q; c0 < M_; c0 += kRows) blocks_.push_back({c0, 1, std::min(kRows, M_ - c0)});
    }
    // Items: about kItems (image, strip) pairs, channel groups only where the planes are too
    // small to split. Strips and chunks are multiples of 48 pixels (two tiles, three 64-byte
    // lines), so with the heads their bounds fall on lines.
    const int64_t nb = int64_t(blocks_.size());
    const int64_t perImage = (kItems + d.batch - 1) / d.batch;
    strip_ = std::max<int64_t>(48, ((P_ + perImage - 1) / perImage + 47) / 48 * 48);
    strips_ = (P_ + strip_ - 1) / strip_;
    const int64_t want = std::clamp<int64_t>((kItems + d.batch * strips_ - 1) / (d.batch * strips_), 1, nb);
    perGroup_ = (nb + want - 1) / want;
    groups_ = (nb + perGroup_ - 1) / perGroup_;
    chunk_ = std::max<int64_t>(48, kChunkBytes / (4 * K_) / 48 * 48);
    const float* w = c.constantF32(1);
    const float* bias = L.b >= 0 ? c.constantF32(2) : nullptr;
    if (!w) return;  // validation only: nothing runs
    packed_.reset(size_t(nb * (K_ + 1) * kRows) * sizeof(float));
    float* p = packed_.as<float>();
    std::memset(p, 0, size_t(nb * (K_ + 1) * kRows) * sizeof(float));
    for (int64_t b = 0; b < nb; ++b) {
      const Block& blk = blocks_[size_t(b)];
      for (int64_t i = 0; i < blk.rows; ++i) {
        const int64_t co = blk.c0 + i * blk.stride;
        for (int64_t k = 0; k < K_; ++k) p[(b * K_ + k) * kRows + i] = w[co * K_ + k];
        if (bias) p[(nb * K_ + b) * kRows + i] = bias[co];
      }
    }
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(L_.x);
    float* y = ctx.data<float>(L_.y);
    const float* residual = L_.residual >= 0 ? ctx.data<const float>(uint32_t(L_.residual)) : nullptr;
    const size_t items = size_t(L_.d.batch * strips_ * groups_);
    ctx.pool->parallelFor(items, [&](size_t item) {
      const int64_t g = int64_t(item) % groups_, ns = int64_t(item) / groups_;
      runItem(x, y, residual, ns / strips_, ns % strips_, g);
      if (stream_) fn_.fence();
    });
  }

 private:
  // Pixels [p0, p1) of the item's strip, chunk by chunk: every block of the group over the
  // chunk, whose X stays in L1, while the first block prefetches the next chunk's X (K
  // short runs, one per plane, which the hardware prefetchers pick up late). Each block's bounds move by
  // its head (streaming), except the plane's ends. (Copying the chunk into a contiguous
  // panel measured 3-20% slower, K 16-512.)
  void runItem(const float* x, float* y, const float* residual, int64_t n, int64_t strip, int64_t g) const {
    const float* xImage = x + n * K_ * P_;
    const int64_t nb = int64_t(blocks_.size()), b0 = g * perGroup_, b1 = std::min(nb, b0 + perGroup_);
    const int64_t p0 = strip * strip_, p1 = std::min(P_, p0 + strip_);
    int64_t heads[256];
    for (int64_t b = b0; b < b1 && b - b0 < 256; ++b) heads[b - b0] = head(y, n, blocks_[size_t(b)]);
    bool tailReady = false;
    for (int64_t c0 = p0; c0 < p1; c0 += chunk_) {
      const int64_t c1 = std::min(p1, c0 + chunk_);
      for (int64_t b = b0; b < b1; ++b) {
        const long pf = b == b0 && c1 < p1 ? long(chunk_) : 0;  // the first block fetches the next chunk
        const int64_t h = b - b0 < 256 ? heads[b - b0] : head(y, n, blocks_[size_t(b)]);
        auto bound = [&](int64_t p) { return p == 0 || p >= P_ ? std::min(p, P_) : std::min(P_, p + h); };
        const int64_t e0 = bound(c0), e1 = bound(c1);
        if (e0 == 0 && h > 0) {
          segment(xImage, y, residual, n, b, 0, std::min(h, e1), tailReady, pf);
          segment(xImage, y, residual, n, b, std::min(h, e1), e1, tailReady, pf);
        } else {
          segment(xImage, y, residual, n, b, e0, e1, tailReady, pf);
        }
      }
    }
  }

  // Pixels before the first 64-byte line of block b's rows in image n (streaming only).
  int64_t head(const float* y, int64_t n, const Block& blk) const {
    if (!stream_) return 0;
    const uintptr_t at = reinterpret_cast<uintptr_t>(y + n * yImage_ + blk.c0 * P_);
    return std::min<int64_t>(P_, int64_t((64 - at % 64) % 64 / sizeof(float)));
  }

  // Block b over pixels [p, e): tiles read X in place while 24 pixels remain in the plane,
  // else the zero-padded copy of the plane's end.
  void segment(const float* xImage, float* y, const float* residual, int64_t n, int64_t b,
               int64_t p, int64_t e, bool& tailReady, long pf) const {
    if (p >= e) return;
    const Block& blk = blocks_[size_t(b)];
    const int64_t row0 = n * yImage_ + blk.c0 * P_, ldy = blk.stride * P_, nb = int64_t(blocks_.size());
    const int64_t res0 = (n * M_ + blk.c0) * P_;  // the residual is dense
    const float* w = packed_.as<float>() + b * K_ * kRows;
    const float* bias = packed_.as<float>() + (nb * K_ + b) * kRows;
    const int64_t full = (e - p) / kTile * kTile, q = p + full;
    const float* r = residual ? residual + res0 + p : nullptr;
    if (q == e || q + kTile <= P_) {
      call(xImage + p, P_, w, bias, r, y + row0 + p, ldy, blk.rows, e - p, pf);
    } else {
      if (full) call(xImage + p, P_, w, bias, r, y + row0 + p, ldy, blk.rows, full, pf);
      const int64_t start = std::max<int64_t>(0, P_ - kTile);
      if (!tailReady) fillTail(xImage, start), tailReady = true;
      call(tTail.as<float>() + (q - start), kTail, w, bias, residual ? residual + res0 + q : nullptr, y + row0 + q,
           ldy, blk.rows, e - q, 0);
    }
    if (!clamp_ && L_.act.kind != Act::none)
      for (int64_t i = 0; i < blk.rows; ++i) {
        float* row = y + row0 + i * ldy + p;
        applyActivation(L_.act, row, row, size_t(e - p));
      }
  }

  void call(const float* x, int64_t ldx, const float* w, const float* bias, const float* r, float* y, int64_t ldy,
            int64_t rows, int64_t n, long pf) const {
    fn_.run(long(K_), x, long(ldx), w, bias, r, y, long(ldy), long(rows), long(n), clamp_ ? 1 : 0, lo_, hi_,
            stream_ ? 1 : 0, pf);
  }

  // Pixels [start, P) of every input plane of the image, zero-padded to kTail floats a row.
  void fillTail(const float* xImage, int64_t start) const {
    tTail.ensure(size_t(K_ * kTail) * sizeof(float));
    float* t = tTail.as<float>();
    for (int64_t k = 0; k < K_; ++k) {
      std::memcpy(t + k * kTail, xImage + k * P_ + start, size_t(P_ - start) * sizeof(float));
      std::memset(t + k * kTail + (P_ - start), 0, size_t(kTail - (P_ - start)) * sizeof(float));
    }
  }

  ConvLayer L_;
  Conv1x1Fn fn_;
  int64_t yImage_;  // elements from one image of y to the next (a strided view's are further apart)
  int64_t K_ = 0, M_ = 0, P_ = 0, chunk_ = 48, strip_ = 1, strips_ = 1, groups_ = 1, perGroup_ = 1;
  bool clamp_ = false, stream_ = false;
  float lo_ = 0.f, hi_ = 0.f;
  std::vector<Block> blocks_;
  AlignedBuffer packed_;  // [block][k][4] weights, then [block][4] bias
};

template <bool Stream>
std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const char* name = Stream ? "conv1x1Stream" : "conv1x1";
  const ConvLayer L = readConvLayer(c, true);
  const ConvDims& d = L.d;
  if (d.groups != 1 || !isPointwise(d.win)) {
    const size_t n = size_t(d.nSpatial);
    const Shape& ws = c.input(1).shape;
    c.fail(cat("kernel ", name, " needs a pointwise conv (groups 1, kernel 1, stride 1, no padding), got groups ",
               d.groups, ", kernel ", listString(Shape(ws.begin() + 2, ws.end())), ", strides ",
               listString(slice(c.ints(), 3, n)), ", pads ", listString(slice(c.ints(), 3 + n, 2 * n))));
  }
  if (c.input(1).location != Location::weights || (L.b >= 0 && c.input(2).location != Location::weights))
    c.fail(cat("kernel ", name, " needs constant weights and bias (packed once at load)"));
  return std::make_unique<Conv1x1Op>(c, L, Stream);
}

}  // namespace

Conv1x1Fn conv1x1Tile() {
  static const Conv1x1Fn fn = pickTile();
  return fn;
}

KernelDef conv1x1Kernel() { return {"conv1x1", false, validate<false>, false, true}; }
KernelDef conv1x1StreamKernel() { return {"conv1x1Stream", false, validate<true>, false, true}; }

}  // namespace kiln::cpu
