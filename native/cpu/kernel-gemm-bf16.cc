// Kernels for layers stored in bf16 or fp16 (every float operand of one of the
// two formats), computing with f32 accumulation:
//  - lowp<Tactic>: any f32 conv / gemm tactic wrapped for 16-bit storage. The
//    16-bit activations are widened into f32 scratch, the f32 tactic runs on
//    them (constant weights widened and prepacked once), and its f32 result is
//    rounded to the output's format. Parameters are the wrapped tactic's.
//  - gemvBf16: fully connected layers with few rows whose 16-bit weights are
//    streamed as they are (half the bytes of f32) and widened in registers.
//    Parameters are gemv's.
// The f32 tactic sees its own view of the layer (operands renumbered 0..n-1, in
// f32), so its checks and messages apply unchanged.
#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "../aligned-buffer.h"
#include "epilogue.h"
#include "kernel-registry.h"
#include "layer-check.h"
#include "lowp-bf16-fp16.h"

namespace kiln::cpu {
namespace {

bool isLowp(DType t) { return t == DType::bf16 || t == DType::f16; }

// The one 16-bit format of every float operand; fails naming the first that differs.
DType lowpFormat(const LayerCheck& c, const char* kernel) {
  const DType d = c.input(0).dtype;
  auto check = [&](const TensorDesc& t) {
    if (!isLowp(t.dtype) || t.dtype != d)
      c.fail(cat("kernel ", kernel, " expects every operand in one 16-bit format (bf16 or f16), got ",
                 LayerCheck::describe(c.input(0)), " and ", LayerCheck::describe(t)));
  };
  for (size_t i = 0; i < c.inputCount(); ++i) check(c.input(i));
  check(c.output(0));
  return d;
}

// The calling thread's f32 copies of a layer's arena operands (grown, never shrunk).
thread_local AlignedBuffer tScratch;

constexpr size_t kGrain = 16384;

void widenParallel(ThreadPool& pool, const uint16_t* src, float* dst, size_t n, int bf16) {
  const LowpRoutines& r = lowpRoutines();
  if (n <= kGrain) return r.widen(src, dst, n, bf16);  // no thread hand-off for a few KB
  pool.parallelRanges(n, kGrain, [&](size_t b, size_t e) { r.widen(src + b, dst + b, e - b, bf16); });
}

void narrowParallel(ThreadPool& pool, const float* src, uint16_t* dst, size_t n, int bf16) {
  const LowpRoutines& r = lowpRoutines();
  if (n <= kGrain) return r.narrow(src, dst, n, bf16);
  pool.parallelRanges(n, kGrain, [&](size_t b, size_t e) { r.narrow(src + b, dst + b, e - b, bf16); });
}

size_t alignUp(size_t n) { return (n + 63) / 64 * 64; }

class LowpOp final : public LayerOp {
 public:
  LowpOp(const LayerCheck& c, const KernelDef& inner) : inner_(inner) {
    bf16_ = lowpFormat(c, c.layer().kernel.c_str()) == DType::bf16;
    view_ = c.layer();
    view_.kernel = inner.name;
    view_.inputs.clear();
    view_.outputs.clear();
    size_t weights = 0, scratch = 0;
    auto add = [&](uint32_t id, bool output) {
      TensorDesc t = output ? c.output(view_.outputs.size()) : c.input(view_.inputs.size());
      t.dtype = DType::f32;
      const size_t bytes = alignUp(size_t(elementCount(t.shape)) * sizeof(float));
      if (t.location == Location::weights) {
        t.offset = weights;
        weights += bytes;
      } else {
        t.offset = scratch;
        scratch += bytes;
      }
      operands_.push_back({id, t.location == Location::weights, output, size_t(elementCount(t.shape))});
      (output ? view_.outputs : view_.inputs).push_back(uint32_t(tensors_.size()));
      tensors_.push_back(t);
    };
    for (size_t i = 0; i < c.inputCount(); ++i) add(c.inputId(i), false);
    add(c.outputId(0), true);
    weightBytes_ = weights;
    scratchBytes_ = scratch;
    // Validates the shapes and parameters now, through the f32 tactic's own checks.
    inner_.validate(LayerCheck(view_, tensors_, nullptr));
  }

