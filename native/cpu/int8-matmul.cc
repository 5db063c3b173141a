// qmatmul: y[..., N] = x[..., K] * w[N, K]^T in int8 (the NHWC 1x1 convs of
// MobileNet's blocks as one GEMM over all pixels) on the 5 x 16 register tile of
// int8-nhwc.h, with the channel epilogue: dequantize by xScale * wScale[c], add the
// f32 bias and the residual (f32, or i8 times residualScale), activate, then write
// f32 or requantize to i8 by outScale.
// inputs: x i8, w i8 [N,K] (weights), wScale f32[N] (weights), optional bias f32[N]
// (weights), optional residual (the output's shape; i8 when residualScale > 0).
// ints: [activationCode, hasBias, hasResidual]. floats: [alpha, beta, xScale, outScale, residualScale].
#include <algorithm>
#include <cstdlib>
#include <vector>

#include "int8-amx.h"
#include "int8-nhwc.h"
#include "int8-kernels.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

// f32 outputs from this size on are streamed (int8-mm-bench, 2 threads: 24->144 at
// 56x56 b8, 14 MB, 3.0 -> 1.06 ms; 32->192 at 28x28, 4.8 MB, gains nothing).
constexpr size_t kStreamBytes = size_t(8) << 20;

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
#if defined(__x86_64__) || defined(_M_X64)
    // Where AMX runs (int8-amx.h) and the cores are not forced down (KILN_INT8_TILE).
    if (cores_ == &kInt8NhwcAvx512 && amxInt8Usable()) {
      amxB_.resize(amxBlocks(n_) * amxChunks(k_) * kAmxTileBytes);
      amxPackMatMulWeights(w, n_, k_, amxB_.data());
    }
