// where: out = cond ? x : y with numpy broadcasting of all three; cond bool,
// x, y and out of any one dtype (elements are copied as raw bytes).
// ints: none. floats: none.
#include "broadcast.h"
#include "elementwise-loop.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

template <typename T>
void select(const uint8_t* c, const T* x, const T* y, const LoopOffsets& step, T* out, size_t n) {
  // Both values are loaded unconditionally, so the select needs no branch and vectorizes.
  if (step[0] && step[1] && step[2]) {
    for (size_t i = 0; i < n; ++i) {
      const T xv = x[i], yv = y[i];
      out[i] = c[i] ? xv : yv;
    }
    return;
  }
  const int64_t sc = step[0], sx = step[1], sy = step[2];
  for (size_t i = 0; i < n; ++i) {
    const T xv = x[i * sx], yv = y[i * sy];
    out[i] = c[i * sc] ? xv : yv;
  }
}

class WhereOp final : public LayerOp {
 public:
  WhereOp(uint32_t c, uint32_t x, uint32_t y, uint32_t out, size_t elementSize, NaryLoop loop, uint64_t total)
      : c_(c), x_(x), y_(y), out_(out), elementSize_(elementSize), loop_(std::move(loop)), total_(total) {}

  void run(const RunContext& ctx) const override {
    switch (elementSize_) {
      case 1: return runAs<uint8_t>(ctx);
      case 2: return runAs<uint16_t>(ctx);
      case 4: return runAs<uint32_t>(ctx);
      default: return runAs<uint64_t>(ctx);
    }
  }

 private:
  template <typename T>
  void runAs(const RunContext& ctx) const {
    const uint8_t* c = ctx.data<const uint8_t>(c_);
    const T* x = ctx.data<const T>(x_);
    const T* y = ctx.data<const T>(y_);
    T* out = ctx.data<T>(out_);
    forEachSpan(loop_, ctx.pool, total_, 16384, [&](size_t i, const LoopOffsets& off, const LoopOffsets& step, size_t n) {
      select<T>(c + off[0], x + off[1], y + off[2], step, out + i, n);
    });
  }

  uint32_t c_, x_, y_, out_;
  size_t elementSize_;
  NaryLoop loop_;
  uint64_t total_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(3, 3);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(0, "(none)");
  const TensorDesc &cond = c.input(0), &x = c.input(1), &y = c.input(2), &out = c.output(0);
  if (cond.dtype != DType::boolean) c.fail(cat("kernel where needs a bool condition, got ", LayerCheck::describe(cond)));
  if (x.dtype != y.dtype)
    c.fail(cat("kernel where needs x and y of one dtype, got ", LayerCheck::describe(x), " and ", LayerCheck::describe(y)));
  Shape cx, expect;
  if (!broadcastShapes(cond.shape, x.shape, &cx) || !broadcastShapes(cx, y.shape, &expect))
    c.fail(cat("kernel where cannot broadcast ", LayerCheck::describe(cond), ", ", LayerCheck::describe(x), " and ",
               LayerCheck::describe(y)));
  if (out.dtype != x.dtype || out.shape != expect)
    c.fail(cat("kernel where expects output ", typeString(x.dtype, expect), ", got ", typeString(out.dtype, out.shape)));
  return std::make_unique<WhereOp>(c.inputId(0), c.inputId(1), c.inputId(2), c.outputId(0), dtypeSize(x.dtype),
                                   planNaryLoop({cond.shape, x.shape, y.shape}, out.shape), elementCount(out.shape));
}

}  // namespace

KernelDef whereKernel() { return {"where", true, validate}; }

}  // namespace kiln::cpu