  void run(const RunContext& ctx) const override {
    // Constants are in the engine's weights, which validate() cannot read in
    // 16-bit form: widen and prepack them on the first run, once per engine.
    std::call_once(once_, [&] { prepare(ctx); });
    tScratch.ensure(std::max<size_t>(scratchBytes_, 64));
    std::vector<uint8_t*> data(tensors_.size());
    for (size_t i = 0; i < operands_.size(); ++i) {
      const Operand& o = operands_[i];
      uint8_t* base = o.constant ? weightsF32_.data() : tScratch.data();
      data[i] = base + tensors_[i].offset;
      if (!o.constant && !o.output)
        widenParallel(*ctx.pool, ctx.data<const uint16_t>(o.id), reinterpret_cast<float*>(data[i]), o.count, bf16_);
    }
    op_->run(RunContext{data.data(), ctx.pool});
    const Operand& y = operands_.back();
    narrowParallel(*ctx.pool, reinterpret_cast<const float*>(data.back()), ctx.data<uint16_t>(y.id), y.count, bf16_);
  }

 private:
  struct Operand {
    uint32_t id;
    bool constant, output;
    size_t count;
  };

  void prepare(const RunContext& ctx) const {
    weightsF32_.reset(std::max<size_t>(weightBytes_, 64));
    for (size_t i = 0; i < operands_.size(); ++i)
      if (operands_[i].constant)
        lowpRoutines().widen(ctx.data<const uint16_t>(operands_[i].id),
                             reinterpret_cast<float*>(weightsF32_.data() + tensors_[i].offset), operands_[i].count, bf16_);
    op_ = inner_.validate(LayerCheck(view_, tensors_, weightsF32_.data()));
  }

  const KernelDef& inner_;
  bool bf16_ = true;
  LayerDesc view_;
  std::vector<TensorDesc> tensors_;
  std::vector<Operand> operands_;
  size_t weightBytes_ = 0, scratchBytes_ = 0;
  mutable std::once_flag once_;
  mutable AlignedBuffer weightsF32_;
  mutable std::unique_ptr<LayerOp> op_;
};

// One validate per wrapped tactic (a KernelDef holds a plain function pointer).
constexpr const char* kWrapped[] = {"conv", "convWide", "convWinograd", "convWinogradWide", "convDepthwise",
                                    "gemm", "gemmRows", "gemv"};

template <size_t I>
std::unique_ptr<LayerOp> validateWrapped(const LayerCheck& c) {
  const KernelDef* inner = findKernel(kWrapped[I]);
  if (!inner) c.fail(cat("kernel ", c.layer().kernel, " wraps kernel ", kWrapped[I], ", which this runtime lacks"));
  return std::make_unique<LowpOp>(c, *inner);
}

// gemvBf16: y[rows x N] = a[rows x K] * b (+ bias, activation), b constant 2-D.
class GemvLowpOp final : public LayerOp {
 public:
  GemvLowpOp(const LayerCheck& c, size_t rows, size_t n, size_t k, bool transB, Activation act, bool bf16)
      : a_(c.inputId(0)), b_(c.inputId(1)), bias_(c.ints()[3] == 1 ? int64_t(c.inputId(2)) : -1), y_(c.outputId(0)),
        rows_(rows), n_(n), k_(k), transB_(transB), act_(act), bf16_(bf16) {}

  void run(const RunContext& ctx) const override {
    std::call_once(once_, [&] { pack(ctx); });
    const LowpRoutines& r = lowpRoutines();
    tScratch.ensure(std::max<size_t>(rows_ * k_ * sizeof(float), 64));
    float* a = tScratch.as<float>();
    widenParallel(*ctx.pool, ctx.data<const uint16_t>(a_), a, rows_ * k_, bf16_);
    const Epilogue ep{biasF32_.empty() ? nullptr : biasF32_.data(), false, act_};
    uint16_t* y = ctx.data<uint16_t>(y_);
    const size_t panels = (n_ + kLowpPanel - 1) / kLowpPanel, stride = panelStride();
    const size_t grain = std::max<size_t>(1, 8192 / std::max<size_t>(k_, 1));
    ctx.pool->parallelRanges(panels, grain, [&](size_t p0, size_t p1) {
      alignas(64) float tile[4 * kLowpPanel];
      for (size_t p = p0; p < p1; ++p) {
        const size_t col = p * kLowpPanel, cols = std::min(kLowpPanel, n_ - col);
        for (size_t row = 0; row < rows_; row += 4) {
          const size_t rows = std::min<size_t>(4, rows_ - row);
          r.gemvPanel(long(rows), long(k_), a + row * k_, long(k_), packed_.as<const uint16_t>() + p * stride, tile, bf16_);
          applyEpilogue(ep, tile, kLowpPanel, rows, cols, row, col);
          for (size_t i = 0; i < rows; ++i) r.narrow(tile + i * kLowpPanel, y + (row + i) * n_ + col, cols, bf16_);
        }
      }
    });
  }

