// See rnn-activation.h. The gate functions run on every gate of every step,
// so sigmoid and tanh use an exp written as plain float arithmetic (no libm
// call) that the compiler vectorizes, compiled for AVX-512, AVX2 and the
// baseline and picked at load (target_clones; the addon targets generic
// x86-64). Clipping is its own pass, skipped when clip is infinite.
#include "rnn-activation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) && defined(__ELF__) && \
    ((defined(__GNUC__) && !defined(__clang__)) || (defined(__clang__) && __clang_major__ >= 14))
#define KILN_RNN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KILN_RNN_CLONES
#endif

namespace kiln::cpu {
namespace {

// e^x for |x| <= 87: x = k ln2 + r with |r| <= ln2/2 (ln2 split in a high part
// exact in float and a low correction), e^r by its Taylor polynomial to r^7
// (relative error < 2e-7 on that interval), then 2^k put into the exponent.
// k is rounded by adding and subtracting 1.5 * 2^23, which vectorizes on every
// target, where nearbyint may be a library call.
inline float expBounded(float x) {
  const float k = (x * 1.44269504f + 12582912.f) - 12582912.f;
  const float r = (x - k * 0.693145752f) - k * 1.42860677e-6f;
  float p = 1.f / 5040.f;
  p = p * r + 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int32_t bits = (int32_t(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// 1 / (1 + e^-x); past x = 30 the result is 1 to float precision and below
// -87 it is under the smallest normal float, so the argument is bounded there.
inline float sigmoid(float x) {
  const float b = x < -87.f ? -87.f : x > 30.f ? 30.f : x;  // NaN passes through
  return 1.f / (1.f + expBounded(-b));
}

// Odd, so computed on |x|: 1 - 2 / (e^{2|x|} + 1), whose absolute error is a
// float ulp of 1; below 0.3 the Taylor series keeps the relative error small.
inline float tanhApprox(float x) {
  const float a = std::fabs(x) > 15.f ? 15.f : std::fabs(x);  // NaN passes through
  const float a2 = a * a;
  const float series = a * (1.f + a2 * (-1.f / 3.f + a2 * (2.f / 15.f + a2 * (-17.f / 315.f + a2 * (62.f / 2835.f)))));
  const float viaExp = 1.f - 2.f / (expBounded(2.f * a) + 1.f);
  const float t = a < 0.3f ? series : viaExp;
  return std::copysign(t, x);
}

KILN_RNN_CLONES void sigmoidRow(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = sigmoid(x[i]);
}

KILN_RNN_CLONES void tanhRow(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = tanhApprox(x[i]);
}

}  // namespace

void rnnActivate(const RnnActivation& act, float clip, float* x, size_t n) {
  if (std::isfinite(clip))
    for (size_t i = 0; i < n; ++i) x[i] = std::min(clip, std::max(-clip, x[i]));
  const float a = act.alpha, b = act.beta;
  switch (act.kind) {
    case RnnAct::relu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
      return;
    case RnnAct::tanh:
      return tanhRow(x, n);
    case RnnAct::sigmoid:
      return sigmoidRow(x, n);
    case RnnAct::affine:
      for (size_t i = 0; i < n; ++i) x[i] = a * x[i] + b;
      return;
    case RnnAct::leakyRelu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] >= 0.f ? x[i] : a * x[i];
      return;
    case RnnAct::thresholdedRelu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] > a ? x[i] : 0.f;
      return;
    case RnnAct::scaledTanh:
      for (size_t i = 0; i < n; ++i) x[i] = b * x[i];
      tanhRow(x, n);
      for (size_t i = 0; i < n; ++i) x[i] = a * x[i];
      return;
    case RnnAct::hardSigmoid:
      for (size_t i = 0; i < n; ++i) x[i] = std::min(1.f, std::max(0.f, a * x[i] + b));
      return;
    case RnnAct::elu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] >= 0.f ? x[i] : a * (std::exp(x[i]) - 1.f);
      return;
    case RnnAct::softsign:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] / (1.f + std::fabs(x[i]));
      return;
    case RnnAct::softplus:
      // log(1 + e^x) written so that large x neither overflows nor loses the x.
      for (size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.f) + std::log1p(std::exp(-std::fabs(x[i])));
      return;
  }
}

}  // namespace kiln::cpu
