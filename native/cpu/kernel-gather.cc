// gather: y[outer, j, inner] = data[outer, indices[j], inner] (ONNX Gather),
// data any dtype, indices i32 or i64 (negative counts from the end). Each
// (outer, j) pair is one memcpy of an inner row. ints: [axis].
// gatherElements: y[i] = data[i with its axis coordinate replaced by
// indices[i]] (ONNX GatherElements), shapes of y and indices equal.
// ints: [axis].
// Indices are data, so they are checked as they are read; one out of range
// fails the run (KILN_INPUT) naming the layer, the index and the valid range.
#include <cstring>
#include <memory>

#include "../error.h"
#include "kernels.h"
#include "layer-check.h"
#include "layout-view.h"

namespace kiln::cpu {
namespace {

int64_t readIndex(const uint8_t* indices, bool wide, uint64_t i) {
  if (wide) {
    int64_t v;
    std::memcpy(&v, indices + i * 8, 8);
    return v;
  }
  int32_t v;
  std::memcpy(&v, indices + i * 4, 4);
  return v;
}

// The index normalized into [0, dim), or a KILN_INPUT error.
int64_t checkedIndex(int64_t v, int64_t dim, uint64_t at, const std::string& layer, const std::string& where) {
  const int64_t j = v < 0 ? v + dim : v;
  if (j < 0 || j >= dim)
    throw Error(codes::kInput, cat("layer ", quoted(layer), ": indices[", at, "] = ", v, " is out of range for ",
                                   where, " (valid: ", -dim, "..", dim - 1, ")"));
  return j;
}

struct GatherShape {
  uint32_t data, indices, y;
  bool wide;
  size_t elemSize;
  int64_t axisDim;
  std::string layer, where;
};

class GatherOp final : public LayerOp {
 public:
  GatherOp(GatherShape s, uint64_t outer, uint64_t count, uint64_t inner)
      : s_(std::move(s)), outer_(outer), count_(count), innerBytes_(inner * s_.elemSize) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* data = ctx.data<const uint8_t>(s_.data);
    const uint8_t* indices = ctx.data<const uint8_t>(s_.indices);
    uint8_t* y = ctx.data<uint8_t>(s_.y);
    const size_t grain = innerBytes_ >= (1 << 14) ? 1 : static_cast<size_t>((1 << 14) / innerBytes_);
    ctx.pool->parallelRanges(outer_ * count_, grain, [&](size_t b, size_t e) {
      for (size_t item = b; item < e; ++item) {
        const uint64_t o = item / count_, j = item % count_;
        const int64_t k = checkedIndex(readIndex(indices, s_.wide, j), s_.axisDim, j, s_.layer, s_.where);
        std::memcpy(y + item * innerBytes_, data + (o * s_.axisDim + k) * innerBytes_, innerBytes_);
      }
    });
  }

 private:
  GatherShape s_;
  uint64_t outer_, count_, innerBytes_;
};

class GatherElementsOp final : public LayerOp {
 public:
  GatherElementsOp(GatherShape s, Shape dims, std::vector<int64_t> dataStrides, size_t axis)
      : s_(std::move(s)), dims_(std::move(dims)), dataStrides_(std::move(dataStrides)), axis_(axis) {}

  void run(const RunContext& ctx) const override {
    if (s_.wide) return runIndexed<int64_t>(ctx);
    return runIndexed<int32_t>(ctx);
  }

 private:
  template <typename I>
  void runIndexed(const RunContext& ctx) const {
    switch (s_.elemSize) {
      case 1: return runAs<uint8_t, I>(ctx);
      case 2: return runAs<uint16_t, I>(ctx);
      case 4: return runAs<uint32_t, I>(ctx);
      default: return runAs<uint64_t, I>(ctx);
    }
  }

