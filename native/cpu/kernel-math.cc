// math: y = f(x) elementwise for the unary math ops (Sqrt, Exp, ..., Mish) and
// Not. Floats compute in f32; neg/abs/sign also run on integers (wrapping, so
// abs of the minimum stays the minimum, as in C and the interpreter); not on bool.
// ints: [mathCode]. floats: [alpha, beta] (elu alpha; selu alpha, gamma;
// hardSigmoid alpha, beta; ignored by the others).
#include <cmath>
#include <limits>

#include "elementwise-types.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

enum class Fn : int32_t {
  sqrt, exp, log, erf, reciprocal, neg, abs, sign, floor, ceil, round, sin, cos, tan, asin, acos, atan,
  sinh, cosh, asinh, acosh, atanh, elu, selu, hardSigmoid, hardSwish, softplus, softsign, mish, logicalNot,
  count
};

constexpr const char* kNames[] = {
    "sqrt", "exp",  "log",  "erf",   "reciprocal", "neg",  "abs",   "sign",  "floor", "ceil",
    "round", "sin", "cos",  "tan",   "asin",       "acos", "atan",  "sinh",  "cosh",  "asinh",
    "acosh", "atanh", "elu", "selu", "hardSigmoid", "hardSwish", "softplus", "softsign", "mish", "not"};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Fn::count), "one name per code");