#endif
  }

  void run(const RunContext& ctx) const override {
    if (!amxB_.empty()) return runAmx(ctx);
    Int8MatMulArgs m{kq_, n_, b_.data(), planes_, b_.size() / planes_, negComp_.data(), multiplier_.data(),
                     bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr,
                     residual_ >= 0 ? ctx.data<const void>(uint32_t(residual_)) : nullptr, residualScale_, act_, outScale_, ctx.data<void>(y_), false};
    // An f32 output past the caches (MobileNetV2's 112x112x96 at batch 8 is 38 MB) is
    // streamed: the next layer reads it from memory either way, and the stores skip
    // the read for ownership.
    m.stream = outScale_ == 0 && m_ * n_ * 4 >= kStreamBytes && n_ % 8 == 0 && reinterpret_cast<uintptr_t>(m.y) % 32 == 0;
    // For panels that packPixels left unshifted (all codes >= 0; int8-nhwc.h).
    Int8MatMulArgs plain = m;
    plain.unshifted = true;
    const int8_t* x = ctx.data<const int8_t>(x_);
    // A task packs a panel of `rows` pixels (up to 16 KB, L1) and runs a range of
    // channel blocks over it.
    const size_t kp = 4 * kq_, groups = std::clamp<size_t>((size_t(16) << 10) / (kMatMulMr * kp), 1, 16), rows = groups * kMatMulMr;
    const size_t panels = (m_ + rows - 1) / rows, blocks = (n_ + kMatMulNr - 1) / kMatMulNr;
    // Channel ranges split the panels until the tasks share out evenly over the threads
    // (17 panels on 2 threads would leave one thread 1/17 of the work more).
    const size_t threads = ctx.pool->threads();
    size_t perChunk = blocks, chunks = 1;
    for (size_t c = 1; c <= blocks; ++c) {
      const size_t per = (blocks + c - 1) / c, tasks = panels * ((blocks + per - 1) / per);
      perChunk = per;
      chunks = (blocks + per - 1) / per;
      if (tasks >= 32 * threads || tasks % threads == 0) break;
    }
    ctx.pool->parallelFor(panels * chunks, [&](size_t task) {
      static thread_local std::vector<uint8_t> a;
      if (a.size() < rows * kp) a.resize(rows * kp);
      const size_t r0 = task / chunks * rows, count = std::min(rows, m_ - r0);
      const size_t c0 = task % chunks * perChunk * kMatMulNr, c1 = std::min(n_, c0 + perChunk * kMatMulNr);
      if (c0 >= c1) return;
      const bool unshifted = cores_->packPixels(x + r0 * k_, k_, count, (count + kMatMulMr - 1) / kMatMulMr * kMatMulMr, kq_, a.data());
      cores_->matmul(unshifted ? plain : m, a.data(), r0, count, c0, c1);
    });
  }

 private:
  // The AMX tiles (int8-amx.h): a task packs a group of 32-pixel tile pairs of x (within
  // 256 KiB) and runs a chunk of 32-channel pairs over them, channel pairs outer so a
  // pair's weights stay in L1; each 32 x 32 result goes straight through the epilogue.
  void runAmx(const RunContext& ctx) const {
#if defined(__x86_64__) || defined(_M_X64)
    const int8_t* x = ctx.data<const int8_t>(x_);
    const size_t kc = amxChunks(k_), tileBytes = kc * kAmxTileBytes, pairs = (m_ + 31) / 32;
    const size_t group = std::clamp<size_t>((size_t(256) << 10) / (2 * tileBytes), 1, 8), groups = (pairs + group - 1) / group;
    const size_t blockPairs = amxBlocks(n_) / 2, threads = ctx.pool->threads();
    const size_t chunks = std::min(blockPairs, std::max<size_t>(1, (4 * threads + groups - 1) / groups)), perChunk = (blockPairs + chunks - 1) / chunks;
    const AmxMatMulEpilogue e{{nullptr, multiplier_.data(), bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr,
                               residual_ >= 0 ? ctx.data<const void>(uint32_t(residual_)) : nullptr, residualScale_, act_, outScale_},
                              ctx.data<void>(y_), n_};
    ctx.pool->parallelFor(groups * chunks, [&](size_t task) {
      static thread_local std::vector<int8_t> a;
      const size_t p0 = task / chunks * group, p1 = std::min(pairs, p0 + group);
      const size_t q0 = task % chunks * perChunk, q1 = std::min(blockPairs, q0 + perChunk);
      if (q0 >= q1) return;
      if (a.size() < 2 * group * tileBytes) a.resize(2 * group * tileBytes);
      amxPackRows(x + 32 * p0 * k_, k_, std::min(m_, 32 * p1) - 32 * p0, 2 * (p1 - p0), a.data());
      alignas(64) int32_t acc[32 * 32];
      for (size_t q = q0; q < q1; ++q) {
        const int8_t* b = amxB_.data() + 2 * q * tileBytes;
        for (size_t p = p0; p < p1; ++p) {
          const int8_t* at = a.data() + 2 * (p - p0) * tileBytes;
          amxTile2x2(at, at + tileBytes, b, b + tileBytes, kc, acc);
          amxMatMulFinish(acc, std::min<size_t>(32, m_ - 32 * p), std::min<size_t>(32, n_ - 32 * q), 32 * p, 32 * q, e);
        }
      }
    });
#else
    (void)ctx;
#endif
  }

  // B as [plane][channel block][K/4][16 (8 for a last block of 1-8)][4]; two planes
  // (halves of w) when a pair of weights breaks the AVX2 pair limit (int8-gemm.h).
  void pack(const int8_t* w, const float* ws, double xScale) {
    kq_ = (k_ + 3) / 4;
    const size_t padded = int8MatMulChannels(n_);
    bool safe = true;
    for (size_t o = 0; o < n_ && safe; ++o)
      for (size_t i = 0; i + 1 < k_ + 1 && safe; i += 2) safe = std::abs(int(w[o * k_ + i])) + (i + 1 < k_ ? std::abs(int(w[o * k_ + i + 1])) : 0) <= 128;
    planes_ = cores_->pairLimit && !safe ? 2 : 1;
    b_.assign(planes_ * padded * kq_ * 4, 0);
    negComp_.assign(padded, 0);
    multiplier_.assign(padded, 0.f);
    for (size_t o = 0; o < n_; ++o) {
      multiplier_[o] = float(xScale) * ws[o];
      const size_t c0 = o / kMatMulNr * kMatMulNr, width = std::min(kMatMulNr, padded - c0);
      for (size_t i = 0; i < k_; ++i) {
        const int v = w[o * k_ + i], half = v >> 1;
        negComp_[o] -= 128 * v;
        const int part[2] = {planes_ == 2 ? half : v, v - half};
        for (size_t pl = 0; pl < planes_; ++pl)
          b_[pl * padded * kq_ * 4 + c0 * kq_ * 4 + ((i / 4) * width + o - c0) * 4 + i % 4] = int8_t(part[pl]);
      }
    }
  }

  Activation act_;
  uint32_t x_, y_;
  int64_t bias_, residual_;
  size_t m_ = 0, n_ = 0, k_ = 0, kq_ = 0, planes_ = 1;
  float outScale_ = 0, residualScale_ = 0;
  const Int8NhwcCores* cores_ = nullptr;
  std::vector<int8_t> b_;
  std::vector<int32_t> negComp_;
  std::vector<float> multiplier_;
  std::vector<int8_t> amxB_;  // the AMX path's weights (int8-amx.h); empty: the cores
};

std::unique_ptr<LayerOp> validateQMatMul(const LayerCheck& c) { return std::make_unique<QMatMulOp>(c); }

}  // namespace

KernelDef qmatmulKernel() { return {"qmatmul", false, validateQMatMul}; }

}  // namespace kiln::cpu