  template <typename T, typename I>
  void runAs(const RunContext& ctx) const {
    const T* data = ctx.data<const T>(s_.data);
    const I* indices = ctx.data<const I>(s_.indices);
    T* y = ctx.data<T>(s_.y);
    const size_t last = dims_.size() - 1;
    const int64_t inner = dims_[last];
    uint64_t rows = 1;
    for (size_t d = 0; d < last; ++d) rows *= static_cast<uint64_t>(dims_[d]);
    const int64_t axisStride = dataStrides_[axis_];
    const size_t grain = inner >= 4096 ? 1 : static_cast<size_t>(4096 / inner);
    ctx.pool->parallelRanges(rows, grain, [&](size_t b, size_t e) {
      for (size_t row = b; row < e; ++row) {
        // Offset of the row in data, leaving out the axis (added per element).
        int64_t base = 0;
        uint64_t rest = row;
        for (size_t d = last; d-- > 0;) {
          const int64_t v = static_cast<int64_t>(rest % static_cast<uint64_t>(dims_[d]));
          rest /= static_cast<uint64_t>(dims_[d]);
          if (d != axis_) base += v * dataStrides_[d];
        }
        const uint64_t first = row * static_cast<uint64_t>(inner);
        const int64_t step = axis_ == last ? 0 : dataStrides_[last];
        for (int64_t i = 0; i < inner; ++i) {
          int64_t k = indices[first + i];
          if (k < 0) k += s_.axisDim;
          if (k < 0 || k >= s_.axisDim) checkedIndex(indices[first + i], s_.axisDim, first + i, s_.layer, s_.where);
          y[first + i] = data[base + i * step + k * axisStride];
        }
      }
    });
  }

  GatherShape s_;
  Shape dims_;
  std::vector<int64_t> dataStrides_;
  size_t axis_;
};

GatherShape commonChecks(const LayerCheck& c, size_t* axis) {
  c.inputs(2, 2);
  c.outputs(1);
  c.intCount(1, "[axis]");
  c.floatCount(0, "(none)");
  const TensorDesc &data = c.input(0), &indices = c.input(1), &y = c.output(0);
  if (indices.dtype != DType::i32 && indices.dtype != DType::i64)
    c.fail(cat("kernel ", c.layer().kernel, " takes i32 or i64 indices, got ", LayerCheck::describe(indices)));
  if (data.dtype != y.dtype)
    c.fail(cat("kernel ", c.layer().kernel, " keeps the dtype; data ", LayerCheck::describe(data), ", output ",
               LayerCheck::describe(y)));
  if (data.shape.empty()) c.fail(cat("kernel ", c.layer().kernel, " needs data of rank >= 1, got ", LayerCheck::describe(data)));
  *axis = static_cast<size_t>(c.intIn(0, 0, int64_t(data.shape.size()) - 1, "axis"));
  return {c.inputId(0), c.inputId(1), c.outputId(0), indices.dtype == DType::i64, dtypeSize(data.dtype),
          data.shape[*axis], c.layer().name, cat("axis ", *axis, " of data ", LayerCheck::describe(data))};
}

std::unique_ptr<LayerOp> validateGather(const LayerCheck& c) {
  size_t axis;
  GatherShape s = commonChecks(c, &axis);
  const TensorDesc &data = c.input(0), &indices = c.input(1), &y = c.output(0);
  Shape expect(data.shape.begin(), data.shape.begin() + axis);
  expect.insert(expect.end(), indices.shape.begin(), indices.shape.end());
  expect.insert(expect.end(), data.shape.begin() + axis + 1, data.shape.end());
  if (y.shape != expect)
    c.fail(cat("kernel gather on axis ", axis, " expects output ", typeString(y.dtype, expect), " for data ",
               LayerCheck::describe(data), " and indices ", LayerCheck::describe(indices), ", got ", LayerCheck::describe(y)));
  uint64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= static_cast<uint64_t>(data.shape[d]);
  for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= static_cast<uint64_t>(data.shape[d]);
  return std::make_unique<GatherOp>(std::move(s), outer, elementCount(indices.shape), inner);
}

std::unique_ptr<LayerOp> validateGatherElements(const LayerCheck& c) {
  size_t axis;
  GatherShape s = commonChecks(c, &axis);
  const TensorDesc &data = c.input(0), &indices = c.input(1), &y = c.output(0);
  bool fits = indices.shape.size() == data.shape.size() && y.shape == indices.shape;
  for (size_t d = 0; fits && d < data.shape.size(); ++d) fits = d == axis || indices.shape[d] <= data.shape[d];
  if (!fits)
    c.fail(cat("kernel gatherElements on axis ", axis, " expects indices of data's rank, no larger outside the axis, ",
               "and an output of the indices' shape; got data ", LayerCheck::describe(data), ", indices ",
               LayerCheck::describe(indices), ", output ", LayerCheck::describe(y)));
  return std::make_unique<GatherElementsOp>(std::move(s), indices.shape, denseStrides(data.shape), axis);
}

}  // namespace

KernelDef gatherKernel() { return {"gather", false, validateGather}; }
KernelDef gatherElementsKernel() { return {"gatherElements", false, validateGatherElements}; }

}  // namespace kiln::cpu
