// qmatmul: y[..., N] = x[..., K] * w[N, K]^T in int8 (the NHWC 1x1 convs of
// MobileNet's blocks as one GEMM over all pixels) on the pixel-row tile of
// int8-nhwc.h, with the channel epilogue: dequantize by xScale * wScale[c], add
// the f32 bias and the residual (f32, or i8 times residualScale), activate, then
// write f32 or requantize to i8 by outScale.
// inputs: x i8, w i8 [N,K] (weights), wScale f32[N] (weights), optional bias f32[N]
// (weights), optional residual (the output's shape; i8 when residualScale > 0).
// ints: [activationCode, hasBias, hasResidual]. floats: [alpha, beta, xScale, outScale, residualScale].
#include <algorithm>
#include <cstdlib>
#include <vector>

#include "int8-nhwc.h"
#include "int8-kernels.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class QMatMulOp final : public LayerOp {
 public:
  explicit QMatMulOp(const LayerCheck& c) {
    c.intCount(3, "[activationCode, hasBias, hasResidual]");
    c.floatCount(5, "[alpha, beta, xScale, outScale, residualScale]");
    const bool hasBias = c.intIn(1, 0, 1, "hasBias") == 1, hasResidual = c.intIn(2, 0, 1, "hasResidual") == 1;
    const size_t count = 3 + size_t(hasBias) + size_t(hasResidual);
    c.inputs(count, count);
    c.outputs(1);
    act_ = c.activation(0);
    x_ = c.inputId(0);
    y_ = c.outputId(0);
    bias_ = hasBias ? int64_t(c.inputId(3)) : -1;
    residual_ = hasResidual ? int64_t(c.inputId(count - 1)) : -1;
    const TensorDesc &xt = c.input(0), &wt = c.input(1), &st = c.input(2), &yt = c.output(0);
    if (xt.dtype != DType::i8 || wt.dtype != DType::i8) c.fail(cat("qmatmul needs i8 x and w, got ", LayerCheck::describe(xt), " and ", LayerCheck::describe(wt)));
    if (wt.shape.size() != 2 || xt.shape.size() < 2 || xt.shape.back() != wt.shape[1]) c.fail(cat("qmatmul needs x [...,K] and w [N,K], got ", LayerCheck::describe(xt), " and ", LayerCheck::describe(wt)));
    if (wt.location != Location::weights || st.location != Location::weights) c.fail("int8 weights and their scales must be constants");
    n_ = size_t(wt.shape[0]);
    k_ = size_t(wt.shape[1]);
    m_ = size_t(elementCount(xt.shape)) / k_;
    if (st.dtype != DType::f32 || size_t(elementCount(st.shape)) != n_) c.fail(cat("weight scales must be f32[", n_, "], got ", LayerCheck::describe(st)));
    if (hasBias && (c.input(3).dtype != DType::f32 || size_t(elementCount(c.input(3).shape)) != n_)) c.fail(cat("bias must be f32[", n_, "], got ", LayerCheck::describe(c.input(3))));
    const double xScale = c.floats()[2];
    outScale_ = float(c.floats()[3]);
    residualScale_ = float(c.floats()[4]);
    if (!(xScale > 0) || outScale_ < 0 || residualScale_ < 0) c.fail(cat("xScale must be > 0 and outScale, residualScale >= 0, got ", xScale, ", ", outScale_, " and ", residualScale_));
    if (yt.dtype != (outScale_ > 0 ? DType::i8 : DType::f32) || size_t(elementCount(yt.shape)) != m_ * n_) c.fail(cat("output ", LayerCheck::describe(yt), " must be ", outScale_ > 0 ? "i8" : "f32", " with ", m_ * n_, " values"));
    if (hasResidual) {
      const TensorDesc& rt = c.input(count - 1);
      if (rt.dtype != (residualScale_ > 0 ? DType::i8 : DType::f32) || elementCount(rt.shape) != elementCount(yt.shape)) c.fail(cat("residual ", LayerCheck::describe(rt), " must be ", residualScale_ > 0 ? "i8 (residualScale > 0)" : "f32", " shaped as the output"));
    }
    const float* ws = c.constantF32(2);
    if (!ws) return;  // validated only: nothing to pack
    cores_ = &int8NhwcCores();
    const int8_t* w = reinterpret_cast<const int8_t*>(reinterpret_cast<const uint8_t*>(ws) - st.offset + wt.offset);
    pack(w, ws, xScale);
  }

  void run(const RunContext& ctx) const override {
    const int8_t* x = ctx.data<const int8_t>(x_);
    const float* bias = bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr;
    const uint8_t* residual = residual_ >= 0 ? ctx.data<const uint8_t>(uint32_t(residual_)) : nullptr;
    uint8_t* y = ctx.data<uint8_t>(y_);
    const size_t esize = outScale_ > 0 ? 1 : 4, rsize = residualScale_ > 0 ? 1 : 4;
    const size_t groups = (m_ + kNhwcMr - 1) / kNhwcMr, panel = kq_ * 4 * kNhwcMr;
    // A task packs G row groups of x once and runs every channel block of its range
    // over them: a block of weights (24 x K) is read from L1 G times.
    const size_t g = std::clamp<size_t>((size_t(32) << 10) / std::max<size_t>(1, panel), 1, 16);
    const size_t chunksOfRows = (groups + g - 1) / g;
    const size_t wanted = std::max<size_t>(1, (size_t(ctx.pool->threads()) * 3 + chunksOfRows - 1) / chunksOfRows);
    const size_t chunks = std::min(blocks_, wanted), perChunk = (blocks_ + chunks - 1) / chunks;
    ctx.pool->parallelFor(chunksOfRows * chunks, [&](size_t task) {
      static thread_local std::vector<uint8_t> a;
      if (a.size() < g * panel) a.resize(g * panel);
      alignas(32) int32_t acc[kNhwcMr * kNhwcNr];
      const size_t g0 = task / chunks * g, g1 = std::min(groups, g0 + g);
      const size_t b0 = task % chunks * perChunk, b1 = std::min(blocks_, b0 + perChunk);
      if (b0 >= b1) return;
      for (size_t gi = g0; gi < g1; ++gi) {
        const int8_t* rows[kNhwcMr];
        for (size_t i = 0; i < kNhwcMr; ++i) rows[i] = gi * kNhwcMr + i < m_ ? x + (gi * kNhwcMr + i) * k_ : nullptr;
        cores_->packRows(rows, k_, kq_, a.data() + (gi - g0) * panel);
      }
      for (size_t blk = b0; blk < b1; ++blk) {
        const size_t c0 = blk * kNhwcNr, count = std::min(kNhwcNr, n_ - c0);
        for (size_t gi = g0; gi < g1; ++gi) {
          for (size_t pl = 0; pl < planes_; ++pl) cores_->micro(a.data() + (gi - g0) * panel, b_.data() + (pl * blocks_ + blk) * kq_ * 4 * kNhwcNr, kq_, acc, pl > 0);
          for (size_t i = 0; i < kNhwcMr && gi * kNhwcMr + i < m_; ++i) {
            const size_t row = gi * kNhwcMr + i;
            const Int8ChannelEpilogue e{comp_.data() + c0, multiplier_.data() + c0, bias ? bias + c0 : nullptr,
                                        residual ? residual + (row * n_ + c0) * rsize : nullptr, residualScale_, act_, outScale_};
            cores_->finish(acc + i * kNhwcNr, count, e, y + (row * n_ + c0) * esize);
          }
        }
      }
    });
  }

 private:
  // B as [plane][channel block][K/4][24][4]; two planes (halves of w) when a pair of
  // weights breaks the AVX2 pair limit (int8-gemm.h).
  void pack(const int8_t* w, const float* ws, double xScale) {
    kq_ = (k_ + 3) / 4;
    blocks_ = (n_ + kNhwcNr - 1) / kNhwcNr;
    bool safe = true;
    for (size_t o = 0; o < n_ && safe; ++o)
      for (size_t i = 0; i + 1 < k_ + 1 && safe; i += 2) safe = std::abs(int(w[o * k_ + i])) + (i + 1 < k_ ? std::abs(int(w[o * k_ + i + 1])) : 0) <= 128;
    planes_ = cores_->pairLimit && !safe ? 2 : 1;
    b_.assign(planes_ * blocks_ * kq_ * 4 * kNhwcNr, 0);
    comp_.assign(blocks_ * kNhwcNr, 0);
    multiplier_.assign(blocks_ * kNhwcNr, 0.f);
    for (size_t o = 0; o < n_; ++o) {
      multiplier_[o] = float(xScale) * ws[o];
      for (size_t i = 0; i < k_; ++i) {
        const int v = w[o * k_ + i], half = v >> 1;
        comp_[o] += 128 * v;
        const int part[2] = {planes_ == 2 ? half : v, v - half};
        for (size_t pl = 0; pl < planes_; ++pl)
          b_[(((pl * blocks_ + o / kNhwcNr) * kq_ + i / 4) * kNhwcNr + o % kNhwcNr) * 4 + i % 4] = int8_t(part[pl]);
      }
    }
  }

  Activation act_;
  uint32_t x_, y_;
  int64_t bias_, residual_;
  size_t m_ = 0, n_ = 0, k_ = 0, kq_ = 0, blocks_ = 0, planes_ = 1;
  float outScale_ = 0, residualScale_ = 0;
  const Int8NhwcCores* cores_ = nullptr;
  std::vector<int8_t> b_;
  std::vector<int32_t> comp_;
  std::vector<float> multiplier_;
};

std::unique_ptr<LayerOp> validateQMatMul(const LayerCheck& c) { return std::make_unique<QMatMulOp>(c); }

}  // namespace

KernelDef qmatmulKernel() { return {"qmatmul", false, validateQMatMul}; }

}  // namespace kiln::cpu
