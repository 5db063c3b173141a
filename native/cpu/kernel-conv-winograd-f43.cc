// convWinogradF43: Winograd F(4x4, 3x3) for 3x3 stride-1 convs, fused like
// convWinogradFused: each 4x4 output tile costs 36 products per channel pair instead
// of F(2x2, 3x3)'s 64 (16 per 2x2), at the price of weights transformed to 36/9 of
// their size and larger transforms. Tiles of all images are numbered (image, tile row,
// tile column) and cut into blocks of T; one work item takes a block and a range of
// output channels:
//   1. per input channel, the rows the block's tiles read, zero-padded into scratch,
//      then V = B^T d B of the tiles, 8 at a time (winograd-f43.inc input8), into
//      [36][Cin][T] scratch;
//   2. per chunk of output channels, the 36 products M_xi = U_xi V_xi on the direct
//      conv's 6 x 16 register tile (conv-direct.h), into [36][chunk][T] scratch;
//   3. Y = A^T M A + bias, the residual and relu/clip (output8), into y.
// T grows with the weights: small U (SqueezeNet, ResNet's layer1) stays in cache and
// V in L2; large U (512 x 512: 37 MB) is streamed once per block, so blocks take all
// tiles they can and the output channels are split between the threads instead: the
// threads first transform the block's input channels in parts into one V, then take
// its output channels in parts. M's chunk is all output channels when blocks need no
// splitting and M of all of them fits in L2 (V is then read once per block).
// Parameters are conv's (conv-params.h); needs constant weights.
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
#include "winograd-f43.h"

