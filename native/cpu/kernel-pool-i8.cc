// poolI8: max pooling of 8-bit codes (i8; u8 too, as ONNX's uint8 MaxPool), NCHW, 1
// or 2 spatial dims. Codes of one per-tensor scale (positive) keep their order, so the
// max of codes is the code of the max: an int8 network's stem writes codes and its max
// pool reads a quarter of the bytes the f32 pool2d reads. The type's minimum (-128, or
// 0 for u8) is max's identity, so padding is a row of it and a window wholly in the
// padding gives it (as the interpreter).
// Per output row the window's input rows are reduced vertically, 32 columns per
// vector, into a padded row in scratch; then 32 outputs at a time take their
// horizontal taps from it: stride 1 as shifted loads, stride 2 as shifted loads of
// 64 columns whose even bytes are picked by a mask and a 16-bit pack. Other strides,
// and CPUs without AVX2, take scalar loops over the same padded row.
// Work items: planes, cut into bands of output rows when there are few planes.
// ints: pool's [nSpatial, modeCode (max 0 only), countIncludePad, kernel[n],
//        strides[n], padsBegin[n], padsEnd[n]]. floats: none.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "../aligned-buffer.h"
#include "kernels.h"
#include "layer-check.h"
#include "pool-params.h"

namespace kiln::cpu {
namespace {

thread_local AlignedBuffer tRow;

// The scalar loops, on T = int8_t (i8) or uint8_t (u8): rows [ya, yb) of x (W columns
// each) reduced into dst[0, W), and OW outputs y[ox] = max over kx < kw of row[ox * sw + kx].
template <typename T>
void verticalScalar(const T* x, long W, long ya, long yb, T* dst) {
  for (long i = 0; i < W; ++i) {
    T m = x[ya * W + i];
    for (long r = ya + 1; r < yb; ++r) m = std::max(m, x[r * W + i]);
    dst[i] = m;
  }
}

template <typename T>
void horizontalScalar(const T* row, long OW, long kw, long sw, T* y) {
  for (long ox = 0; ox < OW; ++ox) {
    const T* p = row + ox * sw;
    T m = p[0];
    for (long kx = 1; kx < kw; ++kx) m = std::max(m, p[kx]);
    y[ox] = m;
  }
}

template <typename T>
using HorizontalFn = void (*)(const T*, long, long, T*);

#if defined(__x86_64__) || defined(__i386__)
bool haveAvx2() {
  static const bool ok = __builtin_cpu_supports("avx2");
  return ok;
}

#define KILN_LD(p) _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))
#define KILN_ST(p, v) _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v)

template <typename T>
__attribute__((target("avx2"), always_inline)) inline __m256i vmax(__m256i a, __m256i b) {
  return std::is_signed<T>::value ? _mm256_max_epi8(a, b) : _mm256_max_epu8(a, b);
}

// verticalScalar in vectors: the last 1-31 columns as one vector overlapping the
// previous (a max is idempotent), or scalars when the row is narrower than one.
template <typename T>
__attribute__((target("avx2"))) void verticalAvx2(const T* x, long W, long ya, long yb, T* dst) {
  if (W < 32) return verticalScalar(x, W, ya, yb, dst);
  for (long i = 0;; i += 32) {
    if (i + 32 > W) i = W - 32;
    const T* p = x + ya * W + i;
    __m256i m = KILN_LD(p);
    for (long r = ya + 1; r < yb; ++r) m = vmax<T>(m, KILN_LD(p += W));
    KILN_ST(dst + i, m);
    if (i + 32 == W) return;
  }
}

// Outputs [ox, ox + 32) at stride SW (1 or 2) from the padded row; KW 0: kw taps at run time.
template <typename T, int SW, int KW>
__attribute__((target("avx2"), always_inline)) inline __m256i horizontal32(const T* row, long ox, long kw) {
  const long taps = KW ? KW : kw;
  const T* p = row + ox * SW;
  __m256i a = KILN_LD(p);
  if (SW == 1) {
    for (long kx = 1; kx < taps; ++kx) a = vmax<T>(a, KILN_LD(p + kx));
    return a;
  }
  // a[j] (b[j]) is the max of the taps starting at padded column 2 * ox + j (+ 32): the
  // even columns are outputs ox + j / 2 (+ 16). Masked to 16-bit lanes they pack without
  // saturating (per 128-bit lane a's 8, then b's 8), and a 64-bit permute orders them.
  __m256i b = KILN_LD(p + 32);
  for (long kx = 1; kx < taps; ++kx) {
    a = vmax<T>(a, KILN_LD(p + kx));
    b = vmax<T>(b, KILN_LD(p + 32 + kx));
  }
  const __m256i low = _mm256_set1_epi16(0x00ff);
  const __m256i packed = _mm256_packus_epi16(_mm256_and_si256(a, low), _mm256_and_si256(b, low));
  return _mm256_permute4x64_epi64(packed, 0xD8);
}

// OW outputs: whole vectors, the last one overlapping the previous; below 32 outputs one
// vector through a stack copy.
template <typename T, int SW, int KW>
__attribute__((target("avx2"))) void horizontalAvx2(const T* row, long OW, long kw, T* y) {
  if (OW < 32) {
    alignas(32) T t[32];
    KILN_ST(t, (horizontal32<T, SW, KW>(row, 0, kw)));
    std::memcpy(y, t, size_t(OW));
    return;
  }
  for (long ox = 0;; ox += 32) {
    if (ox + 32 > OW) ox = OW - 32;
    KILN_ST(y + ox, (horizontal32<T, SW, KW>(row, ox, kw)));
    if (ox + 32 == OW) return;
  }
}

#undef KILN_LD
#undef KILN_ST

// The vector horizontal pass for stride sw and kw taps (3x3 / 2 and 2x2 / 2 unrolled), or null.
template <typename T>
HorizontalFn<T> vectorHorizontal(long sw, long kw) {
  if (!haveAvx2()) return nullptr;
  if (sw == 2) return kw == 3 ? horizontalAvx2<T, 2, 3> : kw == 2 ? horizontalAvx2<T, 2, 2> : horizontalAvx2<T, 2, 0>;
  if (sw == 1) return kw == 3 ? horizontalAvx2<T, 1, 3> : horizontalAvx2<T, 1, 0>;
  return nullptr;
}
#else
bool haveAvx2() { return false; }
template <typename T>
void verticalAvx2(const T* x, long W, long ya, long yb, T* dst) { verticalScalar(x, W, ya, yb, dst); }
template <typename T>
HorizontalFn<T> vectorHorizontal(long, long) { return nullptr; }
#endif

class PoolI8Op final : public LayerOp {
 public:
  PoolI8Op(uint32_t x, uint32_t y, bool u8, int64_t planes, const Window3& w)
      : x_(x), y_(y), u8_(u8), planes_(planes), H_(w.in[1]), W_(w.in[2]), kh_(w.kernel[1]), kw_(w.kernel[2]),
        sh_(w.stride[1]), sw_(w.stride[2]), top_(w.padBegin[1]), left_(w.padBegin[2]), OH_(w.out[1]),
        OW_(w.out[2]) {
    // The padded row: input column ix at left + ix, T's minimum elsewhere; the vector pass
    // reads up to 2 * max(OW, 32) + kw + 32 columns (stride 2), the scalar one (OW - 1) * sw + kw.
    rowBytes_ = size_t(std::max({left_ + W_, 2 * std::max<int64_t>(OW_, 32) + kw_ + 32, (OW_ - 1) * sw_ + kw_}) + 32 + 63) / 64 * 64;
  }

