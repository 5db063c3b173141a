// reduce: y = the reduction of x over a set of axes (ONNX ReduceSum, Mean,
// Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare as modes).
// ints: [modeCode, axes...] with mode codes sum 0, mean 1, max 2, min 3,
// prod 4, l1 5, l2 6, logSum 7, logSumExp 8, sumSquare 9; axes unique, in
// [0, rank); none means each element is reduced alone. floats: none.
// y has x's shape with the axes set to 1 or removed (keepDims either way).
// dtypes: f32 every mode (sums and products in f64); i32 and i64 sum, prod
// (wrapping), max, min; bool max (any) and min (all).
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernel-reduce-plan.h"
#include "kernel-reduce-rows.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

enum class Mode { sum = 0, mean, max, min, prod, l1, l2, logSum, logSumExp, sumSquare };
constexpr int64_t kModeCount = 10;
const char* const kModeNames[] = {"sum", "mean", "max", "min", "prod", "l1", "l2", "logSum", "logSumExp", "sumSquare"};

// An op folds elements into a state S: init(), seg() over a contiguous run,
// row() column-wise into a row of states, merge() of two partial states.
struct FloatSum {
  using T = float;
  using S = double;
  rows::Pre pre;
  S init() const { return 0; }
  void seg(S& s, const T* x, size_t n, float shift) const { s += rows::sum(x, n, pre, shift); }
  void row(S* a, const T* x, size_t n, const float* shift) const { rows::accSum(a, x, n, pre, shift); }
  S merge(S a, S b) const { return a + b; }
};

struct FloatProd {
  using T = float;
  using S = double;
  S init() const { return 1; }
  void seg(S& s, const T* x, size_t n, float) const { s *= rows::prod(x, n); }
  void row(S* a, const T* x, size_t n, const float*) const { rows::accProd(a, x, n); }
  S merge(S a, S b) const { return a * b; }
};

struct FloatExtreme {
  using T = float;
  using S = float;
  bool greater;
  S init() const { return greater ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity(); }
  void seg(S& s, const T* x, size_t n, float) const { s = merge(s, greater ? rows::max(x, n) : rows::min(x, n)); }
  void row(S* a, const T* x, size_t n, const float*) const { greater ? rows::accMax(a, x, n) : rows::accMin(a, x, n); }
  S merge(S a, S b) const { return (greater ? b > a : b < a) || b != b ? b : a; }
};

// Integers wrap like two's complement: sums and products in uint64, then truncated.
template <typename V>
struct IntFold {
  using T = V;
  using S = std::conditional_t<sizeof(V) == 1, V, uint64_t>;  // bool folds in its own type
  Mode mode;
  S init() const {
    if (mode == Mode::sum) return 0;
    if (mode == Mode::prod) return 1;
    return mode == Mode::max ? S(std::numeric_limits<V>::lowest()) : S(std::numeric_limits<V>::max());
  }
  S one(S a, T v) const {
    switch (mode) {
      case Mode::sum: return a + S(v);
      case Mode::prod: return a * S(v);
      case Mode::max: return V(a) < v ? S(v) : a;
      default: return v < V(a) ? S(v) : a;
    }
  }
  void seg(S& s, const T* x, size_t n, float) const {
    for (size_t i = 0; i < n; ++i) s = one(s, x[i]);
  }
  void row(S* a, const T* x, size_t n, const float*) const {
    for (size_t i = 0; i < n; ++i) a[i] = one(a[i], x[i]);
  }
  // Folding b in as one element is exact for max/min, and for sum/prod too
  // modulo 2^bits, which is all the truncated result keeps.
  S merge(S a, S b) const { return one(a, V(b)); }
};

class ReduceOp final : public LayerOp {
 public:
  ReduceOp(uint32_t x, uint32_t y, DType dtype, Mode mode, ReducePlan plan)
      : x_(x), y_(y), dtype_(dtype), mode_(mode), plan_(std::move(plan)) {}

  void run(const RunContext& ctx) const override {
    switch (dtype_) {
      case DType::f32: return runFloat(ctx);
      case DType::i32: return runInt<int32_t>(ctx);
      case DType::i64: return runInt<int64_t>(ctx);
      default: return runInt<uint8_t>(ctx);  // bool
    }
  }

 private:
  template <typename Op, typename F>
  void fold(const RunContext& ctx, const Op& op, const float* shifts, F finish) const {
    std::vector<typename Op::S> states(plan_.outputs());
    reduceTraverse(plan_, op, ctx.data<const typename Op::T>(x_), states.data(), shifts, ctx.pool);
    float* y = ctx.data<float>(y_);
    ctx.pool->parallelRanges(states.size(), 16384, [&](size_t b, size_t e) {
      for (size_t o = b; o < e; ++o) y[o] = finish(states[o], o);
    });
  }