namespace kiln::cpu {

const WinogradF43Fns& winogradF43Fns() {
  static const WinogradF43Fns fns = [] {
#ifdef KILN_HAVE_AVX2
    const char* v = std::getenv("KILN_VEC_KERNELS");
    const uint64_t host = hostIsaMask();
    if (!(v && std::strcmp(v, "generic") == 0) && (host & isa::kAvx2) && (host & isa::kFma))
      return WinogradF43Fns{&kiln_wf_avx2_input8, &kiln_wf_avx2_output8};
#endif
    return WinogradF43Fns{&kiln_wf_generic_input8, &kiln_wf_generic_output8};
  }();
  return fns;
}

namespace {

constexpr int64_t kRows = 6;  // output channels per register tile
constexpr int64_t kXi = 36;   // elements of a transformed tile

thread_local AlignedBuffer tV, tM, tStage, tShared;

// The padded rows [row0, row0 + rows) of one image that the block's tiles read.
struct Segment {
  int64_t n, row0, rows, at;
};

class WinogradF43Op final : public LayerOp {
 public:
  WinogradF43Op(const LayerCheck& c, const ConvLayer& L)
      : L_(L), tile_(directTile()), fns_(winogradF43Fns()), yImage_(int64_t(imageStrideOf(c.output(0)))) {
    const ConvDims& d = L.d;
    const Window3& w = d.win;
    tilesH_ = (w.out[1] + 3) / 4;
    tilesW_ = (w.out[2] + 3) / 4;
    tiles_ = d.batch * tilesH_ * tilesW_;
    const int64_t ci = d.channels, co = d.outChannels;
    // V in L2 while U stays in cache (up to L3's share); U past that streams from memory
    // once per block, so blocks take as many tiles as a few MB of V allow.
    const bool big = kXi * ci * co * 4 > (16 << 20);
    const int64_t vBudget = big ? (4 << 20) : (512 << 10), tCap = big ? 256 : 64;
    const int64_t tMax = std::clamp<int64_t>(vBudget / (kXi * ci * 4) / 16 * 16, 16, tCap);
    blocks_ = (tiles_ + tMax - 1) / tMax;
    T_ = ((tiles_ + blocks_ - 1) / blocks_ + 15) / 16 * 16;
    chunk_ = std::clamp<int64_t>((128 << 10) / (kXi * T_ * 4) / kRows * kRows, kRows, 48);
    chunks_ = (co + chunk_ - 1) / chunk_;
    // When blocks are enough to share out whole and M of every output channel fits in L2,
    // one chunk: V is read once instead of once per chunk (ResNet-18's layer1 at batch 8
    // 1.05-1.1x).
    const int64_t whole = (co + kRows - 1) / kRows * kRows;
    if (chunks_ > 1 && kXi * whole * T_ * 4 <= (512 << 10)) chunkAll_ = whole;
    for (int64_t i = 0; i < ci; ++i) off_.push_back(long(i * T_));
    const ClampRange range = clampOf(L.act);
    clamp_ = range.on, lo_ = range.lo, hi_ = range.hi;
    const float* g = c.constantF32(1);
    if (!g) return;  // validation only (serialize, inspect)
    // U packed [xi][6-channel block][ci][6] for the register tile (zeros past Cout).
    const int64_t nb = (co + kRows - 1) / kRows;
    packed_.reset(size_t(kXi * nb * ci * kRows) * sizeof(float));
    float* u = packed_.as<float>();
    std::memset(u, 0, size_t(kXi * nb * ci * kRows) * sizeof(float));
    float t[kXi];
    for (int64_t o = 0; o < co; ++o)
      for (int64_t i = 0; i < ci; ++i) {
        winogradF43Filter(g + (o * ci + i) * 9, t, 1);
        for (int xi = 0; xi < kXi; ++xi) u[((xi * nb + o / kRows) * ci + i) * kRows + o % kRows] = t[xi];
      }
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(L_.x);
    const float* bias = L_.b >= 0 ? ctx.data<const float>(uint32_t(L_.b)) : nullptr;
    const float* residual = L_.residual >= 0 ? ctx.data<const float>(uint32_t(L_.residual)) : nullptr;
    float* y = ctx.data<float>(L_.y);
    // Too few blocks to keep the threads evenly busy: split the output channels too, up
    // to twice per thread. The parts of a block share its V: first the threads transform
    // the blocks' input channels in as many parts into one V per block, then each part
    // takes its output channels (transforming the whole input per part cost layer4 of
    // ResNet-18 at batch 8 a sixth of its time).
    const int64_t threads = int64_t(ctx.pool->threads()), want = 4 * threads;
    const int64_t splits = blocks_ >= want ? 1 : std::min({chunks_, 2 * threads, (want + blocks_ - 1) / blocks_});
    const int64_t Cin = L_.d.channels;
    if (splits == 1) {
      ctx.pool->parallelFor(size_t(blocks_), [&](size_t item) {
        block(x, bias, residual, y, int64_t(item), chunkAll_ ? chunkAll_ : chunk_, 0, chunkAll_ ? 1 : chunks_, 0, Cin, nullptr, true);
      });
      return;
    }
    const int64_t vBlock = kXi * vStride();
    tShared.ensure(size_t(blocks_ * vBlock) * sizeof(float));  // the calling thread's: it waits for both loops
    float* vs = tShared.as<float>();
    ctx.pool->parallelFor(size_t(blocks_ * splits), [&](size_t item) {
      const int64_t b = int64_t(item) / splits, k = int64_t(item) % splits;
      block(x, bias, residual, y, b, chunk_, 0, 0, k * Cin / splits, (k + 1) * Cin / splits, vs + b * vBlock, false);
    });
    ctx.pool->parallelFor(size_t(blocks_ * splits), [&](size_t item) {
      const int64_t b = int64_t(item) / splits, k = int64_t(item) % splits;
      block(x, bias, residual, y, b, chunk_, k * chunks_ / splits, (k + 1) * chunks_ / splits, 0, 0, vs + b * vBlock, true);
    });
  }

 private:
  // V's planes of T tiles lie a line past a multiple of their size: Cin x T floats is
  // often a multiple of 4 KB, which put all 36 stores of input8 (and loads of output8)
  // in one L1 set. M's likewise.
  int64_t vStride() const { return L_.d.channels * T_ + 16; }

