// convWinogradFused: Winograd F(2x2, 3x3) (see kernel-conv-winograd.cc for the
// transforms) with the three steps fused per block of 16 tiles, so the
// transformed input V and the products M never leave the cache. The unfused
// tactic writes V (16 x Cin x all tiles) and M (16 x Cout x all tiles) to memory
// and reads them back: 32 MB at SqueezeNet's 55x55 batch 8, more than the GEMMs
// themselves cost. Each work item takes one image and a band of tile rows:
//   1. stage the band's input rows, zero-padded and split into even and odd columns;
//   2. per 16 tiles (two runs of up to 8 tiles of one tile row): V = B^T d B into
//      [16][Cin][16] scratch (vec-kernels' winoInput);
//   3. per block of up to 24 output channels: the 16 products M_xi = U_xi V_xi on the
//      direct conv's 6 x 16 register tile (conv-direct.h), into [16][24][16] scratch;
//   4. Y = A^T M A + bias, the residual and relu/clip in registers, into y (wino_out8).
// Parameters are conv's (conv-params.h); needs constant weights.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "../plan-view.h"
#include "conv-direct.h"
#include "conv-params.h"
#include "epilogue.h"
#include "layer-check.h"
#include "vec-kernels.h"
#include "winograd-f23.h"

namespace kiln::cpu {
namespace {

constexpr int64_t kRows = 6;             // output channels per register tile
constexpr int64_t kChunk = 24;           // output channels per M block (4 register tiles: M stays in L1)
constexpr int64_t kSlack = 16;           // floats readable past a staged phase (8-tile vector steps)
constexpr int64_t kStageFloats = 48 * 1024;

thread_local AlignedBuffer tStage, tV, tM;

// Up to 8 consecutive tiles of one tile row.
struct Run {
  int64_t ty, tx, n;
};

class WinogradFusedOp final : public LayerOp {
 public:
  WinogradFusedOp(const LayerCheck& c, const ConvLayer& L)
      : L_(L), tile_(directTile()), out8_(winoOut8()), yImage_(int64_t(imageStrideOf(c.output(0)))) {
    const ConvDims& d = L.d;
    const Window3& w = d.win;
    tilesH_ = (w.out[1] + 1) / 2;
    tilesW_ = (w.out[2] + 1) / 2;
    phaseLen_ = tilesW_ + 1 + kSlack;
    rowStride_ = 2 * phaseLen_;
    const int64_t perTileRow = d.channels * 2 * rowStride_;
    const int64_t want = (tilesH_ * d.batch + 31) / 32;  // about 32 items per batch: fine-grained for the threads
    // At least 16 tiles per band where the plane has them, so runs pair into whole register tiles.
    const int64_t least = (16 + tilesW_ - 1) / tilesW_;
    band_ = std::clamp<int64_t>(std::max(least, std::min(kStageFloats / std::max<int64_t>(perTileRow, 1), want)), 1, tilesH_);
    bands_ = (tilesH_ + band_ - 1) / band_;
    blocks_ = (d.outChannels + kRows - 1) / kRows;
    for (int64_t ci = 0; ci < d.channels; ++ci) off_.push_back(long(ci * 16));
    const ClampRange range = clampOf(L.act);
    clamp_ = range.on, lo_ = range.lo, hi_ = range.hi;
    const float* g = c.constantF32(1);
    if (!g) return;  // validation only (serialize, inspect)
    // U = G g G^T, packed [xi][block][ci][6] for the register tile (zeros past Cout).
    const int64_t co = d.outChannels, ci = d.channels;
    packed_.reset(size_t(16 * blocks_ * ci * kRows) * sizeof(float));
    float* u = packed_.as<float>();
    std::memset(u, 0, size_t(16 * blocks_ * ci * kRows) * sizeof(float));
    float t[16];
    for (int64_t o = 0; o < co; ++o)
      for (int64_t i = 0; i < ci; ++i) {
        winogradFilter(g + (o * ci + i) * 9, t, 1);
        for (int xi = 0; xi < 16; ++xi) u[((xi * blocks_ + o / kRows) * ci + i) * kRows + o % kRows] = t[xi];
      }
  }

  void run(const RunContext& ctx) const override {
    const ConvDims& d = L_.d;
    const float* x = ctx.data<const float>(L_.x);
    const float* bias = L_.b >= 0 ? ctx.data<const float>(uint32_t(L_.b)) : nullptr;
    const float* residual = L_.residual >= 0 ? ctx.data<const float>(uint32_t(L_.residual)) : nullptr;
    float* y = ctx.data<float>(L_.y);
    ctx.pool->parallelFor(size_t(d.batch * bands_), [&](size_t item) {
      band(x, bias, residual, y, int64_t(item) / bands_, int64_t(item) % bands_);
    });
  }