inline float softplus(float x) { return x > 0.f ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
inline float hardSigmoid(float x, float alpha, float beta) { return std::fmin(1.f, std::fmax(0.f, alpha * x + beta)); }

template <typename F>
void map(const float* x, float* y, size_t n, F f) {
  for (size_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// The switch runs once per range, so each loop is a plain map the compiler can vectorize.
void floatMath(Fn fn, float alpha, float beta, const float* x, float* y, size_t n) {
  switch (fn) {
    case Fn::sqrt: return map(x, y, n, [](float v) { return std::sqrt(v); });
    case Fn::exp: return map(x, y, n, [](float v) { return std::exp(v); });
    case Fn::log: return map(x, y, n, [](float v) { return std::log(v); });
    case Fn::erf: return map(x, y, n, [](float v) { return std::erf(v); });
    case Fn::reciprocal: return map(x, y, n, [](float v) { return 1.f / v; });
    case Fn::neg: return map(x, y, n, [](float v) { return -v; });
    case Fn::abs: return map(x, y, n, [](float v) { return std::fabs(v); });
    case Fn::sign: return map(x, y, n, [](float v) { return v > 0.f ? 1.f : v < 0.f ? -1.f : v; });
    case Fn::floor: return map(x, y, n, [](float v) { return std::floor(v); });
    case Fn::ceil: return map(x, y, n, [](float v) { return std::ceil(v); });
    // nearbyint rounds in the default mode, to nearest with halves to even, as ONNX asks.
    case Fn::round: return map(x, y, n, [](float v) { return std::nearbyint(v); });
    case Fn::sin: return map(x, y, n, [](float v) { return std::sin(v); });
    case Fn::cos: return map(x, y, n, [](float v) { return std::cos(v); });
    case Fn::tan: return map(x, y, n, [](float v) { return std::tan(v); });
    case Fn::asin: return map(x, y, n, [](float v) { return std::asin(v); });
    case Fn::acos: return map(x, y, n, [](float v) { return std::acos(v); });
    case Fn::atan: return map(x, y, n, [](float v) { return std::atan(v); });
    case Fn::sinh: return map(x, y, n, [](float v) { return std::sinh(v); });
    case Fn::cosh: return map(x, y, n, [](float v) { return std::cosh(v); });
    case Fn::asinh: return map(x, y, n, [](float v) { return std::asinh(v); });
    case Fn::acosh: return map(x, y, n, [](float v) { return std::acosh(v); });
    case Fn::atanh: return map(x, y, n, [](float v) { return std::atanh(v); });
    // expm1 keeps the small negative inputs accurate where exp(x) - 1 cancels.
    case Fn::elu: return map(x, y, n, [=](float v) { return v < 0.f ? alpha * std::expm1(v) : v; });
    case Fn::selu: return map(x, y, n, [=](float v) { return v > 0.f ? beta * v : beta * alpha * std::expm1(v); });
    case Fn::hardSigmoid: return map(x, y, n, [=](float v) { return hardSigmoid(v, alpha, beta); });
    case Fn::hardSwish: return map(x, y, n, [](float v) { return v * hardSigmoid(v, 1.f / 6.f, 0.5f); });
    case Fn::softplus: return map(x, y, n, [](float v) { return softplus(v); });
    case Fn::softsign: return map(x, y, n, [](float v) { return v / (1.f + std::fabs(v)); });
    case Fn::mish: return map(x, y, n, [](float v) { return v * std::tanh(softplus(v)); });
    case Fn::logicalNot:
    case Fn::count: return;
  }
}

template <typename T>
void intMath(Fn fn, const T* x, T* y, size_t n) {
  switch (fn) {
    case Fn::neg:
      for (size_t i = 0; i < n; ++i) y[i] = wrapNeg(x[i]);
      return;
    case Fn::abs:
      for (size_t i = 0; i < n; ++i) y[i] = x[i] < 0 ? wrapNeg(x[i]) : x[i];
      return;
    case Fn::sign:
      for (size_t i = 0; i < n; ++i) y[i] = static_cast<T>((x[i] > 0) - (x[i] < 0));
      return;
    default: return;  // refused at load
  }
}

bool isCheap(Fn fn) {
  switch (fn) {
    case Fn::neg: case Fn::abs: case Fn::sign: case Fn::floor: case Fn::ceil: case Fn::round: case Fn::reciprocal:
    case Fn::sqrt: case Fn::hardSigmoid: case Fn::hardSwish: case Fn::softsign: case Fn::logicalNot: return true;
    default: return false;
  }
}

class MathOp final : public LayerOp {
 public:
  MathOp(uint32_t x, uint32_t y, uint64_t n, DType dtype, Fn fn, float alpha, float beta)
      : x_(x), y_(y), n_(n), dtype_(dtype), fn_(fn), alpha_(alpha), beta_(beta) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* x = ctx.data<const uint8_t>(x_);
    uint8_t* y = ctx.data<uint8_t>(y_);
    // Transcendental functions cost far more per element, so they split into smaller ranges.
    const size_t grain = isCheap(fn_) ? 16384 : 2048;
    ctx.pool->parallelRanges(n_, grain, [&](size_t b, size_t e) {
      if (fn_ == Fn::logicalNot) {
        for (size_t i = b; i < e; ++i) y[i] = x[i] ? 0 : 1;
        return;
      }
      visitNumeric(dtype_, [&](auto tag) {
        using T = decltype(tag);
        const T* xs = reinterpret_cast<const T*>(x) + b;
        T* ys = reinterpret_cast<T*>(y) + b;
        if constexpr (std::is_same_v<T, float>) floatMath(fn_, alpha_, beta_, xs, ys, e - b);
        else intMath(fn_, xs, ys, e - b);
      });
    });
  }

 private:
  uint32_t x_, y_;
  uint64_t n_;
  DType dtype_;
  Fn fn_;
  float alpha_, beta_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[mathCode]");
  c.floatCount(2, "[alpha, beta]");
  const Fn fn = static_cast<Fn>(c.intIn(0, 0, static_cast<int64_t>(Fn::count) - 1, "math op code"));
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const char* name = kNames[static_cast<int>(fn)];
  bool ok;
  const char* allowed;
  if (fn == Fn::logicalNot) {
    ok = x.dtype == DType::boolean, allowed = "bool";
  } else if (fn == Fn::neg) {
    ok = x.dtype == DType::f32 || x.dtype == DType::i8 || x.dtype == DType::i32 || x.dtype == DType::i64;
    allowed = "f32, i8, i32, i64";
  } else if (fn == Fn::abs || fn == Fn::sign) {
    ok = x.dtype == DType::f32 || x.dtype == DType::i8 || x.dtype == DType::u8 || x.dtype == DType::i32 ||
         x.dtype == DType::i64;
    allowed = "f32, i8, u8, i32, i64";
  } else {
    ok = x.dtype == DType::f32, allowed = "f32";
  }
  if (!ok) c.fail(cat("kernel math computes ", name, " on ", allowed, "; input ", LayerCheck::describe(x)));
  if (y.dtype != x.dtype || y.shape != x.shape)
    c.fail(cat("kernel math expects output ", typeString(x.dtype, x.shape), " (the input's type), got ",
               typeString(y.dtype, y.shape)));
  const float alpha = static_cast<float>(c.floats()[0]), beta = static_cast<float>(c.floats()[1]);
  return std::make_unique<MathOp>(c.inputId(0), c.outputId(0), elementCount(x.shape), x.dtype, fn, alpha, beta);
}

}  // namespace

KernelDef mathKernel() { return {"math", true, validate}; }

}  // namespace kiln::cpu