  void run(const RunContext& ctx) const override {
    if (planes_ == 0) return;  // a batch of 0
    if (u8_)
      runAs<uint8_t>(ctx);
    else
      runAs<int8_t>(ctx);
  }

 private:
  template <typename T>
  void runAs(const RunContext& ctx) const {
    const T* x = ctx.data<const T>(x_);
    T* y = ctx.data<T>(y_);
    // Few planes (a batch-1 tail of a network): bands of output rows so every thread has work.
    const int64_t want = 4 * int64_t(ctx.pool->threads());
    const int64_t bands = std::clamp<int64_t>((want + planes_ - 1) / planes_, 1, OH_);
    const int64_t bandRows = (OH_ + bands - 1) / bands;
    const bool vec = haveAvx2();
    const HorizontalFn<T> horizontal = vectorHorizontal<T>(long(sw_), long(kw_));
    const T fill = std::numeric_limits<T>::min();  // max's identity: padding
    ctx.pool->parallelFor(size_t(planes_ * bands), [&](size_t item) {
      const int64_t p = int64_t(item) / bands, oy0 = int64_t(item) % bands * bandRows;
      const int64_t oy1 = std::min(oy0 + bandRows, OH_);
      // Two padded rows: the vertical pass of output row oy runs before the horizontal pass
      // of row oy - 1, so the horizontal loads (unaligned, straddling the vertical stores)
      // do not read right behind those stores and stall on store forwarding.
      tRow.ensure(2 * rowBytes_);
      T* rows = tRow.as<T>();
      std::memset(rows, fill, 2 * rowBytes_);
      const T* plane = x + p * H_ * W_;
      T* out = y + p * OH_ * OW_;
      for (int64_t oy = oy0; oy <= oy1; ++oy) {
        if (oy < oy1) {
          T* row = rows + (oy % 2) * rowBytes_ + left_;
          const int64_t y0 = oy * sh_ - top_;
          const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + kh_, H_);
          if (ya >= yb)  // the window's rows all padding (no valid layer has one)
            std::memset(row, fill, size_t(W_));
          else if (vec)
            verticalAvx2(plane, long(W_), long(ya), long(yb), row);
          else
            verticalScalar(plane, long(W_), long(ya), long(yb), row);
        }
        if (oy == oy0) continue;
        const T* row = rows + ((oy - 1) % 2) * rowBytes_;
        T* yr = out + (oy - 1) * OW_;
        if (horizontal)
          horizontal(row, long(OW_), long(kw_), yr);
        else
          horizontalScalar(row, long(OW_), long(kw_), long(sw_), yr);
      }
    });
  }

  uint32_t x_, y_;
  bool u8_;
  int64_t planes_, H_, W_, kh_, kw_, sh_, sw_, top_, left_, OH_, OW_;
  size_t rowBytes_ = 0;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  const DType t = c.input(0).dtype;
  if (t != DType::i8 && t != DType::u8)
    c.fail(cat("kernel poolI8 pools i8 or u8 codes; input ", LayerCheck::describe(c.input(0))));
  const PoolLayer L = readPoolLayer(c, 2, false, t);
  if (!L.isMax)
    c.fail("kernel poolI8 runs max pools only (an average of codes is not the code of the average), got mode code 1");
  return std::make_unique<PoolI8Op>(c.inputId(0), c.outputId(0), t == DType::u8, L.batch * L.channels, L.w);
}

}  // namespace

KernelDef poolI8Kernel() { return {"poolI8", false, validate}; }

}  // namespace kiln::cpu
