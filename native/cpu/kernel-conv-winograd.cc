// convWinograd: the conv tactic for 3x3, stride 1, undilated, ungrouped 2-D
// convolutions (most of ResNet's and SqueezeNet's work), by Winograd's minimal
// filtering F(2x2, 3x3): each 2x2 block of outputs (a tile) is computed from
// its 4x4 input patch with 16 multiplies per channel pair instead of 36.
//   1. weights, once at load: U = G g G^T, as 16 matrices [Cout x Cin],
//      each packed for the GEMM;
//   2. input: V = B^T d B of every tile of every channel, as 16 matrices
//      [Cin x tiles] (tiles of all images side by side);
//   3. 16 GEMMs M_xi = U_xi V_xi on the shared blocked SGEMM;
//   4. output: Y = A^T M A per tile, plus bias, then the activation.
// The transforms only add and subtract (G's halves are exact), so results
// stay within a few ulps of direct convolution. Parameters are conv's
// (conv-params.h); needs constant weights.
#include <algorithm>
#include <memory>
#include <vector>

#include "../aligned-buffer.h"
#include "../plan-view.h"
#include "conv-params.h"
#include "kernels.h"
#include "phase-split.h"
#include "sgemm.h"
#include "vec-kernels.h"
#include "winograd-f23.h"

namespace kiln::cpu {
namespace {

// The calling thread's V and M matrices (grown, never shrunk); pool threads
// write into them, but one run owns them from start to end.
thread_local AlignedBuffer tTransformed;
// Per pool thread: one plane's padded, phase-split rows, and output rows.
thread_local AlignedBuffer tRows;

constexpr int64_t kSlack = 16;  // floats readable past a tile row (8-tile vector steps)

class WinogradOp final : public LayerOp {
 public:
  WinogradOp(const LayerCheck& c, const ConvLayer& L, MicroTile tile)
      : L_(L), tile_(tile), yImage_(int64_t(imageStrideOf(c.output(0)))) {
    const Window3& w = L.d.win;
    tilesH_ = (w.out[1] + 1) / 2;
    tilesW_ = (w.out[2] + 1) / 2;
    phaseLen_ = tilesW_ + 1 + kSlack;
    const float* g = c.constantF32(1);
    if (!g) return;  // validation only (serialize, inspect)
    const int64_t co = L.d.outChannels, ci = L.d.channels;
    std::vector<float> u(size_t(16 * co * ci));
    for (int64_t o = 0; o < co; ++o)
      for (int64_t i = 0; i < ci; ++i) winogradFilter(g + (o * ci + i) * 9, &u[size_t(o * ci + i)], co * ci);
    for (int xi = 0; xi < 16; ++xi)
      packedU_.push_back(prepackA({u.data() + xi * co * ci, ci, 1}, size_t(co), size_t(ci), tile_));
  }

  void run(const RunContext& ctx) const override {
    const ConvDims& d = L_.d;
    const int64_t tiles = tilesH_ * tilesW_, all = d.batch * tiles;
    // + kSlack: the output transform reads whole 8-tile vectors past the last tile.
    tTransformed.ensure(size_t(16 * all * (d.channels + d.outChannels) + kSlack) * sizeof(float));
    float* v = tTransformed.as<float>();
    float* m = v + 16 * all * d.channels;
    const float* x = ctx.data<const float>(L_.x);
    ctx.pool->parallelFor(size_t(d.batch * d.channels), [&](size_t p) {
      const int64_t n = int64_t(p) / d.channels, c = int64_t(p) % d.channels;
      inputTransform(x + int64_t(p) * d.win.inVolume(), v + c * all + n * tiles, all * d.channels);
    });

    std::vector<GemmProblem> problems(16);
    for (int xi = 0; xi < 16; ++xi) {
      GemmProblem& g = problems[size_t(xi)];
      g.m = size_t(d.outChannels);
      g.n = size_t(all);
      g.k = size_t(d.channels);
      g.aPacked = packedU_[size_t(xi)].as<const float>();
      g.b = {v + xi * all * d.channels, all, 1};
      g.c = m + xi * all * d.outChannels;
      g.ldc = size_t(all);
      g.tile = tile_;
    }
    sgemmBatch(*ctx.pool, problems.data(), problems.size());

    const float* bias = L_.b >= 0 ? ctx.data<const float>(uint32_t(L_.b)) : nullptr;
    float* y = ctx.data<float>(L_.y);
    const float* residual = L_.residual >= 0 ? ctx.data<const float>(uint32_t(L_.residual)) : nullptr;
    ctx.pool->parallelFor(size_t(d.batch * d.outChannels), [&](size_t p) {
      const int64_t n = int64_t(p) / d.outChannels, o = int64_t(p) % d.outChannels;
      outputTransform(m + o * all + n * tiles, all * d.outChannels, bias ? bias[o] : 0.f,
                      y + n * yImage_ + o * d.win.outVolume(), residual ? residual + int64_t(p) * d.win.outVolume() : nullptr);
    });
  }

