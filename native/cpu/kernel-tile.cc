// tile: y = x repeated repeats[d] times along each dim, any dtype.
// ints: [repeats[rank]]. Seen as the view [r0, d0, r1, d1, ...] with stride 0
// on every r: the output's row-major order is exactly that nesting.
// expand: y = x broadcast (numpy rules, ranks aligned from the right) to y's
// shape, any dtype. ints: none. The view has stride 0 on broadcast dims.
// depthToSpace / spaceToDepth: the 6-d transposes of ONNX's definitions as
// views (layouts in PLAN_FORMAT.md). All four are layout-view copies.
#include <algorithm>
#include <memory>

#include "kernels.h"
#include "layer-check.h"
#include "layout-view.h"

namespace kiln::cpu {
namespace {

class ViewOp final : public LayerOp {
 public:
  ViewOp(uint32_t x, uint32_t y, StridedView view, size_t elemSize)
      : x_(x), y_(y), view_(std::move(view)), elemSize_(elemSize) {}

  void run(const RunContext& ctx) const override {
    copyView(view_, elemSize_, ctx.data<const uint8_t>(x_), ctx.data<uint8_t>(y_), ctx.pool);
  }

 private:
  uint32_t x_, y_;
  StridedView view_;
  size_t elemSize_;
};

void sameDtype(const LayerCheck& c) {
  if (c.input(0).dtype != c.output(0).dtype)
    c.fail(cat("kernel ", c.layer().kernel, " keeps the dtype; input ", LayerCheck::describe(c.input(0)), ", output ",
               LayerCheck::describe(c.output(0))));
}

std::unique_ptr<LayerOp> validateTile(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const size_t rank = x.shape.size();
  c.intCount(rank, "[repeats[rank]]");
  c.floatCount(0, "(none)");
  sameDtype(c);
  Shape expect(rank);
  for (size_t d = 0; d < rank; ++d) {
    // Bounded by the output's extent, so the product below cannot overflow.
    const int64_t r = c.intIn(d, 1, y.shape.size() == rank ? y.shape[d] : 1, "repeats");
    expect[d] = x.shape[d] * r;
  }
  if (y.shape != expect)
    c.fail(cat("kernel tile with repeats ", listString(c.ints()), " expects output ", typeString(x.dtype, expect),
               " for input ", LayerCheck::describe(x), ", got ", LayerCheck::describe(y)));
  const std::vector<int64_t> xs = denseStrides(x.shape);
  StridedView view;
  for (size_t d = 0; d < rank; ++d) {
    view.dims.insert(view.dims.end(), {c.ints()[d], x.shape[d]});
    view.strides.insert(view.strides.end(), {0, xs[d]});
  }
  return std::make_unique<ViewOp>(c.inputId(0), c.outputId(0), simplifyView(view), dtypeSize(x.dtype));
}

std::unique_ptr<LayerOp> validateExpand(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(0, "(none)");
  sameDtype(c);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const size_t lead = y.shape.size() - std::min(y.shape.size(), x.shape.size());
  bool fits = x.shape.size() <= y.shape.size();
  const std::vector<int64_t> xs = denseStrides(x.shape);
  StridedView view{y.shape, std::vector<int64_t>(y.shape.size(), 0), 0};
  for (size_t d = 0; fits && d < x.shape.size(); ++d) {
    const int64_t in = x.shape[d], out = y.shape[lead + d];
    fits = in == out || in == 1;
    if (in != 1) view.strides[lead + d] = xs[d];
  }
  if (!fits)
    c.fail(cat("kernel expand cannot broadcast input ", LayerCheck::describe(x), " to output ", LayerCheck::describe(y),
               ": each input dim (aligned from the right) must equal the output's or be 1"));
  return std::make_unique<ViewOp>(c.inputId(0), c.outputId(0), simplifyView(view), dtypeSize(x.dtype));
}

// DCR: y[n, c, h*b+i, w*b+j] = x[n, (i*b+j)*C' + c, h, w]; CRD: x[n, c*b*b + i*b + j, h, w].
std::unique_ptr<LayerOp> validateDepthToSpace(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(2, "[blocksize, mode (0 DCR, 1 CRD)]");
  c.floatCount(0, "(none)");
  sameDtype(c);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const int64_t b = c.intIn(0, 1, 1 << 20, "blocksize");
  const bool crd = c.intIn(1, 0, 1, "mode") == 1;
  const bool fits = x.shape.size() == 4 && x.shape[1] % (b * b) == 0 &&
                    y.shape == Shape{x.shape[0], x.shape[1] / (b * b), x.shape[2] * b, x.shape[3] * b};
  if (!fits)
    c.fail(cat("kernel depthToSpace with blocksize ", b, " expects input [N,C,H,W] with C divisible by ", b * b,
               " and output [N,C/", b * b, ",H*", b, ",W*", b, "]; got input ", LayerCheck::describe(x), ", output ",
               LayerCheck::describe(y)));
  const int64_t cOut = y.shape[1], h = x.shape[2], w = x.shape[3], hw = h * w;
  StridedView view;
  view.dims = {x.shape[0], cOut, h, b, w, b};
  view.strides = crd ? std::vector<int64_t>{x.shape[1] * hw, b * b * hw, w, b * hw, 1, hw}
                     : std::vector<int64_t>{x.shape[1] * hw, hw, w, b * cOut * hw, 1, cOut * hw};
  return std::make_unique<ViewOp>(c.inputId(0), c.outputId(0), simplifyView(view), dtypeSize(x.dtype));
}

// y[n, (i*b+j)*C + c, h, w] = x[n, c, h*b+i, w*b+j].
std::unique_ptr<LayerOp> validateSpaceToDepth(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[blocksize]");
  c.floatCount(0, "(none)");
  sameDtype(c);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const int64_t b = c.intIn(0, 1, 1 << 20, "blocksize");
  const bool fits = x.shape.size() == 4 && x.shape[2] % b == 0 && x.shape[3] % b == 0 &&
                    y.shape == Shape{x.shape[0], x.shape[1] * b * b, x.shape[2] / b, x.shape[3] / b};
  if (!fits)
    c.fail(cat("kernel spaceToDepth with blocksize ", b, " expects input [N,C,H,W] with H and W divisible by ", b,
               " and output [N,C*", b * b, ",H/", b, ",W/", b, "]; got input ", LayerCheck::describe(x), ", output ",
               LayerCheck::describe(y)));
  const int64_t ch = x.shape[1], w = x.shape[3];
  StridedView view;
  view.dims = {x.shape[0], b, b, ch, y.shape[2], y.shape[3]};
  view.strides = {ch * x.shape[2] * w, w, 1, x.shape[2] * w, b * w, b};
  return std::make_unique<ViewOp>(c.inputId(0), c.outputId(0), simplifyView(view), dtypeSize(x.dtype));
}

}  // namespace

KernelDef tileKernel() { return {"tile", false, validateTile}; }
KernelDef expandKernel() { return {"expand", false, validateExpand}; }
KernelDef depthToSpaceKernel() { return {"depthToSpace", false, validateDepthToSpace}; }
KernelDef spaceToDepthKernel() { return {"spaceToDepth", false, validateSpaceToDepth}; }

}  // namespace kiln::cpu
