// binary: y = a <op> b with numpy broadcasting, f32.
// ints: [binaryCode] (add 0, sub 1, mul 2, div 3, max 4, min 5, pow 6).
// floats: none.
#include <algorithm>
#include <cmath>

#include "broadcast.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

enum class BinOp { add = 0, sub, mul, div, max, min, pow };
constexpr int64_t kBinOpCount = 7;

// The inner loop, specialized on which operand is broadcast so the common
// cases are straight vectorizable loops.
template <typename F>
void innerLoop(F f, const float* a, int64_t sa, const float* b, int64_t sb, float* y, size_t n) {
  if (sa && sb) {
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (sa) {
    const float bv = *b;
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], bv);
  } else if (sb) {
    const float av = *a;
    for (size_t i = 0; i < n; ++i) y[i] = f(av, b[i]);
  } else {
    const float v = f(*a, *b);
    for (size_t i = 0; i < n; ++i) y[i] = v;
  }
}

void dispatch(BinOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, size_t n) {
  switch (op) {
    case BinOp::add: return innerLoop([](float p, float q) { return p + q; }, a, sa, b, sb, y, n);
    case BinOp::sub: return innerLoop([](float p, float q) { return p - q; }, a, sa, b, sb, y, n);
    case BinOp::mul: return innerLoop([](float p, float q) { return p * q; }, a, sa, b, sb, y, n);
    case BinOp::div: return innerLoop([](float p, float q) { return p / q; }, a, sa, b, sb, y, n);
    case BinOp::max: return innerLoop([](float p, float q) { return std::max(p, q); }, a, sa, b, sb, y, n);
    case BinOp::min: return innerLoop([](float p, float q) { return std::min(p, q); }, a, sa, b, sb, y, n);
    case BinOp::pow: return innerLoop([](float p, float q) { return std::pow(p, q); }, a, sa, b, sb, y, n);
  }
}

class BinaryOp final : public LayerOp {
 public:
  BinaryOp(uint32_t a, uint32_t b, uint32_t y, BinOp op, BroadcastLoop loop, uint64_t total)
      : a_(a), b_(b), y_(y), op_(op), loop_(std::move(loop)), total_(total) {}

  void run(const RunContext& ctx) const override {
    const float* a = ctx.data<const float>(a_);
    const float* b = ctx.data<const float>(b_);
    float* y = ctx.data<float>(y_);
    const uint64_t inner = loop_.inner();
    const int64_t sa = loop_.strideA.back(), sb = loop_.strideB.back();
    // Ranges of the flat output; a range may start or end inside a row.
    ctx.pool->parallelRanges(total_, 16384, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end;) {
        const uint64_t row = i / inner, col = i % inner;
        const size_t n = static_cast<size_t>(std::min<uint64_t>(inner - col, end - i));
        int64_t oa, ob;
        loop_.rowOffsets(row, &oa, &ob);
        dispatch(op_, a + oa + sa * int64_t(col), sa, b + ob + sb * int64_t(col), sb, y + i, n);
        i += n;
      }
    });
  }

 private:
  uint32_t a_, b_, y_;
  BinOp op_;
  BroadcastLoop loop_;
  uint64_t total_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 2);
  c.outputs(1);
  c.intCount(1, "[binaryCode]");
  c.floatCount(0, "(none)");
  c.allF32();
  const BinOp op = static_cast<BinOp>(c.intIn(0, 0, kBinOpCount - 1, "binary op code"));
  const TensorDesc &a = c.input(0), &b = c.input(1), &y = c.output(0);
  Shape expect;
  if (!broadcastShapes(a.shape, b.shape, &expect))
    c.fail(cat("kernel binary cannot broadcast ", LayerCheck::describe(a), " with ", LayerCheck::describe(b)));
  if (y.shape != expect)
    c.fail(cat("kernel binary expects output ", typeString(DType::f32, expect), " (the broadcast of ",
               typeString(a.dtype, a.shape), " and ", typeString(b.dtype, b.shape), "), got ",
               typeString(y.dtype, y.shape)));
  return std::make_unique<BinaryOp>(c.inputId(0), c.inputId(1), c.outputId(0), op,
                                    planBroadcastLoop(a.shape, b.shape, y.shape), elementCount(y.shape));
}

}  // namespace

KernelDef binaryKernel() { return {"binary", true, validate}; }

}  // namespace kiln::cpu
