// See rnn-activation.h. Clipping is its own pass, skipped when clip is
// infinite, so the common loops stay simple enough to vectorize.
#include "rnn-activation.h"

#include <algorithm>
#include <cmath>

namespace kiln::cpu {

void rnnActivate(const RnnActivation& act, float clip, float* x, size_t n) {
  if (std::isfinite(clip))
    for (size_t i = 0; i < n; ++i) x[i] = std::min(clip, std::max(-clip, x[i]));
  const float a = act.alpha, b = act.beta;
  switch (act.kind) {
    case RnnAct::relu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
      return;
    case RnnAct::tanh:
      for (size_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
    case RnnAct::sigmoid:
      for (size_t i = 0; i < n; ++i) x[i] = 1.f / (1.f + std::exp(-x[i]));
      return;
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
      for (size_t i = 0; i < n; ++i) x[i] = a * std::tanh(b * x[i]);
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
