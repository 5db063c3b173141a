// Tensors made from parameters alone (ONNX ConstantOfShape, Range, Shape);
// with static shapes they are constants, kept as kernels so an unfolded
// graph still runs.
// fill: no inputs; y = value everywhere, any dtype. floats: [value].
// range: no inputs; y[i] = start + i * delta (f64, then stored in y's dtype:
// f32, f16, bf16, i32 or i64), y of rank 1. floats: [start, delta].
// shape: y (i64, rank 1) = x.shape[start : start + len(y)]; x is not read.
// ints: [start].
#include <cstring>
#include <memory>

#include "kernels.h"
#include "layer-check.h"
#include "layout-scalar.h"
#include "layout-view.h"

namespace kiln::cpu {
namespace {

// Writes a precomputed byte image of the output (fill, range and shape are
// all known at load).
class ImageOp final : public LayerOp {
 public:
  ImageOp(uint32_t y, std::vector<uint8_t> image) : y_(y), image_(std::move(image)) {}

  void run(const RunContext& ctx) const override {
    uint8_t* y = ctx.data<uint8_t>(y_);
    ctx.pool->parallelRanges(image_.size(), 1 << 20, [&](size_t b, size_t e) { std::memcpy(y + b, image_.data() + b, e - b); });
  }

 private:
  uint32_t y_;
  std::vector<uint8_t> image_;
};

class FillOp final : public LayerOp {
 public:
  FillOp(uint32_t y, uint64_t count, size_t elemSize, uint64_t value) : y_(y), count_(count), elemSize_(elemSize), value_(value) {}

  void run(const RunContext& ctx) const override {
    uint8_t* y = ctx.data<uint8_t>(y_);
    const uint8_t* v = reinterpret_cast<const uint8_t*>(&value_);
    ctx.pool->parallelRanges(count_, 1 << 16, [&](size_t b, size_t e) { fillElements(y + b * elemSize_, v, elemSize_, e - b); });
  }

 private:
  uint32_t y_;
  uint64_t count_;
  size_t elemSize_;
  uint64_t value_;
};

std::unique_ptr<LayerOp> validateFill(const LayerCheck& c) {
  c.inputs(0, 0);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(1, "[value]");
  const TensorDesc& y = c.output(0);
  uint64_t value = 0;
  encodeScalar(y.dtype, c.floats()[0], reinterpret_cast<uint8_t*>(&value));
  return std::make_unique<FillOp>(c.outputId(0), elementCount(y.shape), dtypeSize(y.dtype), value);
}

std::unique_ptr<LayerOp> validateRange(const LayerCheck& c) {
  c.inputs(0, 0);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(2, "[start, delta]");
  const TensorDesc& y = c.output(0);
  const bool typed = y.dtype == DType::f32 || y.dtype == DType::f16 || y.dtype == DType::bf16 ||
                     y.dtype == DType::i32 || y.dtype == DType::i64;
  if (!typed || y.shape.size() != 1)
    c.fail(cat("kernel range makes a rank-1 f32, f16, bf16, i32 or i64 tensor, got output ", LayerCheck::describe(y)));
  const double start = c.floats()[0], delta = c.floats()[1];
  const size_t size = dtypeSize(y.dtype);
  std::vector<uint8_t> image(static_cast<size_t>(y.shape[0]) * size);
  for (int64_t i = 0; i < y.shape[0]; ++i) encodeScalar(y.dtype, start + double(i) * delta, image.data() + i * size);
  return std::make_unique<ImageOp>(c.outputId(0), std::move(image));
}

std::unique_ptr<LayerOp> validateShape(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[start]");
  c.floatCount(0, "(none)");
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const int64_t rank = int64_t(x.shape.size());
  const int64_t start = c.intIn(0, 0, rank, "start");
  if (y.dtype != DType::i64 || y.shape.size() != 1 || start + y.shape[0] > rank)
    c.fail(cat("kernel shape writes dims ", start, ".. of input ", LayerCheck::describe(x),
               " into an i64 vector of at most ", rank - start, " elements, got output ", LayerCheck::describe(y)));
  std::vector<uint8_t> image(static_cast<size_t>(y.shape[0]) * 8);
  std::memcpy(image.data(), x.shape.data() + start, image.size());
  return std::make_unique<ImageOp>(c.outputId(0), std::move(image));
}

}  // namespace

KernelDef fillKernel() { return {"fill", false, validateFill}; }
KernelDef rangeKernel() { return {"range", false, validateRange}; }
KernelDef shapeKernel() { return {"shape", false, validateShape}; }

}  // namespace kiln::cpu
