// Vectorized row primitives of the reduce family (reduce, layer/instance norm,
// log-softmax): sums, products and extrema over a contiguous row, and the same
// accumulated column-wise into a row of accumulators. Sums and products
// accumulate in f64 (the interpreter's precision, and no loss on long rows);
// max/min propagate NaN like the interpreter. The definitions are compiled for
// AVX-512, AVX2 and the baseline ISA and picked by the loader (target_clones),
// since the addon itself is built for the generic x86-64 target.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace kiln::cpu::rows {

// What a sum applies to each element first: none (sum, mean, logSum), abs
// (l1), square (sumSquare, l2), or exp(x - shift) (logSumExp).
enum class Pre { none, abs, square, expShift };

// exp for x <= 88 (the shifted arguments of softmax-like ops): Cephes-style
// range reduction x = n ln2 + r and a degree-6 polynomial, ~1 ulp; 0 below
// the f32 range; NaN stays NaN. Plain float code so loops using it vectorize.
inline float expApprox(float x) {
  const float xc = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
  const float t = xc * 1.44269504088896341f + kMagic;
  const float n = t - kMagic;
  int32_t bits;
  std::memcpy(&bits, &t, 4);
  const float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = (bits - 0x4B400000 + 127) << 23;
  float scale;
  std::memcpy(&scale, &e, 4);
  return x < -87.33654f ? 0.0f : p * scale;
}

// Σ pre(x[i]) over n contiguous elements (shift is used by expShift only).
double sum(const float* x, size_t n, Pre pre, float shift);
double prod(const float* x, size_t n);
float max(const float* x, size_t n);
float min(const float* x, size_t n);

// acc[i] op= pre(x[i]) for i < n; shift[i] per column for expShift (else unused).
void accSum(double* acc, const float* x, size_t n, Pre pre, const float* shift);
void accProd(double* acc, const float* x, size_t n);
void accMax(float* acc, const float* x, size_t n);
void accMin(float* acc, const float* x, size_t n);

// Mean and 1/sqrt(variance + eps) of a row (population variance, two passes).
void moments(const float* x, size_t n, float eps, float* mean, float* invStd);
// y = (x - mean) * invStd * scale[i] + bias[i]; bias may be null.
void normalize(const float* x, float* y, size_t n, float mean, float invStd, const float* scale, const float* bias);
// y = (x - mean) * invStd * scale + bias with one scale and bias for the row.
void normalizeUniform(const float* x, float* y, size_t n, float mean, float invStd, float scale, float bias);
// y = x * a + b (batch norm with folded statistics).
void affine(const float* x, float* y, size_t n, float a, float b);

// Numerically stable log-softmax and softmax of one contiguous row.
void logSoftmax(const float* x, float* y, size_t n);
void softmax(const float* x, float* y, size_t n);

}  // namespace kiln::cpu::rows