  void runFloat(const RunContext& ctx) const {
    const double n = double(plan_.count);
    using rows::Pre;
    switch (mode_) {
      case Mode::sum: return fold(ctx, FloatSum{Pre::none}, nullptr, [](double s, size_t) { return float(s); });
      case Mode::mean: return fold(ctx, FloatSum{Pre::none}, nullptr, [n](double s, size_t) { return float(s / n); });
      case Mode::l1: return fold(ctx, FloatSum{Pre::abs}, nullptr, [](double s, size_t) { return float(s); });
      case Mode::sumSquare: return fold(ctx, FloatSum{Pre::square}, nullptr, [](double s, size_t) { return float(s); });
      case Mode::l2: return fold(ctx, FloatSum{Pre::square}, nullptr, [](double s, size_t) { return float(std::sqrt(s)); });
      case Mode::logSum: return fold(ctx, FloatSum{Pre::none}, nullptr, [](double s, size_t) { return float(std::log(s)); });
      case Mode::prod: return fold(ctx, FloatProd{}, nullptr, [](double s, size_t) { return float(s); });
      case Mode::max:
      case Mode::min:
        return fold(ctx, FloatExtreme{mode_ == Mode::max}, nullptr, [](float s, size_t) { return s; });
      case Mode::logSumExp: {
        // Shift by each output's max (0 when it is infinite, as ONNX does), then sum exp.
        std::vector<float> shifts(plan_.outputs());
        reduceTraverse(plan_, FloatExtreme{true}, ctx.data<const float>(x_), shifts.data(), nullptr, ctx.pool);
        for (float& s : shifts) s = std::isfinite(s) ? s : 0.f;
        const float* sh = shifts.data();
        return fold(ctx, FloatSum{Pre::expShift}, sh,
                    [sh](double s, size_t o) { return float(std::log(s)) + sh[o]; });
      }
    }
  }

  template <typename V>
  void runInt(const RunContext& ctx) const {
    const IntFold<V> op{mode_};
    std::vector<typename IntFold<V>::S> states(plan_.outputs());
    reduceTraverse(plan_, op, ctx.data<const V>(x_), states.data(), nullptr, ctx.pool);
    V* y = ctx.data<V>(y_);
    const bool boolean = dtype_ == DType::boolean;
    for (size_t o = 0; o < states.size(); ++o) y[o] = boolean ? V(states[o] != 0) : V(states[o]);
  }

  uint32_t x_, y_;
  DType dtype_;
  Mode mode_;
  ReducePlan plan_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.floatCount(0, "(none)");
  if (c.ints().empty()) c.intCount(1, "[modeCode, axes...]");
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const Mode mode = static_cast<Mode>(c.intIn(0, 0, kModeCount - 1, "reduce mode code"));
  const bool intMode = mode == Mode::sum || mode == Mode::prod || mode == Mode::max || mode == Mode::min;
  const bool ok = x.dtype == DType::f32 || ((x.dtype == DType::i32 || x.dtype == DType::i64) && intMode) ||
                  (x.dtype == DType::boolean && (mode == Mode::max || mode == Mode::min));
  if (!ok)
    c.fail(cat("kernel reduce in mode ", kModeNames[int(mode)], " supports f32",
               intMode ? (mode == Mode::max || mode == Mode::min ? ", i32, i64 and bool" : ", i32 and i64") : "",
               "; input ", LayerCheck::describe(x)));
  if (y.dtype != x.dtype) c.fail(cat("kernel reduce expects output dtype ", dtypeName(x.dtype), ", got ", LayerCheck::describe(y)));
  const int64_t rank = int64_t(x.shape.size());
  std::vector<bool> reduced(x.shape.size(), false);
  for (size_t i = 1; i < c.ints().size(); ++i) {
    const int64_t a = c.intIn(i, 0, std::max<int64_t>(rank - 1, 0), "axis");
    if (rank == 0 || reduced[a]) c.fail(cat("kernel reduce axes ", listString(c.ints()), " name axis ", a, rank ? " twice" : " of a scalar"));
    reduced[a] = true;
  }
  Shape keep, drop;
  for (size_t i = 0; i < x.shape.size(); ++i) {
    keep.push_back(reduced[i] ? 1 : x.shape[i]);
    if (!reduced[i]) drop.push_back(x.shape[i]);
  }
  if (y.shape != keep && y.shape != drop)
    c.fail(cat("kernel reduce expects output ", typeString(x.dtype, keep), " or ", typeString(x.dtype, drop),
               " for input ", LayerCheck::describe(x), ", got ", LayerCheck::describe(y)));
  return std::make_unique<ReduceOp>(c.inputId(0), c.outputId(0), x.dtype, mode, planReduce(x.shape, reduced));
}

}  // namespace

KernelDef reduceKernel() { return {"reduce", false, validate}; }

}  // namespace kiln::cpu
