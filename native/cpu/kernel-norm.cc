// Normalization kernels, f32, all in place (each row's statistics are read
// before any of its elements is written).
// layerNorm: x, scale, optional bias -> y. ints: [axis]; floats: [epsilon].
//   Rows are x's dims from axis on (D elements); scale and bias broadcast onto
//   x.shape[axis:] (numpy, right-aligned). y = (x - mean) / sqrt(var + eps)
//   * scale + bias with the population variance.
// instanceNorm: x [N,C,...], scale [C], bias [C] -> y. ints: none;
//   floats: [epsilon]. The same per (n, c) over the spatial dims.
// batchNorm: x [N,C,...], scale, bias, mean, var (each [C]) -> y. ints: none;
//   floats: [epsilon]. y = (x - mean) / sqrt(var + eps) * scale + bias, with
//   the per-channel a, b folded once per run (the parameters may be computed).
#include <cmath>
#include <vector>

#include "kernel-reduce-rows.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

// Rows of `width` elements at once, at least ~16K elements per task.
size_t rowGrain(uint64_t width) { return width >= 16384 ? 1 : static_cast<size_t>(16384 / width); }

class LayerNormOp final : public LayerOp {
 public:
  LayerNormOp(const LayerCheck& c, uint64_t rows, uint64_t width, float eps, std::vector<uint32_t> scaleIndex,
              std::vector<uint32_t> biasIndex)
      : x_(c.inputId(0)), scale_(c.inputId(1)), bias_(c.inputCount() > 2 ? int64_t(c.inputId(2)) : -1),
        y_(c.outputId(0)), rows_(rows), width_(width), eps_(eps), scaleIndex_(std::move(scaleIndex)),
        biasIndex_(std::move(biasIndex)) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    // A broadcast parameter is expanded to a full row once per run.
    std::vector<float> scaleRow, biasRow;
    const float* scale = expand(ctx.data<const float>(scale_), scaleIndex_, &scaleRow);
    const float* bias = bias_ < 0 ? nullptr : expand(ctx.data<const float>(uint32_t(bias_)), biasIndex_, &biasRow);
    ctx.pool->parallelRanges(rows_, rowGrain(width_), [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        float mean, invStd;
        rows::moments(x + r * width_, width_, eps_, &mean, &invStd);
        rows::normalize(x + r * width_, y + r * width_, width_, mean, invStd, scale, bias);
      }
    });
  }

 private:
  static const float* expand(const float* p, const std::vector<uint32_t>& index, std::vector<float>* row) {
    if (index.empty()) return p;
    row->resize(index.size());
    for (size_t i = 0; i < index.size(); ++i) (*row)[i] = p[index[i]];
    return row->data();
  }

  uint32_t x_, scale_;
  int64_t bias_;
  uint32_t y_;
  uint64_t rows_, width_;
  float eps_;
  std::vector<uint32_t> scaleIndex_, biasIndex_;  // empty: the parameter is a full row
};

// For a parameter broadcast onto `target`: the element each row position reads
// (empty when it already is a full row). Fails when it does not broadcast.
std::vector<uint32_t> broadcastIndex(const LayerCheck& c, size_t input, const Shape& target, const char* role) {
  const TensorDesc& p = c.input(input);
  const size_t lead = target.size() - std::min(target.size(), p.shape.size());
  bool ok = p.shape.size() <= target.size();
  for (size_t i = 0; ok && i < p.shape.size(); ++i) ok = p.shape[i] == 1 || p.shape[i] == target[lead + i];
  if (!ok)
    c.fail(cat("kernel layerNorm expects ", role, " broadcastable onto ", typeString(DType::f32, target), ", got ",
               LayerCheck::describe(p)));
  const uint64_t width = elementCount(target);
  if (elementCount(p.shape) == width) return {};
  std::vector<uint32_t> index(width);
  for (uint64_t k = 0; k < width; ++k) {
    uint64_t rest = k, at = 0, stride = 1;
    for (size_t d = target.size(); d-- > lead;) {
      const uint64_t coord = rest % uint64_t(target[d]);
      rest /= uint64_t(target[d]);
      const uint64_t pd = uint64_t(p.shape[d - lead]);
      at += (pd == 1 ? 0 : coord) * stride;
      stride *= pd;
    }
    index[k] = uint32_t(at);
  }
  return index;
}

float epsilon(const LayerCheck& c) {
  const double eps = c.floats()[0];
  if (!(eps >= 0 && eps < 1e30)) c.fail(cat("epsilon (floats[0]) is ", eps, "; expected a finite value >= 0"));
  return float(eps);
}

void sameShapeOutput(const LayerCheck& c, const char* kernel) {
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape != y.shape)
    c.fail(cat("kernel ", kernel, " expects output ", typeString(DType::f32, x.shape), " (the input's shape), got ",
               LayerCheck::describe(y)));
}