  // Block b: V of input channels [ci0, ci1) into v (null: this thread's scratch), then,
  // when `products`, M and Y of output-channel chunks [chunk0, chunk1) of `chunk` channels from v.
  void block(const float* x, const float* bias, const float* residual, float* y, int64_t b, int64_t chunk, int64_t chunk0,
             int64_t chunk1, int64_t ci0, int64_t ci1, float* v, bool products) const {
    const ConvDims& d = L_.d;
    const Window3& w = d.win;
    const int64_t H = w.in[1], W = w.in[2], OH = w.out[1], OW = w.out[2], Cin = d.channels, Cout = d.outChannels;
    const int64_t OHW = OH * OW;
    const int64_t t0 = b * T_, count = std::min(T_, tiles_ - t0), used = (count + 15) / 16 * 16;
    const int64_t top = w.padBegin[1], PW = 4 * tilesW_ + 4;  // 8 floats readable per patch row
    // Per slot (tile of the block; past `count` none): its patch rows in the staged rows,
    // its output block's offset in channel 0 of y (-1: none) and of the (dense) residual,
    // and its valid rows << 4 | columns.
    std::vector<int64_t> stageAt(static_cast<size_t>(used), -1);
    std::vector<long> yAt(static_cast<size_t>(used), -1), rAt(static_cast<size_t>(used), -1), hv(static_cast<size_t>(used), 0);
    std::vector<Segment> segs;
    for (int64_t s = 0; s < count; ++s) {
      const int64_t t = t0 + s, n = t / (tilesH_ * tilesW_), ty = t / tilesW_ % tilesH_, tx = t % tilesW_;
      if (segs.empty() || segs.back().n != n) segs.push_back({n, 4 * ty, 0, segs.empty() ? 0 : segs.back().at + segs.back().rows * PW});
      Segment& sg = segs.back();
      sg.rows = 4 * ty + 6 - sg.row0;
      stageAt[size_t(s)] = sg.at + (4 * ty - sg.row0) * PW + 4 * tx;
      yAt[size_t(s)] = long(n * yImage_ + 4 * ty * OW + 4 * tx);
      rAt[size_t(s)] = long(n * Cout * OHW + 4 * ty * OW + 4 * tx);
      hv[size_t(s)] = long(std::min<int64_t>(4, OH - 4 * ty) << 4 | std::min<int64_t>(4, OW - 4 * tx));
    }
    const int64_t staged = segs.back().at + segs.back().rows * PW;
    const int64_t vStride = this->vStride(), mStride = chunk * T_ + 16;
    if (!v) {
      tV.ensure(size_t(kXi * vStride) * sizeof(float));
      v = tV.as<float>();
    }
    tStage.ensure(size_t(staged) * sizeof(float));
    float* st = tStage.as<float>();
    // 1. Per channel: the block's rows zero-padded into `st`, then V for 8 tiles at a time.
    alignas(32) static const float kZeros[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const int64_t left = std::min(w.padBegin[2], PW), cols = std::clamp<int64_t>(PW - left, 0, W);  // input columns that land in a staged row
    std::vector<const float*> rows(static_cast<size_t>(6 * used));
    for (int64_t s = 0; s < used; ++s)
      for (int i = 0; i < 6; ++i) rows[size_t(6 * s + i)] = s < count ? st + stageAt[size_t(s)] + i * PW : kZeros;
    // The padding never changes between channels: zeroed once, then only the rows'
    // data is copied. The next channel's rows are prefetched meanwhile: each channel
    // is a short run of a different plane, too short for the hardware prefetcher.
    std::fill(st, st + staged, 0.f);
    for (int64_t ci = ci0; ci < ci1; ++ci) {
      for (const Segment& sg : segs) {
        const int64_t r0 = std::max<int64_t>(0, top - sg.row0), r1 = std::min(sg.rows, H + top - sg.row0);
        const float* plane = x + (sg.n * Cin + ci) * H * W;
        for (int64_t r = r0; r < r1; ++r)
          std::memcpy(st + sg.at + r * PW + left, plane + (sg.row0 + r - top) * W, size_t(cols) * sizeof(float));
        if (ci + 1 < ci1 && r1 > r0) {
          const char* next = reinterpret_cast<const char*>(plane + H * W + (sg.row0 + r0 - top) * W);
          for (int64_t b = 0; b < (r1 - r0) * W * 4; b += 64) __builtin_prefetch(next + b);
        }
      }
      for (int64_t g = 0; g < used; g += 8) fns_.input8(rows.data() + 6 * g, v + ci * T_ + g, long(vStride));
    }
    if (!products) return;
    tM.ensure(size_t(kXi * mStride) * sizeof(float));
    float* m = tM.as<float>();
    static const float kZeroBias[kRows] = {0, 0, 0, 0, 0, 0};
    const float* u = packed_.as<float>();
    const int64_t nb = (Cout + kRows - 1) / kRows;
    for (int64_t c0 = chunk0 * chunk; c0 < std::min(Cout, chunk1 * chunk); c0 += chunk) {
      const int64_t cc = std::min(chunk, Cout - c0);
      // 2. M_xi = U_xi V_xi for channels [c0, c0 + cc); a U block serves every 16 tiles.
      for (int xi = 0; xi < kXi; ++xi) {
        const float* vb = v + xi * vStride;
        for (int64_t co = c0; co < c0 + cc; co += kRows) {
          const float* ub = u + ((xi * nb + co / kRows) * Cin) * kRows;
          const long rowsHere = long(std::min(kRows, Cout - co));
          for (int64_t t = 0; t < used; t += 16) {
            float* mo = m + xi * mStride + (co - c0) * T_ + t;
            tile_(long(Cin), vb + t, vb + t + 8, off_.data(), ub, kZeroBias, nullptr, nullptr, mo, mo + 8, long(T_),
                  rowsHere, 8, 8, 0, 0.f, 0.f, 0);
          }
        }
      }
      // 3. Y = A^T M A + bias, the residual, relu/clip; other activations after.
      for (int64_t co = c0; co < c0 + cc; ++co)
        for (int64_t g = 0; g < count; g += 8) {
          fns_.output8(m + (co - c0) * T_ + g, long(mStride), bias ? bias[co] : 0.f, y + co * OHW,
                       residual ? residual + co * OHW : nullptr, yAt.data() + g, rAt.data() + g, long(OW), hv.data() + g, clamp_ ? 1 : 0,
                       lo_, hi_);
          if (clamp_ || L_.act.kind == Act::none) continue;
          for (int64_t s = g; s < std::min(count, g + 8); ++s)
            for (long a = 0; a < (hv[size_t(s)] >> 4); ++a) {
              float* p = y + co * OHW + yAt[size_t(s)] + a * OW;
              applyActivation(L_.act, p, p, size_t(hv[size_t(s)] & 15));
            }
        }
    }
  }

  ConvLayer L_;
  DirectTileFn tile_;
  WinogradF43Fns fns_;
  int64_t yImage_;  // elements from one image of y to the next (a strided view's are further apart)
  int64_t tilesH_ = 0, tilesW_ = 0, tiles_ = 0, blocks_ = 1, T_ = 16, chunk_ = kRows, chunks_ = 1;
  int64_t chunkAll_ = 0;  // all output channels in one chunk when blocks need no splitting (0: no)
  bool clamp_ = false;
  float lo_ = 0.f, hi_ = 0.f;
  std::vector<long> off_;
  AlignedBuffer packed_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const ConvLayer L = readWinograd3x3Layer(c);
  return std::make_unique<WinogradF43Op>(c, L);
}

}  // namespace

KernelDef convWinogradF43Kernel() { return {"convWinogradF43", false, validate, false, true}; }

}  // namespace kiln::cpu
