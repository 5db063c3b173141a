// Row primitives of the reduce family; see kernel-reduce-rows.h. The main
// loops use GCC/Clang vector extensions: the compiler does not vectorize a
// float reduction by itself (reassociation, NaN-aware selects), and generic
// vectors compile to the widest registers of each target_clones clone. Other
// compilers (and every loop tail) take the scalar path, which computes the
// same thing.
#include "kernel-reduce-rows.h"

#include <cmath>
#include <limits>

#if defined(__x86_64__) && defined(__ELF__) && \
    ((defined(__GNUC__) && !defined(__clang__)) || (defined(__clang__) && __clang_major__ >= 14))
#define KILN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KILN_CLONES
#endif

#if defined(__GNUC__)
// Inline helpers pass vectors wider than the baseline ABI; they are always inlined.
#pragma GCC diagnostic ignored "-Wpsabi"
#define KILN_VEC 1
#define KILN_INLINE __attribute__((always_inline)) inline
#else
#define KILN_VEC 0
#define KILN_INLINE inline
#endif

namespace kiln::cpu::rows {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// NaN always replaces the running extreme, so it propagates as in the interpreter.
KILN_INLINE bool greaterOrNan(float v, float m) { return (v > m) | (v != v); }
KILN_INLINE bool lessOrNan(float v, float m) { return (v < m) | (v != v); }

KILN_INLINE float pre1(float v, Pre pre, float shift) {
  switch (pre) {
    case Pre::none: return v;
    case Pre::abs: return std::fabs(v);
    case Pre::square: return v * v;
    case Pre::expShift: return expApprox(v - shift);
  }
  return v;
}

#if KILN_VEC
typedef float vf8 __attribute__((vector_size(32)));
typedef int32_t vi8 __attribute__((vector_size(32)));
typedef float vf4 __attribute__((vector_size(16)));
typedef int32_t vi4 __attribute__((vector_size(16)));
typedef double vd4 __attribute__((vector_size(32)));

template <typename V>
KILN_INLINE V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V>
KILN_INLINE void store(float* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename V>
KILN_INLINE V splat(float f) {
  return V{} + f;
}

// expApprox on a vector (I: the matching int vector), lane for lane the same math.
template <typename V, typename I>
KILN_INLINE V expv(const V& x) {
  V xc = x < -87.0f ? splat<V>(-87.0f) : x;
  xc = xc > 88.0f ? splat<V>(88.0f) : xc;
  const V t = xc * 1.44269504088896341f + 12582912.0f;
  const V n = t - 12582912.0f;
  const V r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  V p = splat<V>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const I e = ((I)t - 0x4B400000 + 127) << 23;  // vector casts reinterpret the bits
  const V y = p * (V)e;
  return x < -87.33654f ? splat<V>(0.0f) : y;
}

template <Pre P, typename V, typename I>
KILN_INLINE V preVec(const V& v, float shift) {
  switch (P) {
    case Pre::none: return v;
    case Pre::abs: return (V)((I)v & 0x7fffffff);
    case Pre::square: return v * v;
    case Pre::expShift: return expv<V, I>(v - shift);
  }
  return v;
}

// Sums 16 elements a step in four f64 accumulators of 4 lanes; returns where it stopped.
// The pre-op is a template parameter so each loop is straight-line code.
template <Pre P>
KILN_INLINE size_t sumVec(const float* x, size_t n, float shift, double* total) {
  vd4 a = {}, b = {}, c = {}, d = {};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a += __builtin_convertvector(preVec<P, vf4, vi4>(load<vf4>(x + i), shift), vd4);
    b += __builtin_convertvector(preVec<P, vf4, vi4>(load<vf4>(x + i + 4), shift), vd4);
    c += __builtin_convertvector(preVec<P, vf4, vi4>(load<vf4>(x + i + 8), shift), vd4);
    d += __builtin_convertvector(preVec<P, vf4, vi4>(load<vf4>(x + i + 12), shift), vd4);
  }
  const vd4 s = (a + b) + (c + d);
  *total = (s[0] + s[1]) + (s[2] + s[3]);
  return i;
}

// Running extremes of 16 elements a step; greater: max, else min.
KILN_INLINE size_t extremeVec(const float* x, size_t n, bool greater, float* m) {
  vf8 a = splat<vf8>(*m), b = a;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const vf8 v = load<vf8>(x + i), w = load<vf8>(x + i + 8);
    if (greater) {
      a = ((v > a) | (v != v)) ? v : a;
      b = ((w > b) | (w != w)) ? w : b;
    } else {
      a = ((v < a) | (v != v)) ? v : a;
      b = ((w < b) | (w != w)) ? w : b;
    }
  }
  float lanes[16];
  store(lanes, a);
  store(lanes + 8, b);
  for (float v : lanes) *m = (greater ? greaterOrNan(v, *m) : lessOrNan(v, *m)) ? v : *m;
  return i;
}
#endif

