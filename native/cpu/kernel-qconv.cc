// qconv (2-d, groups 1): an int8 layer (int8-layer.h: inputs, the epilogue) whose
// GEMM runs on the int8 tile, Winograd, the stem path or AMX.
// ints: [strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH,
// dilationW, activationCode, hasBias], optionally then [nhwcOut, xQuantize] (stem
// shapes only: y [N,OH,OW,Cout], and x f32 quantized by xScale as it is staged).
// floats: [alpha, beta, xScale, outScale] (outScale 0: f32 output).
#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "activation.h"
#include "int8-amx.h"
#include "int8-gemm.h"
#include "int8-layer.h"
#include "int8-stem.h"
#include "int8-winograd.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

// QConv as a GEMM per image: C[cout][P] = W[cout][K] * X[K][P], P = oh * ow, K =
// cin * kh * kw (or over the whole batch's P side by side, for planes of at most
// kJointPixels). X is the image itself for a 1x1 stride-1 unpadded window, else its
// im2col in a per-thread buffer. Tasks are groups of 24-pixel tiles (times chunks
// of output channels when there are few groups); each packs its B panels once and
// runs the 4 x 24 int8 tile over its channel blocks, then the epilogue writes rows.
// Without an int8 tile (no AVX2) each pixel's patch goes through int8DotRows. Stems
// (1 to 4 input channels) take Int8Stem (int8-stem.h), 3x3 stride-1 convs with 4+
// channels Int8Winograd. Where AMX runs (int8-amx.h; the VNNI tile's hosts, not forced
// down by KILN_INT8_TILE), every non-stem QConv takes the AMX GEMM instead of the tile
// and of Winograd: a tdpbssd step does 16x the products of a zmm vpdpbusd, and the
// im2col GEMM's 9x products cost less than Winograd's transforms. Only the stem path (and the portable rows, where there is no
// tile) takes f32 x (xQuantize) or writes NHWC (nhwcOut): the layer refuses both on
// other shapes.
class QConvOp final : public LayerOp {
 public:
  QConvOp(const LayerCheck& c) : l_(c, 8, c.ints().size() == 12 && c.ints()[11] == 1) {
    const auto& in = c.ints();
    for (int i = 0; i < 8; ++i) p_[i] = size_t(c.intIn(size_t(i), 0, 1 << 20, "window parameter"));
    if (in.size() == 12) nhwc_ = c.intIn(10, 0, 1, "nhwcOut") == 1, xF32_ = c.intIn(11, 0, 1, "xQuantize") == 1;
    const TensorDesc &xt = c.input(0), &wt = c.input(1), &yt = c.output(0);
    if (xt.shape.size() != 4 || wt.shape.size() != 4 || xt.shape[1] != wt.shape[1]) c.fail(cat("qconv needs x [N,C,H,W] and w [Cout,C,kh,kw], got ", LayerCheck::describe(xt), " and ", LayerCheck::describe(wt)));
    if (yt.shape.size() != 4 || size_t(yt.shape[nhwc_ ? 3 : 1]) != l_.cout) c.fail(cat("qconv output ", LayerCheck::describe(yt), " must be ", nhwc_ ? "[N,OH,OW,Cout] (nhwcOut)" : "[N,Cout,OH,OW]", " with Cout ", l_.cout));
    n_ = size_t(xt.shape[0]); cin_ = size_t(xt.shape[1]); h_ = size_t(xt.shape[2]); w_ = size_t(xt.shape[3]);
    kh_ = size_t(wt.shape[2]); kw_ = size_t(wt.shape[3]);
    oh_ = size_t(yt.shape[nhwc_ ? 1 : 2]); ow_ = size_t(yt.shape[nhwc_ ? 2 : 3]);
    xScale_ = float(c.floats()[2]);
    direct_ = kh_ == 1 && kw_ == 1 && p_[0] == 1 && p_[1] == 1 && p_[2] + p_[3] + p_[4] + p_[5] == 0;
    const bool stemShape = cin_ <= Int8Stem::kMaxChannels && !direct_;
    if ((nhwc_ || xF32_) && !stemShape) {
      c.fail(cat(nhwc_ ? "nhwcOut" : "xQuantize", " runs only on the int8 stem path (1 to ", Int8Stem::kMaxChannels, " input channels, not a 1x1 stride-1 unpadded window), got x ",
                 LayerCheck::describe(xt), " and w ", LayerCheck::describe(wt), ": keep the QuantizeLinear / Transpose layers for this conv"));
    }
    tile_ = int8Tile();
    // Stems (1 to 4 input channels) take Int8Stem (KILN_INT8_STEM=0 keeps the im2col GEMM, for tests and timing,
    // except for a stem that reads f32 or writes NHWC, which only Int8Stem and the portable rows do).
    const char* stem = std::getenv("KILN_INT8_STEM");
    if (tile_ && stemShape && oh_ * ow_ > 0 && (nhwc_ || xF32_ || !(stem && std::string(stem) == "0")) && !l_.wq.empty()) {
      stem_ = std::make_unique<Int8Stem>(Int8StemShape{n_, cin_, h_, w_, l_.cout, kh_, kw_, oh_, ow_, p_[0], p_[1], p_[2], p_[3], p_[6], p_[7], nhwc_, xF32_ ? xScale_ : 0.f}, l_.wq.data());
      return;
    }
#if defined(__x86_64__) || defined(_M_X64)
    if (tile_ == &kInt8TileAvx512Vnni && !l_.wq.empty() && amxInt8Usable()) {
      amxA_.resize(amxBlocks(l_.cout) * amxChunks(l_.k) * kAmxTileBytes);
      amxPackWeights(l_.wq.data(), l_.cout, l_.k, amxA_.data());
      return;
    }
#endif
    if (tile_ && !l_.wq.empty()) packTile();
    // 3x3 stride 1 (dilation 1): Winograd F(2x2, 3x3) in exact integers, 2.25x fewer
    // multiplies (KILN_INT8_WINOGRAD=0 keeps the direct GEMM, for tests and timing).
    const char* wino = std::getenv("KILN_INT8_WINOGRAD");
    const bool winograd = kh_ == 3 && kw_ == 3 && p_[0] == 1 && p_[1] == 1 && p_[6] == 1 && p_[7] == 1 && cin_ >= 4 && !(wino && std::string(wino) == "0");
    if (tile_ && winograd && !l_.wq.empty()) wino_ = std::make_unique<Int8Winograd>(Int8WinogradShape{n_, cin_, h_, w_, l_.cout, oh_, ow_, p_[2], p_[3]}, l_.wq.data());
  }

