// concat: y = the inputs joined along one axis, any dtype (all operands the
// same dtype). Viewed as [outer, axis*inner] byte rows, each output row is
// the inputs' rows back to back.
// ints: [axis] (0 <= axis < rank). floats: none.
// An input the memory planner put at its own slice of y (concat elimination:
// the producer wrote straight into y) is already in place and is not copied:
// with one output row a dense input at the slice, with several (a batch > 1
// channel concat) a strided view whose image stride is one output row; an input
// anywhere else inside y, or a strided input outside it, is refused.
#include <algorithm>
#include <cstring>

#include "../plan-view.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class ConcatOp final : public LayerOp {
 public:
  ConcatOp(std::vector<uint32_t> inputs, uint32_t y, uint64_t outer, std::vector<uint64_t> chunkBytes,
           std::vector<bool> inPlace)
      : inputs_(std::move(inputs)), y_(y), outer_(outer), chunk_(std::move(chunkBytes)), inPlace_(std::move(inPlace)) {
    for (uint64_t b : chunk_) {
      dstOffset_.push_back(rowBytes_);
      rowBytes_ += b;
    }
  }

  void run(const RunContext& ctx) const override {
    // Every input already in place (its producer wrote its slice): no work, and no threads woken.
    if (std::find(inPlace_.begin(), inPlace_.end(), false) == inPlace_.end()) return;
    uint8_t* y = ctx.data<uint8_t>(y_);
    const size_t k = inputs_.size();
    const uint64_t perItem = rowBytes_ / k + 1;
    const size_t grain = perItem >= (1 << 16) ? 1 : static_cast<size_t>((1 << 16) / perItem);
    ctx.pool->parallelRanges(outer_ * k, grain, [&](size_t b, size_t e) {
      for (size_t item = b; item < e; ++item) {
        const uint64_t o = item / k, i = item % k;
        if (inPlace_[i]) continue;
        const uint8_t* src = ctx.data<const uint8_t>(inputs_[i]) + o * chunk_[i];
        std::memcpy(y + o * rowBytes_ + dstOffset_[i], src, chunk_[i]);
      }
    });
  }

 private:
  std::vector<uint32_t> inputs_;
  uint32_t y_;
  uint64_t outer_;
  std::vector<uint64_t> chunk_;      // bytes of one input row
  std::vector<uint64_t> dstOffset_;  // where that row goes inside an output row
  uint64_t rowBytes_ = 0;
  std::vector<bool> inPlace_;  // already at its slice of y: nothing to copy
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, SIZE_MAX);
  c.outputs(1);
  c.intCount(1, "[axis]");
  c.floatCount(0, "(none)");
  const TensorDesc& y = c.output(0);
  if (y.shape.empty()) c.fail("kernel concat needs operands of rank >= 1");
  const int64_t axis = c.intIn(0, 0, int64_t(y.shape.size()) - 1, "axis");
  Shape expect = c.input(0).shape;
  int64_t total = 0;
  uint64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= static_cast<uint64_t>(y.shape[i]);
  for (size_t i = size_t(axis) + 1; i < y.shape.size(); ++i) inner *= static_cast<uint64_t>(y.shape[i]);
  std::vector<uint64_t> chunks;
  for (size_t i = 0; i < c.inputCount(); ++i) {
    const TensorDesc& x = c.input(i);
    bool fits = x.dtype == y.dtype && x.shape.size() == y.shape.size();
    for (size_t d = 0; fits && d < x.shape.size(); ++d) fits = int64_t(d) == axis || x.shape[d] == y.shape[d];
    if (!fits)
      c.fail(cat("kernel concat on axis ", axis, " cannot join input ", LayerCheck::describe(x), " into output ",
                 LayerCheck::describe(y), ": dtype and every dim but the axis must match"));
    total += x.shape[axis];
    chunks.push_back(static_cast<uint64_t>(x.shape[axis]) * inner * dtypeSize(x.dtype));
  }
  if (total != y.shape[axis]) {
    expect = y.shape;
    expect[axis] = total;
    c.fail(cat("kernel concat expects output ", typeString(y.dtype, expect), ", got ", typeString(y.dtype, y.shape)));
  }
  // Inputs inside y (kernel-registry lets them through) must sit exactly at their slice.
  uint64_t rowBytes = 0;
  for (uint64_t b : chunks) rowBytes += b;
  std::vector<bool> inPlace;
  uint64_t slice = 0;
  for (size_t i = 0; i < c.inputCount(); ++i) {
    const TensorDesc& x = c.input(i);
    const bool inside = x.location == Location::arena && y.location == Location::arena && extentsOverlap(extentOf(x), extentOf(y));
    // One output row: the slice is contiguous. Several: x's images one row apart (a strided view).
    const bool rows = outer == 1 || (x.shape[0] == int64_t(outer) && isStrided(x) &&
                                     imageStrideOf(x) * dtypeSize(x.dtype) == rowBytes);
    if (inside && (!rows || x.offset != y.offset + slice))
      c.fail(cat("kernel concat: input ", LayerCheck::describe(x), " lies inside output ", LayerCheck::describe(y),
                 " but not at its slice (byte ", slice, " of each ", rowBytes, "-byte output row)"));
    if (!inside && isStrided(x))
      c.fail(cat("kernel concat: input ", LayerCheck::describe(x), " is a strided view (image stride ", x.imageStride,
                 " elements) outside output ", LayerCheck::describe(y)));
    inPlace.push_back(inside);
    slice += chunks[i];
  }
  std::vector<uint32_t> inputs(c.layer().inputs);
  return std::make_unique<ConcatOp>(std::move(inputs), c.outputId(0), outer, std::move(chunks), std::move(inPlace));
}

}  // namespace

KernelDef concatKernel() { return {"concat", false, validate, true}; }

}  // namespace kiln::cpu
