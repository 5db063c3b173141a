// conv: N-d convolution (1, 2 or 3 spatial dims), f32, as one GEMM per group
// over the whole batch: Y[Cout/g x (N * spatial)] = W[Cout/g x (C/g * taps)] *
// im2col(X), with bias and activation fused in the GEMM epilogue. 1x1 stride-1 unpadded
// convs skip im2col: the input already is B. The general tactic: valid for
// every conv; the others (conv-params.h) share its parameters.
#include <memory>

#include "conv-im2col.h"
#include "conv-params.h"
#include "kernels.h"
#include "layer-check.h"
#include "../plan-view.h"
#include "sgemm-pack.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

// The calling thread's split copy of a strided conv's input (grown, never shrunk).
thread_local AlignedBuffer tSplit;

class ConvOp final : public LayerOp {
 public:
  ConvOp(const LayerCheck& c, const ConvLayer& L, MicroTile tile)
      : x_(L.x), w_(L.w), b_(L.b), r_(L.residual), y_(L.y), d_(L.d), act_(L.act), tile_(tile),
        yImage_(int64_t(imageStrideOf(c.output(0)))) {
    const ConvDims& d = L.d;
    if (!isPointwise(d.win)) tables_ = std::make_unique<Im2colTables>(d.win, d.groupChannels());
    // Constant weights are packed once here instead of on every run.
    if (const float* weights = c.constantF32(1)) {
      const int64_t K = d.reduction(), og = d.groupOut();
      for (int64_t g = 0; g < d.groups; ++g)
        packedW_.push_back(prepackA({weights + g * og * K, K, 1}, size_t(og), size_t(K), tile_));
    }
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    const float* w = ctx.data<const float>(w_);
    const float* bias = b_ >= 0 ? ctx.data<const float>(uint32_t(b_)) : nullptr;
    float* y = ctx.data<float>(y_);
    const float* residual = r_ >= 0 ? ctx.data<const float>(uint32_t(r_)) : nullptr;
    const int64_t inVol = d_.win.inVolume(), outVol = d_.win.outVolume(), K = d_.reduction();
    const int64_t cg = d_.groupChannels(), og = d_.groupOut();
    const size_t count = size_t(d_.batch * d_.groups);

    // Strided convs read a stride-phase split copy of the input (conv-im2col.h),
    // made here for every (image, group) in the calling thread's scratch.
    const bool split = tables_ && tables_->split();
    float* splitInput = nullptr;
    if (split) {
      const size_t each = tables_->splitFloats();
      tSplit.ensure(count * each * sizeof(float));
      splitInput = tSplit.as<float>();
      ctx.pool->parallelFor(count * size_t(cg), [&](size_t i) {
        const size_t problem = i / size_t(cg);
        const int64_t n = int64_t(problem) / d_.groups, g = int64_t(problem) % d_.groups;
        tables_->splitChannel(x + (n * d_.channels + g * cg) * inVol, int64_t(i % size_t(cg)),
                              splitInput + problem * each);
      });
    }
    // One GEMM per group with every image's outputs side by side as columns:
    // small feature maps (7x7, 13x13, LeNet's 8x8) give full-width panels
    // and one packing of the weights per tile instead of one per image.
    std::vector<Im2colSource> sources;
    std::vector<BlockedColumnsSource> pointwise;
    sources.reserve(size_t(d_.groups));
    pointwise.reserve(size_t(d_.groups));
    std::vector<GemmProblem> problems(size_t(d_.groups));
    const size_t each = split ? tables_->splitFloats() : 0;
    for (int64_t g = 0; g < d_.groups; ++g) {
      GemmProblem& p = problems[size_t(g)];
      p.m = size_t(og);
      p.n = size_t(outVol * d_.batch);
      p.k = size_t(K);
      p.a = {w + g * og * K, K, 1};
      if (!packedW_.empty()) p.aPacked = packedW_[size_t(g)].as<float>();
      if (split) {
        sources.emplace_back(*tables_, splitInput + size_t(g) * each, ptrdiff_t(size_t(d_.groups) * each));
        p.bSource = &sources.back();
      } else if (tables_) {
        sources.emplace_back(*tables_, x + g * cg * inVol, d_.channels * inVol);
        p.bSource = &sources.back();
      } else {
        pointwise.emplace_back(x + g * cg * inVol, inVol, size_t(outVol), d_.channels * inVol);
        p.bSource = &pointwise.back();
      }
      p.c = y + g * og * outVol;
      p.ldc = size_t(outVol);
      p.cBlockCols = size_t(outVol);
      p.cBlockStride = yImage_;  // a strided view's images sit further apart
      p.epilogue = {bias ? bias + g * og : nullptr, true, act_};
      // The residual has y's shape (dense), so it is read with C's column blocks.
      if (residual)
        p.epilogue.residual = residual + g * og * outVol, p.epilogue.ldr = p.ldc, p.epilogue.rBlockCols = p.cBlockCols,
        p.epilogue.rBlockStride = d_.outChannels * outVol;
      p.tile = tile_;
    }
    sgemmBatch(*ctx.pool, problems.data(), problems.size());
  }

 private:
  uint32_t x_, w_;
  int64_t b_, r_;
  uint32_t y_;
  ConvDims d_;
  Activation act_;
  MicroTile tile_;
  int64_t yImage_;  // elements from one image of y to the next
  std::unique_ptr<Im2colTables> tables_;  // null for pointwise convs
  std::vector<AlignedBuffer> packedW_;     // per group; empty unless w is a constant
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  return std::make_unique<ConvOp>(c, readConvLayer(c, true), MicroTile::standard);
}

// convWide: the same on the wide 4x24 register tile (MicroTile::wide).
std::unique_ptr<LayerOp> validateWide(const LayerCheck& c) {
  return std::make_unique<ConvOp>(c, readConvLayer(c, true), MicroTile::wide);
}

}  // namespace

KernelDef convKernel() { return {"conv", false, validate, false, true}; }
KernelDef convWideKernel() { return {"convWide", false, validateWide, false, true}; }

}  // namespace kiln::cpu
