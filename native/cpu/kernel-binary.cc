// binary: y = a <op> b with numpy broadcasting, on f32, i8, u8, i32 and i64.
// ints: [binaryCode] (add 0, sub 1, mul 2, div 3, max 4, min 5, pow 6).
// floats: none. Integers wrap like the interpreter (two's complement), divide
// truncating toward zero, and a division by zero (or 0 to a negative power)
// fails the run instead of inventing a value.
#include <algorithm>
#include <cmath>

#include "../error.h"
#include "broadcast.h"
#include "elementwise-types.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

enum class BinOp { add = 0, sub, mul, div, max, min, pow };
constexpr int64_t kBinOpCount = 7;

// The inner loop, specialized on which operand is broadcast so the common
// cases are straight vectorizable loops.
template <typename T, typename F>
void innerLoop(F f, const T* a, int64_t sa, const T* b, int64_t sb, T* y, size_t n) {
  if (sa && sb) {
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (sa) {
    const T bv = *b;
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], bv);
  } else if (sb) {
    const T av = *a;
    for (size_t i = 0; i < n; ++i) y[i] = f(av, b[i]);
  } else {
    const T v = f(*a, *b);
    for (size_t i = 0; i < n; ++i) y[i] = v;
  }
}

void dispatch(BinOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, size_t n) {
  switch (op) {
    case BinOp::add: return innerLoop<float>([](float p, float q) { return p + q; }, a, sa, b, sb, y, n);
    case BinOp::sub: return innerLoop<float>([](float p, float q) { return p - q; }, a, sa, b, sb, y, n);
    case BinOp::mul: return innerLoop<float>([](float p, float q) { return p * q; }, a, sa, b, sb, y, n);
    case BinOp::div: return innerLoop<float>([](float p, float q) { return p / q; }, a, sa, b, sb, y, n);
    case BinOp::max: return innerLoop<float>([](float p, float q) { return std::max(p, q); }, a, sa, b, sb, y, n);
    case BinOp::min: return innerLoop<float>([](float p, float q) { return std::min(p, q); }, a, sa, b, sb, y, n);
    case BinOp::pow: return innerLoop<float>([](float p, float q) { return std::pow(p, q); }, a, sa, b, sb, y, n);
  }
}

[[noreturn]] void noResult(const std::string& layer, const char* what, int64_t p, int64_t q) {
  throw Error(codes::kInput, cat("layer ", quoted(layer), ": integer ", what, " of ", p, " by ", q,
                                 " has no result (division by zero)"));
}

template <typename T>
T intDiv(T a, T b, const std::string& layer) {
  if (b == 0) noResult(layer, "Div", a, b);
  // min / -1 overflows (and traps on x86); it wraps to min, which is what negation gives.
  if (std::is_signed_v<T> && b == static_cast<T>(-1)) return wrapNeg(a);
  return static_cast<T>(a / b);
}

// a^b wrapping at T's width each step; a negative power truncates like integer division.
template <typename T>
T intPow(T a, T b, const std::string& layer) {
  if (std::is_signed_v<T> && b < 0) {
    if (a == 1) return 1;
    if (a == static_cast<T>(-1)) return (b % 2 == 0) ? 1 : static_cast<T>(-1);
    if (a == 0) noResult(layer, "Pow", a, b);
    return 0;
  }
  T result = 1, base = a;
  for (T e = b; e > 0; e /= 2) {
    if (e % 2 == 1) result = wrapMul(result, base);
    base = wrapMul(base, base);
  }
  return result;
}

template <typename T>
void dispatch(BinOp op, const T* a, int64_t sa, const T* b, int64_t sb, T* y, size_t n, const std::string& layer) {
  switch (op) {
    case BinOp::add: return innerLoop<T>([](T p, T q) { return wrapAdd(p, q); }, a, sa, b, sb, y, n);
    case BinOp::sub: return innerLoop<T>([](T p, T q) { return wrapSub(p, q); }, a, sa, b, sb, y, n);
    case BinOp::mul: return innerLoop<T>([](T p, T q) { return wrapMul(p, q); }, a, sa, b, sb, y, n);
    case BinOp::div: return innerLoop<T>([&](T p, T q) { return intDiv(p, q, layer); }, a, sa, b, sb, y, n);
    case BinOp::max: return innerLoop<T>([](T p, T q) { return std::max(p, q); }, a, sa, b, sb, y, n);
    case BinOp::min: return innerLoop<T>([](T p, T q) { return std::min(p, q); }, a, sa, b, sb, y, n);
    case BinOp::pow: return innerLoop<T>([&](T p, T q) { return intPow(p, q, layer); }, a, sa, b, sb, y, n);
  }
}