  void run(const RunContext& ctx) const override {
    if (stem_) stem_->run(ctx.data<const uint8_t>(l_.x), {l_.multiplier.data(), l_.bias >= 0 ? ctx.data<const float>(uint32_t(l_.bias)) : nullptr, l_.act, l_.outScale}, ctx.data<uint8_t>(l_.y), ctx.pool);
    else if (!amxA_.empty()) runAmx(ctx);
    else if (wino_) runWinograd(ctx);
    else if (tile_) runTiled(ctx);
    else runRows(ctx);
  }

 private:
  // A as [plane][channel block][K/4][4 rows][4 k]; two planes (halves of w) when a
  // pair of weights breaks the AVX2 pair limit (int8-gemm.h).
  void packTile() {
    const size_t cout = l_.cout, k = l_.k;
    kq_ = (k + 3) / 4;
    blocks_ = (cout + kInt8Mr - 1) / kInt8Mr;
    bool safe = true;
    for (size_t o = 0; o < cout && safe; ++o)
      for (size_t i = 0; i < k && safe; i += 2) {
        const int a = std::abs(int(l_.wq[o * k + i])), b = i + 1 < k ? std::abs(int(l_.wq[o * k + i + 1])) : 0;
        safe = a + b <= 128;
      }
    planes_ = tile_->pairLimit && !safe ? 2 : 1;
    a_.assign(planes_ * blocks_ * kq_ * 16, 0);
    comp_.assign(cout, 0);
    for (size_t o = 0; o < cout; ++o)
      for (size_t i = 0; i < k; ++i) {
        const int w = l_.wq[o * k + i];
        comp_[o] += 128 * w;
        const int half = w >> 1;  // |half|, |w - half| <= 64: pairs of either stay within 128
        const int part[2] = {planes_ == 2 ? half : w, w - half};
        for (size_t pl = 0; pl < planes_; ++pl)
          a_[((pl * blocks_ + o / kInt8Mr) * kq_ + i / 4) * 16 + (o % kInt8Mr) * 4 + i % 4] = int8_t(part[pl]);
      }
  }

