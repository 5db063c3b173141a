// compare: y = a <op> b with numpy broadcasting, y bool (one byte, 0 or 1).
// Comparisons run on every dtype (f16/bf16 widened to f32); and/or/xor on bool.
// ints: [compareCode] (equal 0, less 1, greater 2, lessOrEqual 3,
// greaterOrEqual 4, and 5, or 6, xor 7). floats: none.
#include "broadcast.h"
#include "elementwise-loop.h"
#include "elementwise-types.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

enum class Cmp : int32_t { equal, less, greater, lessOrEqual, greaterOrEqual, logicalAnd, logicalOr, logicalXor, count };

// Specialized on which operand is broadcast within the run, so the common
// cases are straight loops.
template <typename T, typename F>
void span(F f, const T* a, int64_t sa, const T* b, int64_t sb, uint8_t* y, size_t n) {
  if (sa && sb) {
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
  } else if (sa) {
    const T bv = *b;
    for (size_t i = 0; i < n; ++i) y[i] = f(a[i], bv);
  } else if (sb) {
    const T av = *a;
    for (size_t i = 0; i < n; ++i) y[i] = f(av, b[i]);
  } else {
    const uint8_t v = f(*a, *b);
    for (size_t i = 0; i < n; ++i) y[i] = v;
  }
}

// How elements become comparable values: as stored, or f16/bf16 widened to f32 (exactly).
struct AsStored {
  template <typename T>
  static T load(T v) { return v; }
};
struct FromF16 {
  static float load(uint16_t v) { return f16ToF32(v); }
};
struct FromBF16 {
  static float load(uint16_t v) { return bf16ToF32(v); }
};

template <typename T, typename L>
void compare(Cmp op, const T* a, int64_t sa, const T* b, int64_t sb, uint8_t* y, size_t n) {
  using U = uint8_t;
  switch (op) {
    case Cmp::equal: return span<T>([](T p, T q) { return U(L::load(p) == L::load(q)); }, a, sa, b, sb, y, n);
    case Cmp::less: return span<T>([](T p, T q) { return U(L::load(p) < L::load(q)); }, a, sa, b, sb, y, n);
    case Cmp::greater: return span<T>([](T p, T q) { return U(L::load(p) > L::load(q)); }, a, sa, b, sb, y, n);
    case Cmp::lessOrEqual: return span<T>([](T p, T q) { return U(L::load(p) <= L::load(q)); }, a, sa, b, sb, y, n);
    case Cmp::greaterOrEqual: return span<T>([](T p, T q) { return U(L::load(p) >= L::load(q)); }, a, sa, b, sb, y, n);
    case Cmp::logicalAnd: return span<T>([](T p, T q) { return U(p != 0 && q != 0); }, a, sa, b, sb, y, n);
    case Cmp::logicalOr: return span<T>([](T p, T q) { return U(p != 0 || q != 0); }, a, sa, b, sb, y, n);
    case Cmp::logicalXor: return span<T>([](T p, T q) { return U((p != 0) != (q != 0)); }, a, sa, b, sb, y, n);
    case Cmp::count: return;
  }
}

class CompareOp final : public LayerOp {
 public:
  CompareOp(uint32_t a, uint32_t b, uint32_t y, DType dtype, Cmp op, NaryLoop loop, uint64_t total)
      : a_(a), b_(b), y_(y), dtype_(dtype), op_(op), loop_(std::move(loop)), total_(total) {}

  void run(const RunContext& ctx) const override {
    if (dtype_ == DType::f16) return runAs<uint16_t, FromF16>(ctx);
    if (dtype_ == DType::bf16) return runAs<uint16_t, FromBF16>(ctx);
    visitNumeric(dtype_, [&](auto tag) { runAs<decltype(tag), AsStored>(ctx); });
  }

 private:
  template <typename T, typename L>
  void runAs(const RunContext& ctx) const {
    uint8_t* y = ctx.data<uint8_t>(y_);
    const T* a = ctx.data<const T>(a_);
    const T* b = ctx.data<const T>(b_);
    forEachSpan(loop_, ctx.pool, total_, 16384, [&](size_t i, const LoopOffsets& off, const LoopOffsets& step, size_t n) {
      compare<T, L>(op_, a + off[0], step[0], b + off[1], step[1], y + i, n);
    });
  }

  uint32_t a_, b_, y_;
  DType dtype_;
  Cmp op_;
  NaryLoop loop_;
  uint64_t total_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 2);
  c.outputs(1);
  c.intCount(1, "[compareCode]");
  c.floatCount(0, "(none)");
  const Cmp op = static_cast<Cmp>(c.intIn(0, 0, static_cast<int64_t>(Cmp::count) - 1, "compare op code"));
  const TensorDesc &a = c.input(0), &b = c.input(1), &y = c.output(0);
  const bool logic = op == Cmp::logicalAnd || op == Cmp::logicalOr || op == Cmp::logicalXor;
  if (a.dtype != b.dtype)
    c.fail(cat("kernel compare needs inputs of one dtype, got ", LayerCheck::describe(a), " and ", LayerCheck::describe(b)));
  if (logic && a.dtype != DType::boolean)
    c.fail(cat("kernel compare supports bool for and/or/xor; input ", LayerCheck::describe(a)));
  Shape expect;
  if (!broadcastShapes(a.shape, b.shape, &expect))
    c.fail(cat("kernel compare cannot broadcast ", LayerCheck::describe(a), " with ", LayerCheck::describe(b)));
  if (y.dtype != DType::boolean || y.shape != expect)
    c.fail(cat("kernel compare expects output ", typeString(DType::boolean, expect), " (the broadcast of ",
               typeString(a.dtype, a.shape), " and ", typeString(b.dtype, b.shape), "), got ", typeString(y.dtype, y.shape)));
  return std::make_unique<CompareOp>(c.inputId(0), c.inputId(1), c.outputId(0), a.dtype, op,
                                     planNaryLoop({a.shape, b.shape}, y.shape), elementCount(y.shape));
}

}  // namespace

KernelDef compareKernel() { return {"compare", true, validate}; }

}  // namespace kiln::cpu