KILN_INLINE double sumAny(const float* x, size_t n, Pre pre, float shift) {
  double s = 0;
  size_t i = 0;
#if KILN_VEC
  switch (pre) {
    case Pre::none: i = sumVec<Pre::none>(x, n, shift, &s); break;
    case Pre::abs: i = sumVec<Pre::abs>(x, n, shift, &s); break;
    case Pre::square: i = sumVec<Pre::square>(x, n, shift, &s); break;
    case Pre::expShift: i = sumVec<Pre::expShift>(x, n, shift, &s); break;
  }
#endif
  for (; i < n; ++i) s += double(pre1(x[i], pre, shift));
  return s;
}

KILN_INLINE float extreme(const float* x, size_t n, bool greater) {
  float m = greater ? -kInf : kInf;
  size_t i = 0;
#if KILN_VEC
  i = extremeVec(x, n, greater, &m);
#endif
  for (; i < n; ++i) m = (greater ? greaterOrNan(x[i], m) : lessOrNan(x[i], m)) ? x[i] : m;
  return m;
}

// Σ exp(x - m), in f32 lanes (every term is in (0, 1] next to the max's 1, so f32
// loses nothing that matters); also stores the terms in y when y is not null.
KILN_INLINE float expSum(const float* x, float* y, size_t n, float m) {
  float s = 0;
  size_t i = 0;
#if KILN_VEC
  vf8 a = {}, b = {};
  for (; i + 16 <= n; i += 16) {
    const vf8 e = expv<vf8, vi8>(load<vf8>(x + i) - m), f = expv<vf8, vi8>(load<vf8>(x + i + 8) - m);
    if (y) {
      store(y + i, e);
      store(y + i + 8, f);
    }
    a += e;
    b += f;
  }
  float lanes[8];
  store(lanes, a + b);
  for (float v : lanes) s += v;
#endif
  for (; i < n; ++i) {
    const float e = expApprox(x[i] - m);
    if (y) y[i] = e;
    s += e;
  }
  return s;
}

}  // namespace

KILN_CLONES double sum(const float* x, size_t n, Pre pre, float shift) { return sumAny(x, n, pre, shift); }