  // row[ox] = src[2 * ox + off] for lo <= ox < hi (a stride-2 tap): 16 at a time by
  // masking the odd bytes of 32 and packing, while those 32 lie inside the input row.
  static void copyEven(const int8_t* src, int8_t* row, ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t off, ptrdiff_t width) {
    ptrdiff_t ox = lo;
#if defined(__SSE2__)
    const __m128i low = _mm_set1_epi16(0x00ff);
    for (; ox + 16 <= hi && 2 * ox + off + 32 <= width; ox += 16) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * ox + off));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * ox + off + 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row + ox), _mm_packus_epi16(_mm_and_si128(a, low), _mm_and_si128(b, low)));
    }
#endif
    for (; ox < hi; ++ox) row[ox] = src[2 * ox + off];
  }

  // The calling thread's im2col buffer of at least n bytes (runTiled and runAmx share it;
  // read its pointer before a parallelFor: inside a task it would be the pool thread's).
  static int8_t* colsBuffer(size_t n) {
    static thread_local std::vector<int8_t> cols;
    if (cols.size() < n) cols.resize(n);
    return cols.data();
  }

  // cols[k][n * pixels + p] for k = (ic, ky, kx), images n0 <= n < n1 (row stride
  // `stride`): the input under tap k of output pixel p, 0 outside.
  void im2col(const int8_t* x, size_t n0, size_t n1, int8_t* cols, size_t stride, ThreadPool* pool) const {
    const size_t pixels = oh_ * ow_, taps = kh_ * kw_, images = n1 - n0;
    pool->parallelFor(images * cin_ * taps, [&](size_t task) {
      const size_t k = task % (cin_ * taps), n = task / (cin_ * taps);
      const size_t ic = k / taps, ky = (k % taps) / kw_, kx = k % kw_;
      const int8_t* plane = x + ((n0 + n) * cin_ + ic) * h_ * w_;
      int8_t* row = cols + k * stride + n * pixels;
      const ptrdiff_t off = ptrdiff_t(kx * p_[7]) - ptrdiff_t(p_[3]), sw = ptrdiff_t(p_[1]);
      // Output columns whose input column lies inside [0, w).
      ptrdiff_t lo = 0, hi = ptrdiff_t(ow_);
      while (lo < hi && lo * sw + off < 0) ++lo;
      while (hi > lo && (hi - 1) * sw + off >= ptrdiff_t(w_)) --hi;
      if (sw == 1 && p_[0] == 1 && ow_ == w_) {
        // Same-size rows, stride 1: the valid rows are one shifted copy of the plane;
        // then the few columns that wrapped into a neighbouring row are zeroed.
        const ptrdiff_t shift = ptrdiff_t(ky * p_[6]) - ptrdiff_t(p_[2]), n = ptrdiff_t(h_ * w_);
        const ptrdiff_t y0 = std::clamp<ptrdiff_t>(-shift, 0, ptrdiff_t(oh_)), y1 = std::clamp<ptrdiff_t>(ptrdiff_t(h_) - shift, y0, ptrdiff_t(oh_));
        const ptrdiff_t len = (y1 - y0) * ptrdiff_t(ow_), from = (y0 + shift) * ptrdiff_t(w_) + off;
        const ptrdiff_t a = std::clamp<ptrdiff_t>(-from, 0, len), b = std::clamp<ptrdiff_t>(n - from, a, len);
        std::memset(row, 0, size_t(y0 * ptrdiff_t(ow_) + a));
        std::memcpy(row + y0 * ptrdiff_t(ow_) + a, plane + from + a, size_t(b - a));
        std::memset(row + y0 * ptrdiff_t(ow_) + b, 0, oh_ * ow_ - size_t(y0 * ptrdiff_t(ow_) + b));
        for (ptrdiff_t oy = y0; oy < y1; ++oy) {
          std::memset(row + oy * ptrdiff_t(ow_), 0, size_t(lo));
          std::memset(row + oy * ptrdiff_t(ow_) + hi, 0, ow_ - size_t(hi));
        }
        return;
      }
      for (size_t oy = 0; oy < oh_; ++oy, row += ow_) {
        const ptrdiff_t iy = ptrdiff_t(oy * p_[0] + ky * p_[6]) - ptrdiff_t(p_[2]);
        if (iy < 0 || iy >= ptrdiff_t(h_)) {
          std::memset(row, 0, ow_);
          continue;
        }
        const int8_t* src = plane + size_t(iy) * w_;
        std::memset(row, 0, size_t(lo));
        if (sw == 1) std::memcpy(row + lo, src + lo + off, size_t(hi - lo));
        else if (sw == 2) copyEven(src, row, lo, hi, off, ptrdiff_t(w_));
        else for (ptrdiff_t ox = lo; ox < hi; ++ox) row[ox] = src[ox * sw + off];
        std::memset(row + hi, 0, ow_ - size_t(hi));
      }
    });
  }

  // The GEMM runs over the columns of `images` images at once (their im2col side by
  // side, row stride images * pixels): small planes (7x7: 49 pixels fill 2 of 3
  // 24-pixel tiles) then waste little of the last tile, and every thread has tiles.
  void runTiled(const RunContext& ctx) const {
    const int8_t* x = ctx.data<const int8_t>(l_.x);
    const float* bias = l_.bias >= 0 ? ctx.data<const float>(uint32_t(l_.bias)) : nullptr;
    uint8_t* y = ctx.data<uint8_t>(l_.y);
    const size_t pixels = oh_ * ow_, k = l_.k, esize = l_.outScale > 0 ? 1 : 4;
    const size_t images = !direct_ && pixels <= kJointPixels ? n_ : 1;
    const size_t columns = images * pixels, tiles = (columns + kInt8Nr - 1) / kInt8Nr;
    // A task packs up to kGroup B panels, then walks its channel blocks over all of
    // them: each block of weights is read once per group from L1, not once per tile.
    // Fewer panels when K is long, so the group stays within L2 (128 KiB).
    const size_t kGroup = std::max<size_t>(1, std::min<size_t>(4, (size_t(128) << 10) / (kq_ * 96)));
    const size_t groups = (tiles + kGroup - 1) / kGroup;
    // Enough tasks for every thread: split the channel blocks when groups are few, but
    // keep 8 blocks a task at least, since each task packs its own B panels.
    const size_t wanted = std::max<size_t>(1, (size_t(ctx.pool->threads()) * 2 + groups - 1) / groups);
    const size_t chunks = std::min({blocks_, wanted, std::max<size_t>(1, blocks_ / 8)});
    const size_t perChunk = (blocks_ + chunks - 1) / chunks;
    int8_t* cols = direct_ ? nullptr : colsBuffer(k * columns);
    for (size_t n0 = 0; n0 < n_; n0 += images) {
      const int8_t* src = x + n0 * cin_ * h_ * w_;
      if (!direct_) {
        im2col(x, n0, n0 + images, cols, columns, ctx.pool);
        src = cols;
      }
      ctx.pool->parallelFor(groups * chunks, [&](size_t task) {
        static thread_local std::vector<uint8_t> b;
        const size_t panel = kq_ * 96;
        if (b.size() < kGroup * panel) b.resize(kGroup * panel);
        // One tile more than the 4 x 24 results: an image's run inside a tile starts at an offset.
        alignas(32) int32_t acc[kInt8Mr * kInt8Nr + kInt8Nr];
        const size_t t0 = (task / chunks) * kGroup, t1 = std::min(tiles, t0 + kGroup);
        const size_t b0 = (task % chunks) * perChunk, b1 = std::min(blocks_, b0 + perChunk);
        if (b0 >= b1) return;
        for (size_t t = t0; t < t1; ++t) tile_->packB(src + t * kInt8Nr, columns, k, std::min(kInt8Nr, columns - t * kInt8Nr), b.data() + (t - t0) * panel);
        for (size_t blk = b0; blk < b1; ++blk)
          for (size_t t = t0; t < t1; ++t) {
            const size_t c0 = t * kInt8Nr, count = std::min(kInt8Nr, columns - c0);
            const uint8_t* bt = b.data() + (t - t0) * panel;
            for (size_t pl = 0; pl < planes_; ++pl) tile_->micro(a_.data() + (pl * blocks_ + blk) * kq_ * 16, bt, kq_, acc, pl > 0);
            for (size_t i = 0; i < kInt8Mr && blk * kInt8Mr + i < l_.cout; ++i) {
              const size_t o = blk * kInt8Mr + i;
              const Int8RowEpilogue e{comp_[o], l_.multiplier[o], bias ? bias[o] : 0.f, l_.act, l_.outScale};
              // The tile's columns, cut where one image ends and the next begins.
              for (size_t c = c0; c < c0 + count;) {
                const size_t n = n0 + c / pixels, p = c % pixels, run = std::min(c0 + count - c, pixels - p);
                tile_->finish(acc + i * kInt8Nr + (c - c0), run, e, y + ((n * l_.cout + o) * pixels + p) * esize);
                c += run;
              }
            }
          }
      });
    }
  }

  // The AMX GEMM (int8-amx.h) over the whole batch's columns side by side. Stride 1
  // (dilation 1) packs its B tiles straight from x; other windows from an im2col of
  // the batch. A task takes a group of 32-pixel tile pairs (their B within 1 MiB of
  // L2) and runs a chunk of 32-channel pairs over them, channel pairs outer so a
  // pair's weights stay in L1 while the group's pixels pass; each 32 x 32 result goes
  // straight through the epilogue. Chunks split the channels until every thread has
  // 4 tasks (ResNet-18's 7x7 layers: 13 tile pairs, 16 channel pairs); then all of B
  // is packed once first, else each task packs its group's.
  void runAmx(const RunContext& ctx) const {
#if defined(__x86_64__) || defined(_M_X64)
    const int8_t* x = ctx.data<const int8_t>(l_.x);
    const size_t pixels = oh_ * ow_, k = l_.k, kc = amxChunks(k), tileBytes = kc * kAmxTileBytes;
    const size_t columns = n_ * pixels, pairs = (columns + 31) / 32;
    const size_t group = std::clamp<size_t>((size_t(1) << 20) / (2 * tileBytes), 1, 16), groups = (pairs + group - 1) / group;
    const size_t blockPairs = amxBlocks(l_.cout) / 2, threads = ctx.pool->threads();
    const size_t chunks = std::min(blockPairs, std::max<size_t>(1, (4 * threads + groups - 1) / groups)), perChunk = (blockPairs + chunks - 1) / chunks;
    const AmxEpilogue e{l_.multiplier.data(), l_.bias >= 0 ? ctx.data<const float>(uint32_t(l_.bias)) : nullptr, l_.act, l_.outScale, ctx.data<void>(l_.y), l_.cout, pixels, 0};
    const bool window = p_[0] == 1 && p_[1] == 1 && p_[6] == 1 && p_[7] == 1 && kh_ <= kAmxWindowMax && kw_ <= kAmxWindowMax;
    const AmxWindow g{cin_, h_, w_, kh_, kw_, ow_, p_[2], p_[3], pixels, columns};
    int8_t* cols = window ? nullptr : colsBuffer(k * columns);
    if (cols) im2col(x, 0, n_, cols, columns, ctx.pool);
    const int8_t* src = cols;
    const auto pack = [&](size_t t, int8_t* bt) {
      if (window) amxPackWindow(x, g, t * 16, bt);
      else amxPackColumns(src, columns, k, t * 16, columns, bt);
    };
    // Where chunks split the channels, each group's B is packed once for all of them first.
    static thread_local std::vector<int8_t> packed;
    const bool shared = chunks > 1;
    if (shared) {
      if (packed.size() < 2 * pairs * tileBytes) packed.resize(2 * pairs * tileBytes);
      int8_t* all = packed.data();
      ctx.pool->parallelFor(2 * pairs, [&](size_t t) { pack(t, all + t * tileBytes); });
    }
    const int8_t* all = packed.data();
    ctx.pool->parallelFor(groups * chunks, [&](size_t task) {
      static thread_local std::vector<int8_t> b;
      const size_t p0 = task / chunks * group, p1 = std::min(pairs, p0 + group);
      const size_t q0 = task % chunks * perChunk, q1 = std::min(blockPairs, q0 + perChunk);
      if (q0 >= q1) return;
      const int8_t* panel = all + 2 * p0 * tileBytes;
      if (!shared) {
        if (b.size() < 2 * group * tileBytes) b.resize(2 * group * tileBytes);
        for (size_t t = 2 * p0; t < 2 * p1; ++t) pack(t, b.data() + (t - 2 * p0) * tileBytes);
        panel = b.data();
      }
      alignas(64) int32_t acc[32 * 32];
      for (size_t q = q0; q < q1; ++q) {
        const int8_t* a = amxA_.data() + 2 * q * tileBytes;
        const size_t o0 = 32 * q, rows = std::min<size_t>(32, l_.cout - o0);
        for (size_t p = p0; p < p1; ++p) {
          const int8_t* bt = panel + 2 * (p - p0) * tileBytes;
          amxTile2x2(a, a + tileBytes, bt, bt + tileBytes, kc, acc);
          amxFinish(acc, rows, std::min<size_t>(32, columns - 32 * p), o0, 32 * p, e);
        }
      }
    });
#else
    (void)ctx;
#endif
  }

  // Winograd's exact i32 sums, a run of one output row at a time, through the tile's epilogue.
  void runWinograd(const RunContext& ctx) const {
    const float* bias = l_.bias >= 0 ? ctx.data<const float>(uint32_t(l_.bias)) : nullptr;
    uint8_t* y = ctx.data<uint8_t>(l_.y);
    const size_t esize = l_.outScale > 0 ? 1 : 4;
    wino_->run(ctx.data<const int8_t>(l_.x), [&](size_t n, size_t o, size_t oy, size_t ox, const int32_t* v, size_t count) {
      const Int8RowEpilogue e{0, l_.multiplier[o], bias ? bias[o] : 0.f, l_.act, l_.outScale};
      uint8_t* row = y + (((n * l_.cout + o) * oh_ + oy) * ow_ + ox) * esize;
      for (size_t p = 0; p < count; p += kInt8Nr) tile_->finish(v + p, std::min(kInt8Nr, count - p), e, row + p * esize);
    }, ctx.pool);
  }

  // The portable path (no int8 tile): also the one for f32 x (quantized per value, as
  // QuantizeLinear's scalar loop does) and NHWC output where there is no AVX2.
  void runRows(const RunContext& ctx) const {
    const int8_t* x = ctx.data<const int8_t>(l_.x);
    const float* xf = ctx.data<const float>(l_.x);
    const size_t pixels = oh_ * ow_, block = 16, blocks = (pixels + block - 1) / block;
    const Int8DotRowsFn dot = int8DotRows();
    for (size_t n = 0; n < n_; ++n) {
      const size_t xn = n * cin_ * h_ * w_;
      ctx.pool->parallelFor(blocks, [&](size_t bi) {
        std::vector<int16_t> patch(l_.kp, 0);
        std::vector<int32_t> acc(l_.cout);
        for (size_t p = bi * block; p < std::min(pixels, (bi + 1) * block); ++p) {
          const size_t oy = p / ow_, ox = p % ow_;
          size_t i = 0;
          for (size_t ic = 0; ic < cin_; ++ic)
            for (size_t ky = 0; ky < kh_; ++ky) {
              const ptrdiff_t iy = ptrdiff_t(oy * p_[0] + ky * p_[6]) - ptrdiff_t(p_[2]);
              for (size_t kx = 0; kx < kw_; ++kx, ++i) {
                const ptrdiff_t ix = ptrdiff_t(ox * p_[1] + kx * p_[7]) - ptrdiff_t(p_[3]);
                const bool inside = iy >= 0 && iy < ptrdiff_t(h_) && ix >= 0 && ix < ptrdiff_t(w_);
                const size_t at = xn + (ic * h_ + size_t(iy)) * w_ + size_t(ix);
                patch[i] = !inside ? 0 : xF32_ ? int16_t(std::min(127.f, std::max(-128.f, std::nearbyint(xf[at] / xScale_)))) : x[at];
              }
            }
          dot(patch.data(), l_.kp, l_.w.data(), l_.cout, acc.data());
          l_.finish(ctx, acc.data(), 0, l_.cout, [&](size_t o) { return nhwc_ ? (n * pixels + p) * l_.cout + o : (n * l_.cout + o) * pixels + p; });
        }
      });
    }
  }

  // Planes of at most this many output pixels run the whole batch as one GEMM.
  static constexpr size_t kJointPixels = 256;

  Int8Layer l_;
  size_t p_[8];
  size_t n_, cin_, h_, w_, kh_, kw_, oh_, ow_;
  float xScale_ = 0;
  bool direct_ = false, nhwc_ = false, xF32_ = false;
  const Int8Tile* tile_ = nullptr;
  std::unique_ptr<Int8Winograd> wino_;
  std::unique_ptr<Int8Stem> stem_;
  size_t kq_ = 0, blocks_ = 0, planes_ = 1;
  std::vector<int8_t> a_;
  std::vector<int32_t> comp_;
  std::vector<int8_t> amxA_;  // the AMX path's weights (int8-amx.h); empty: another path
};

std::unique_ptr<LayerOp> validateQConv(const LayerCheck& c) {
  c.floatCount(4, "[alpha, beta, xScale, outScale]");
  const size_t ints = c.ints().size();
  if (ints != 10 && ints != 12) c.fail(cat("kernel qconv expects 10 ints [strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, activationCode, hasBias], or 12 with [nhwcOut, xQuantize] after them; got ", ints));
  return std::make_unique<QConvOp>(c);
}

}  // namespace

KernelDef qconvKernel() { return {"qconv", false, validateQConv}; }

}  // namespace kiln::cpu