 private:
  BF16Panel layout() const { return bf16_ ? lowpRoutines().bf16Panel : BF16Panel::kMajor; }
  size_t panelStride() const { return (layout() == BF16Panel::kPairs ? (k_ + 1) / 2 * 2 : k_) * kLowpPanel; }

  // Panels of 16 columns over all of K in the routines' layout (bf16PanelSlot).
  void pack(const RunContext& ctx) const {
    const uint16_t* b = ctx.data<const uint16_t>(b_);
    const size_t panels = (n_ + kLowpPanel - 1) / kLowpPanel, stride = panelStride();
    packed_.reset(panels * stride * sizeof(uint16_t));
    uint16_t* dst = packed_.as<uint16_t>();
    std::fill(dst, dst + panels * stride, uint16_t(0));
    for (size_t p = 0; p < panels; ++p)
      for (size_t kk = 0; kk < k_; ++kk)
        for (size_t j = 0; j < kLowpPanel && p * kLowpPanel + j < n_; ++j) {
          const size_t col = p * kLowpPanel + j;
          const size_t at = bf16PanelSlot(layout(), kk, j);
          dst[p * stride + at] = transB_ ? b[col * k_ + kk] : b[kk * n_ + col];
        }
    if (bias_ >= 0) {
      biasF32_.resize(n_);
      lowpRoutines().widen(ctx.data<const uint16_t>(uint32_t(bias_)), biasF32_.data(), n_, bf16_);
    }
  }

  uint32_t a_, b_;
  int64_t bias_;
  uint32_t y_;
  size_t rows_, n_, k_;
  bool transB_;
  Activation act_;
  bool bf16_;
  mutable std::once_flag once_;
  mutable AlignedBuffer packed_;
  mutable std::vector<float> biasF32_;
};

std::unique_ptr<LayerOp> validateGemv(const LayerCheck& c) {
  // gemv's own checks on an f32 view, then the 16-bit ones.
  const bool bf16 = lowpFormat(c, "gemvBf16") == DType::bf16;
  LayerDesc view = c.layer();
  view.kernel = "gemv";
  std::vector<TensorDesc> tensors;
  for (size_t i = 0; i < c.inputCount(); ++i) {
    view.inputs[i] = uint32_t(tensors.size());
    tensors.push_back(c.input(i));
  }
  view.outputs = {uint32_t(tensors.size())};
  tensors.push_back(c.output(0));
  for (TensorDesc& t : tensors) t.dtype = DType::f32;
  const KernelDef* gemv = findKernel("gemv");
  if (!gemv) c.fail("kernel gemvBf16 needs kernel gemv's checks, which this runtime lacks");
  gemv->validate(LayerCheck(view, tensors, nullptr));
  if (c.ints().size() > 4 && c.ints()[4] != 0) c.fail("kernel gemvBf16 takes no fused residual; the lowpGemv tactic does");
  const bool transB = c.ints()[1] == 1;
  const TensorDesc &a = c.input(0), &b = c.input(1);
  const size_t K = size_t(a.shape.back()), N = size_t(transB ? b.shape[0] : b.shape[1]);
  return std::make_unique<GemvLowpOp>(c, size_t(elementCount(a.shape)) / std::max<size_t>(K, 1), N, K, transB,
                                      c.activation(2), bf16);
}

}  // namespace

KernelDef lowpConvKernel() { return {"lowpConv", false, validateWrapped<0>}; }
KernelDef lowpConvWideKernel() { return {"lowpConvWide", false, validateWrapped<1>}; }
KernelDef lowpConvWinogradKernel() { return {"lowpConvWinograd", false, validateWrapped<2>}; }
KernelDef lowpConvWinogradWideKernel() { return {"lowpConvWinogradWide", false, validateWrapped<3>}; }
KernelDef lowpConvDepthwiseKernel() { return {"lowpConvDepthwise", false, validateWrapped<4>}; }
KernelDef lowpGemmKernel() { return {"lowpGemm", false, validateWrapped<5>}; }
KernelDef lowpGemmRowsKernel() { return {"lowpGemmRows", false, validateWrapped<6>}; }
KernelDef lowpGemvKernel() { return {"lowpGemv", false, validateWrapped<7>}; }
KernelDef gemvBf16Kernel() { return {"gemvBf16", false, validateGemv}; }

}  // namespace kiln::cpu