std::unique_ptr<LayerOp> validateLayerNorm(const LayerCheck& c) {
  c.inputs(2, 3);
  c.outputs(1);
  c.intCount(1, "[axis]");
  c.floatCount(1, "[epsilon]");
  c.allF32();
  sameShapeOutput(c, "layerNorm");
  const Shape& shape = c.input(0).shape;
  if (shape.empty()) c.fail("kernel layerNorm needs an input of rank >= 1");
  const int64_t axis = c.intIn(0, 0, int64_t(shape.size()) - 1, "axis");
  const Shape target(shape.begin() + axis, shape.end());
  auto scaleIndex = broadcastIndex(c, 1, target, "scale");
  auto biasIndex = c.inputCount() > 2 ? broadcastIndex(c, 2, target, "bias") : std::vector<uint32_t>{};
  const uint64_t width = elementCount(target);
  return std::make_unique<LayerNormOp>(c, elementCount(shape) / width, width, epsilon(c),
                                       std::move(scaleIndex), std::move(biasIndex));
}

// instanceNorm and batchNorm: x viewed as [N*C rows of `inner`], parameters per channel.
class ChannelNormOp final : public LayerOp {
 public:
  ChannelNormOp(const LayerCheck& c, bool batch, uint64_t rows, uint64_t channels, uint64_t inner, float eps)
      : c_(c.layer().inputs), y_(c.outputId(0)), batch_(batch), rows_(rows), channels_(channels), inner_(inner),
        eps_(eps) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(c_[0]);
    float* y = ctx.data<float>(y_);
    const float* scale = ctx.data<const float>(c_[1]);
    const float* bias = ctx.data<const float>(c_[2]);
    if (!batch_) {
      ctx.pool->parallelRanges(rows_, rowGrain(inner_), [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
          float mean, invStd;
          const uint64_t ch = r % channels_;
          rows::moments(x + r * inner_, inner_, eps_, &mean, &invStd);
          rows::normalizeUniform(x + r * inner_, y + r * inner_, inner_, mean, invStd, scale[ch], bias[ch]);
        }
      });
      return;
    }
    const float* mean = ctx.data<const float>(c_[3]);
    const float* var = ctx.data<const float>(c_[4]);
    std::vector<float> a(channels_), b(channels_);
    for (uint64_t ch = 0; ch < channels_; ++ch) {
      const double k = double(scale[ch]) / std::sqrt(double(var[ch]) + double(eps_));
      a[ch] = float(k);
      b[ch] = float(double(bias[ch]) - double(mean[ch]) * k);
    }
    ctx.pool->parallelRanges(rows_ * inner_, 16384, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end;) {
        const uint64_t r = i / inner_, ch = r % channels_, n = std::min<uint64_t>(inner_ - i % inner_, end - i);
        rows::affine(x + i, y + i, n, a[ch], b[ch]);
        i += n;
      }
    });
  }

 private:
  std::vector<uint32_t> c_;
  uint32_t y_;
  bool batch_;
  uint64_t rows_, channels_, inner_;
  float eps_;
};

std::unique_ptr<LayerOp> validateChannelNorm(const LayerCheck& c, bool batch) {
  const char* name = batch ? "batchNorm" : "instanceNorm";
  c.inputs(batch ? 5 : 3, batch ? 5 : 3);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(1, "[epsilon]");
  c.allF32();
  sameShapeOutput(c, name);
  const Shape& shape = c.input(0).shape;
  if (shape.size() < (batch ? 2u : 3u))
    c.fail(cat("kernel ", name, " needs an input [N,C", batch ? "" : ",D", "...], got ", LayerCheck::describe(c.input(0))));
  const Shape perChannel{shape[1]};
  static const char* const kRoles[] = {"x", "scale", "bias", "mean", "var"};
  for (size_t i = 1; i < c.inputCount(); ++i)
    if (c.input(i).shape != perChannel)
      c.fail(cat("kernel ", name, " expects ", kRoles[i], " ", typeString(DType::f32, perChannel), ", got ",
                 LayerCheck::describe(c.input(i))));
  const uint64_t rows = uint64_t(shape[0]) * uint64_t(shape[1]);
  return std::make_unique<ChannelNormOp>(c, batch, rows, uint64_t(shape[1]), elementCount(shape) / rows, epsilon(c));
}

std::unique_ptr<LayerOp> validateInstanceNorm(const LayerCheck& c) { return validateChannelNorm(c, false); }
std::unique_ptr<LayerOp> validateBatchNorm(const LayerCheck& c) { return validateChannelNorm(c, true); }

}  // namespace

KernelDef layerNormKernel() { return {"layerNorm", true, validateLayerNorm}; }
KernelDef instanceNormKernel() { return {"instanceNorm", true, validateInstanceNorm}; }
KernelDef batchNormKernel() { return {"batchNorm", true, validateBatchNorm}; }

}  // namespace kiln::cpu