KILN_CLONES double prod(const float* x, size_t n) {
  double acc[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (size_t j = 0; j < 8; ++j) acc[j] *= double(x[i + j]);
  double p = 1;
  for (; i < n; ++i) p *= double(x[i]);
  for (double a : acc) p *= a;
  return p;
}

KILN_CLONES float max(const float* x, size_t n) { return extreme(x, n, true); }
KILN_CLONES float min(const float* x, size_t n) { return extreme(x, n, false); }

KILN_CLONES void accSum(double* acc, const float* x, size_t n, Pre pre, const float* shift) {
  size_t i = 0;
#if KILN_VEC
  if (pre == Pre::expShift) {
    for (; i + 8 <= n; i += 8) {
      const vf8 e = expv<vf8, vi8>(load<vf8>(x + i) - load<vf8>(shift + i));
      for (size_t j = 0; j < 8; ++j) acc[i + j] += double(e[j]);
    }
  }
#endif
  switch (pre) {
    case Pre::none:
      for (; i < n; ++i) acc[i] += double(x[i]);
      break;
    case Pre::abs:
      for (; i < n; ++i) acc[i] += double(std::fabs(x[i]));
      break;
    case Pre::square:
      for (; i < n; ++i) acc[i] += double(x[i] * x[i]);
      break;
    case Pre::expShift:
      for (; i < n; ++i) acc[i] += double(expApprox(x[i] - shift[i]));
      break;
  }
}

KILN_CLONES void accProd(double* acc, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] *= double(x[i]);
}

namespace {
template <bool Greater>
KILN_INLINE void accExtreme(float* acc, const float* x, size_t n) {
  size_t i = 0;
#if KILN_VEC
  for (; i + 8 <= n; i += 8) {
    const vf8 v = load<vf8>(x + i), a = load<vf8>(acc + i);
    store(acc + i, ((Greater ? v > a : v < a) | (v != v)) ? v : a);
  }
#endif
  for (; i < n; ++i) acc[i] = (Greater ? greaterOrNan(x[i], acc[i]) : lessOrNan(x[i], acc[i])) ? x[i] : acc[i];
}
}  // namespace

KILN_CLONES void accMax(float* acc, const float* x, size_t n) { accExtreme<true>(acc, x, n); }
KILN_CLONES void accMin(float* acc, const float* x, size_t n) { accExtreme<false>(acc, x, n); }

KILN_CLONES void moments(const float* x, size_t n, float eps, float* mean, float* invStd) {
  const float m = static_cast<float>(sumAny(x, n, Pre::none, 0) / double(n));
  // Σ (x - m)^2 is Σ square(x + (-m)): the square pre-op on shifted values.
  double var = 0;
  size_t i = 0;
#if KILN_VEC
  vd4 a = {}, b = {};
  for (; i + 8 <= n; i += 8) {
    const vf4 u = load<vf4>(x + i) - m, v = load<vf4>(x + i + 4) - m;
    a += __builtin_convertvector(u * u, vd4);
    b += __builtin_convertvector(v * v, vd4);
  }
  const vd4 s = a + b;
  var = (s[0] + s[1]) + (s[2] + s[3]);
#endif
  for (; i < n; ++i) var += double((x[i] - m) * (x[i] - m));
  *mean = m;
  *invStd = static_cast<float>(1.0 / std::sqrt(var / double(n) + double(eps)));
}

KILN_CLONES void normalize(const float* x, float* y, size_t n, float mean, float invStd, const float* scale,
                           const float* bias) {
  if (bias) {
    for (size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * invStd * scale[i] + bias[i];
  } else {
    for (size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * invStd * scale[i];
  }
}

KILN_CLONES void normalizeUniform(const float* x, float* y, size_t n, float mean, float invStd, float scale,
                                  float bias) {
  const float a = invStd * scale;
  for (size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * a + bias;
}

KILN_CLONES void affine(const float* x, float* y, size_t n, float a, float b) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

KILN_CLONES void logSoftmax(const float* x, float* y, size_t n) {
  const float m = extreme(x, n, true);
  // (x - m) is exact near the max; adding m to log(s) first would round it away.
  const float logSum = std::log(expSum(x, nullptr, n, m));
  for (size_t i = 0; i < n; ++i) y[i] = (x[i] - m) - logSum;
}

KILN_CLONES void softmax(const float* x, float* y, size_t n) {
  const float inv = 1.0f / expSum(x, y, n, extreme(x, n, true));
  for (size_t i = 0; i < n; ++i) y[i] *= inv;
}

}  // namespace kiln::cpu::rows
