// slice: y = x[start_d + i*step_d] per dim (ONNX Slice after codegen resolved
// axes, negative and out-of-range starts/ends), any dtype; steps may be
// negative. ints: [starts[rank], steps[rank]].
// split: x cut along one axis into the outputs in order (their axis extents
// sum to x's), any dtype. ints: [axis].
// Both are strided views (layout-view.h): contiguous runs move by memcpy.
#include <memory>

#include "kernels.h"
#include "layer-check.h"
#include "layout-view.h"

namespace kiln::cpu {
namespace {

class ViewsOp final : public LayerOp {
 public:
  ViewsOp(uint32_t x, std::vector<uint32_t> outputs, std::vector<StridedView> views, size_t elemSize)
      : x_(x), outputs_(std::move(outputs)), views_(std::move(views)), elemSize_(elemSize) {}

  void run(const RunContext& ctx) const override {
    for (size_t k = 0; k < outputs_.size(); ++k)
      copyView(views_[k], elemSize_, ctx.data<const uint8_t>(x_), ctx.data<uint8_t>(outputs_[k]), ctx.pool);
  }

 private:
  uint32_t x_;
  std::vector<uint32_t> outputs_;
  std::vector<StridedView> views_;
  size_t elemSize_;
};

void sameDtype(const LayerCheck& c, const TensorDesc& x, const TensorDesc& y) {
  if (x.dtype != y.dtype)
    c.fail(cat("kernel ", c.layer().kernel, " keeps the dtype; input ", LayerCheck::describe(x), ", output ",
               LayerCheck::describe(y)));
}

std::unique_ptr<LayerOp> validateSlice(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const size_t rank = x.shape.size();
  c.intCount(2 * rank, "[starts[rank], steps[rank]]");
  c.floatCount(0, "(none)");
  sameDtype(c, x, y);
  if (y.shape.size() != rank)
    c.fail(cat("kernel slice keeps the rank; input ", LayerCheck::describe(x), ", output ", LayerCheck::describe(y)));
  const std::vector<int64_t> xs = denseStrides(x.shape);
  StridedView view;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t start = c.ints()[d], step = c.ints()[rank + d], n = y.shape[d];
    const int64_t last = start + (n - 1) * step;
    if (step == 0 || start < 0 || start >= x.shape[d] || last < 0 || last >= x.shape[d])
      c.fail(cat("kernel slice: dim ", d, " with start ", start, " and step ", step, " reads ", n,
                 " elements, which leaves 0..", x.shape[d] - 1, " of input ", LayerCheck::describe(x)));
    view.offset += start * xs[d];
    view.dims.push_back(n);
    view.strides.push_back(step * xs[d]);
  }
  return std::make_unique<ViewsOp>(c.inputId(0), std::vector<uint32_t>{c.outputId(0)},
                                   std::vector<StridedView>{simplifyView(view)}, dtypeSize(x.dtype));
}

std::unique_ptr<LayerOp> validateSplit(const LayerCheck& c) {
  c.inputs(1, 1);
  if (c.layer().outputs.empty()) c.fail("kernel split expects at least 1 output, got 0");
  c.intCount(1, "[axis]");
  c.floatCount(0, "(none)");
  const TensorDesc& x = c.input(0);
  if (x.shape.empty()) c.fail(cat("kernel split needs an input of rank >= 1, got ", LayerCheck::describe(x)));
  const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
  const std::vector<int64_t> xs = denseStrides(x.shape);
  std::vector<StridedView> views;
  std::vector<uint32_t> outputs;
  int64_t at = 0;
  for (size_t k = 0; k < c.layer().outputs.size(); ++k) {
    const TensorDesc& y = c.output(k);
    sameDtype(c, x, y);
    bool fits = y.shape.size() == x.shape.size();
    for (size_t d = 0; fits && d < x.shape.size(); ++d) fits = int64_t(d) == axis || y.shape[d] == x.shape[d];
    if (!fits)
      c.fail(cat("kernel split on axis ", axis, ": output ", LayerCheck::describe(y), " does not match input ",
                 LayerCheck::describe(x), " outside the axis"));
    StridedView view{y.shape, xs, at * xs[axis]};
    at += y.shape[axis];
    views.push_back(simplifyView(view));
    outputs.push_back(c.outputId(k));
  }
  if (at != x.shape[axis])
    c.fail(cat("kernel split: the outputs' extents on axis ", axis, " sum to ", at, ", but input ",
               LayerCheck::describe(x), " has ", x.shape[axis]));
  return std::make_unique<ViewsOp>(c.inputId(0), std::move(outputs), std::move(views), dtypeSize(x.dtype));
}

}  // namespace

KernelDef sliceKernel() { return {"slice", false, validateSlice}; }
KernelDef splitKernel() { return {"split", false, validateSplit}; }

}  // namespace kiln::cpu