 private:
  void band(const float* x, const float* bias, const float* residual, float* y, int64_t n, int64_t b) const {
    const ConvDims& d = L_.d;
    const Window3& w = d.win;
    const int64_t H = w.in[1], W = w.in[2], OH = w.out[1], OW = w.out[2], Cin = d.channels, Cout = d.outChannels;
    const int64_t ty0 = b * band_, ty1 = std::min(tilesH_, ty0 + band_);
    const int64_t rows = 2 * (ty1 - ty0) + 2, bandRows = 2 * band_ + 2;
    const VecKernels& vk = vecKernels();
    // 1. Stage: input row iy at staged row iy - (2 * ty0 - top); column ix + left split by parity.
    tStage.ensure(size_t(Cin * bandRows * rowStride_) * sizeof(float));
    float* s = tStage.as<float>();
    const int64_t left = w.padBegin[2];
    const int64_t cols = std::clamp<int64_t>(rowStride_ - left, 0, W);
    for (int64_t ci = 0; ci < Cin; ++ci)
      for (int64_t r = 0; r < rows; ++r) {
        float* dst = s + (ci * bandRows + r) * rowStride_;
        std::memset(dst, 0, size_t(rowStride_) * sizeof(float));
        const int64_t iy = 2 * ty0 + r - w.padBegin[1];
        if (iy < 0 || iy >= H) continue;
        const float* src = x + ((n * Cin + ci) * H + iy) * W;
        float* evenDst = dst + (left % 2) * phaseLen_ + left / 2;
        float* oddDst = dst + (1 - left % 2) * phaseLen_ + (left + 1) / 2;
        vk.deinterleave2(src, long(cols / 2), evenDst, oddDst);
        if (cols % 2) evenDst[cols / 2] = src[cols - 1];
      }
    std::vector<Run> runs;
    for (int64_t ty = ty0; ty < ty1; ++ty)
      for (int64_t tx = 0; tx < tilesW_; tx += 8) runs.push_back({ty, tx, std::min<int64_t>(8, tilesW_ - tx)});
    tV.ensure(size_t(16 * Cin * 16) * sizeof(float));
    tM.ensure(size_t(16 * kChunk * 16) * sizeof(float));
    float* v = tV.as<float>();
    float* m = tM.as<float>();
    static const float kZeros[kRows] = {0, 0, 0, 0, 0, 0};
    const float* u = packed_.as<float>();
    for (size_t r = 0; r < runs.size(); r += 2) {
      const Run* half[2] = {&runs[r], r + 1 < runs.size() ? &runs[r + 1] : nullptr};
      // 2. V for both halves.
      for (int h = 0; h < 2 && half[h]; ++h) {
        const Run& run = *half[h];
        for (int64_t ci = 0; ci < Cin; ++ci) {
          const float* even[4];
          const float* odd[4];
          for (int i = 0; i < 4; ++i) {
            even[i] = s + (ci * bandRows + 2 * (run.ty - ty0) + i) * rowStride_ + run.tx;
            odd[i] = even[i] + phaseLen_;
          }
          vk.winoInput(even, odd, long(run.n), v + ci * 16 + h * 8, long(Cin * 16));
        }
      }
      for (int64_t c0 = 0; c0 < Cout; c0 += kChunk) {
        const int64_t cc = std::min(kChunk, Cout - c0);
        // 3. M_xi = U_xi V_xi for channels [c0, c0 + cc).
        for (int xi = 0; xi < 16; ++xi)
          for (int64_t co = c0; co < c0 + cc; co += kRows) {
            float* mo = m + (xi * kChunk + co - c0) * 16;
            const float* vb = v + xi * Cin * 16;
            tile_(long(Cin), vb, vb + 8, off_.data(), u + ((xi * blocks_ + co / kRows) * Cin) * kRows, kZeros, nullptr,
                  nullptr, mo, mo + 8, 16, long(std::min(kRows, Cout - co)), 8, 8, 0, 0.f, 0.f, 0);
          }
        // 4. Y = A^T M A + bias, the residual, relu/clip, straight into y; other activations after.
        for (int64_t co = c0; co < c0 + cc; ++co)
          for (int h = 0; h < 2 && half[h]; ++h) {
            const Run& run = *half[h];
            const int64_t ox = 2 * run.tx, width = std::min(2 * run.n, OW - ox), oy = 2 * run.ty;
            const int64_t at = ((n * Cout + co) * OH + oy) * OW + ox;  // in the (dense) residual
            float* yo = y + n * yImage_ + (co * OH + oy) * OW + ox;
            const bool second = oy + 1 < OH;
            out8_(m + (co - c0) * 16 + h * 8, long(kChunk * 16), bias ? bias[co] : 0.f, residual ? residual + at : nullptr,
                  residual && second ? residual + at + OW : nullptr, yo, second ? yo + OW : nullptr, long(width),
                  clamp_ ? 1 : 0, lo_, hi_);
            if (clamp_ || L_.act.kind == Act::none) continue;
            applyActivation(L_.act, yo, yo, size_t(width));
            if (second) applyActivation(L_.act, yo + OW, yo + OW, size_t(width));
          }
      }
    }
  }

  ConvLayer L_;
  DirectTileFn tile_;
  WinoOut8Fn out8_;
  int64_t tilesH_ = 0, tilesW_ = 0, phaseLen_ = 0, rowStride_ = 0, band_ = 1, bands_ = 1, blocks_ = 0;
  int64_t yImage_;  // elements from one image of y to the next (a strided view's are further apart)
  bool clamp_ = false;
  float lo_ = 0.f, hi_ = 0.f;
  std::vector<long> off_;
  AlignedBuffer packed_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const ConvLayer L = readWinograd3x3Layer(c);
  return std::make_unique<WinogradFusedOp>(c, L);
}

}  // namespace

KernelDef convWinogradFusedKernel() { return {"convWinogradFused", false, validate, false, true}; }

}  // namespace kiln::cpu
