// cast: y = x converted to y's dtype, between any two of f32, f16, bf16, i8,
// u8, i32, i64, bool (ONNX rules). Floats to integers truncate toward zero,
// NaN gives 0 and out-of-range values saturate (ONNX leaves them undefined);
// integers to narrower integers keep the low bits; anything to bool is x != 0;
// to f16/bf16 rounds to nearest even, from integers through f32. The converter
// for the dtype pair is chosen once at load; f32 <-> f16/bf16 (the casts where
// precisions meet) run on the vector routines of lowp-bf16-fp16.h.
// ints: none. floats: none.
#include <cmath>
#include <cstring>
#include <limits>

#include "elementwise-types.h"
#include "kernels.h"
#include "layer-check.h"
#include "lowp-bf16-fp16.h"

namespace kiln::cpu {
namespace {

// Each dtype as a source (a float or an int64 value) and as a destination.
struct F32 {
  using T = float;
  static constexpr bool kFloat = true;
  static float load(T v) { return v; }
  static T fromFloat(float v) { return v; }
  static T fromInt(int64_t v) { return static_cast<float>(v); }
};
struct F16 {
  using T = uint16_t;
  static constexpr bool kFloat = true;
  static float load(T v) { return f16ToF32(v); }
  static T fromFloat(float v) { return f32ToF16(v); }
  static T fromInt(int64_t v) { return f32ToF16(static_cast<float>(v)); }
};
struct BF16 {
  using T = uint16_t;
  static constexpr bool kFloat = true;
  static float load(T v) { return bf16ToF32(v); }
  static T fromFloat(float v) { return f32ToBF16(v); }
  static T fromInt(int64_t v) { return f32ToBF16(static_cast<float>(v)); }
};
struct Bool {
  using T = uint8_t;
  static constexpr bool kFloat = false;
  static int64_t load(T v) { return v != 0; }
  static T fromFloat(float v) { return v != 0.f; }  // NaN != 0 is true
  static T fromInt(int64_t v) { return v != 0; }
};

template <typename I>
struct Int {
  using T = I;
  static constexpr bool kFloat = false;
  static int64_t load(T v) { return v; }
  static T fromFloat(float v) {
    // One past each end of the range, in double: exact, or for i64 rounded onto the bound itself.
    constexpr double hi = static_cast<double>(std::numeric_limits<I>::max()) + 1.0;
    constexpr double lo = static_cast<double>(std::numeric_limits<I>::min()) - 1.0;
    if (std::isnan(v)) return 0;
    if (v >= hi) return std::numeric_limits<I>::max();
    if (v <= lo) return std::numeric_limits<I>::min();
    return static_cast<T>(v);  // truncation toward zero lands in range
  }
  static T fromInt(int64_t v) { return static_cast<T>(static_cast<Unsigned<I>>(static_cast<uint64_t>(v))); }
};

template <typename S, typename D>
void convert(const uint8_t* in, uint8_t* out, size_t begin, size_t end) {
  const typename S::T* x = reinterpret_cast<const typename S::T*>(in);
  typename D::T* y = reinterpret_cast<typename D::T*>(out);
  for (size_t i = begin; i < end; ++i) {
    if constexpr (S::kFloat) y[i] = D::fromFloat(S::load(x[i]));
    else y[i] = D::fromInt(S::load(x[i]));
  }
}

using Converter = void (*)(const uint8_t*, uint8_t*, size_t, size_t);

template <bool kBf16>
void widenVec(const uint8_t* in, uint8_t* out, size_t begin, size_t end) {
  lowpRoutines().widen(reinterpret_cast<const uint16_t*>(in) + begin, reinterpret_cast<float*>(out) + begin, end - begin, kBf16);
}

template <bool kBf16>
void narrowVec(const uint8_t* in, uint8_t* out, size_t begin, size_t end) {
  lowpRoutines().narrow(reinterpret_cast<const float*>(in) + begin, reinterpret_cast<uint16_t*>(out) + begin, end - begin, kBf16);
}

template <typename Fn>
void visitCastType(DType t, Fn&& fn) {
  switch (t) {
    case DType::f32: return fn(F32{});
    case DType::f16: return fn(F16{});
    case DType::bf16: return fn(BF16{});
    case DType::i8: return fn(Int<int8_t>{});
    case DType::u8: return fn(Int<uint8_t>{});
    case DType::i32: return fn(Int<int32_t>{});
    case DType::i64: return fn(Int<int64_t>{});
    case DType::boolean: return fn(Bool{});
  }
}

Converter converterFor(DType from, DType to) {
  if (from == DType::f32 && to == DType::bf16) return &narrowVec<true>;
  if (from == DType::f32 && to == DType::f16) return &narrowVec<false>;
  if (from == DType::bf16 && to == DType::f32) return &widenVec<true>;
  if (from == DType::f16 && to == DType::f32) return &widenVec<false>;
  Converter c = nullptr;
  visitCastType(from, [&](auto s) {
    visitCastType(to, [&](auto d) { c = &convert<decltype(s), decltype(d)>; });
  });
  return c;
}

class CastOp final : public LayerOp {
 public:
  CastOp(uint32_t x, uint32_t y, uint64_t n, size_t bytes, Converter convert)
      : x_(x), y_(y), n_(n), bytes_(bytes), convert_(convert) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* x = ctx.data<const uint8_t>(x_);
    uint8_t* y = ctx.data<uint8_t>(y_);
    if (!convert_) {  // same dtype: a copy, nothing at all when in place
      if (x != y) ctx.pool->parallelRanges(bytes_, 1 << 20, [&](size_t b, size_t e) { std::memcpy(y + b, x + b, e - b); });
      return;
    }
    ctx.pool->parallelRanges(n_, 16384, [&](size_t b, size_t e) { convert_(x, y, b, e); });
  }

 private:
  uint32_t x_, y_;
  uint64_t n_;
  size_t bytes_;
  Converter convert_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(0, "(none)");
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (y.shape != x.shape)
    c.fail(cat("kernel cast expects output of the input's shape ", typeString(y.dtype, x.shape), ", got ",
               typeString(y.dtype, y.shape)));
  // bool is copied through a converter too, so a byte other than 0/1 comes out as 1.
  const Converter convert = x.dtype == y.dtype && x.dtype != DType::boolean ? nullptr : converterFor(x.dtype, y.dtype);
  return std::make_unique<CastOp>(c.inputId(0), c.outputId(0), elementCount(x.shape), tensorBytes(x), convert);
}

}  // namespace

KernelDef castKernel() { return {"cast", true, validate}; }

}  // namespace kiln::cpu
