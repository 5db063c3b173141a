// math: y = f(x) elementwise for the unary math ops (Sqrt, Exp, ..., Mish) and
// Not. Floats compute in f32; neg/abs/sign also run on integers (wrapping, so
// abs of the minimum stays the minimum, as in C and the interpreter); not on bool.
// ints: [mathCode]. floats: [alpha, beta] (elu alpha; selu alpha, gamma;
// hardSigmoid alpha, beta; ignored by the others).
#include <cmath>
#include <limits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Clamps to [0, 1] with selects (NaN passes through, as in the interpreter);
// fmin/fmax would be library calls that block vectorization.
inline float clamp01(float v) {
  const float lo = v < 0.f ? 0.f : v;
  return lo > 1.f ? 1.f : lo;
}
inline float hardSigmoid(float x, float alpha, float beta) { return clamp01(alpha * x + beta); }

// Round half to even without SSE4.1's roundps: adding and subtracting 2^23
// rounds |v| < 2^23 to an integer in the default rounding mode (larger values
// are integers already, so they add 0). The sign is v's, which gives -0 where
// IEEE wants it (round(-0.4)).
inline float roundEven(float v) {
  const float a = std::fabs(v), c = a < 8388608.f ? 8388608.f : 0.f;
  return std::copysign((a + c) - c, v);
}

// x * clamp01(x/6 + 1/2) in two passes over a small block: GCC will not
// vectorize a multiply behind the clamp's selects, but does each pass alone.
void hardSwish(const float* x, float* y, size_t n) {
  constexpr size_t kBlock = 256;
  float gate[kBlock];
  for (size_t b = 0; b < n; b += kBlock) {
    const size_t m = n - b < kBlock ? n - b : kBlock;
    for (size_t i = 0; i < m; ++i) gate[i] = clamp01(x[b + i] * (1.f / 6.f) + 0.5f);
    for (size_t i = 0; i < m; ++i) y[b + i] = x[b + i] * gate[i];
  }
}

template <typename F>
void map(const float* x, float* y, size_t n, F f) {
  for (size_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// sqrtf sets errno for negative inputs, which keeps it out of vector code; the
// SSE instruction gives the same results (NaN below zero) four at a time.
void sqrtMap(const float* x, float* y, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) y[i] = std::sqrt(x[i]);
}

// The switch runs once per range, so each loop is a plain map the compiler can vectorize.
void floatMath(Fn fn, float alpha, float beta, const float* x, float* y, size_t n) {
  switch (fn) {
    case Fn::sqrt: return sqrtMap(x, y, n);
    case Fn::exp: return map(x, y, n, [](float v) { return std::exp(v); });
    case Fn::log: return map(x, y, n, [](float v) { return std::log(v); });
    case Fn::erf: return map(x, y, n, [](float v) { return std::erf(v); });
    case Fn::reciprocal: return map(x, y, n, [](float v) { return 1.f / v; });
    case Fn::neg: return map(x, y, n, [](float v) { return -v; });
    case Fn::abs: return map(x, y, n, [](float v) { return std::fabs(v); });
    case Fn::sign: return map(x, y, n, [](float v) {
      const float neg = v < 0.f ? -1.f : v;
      return v > 0.f ? 1.f : neg;
    });
    case Fn::floor: return map(x, y, n, [](float v) { return std::floor(v); });
    case Fn::ceil: return map(x, y, n, [](float v) { return std::ceil(v); });
    case Fn::round: return map(x, y, n, roundEven);
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
    case Fn::hardSwish: return hardSwish(x, y, n);
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

// The f32 maps, for the pointwise kernel's programs (kernels.h): one implementation,
// so a fused chain rounds exactly as the separate layers did. Codes below `not`.
void mathF32(int64_t code, float alpha, float beta, const float* x, float* y, size_t n) {
  floatMath(static_cast<Fn>(code), alpha, beta, x, y, n);
}

}  // namespace kiln::cpu
