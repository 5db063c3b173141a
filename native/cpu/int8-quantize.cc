// quantize and dequantize (ONNX QuantizeLinear / DequantizeLinear): per-tensor or
// per-axis f32 scale, optional zero point. Quantize divides and rounds half to
// even (nearbyint in the default rounding mode), saturating to the i8/u8 range.
// inputs: x, scale f32 (1 or the axis' size), optional zero point (output dtype).
// ints: [axis] (normalized; ignored for a per-tensor scale). floats: none.
#include <algorithm>
#include <cmath>

#include "../cpu-features.h"
#include "int8-gemm.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class QdqOp final : public LayerOp {
 public:
  QdqOp(const LayerCheck& c, bool quantize) : quantize_(quantize) {
    c.inputs(2, 3);
    c.outputs(1);
    c.intCount(1, "[axis]");
    x_ = c.inputId(0); s_ = c.inputId(1); y_ = c.outputId(0);
    zp_ = c.inputCount() == 3 ? int64_t(c.inputId(2)) : -1;
    const TensorDesc &x = c.input(0), &s = c.input(1), &y = c.output(0);
    count_ = size_t(elementCount(x.shape));
    per_ = size_t(elementCount(s.shape));
    if (s.dtype != DType::f32) c.fail(cat("scale must be f32, got ", LayerCheck::describe(s)));
    inner_ = 1;
    if (per_ != 1) {
      const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
      if (uint64_t(x.shape[size_t(axis)]) != per_) c.fail(cat("a per-axis scale needs ", x.shape[size_t(axis)], " values, got ", LayerCheck::describe(s)));
      for (size_t d = size_t(axis) + 1; d < x.shape.size(); ++d) inner_ *= size_t(x.shape[d]);
    }
    const DType q = quantize ? y.dtype : x.dtype;
    if (quantize ? x.dtype != DType::f32 : y.dtype != DType::f32) c.fail(cat(quantize ? "quantize reads f32, got " : "dequantize writes f32, got ", LayerCheck::describe(quantize ? x : y)));
    if (q != DType::i8 && q != DType::u8 && (quantize || q != DType::i32)) c.fail(cat("the quantized side must be i8 or u8", quantize ? "" : " (or i32 to dequantize)", ", got ", LayerCheck::describe(quantize ? y : x)));
    if (zp_ >= 0 && (c.input(2).dtype != q || elementCount(c.input(2).shape) != per_)) c.fail(cat("zero point must be ", dtypeName(q), " like the scale, got ", LayerCheck::describe(c.input(2))));
    unsigned_ = q == DType::u8;
    wide_ = q == DType::i32;
  }

  void run(const RunContext& ctx) const override {
    const float* s = ctx.data<const float>(s_);
    const uint8_t* zpRaw = zp_ >= 0 ? ctx.data<const uint8_t>(uint32_t(zp_)) : nullptr;
    auto zp = [&](size_t c) -> int32_t {
      if (!zpRaw) return 0;
      if (wide_) return reinterpret_cast<const int32_t*>(zpRaw)[c];
      return unsigned_ ? int32_t(zpRaw[c]) : int32_t(int8_t(zpRaw[c]));
    };
    // The channel of element i, and the end of its run of one channel (per tensor: all).
    auto channel = [&](size_t i) { return per_ == 1 ? size_t(0) : (i / inner_) % per_; };
    auto runEnd = [&](size_t i, size_t e) { return per_ == 1 ? e : std::min(e, (i / inner_ + 1) * inner_); };
#if defined(__x86_64__) || defined(_M_X64)
    // i8/u8 in vector rows, one scale and zero point per run of one channel.
    if (!wide_ && (hostIsaMask() & isa::kAvx2)) {
      const float* xf = ctx.data<const float>(x_);
      const uint8_t* xq = ctx.data<const uint8_t>(x_);
      float* yf = ctx.data<float>(y_);
      uint8_t* yq = ctx.data<uint8_t>(y_);
      ctx.pool->parallelRanges(count_, 16384, [&](size_t b, size_t e) {
        for (size_t i = b; i < e;) {
          const size_t end = runEnd(i, e), c = channel(i);
          if (quantize_) quantizeRowAvx2(xf + i, end - i, s[c], zp(c), unsigned_, yq + i);
          else dequantizeRowAvx2(xq + i, unsigned_, end - i, s[c], zp(c), yf + i);
          i = end;
        }
      });
      return;
    }
#endif
    const float lo = unsigned_ ? 0.f : -128.f, hi = unsigned_ ? 255.f : 127.f;
    for (size_t i = 0; i < count_; ++i) {
      const size_t c = channel(i);
      if (quantize_) {
        const float q = std::min(hi, std::max(lo, std::nearbyint(ctx.data<const float>(x_)[i] / s[c]) + float(zp(c))));
        if (unsigned_) ctx.data<uint8_t>(y_)[i] = uint8_t(q);
        else ctx.data<int8_t>(y_)[i] = int8_t(q);
      } else {
        const int32_t q = wide_ ? ctx.data<const int32_t>(x_)[i] : unsigned_ ? int32_t(ctx.data<const uint8_t>(x_)[i]) : int32_t(ctx.data<const int8_t>(x_)[i]);
        ctx.data<float>(y_)[i] = float(q - zp(c)) * s[c];
      }
    }
  }

 private:
  bool quantize_, unsigned_ = false, wide_ = false;
  uint32_t x_, s_, y_;
  int64_t zp_;
  size_t count_, per_, inner_;
};

std::unique_ptr<LayerOp> validateQuantize(const LayerCheck& c) { return std::make_unique<QdqOp>(c, true); }
std::unique_ptr<LayerOp> validateDequantize(const LayerCheck& c) { return std::make_unique<QdqOp>(c, false); }

}  // namespace

KernelDef quantizeKernel() { return {"quantize", false, validateQuantize}; }
KernelDef dequantizeKernel() { return {"dequantize", false, validateDequantize}; }

}  // namespace kiln::cpu