class BinaryOp final : public LayerOp {
 public:
  BinaryOp(std::string layer, uint32_t a, uint32_t b, uint32_t y, DType dtype, BinOp op, BroadcastLoop loop, uint64_t total)
      : layer_(std::move(layer)), a_(a), b_(b), y_(y), dtype_(dtype), op_(op), loop_(std::move(loop)), total_(total) {}

  void run(const RunContext& ctx) const override {
    visitNumeric(dtype_, [&](auto tag) { runAs<decltype(tag)>(ctx); });
  }

 private:
  template <typename T>
  void runAs(const RunContext& ctx) const {
    const T* a = ctx.data<const T>(a_);
    const T* b = ctx.data<const T>(b_);
    T* y = ctx.data<T>(y_);
    const uint64_t inner = loop_.inner();
    const int64_t sa = loop_.strideA.back(), sb = loop_.strideB.back();
    // Ranges of the flat output; a range may start or end inside a row.
    ctx.pool->parallelRanges(total_, 16384, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end;) {
        const uint64_t row = i / inner, col = i % inner;
        const size_t n = static_cast<size_t>(std::min<uint64_t>(inner - col, end - i));
        int64_t oa, ob;
        loop_.rowOffsets(row, &oa, &ob);
        if constexpr (std::is_same_v<T, float>) dispatch(op_, a + oa + sa * int64_t(col), sa, b + ob + sb * int64_t(col), sb, y + i, n);
        else dispatch<T>(op_, a + oa + sa * int64_t(col), sa, b + ob + sb * int64_t(col), sb, y + i, n, layer_);
        i += n;
      }
    });
  }

  std::string layer_;
  uint32_t a_, b_, y_;
  DType dtype_;
  BinOp op_;
  BroadcastLoop loop_;
  uint64_t total_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 2);
  c.outputs(1);
  c.intCount(1, "[binaryCode]");
  c.floatCount(0, "(none)");
  const BinOp op = static_cast<BinOp>(c.intIn(0, 0, kBinOpCount - 1, "binary op code"));
  const TensorDesc &a = c.input(0), &b = c.input(1), &y = c.output(0);
  const DType t = a.dtype;
  if (t != DType::f32 && t != DType::i8 && t != DType::u8 && t != DType::i32 && t != DType::i64)
    c.fail(cat("kernel binary supports f32, i8, u8, i32 and i64; input ", LayerCheck::describe(a)));
  if (b.dtype != t || y.dtype != t)
    c.fail(cat("kernel binary needs one dtype for a, b and y, got ", LayerCheck::describe(a), ", ",
               LayerCheck::describe(b), " and output ", LayerCheck::describe(y)));
  Shape expect;
  if (!broadcastShapes(a.shape, b.shape, &expect))
    c.fail(cat("kernel binary cannot broadcast ", LayerCheck::describe(a), " with ", LayerCheck::describe(b)));
  if (y.shape != expect)
    c.fail(cat("kernel binary expects output ", typeString(t, expect), " (the broadcast of ",
               typeString(a.dtype, a.shape), " and ", typeString(b.dtype, b.shape), "), got ",
               typeString(y.dtype, y.shape)));
  return std::make_unique<BinaryOp>(c.layer().name, c.inputId(0), c.inputId(1), c.outputId(0), t, op,
                                    planBroadcastLoop(a.shape, b.shape, y.shape), elementCount(y.shape));
}

}  // namespace

KernelDef binaryKernel() { return {"binary", true, validate}; }

// The f32 loops, for the pointwise kernel's programs (kernels.h); sa/sb are 0 or 1.
void binaryF32(int64_t code, const float* a, int64_t sa, const float* b, int64_t sb, float* y, size_t n) {
  dispatch(static_cast<BinOp>(code), a, sa, b, sb, y, n);
}

}  // namespace kiln::cpu