 private:
  // One channel plane: its padded rows phase-split once, then V for every tile row.
  void inputTransform(const float* x, float* v, int64_t stride) const {
    const Window3& w = L_.d.win;
    const int64_t H = w.in[1], W = w.in[2], top = w.padBegin[1], left = w.padBegin[2];
    const int64_t rows = 2 * tilesH_ + 2, rowFloats = 2 * phaseLen_;
    tRows.ensure(size_t(rows * rowFloats) * sizeof(float));
    float* split = tRows.as<float>();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t iy = r - top;
      float* row = split + r * rowFloats;
      if (iy < 0 || iy >= H) std::fill(row, row + rowFloats, 0.f);
      else phaseSplitRow(x + iy * W, W, left, 2, phaseLen_, 0.f, row);
    }
    for (int64_t ty = 0; ty < tilesH_; ++ty) {
      const float* even[4];
      const float* odd[4];
      for (int i = 0; i < 4; ++i) {
        even[i] = split + (2 * ty + i) * rowFloats;
        odd[i] = even[i] + phaseLen_;
      }
      vecKernels().winoInput(even, odd, long(tilesW_), v + ty * tilesW_, long(stride));
    }
  }

  // One output channel of one image: Y for every tile row, cut to the output's size.
  // `residual` (the plane's, or null) is added before the activation.
  void outputTransform(const float* m, int64_t stride, float bias, float* y, const float* residual) const {
    const Window3& w = L_.d.win;
    const int64_t OH = w.out[1], OW = w.out[2];
    const int64_t rowFloats = 2 * ((tilesW_ + 7) / 8 * 8);
    tRows.ensure(size_t(2 * rowFloats) * sizeof(float));
    float* row0 = tRows.as<float>();
    float* row1 = row0 + rowFloats;
    for (int64_t ty = 0; ty < tilesH_; ++ty) {
      vecKernels().winoOutput(m + ty * tilesW_, long(stride), long(tilesW_), bias, row0, row1);
      float* out = y + 2 * ty * OW;
      std::copy(row0, row0 + OW, out);
      if (2 * ty + 1 < OH) std::copy(row1, row1 + OW, out + OW);
    }
    if (residual)
      for (int64_t i = 0; i < OH * OW; ++i) y[i] += residual[i];
    if (L_.act.kind != Act::none) applyActivation(L_.act, y, y, size_t(OH * OW));
  }

  ConvLayer L_;
  MicroTile tile_;
  int64_t tilesH_ = 0, tilesW_ = 0, phaseLen_ = 0;
  int64_t yImage_;  // elements from one image of y to the next (a strided view's are further apart)
  std::vector<AlignedBuffer> packedU_;  // per transform element xi
};

std::unique_ptr<LayerOp> validateOn(const LayerCheck& c, MicroTile tile) {
  const ConvLayer L = readWinograd3x3Layer(c);
  return std::make_unique<WinogradOp>(c, L, tile);
}

std::unique_ptr<LayerOp> validate(const LayerCheck& c) { return validateOn(c, MicroTile::standard); }
// convWinogradWide: the 16 GEMMs on the 4x24 register tile (see convWide).
std::unique_ptr<LayerOp> validateWide(const LayerCheck& c) { return validateOn(c, MicroTile::wide); }

}  // namespace

KernelDef convWinogradKernel() { return {"convWinograd", false, validate, false, true}; }
KernelDef convWinogradWideKernel() { return {"convWinogradWide", false, validateWide, false, true}; }

}  // namespace kiln::cpu
