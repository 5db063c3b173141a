// Padded, stride-phase-split rows: the input layout of the depthwise and
// pooling tactics. Column i of a padded row (input column i - left, `fill`
// outside the input) goes to phase i % stride at position i / stride, so a
// window tap at any offset reads a contiguous run of its phase.
#pragma once

#include <algorithm>
#include <cstdint>

namespace kiln::cpu {

// dst holds `stride` phases of `phaseLen` floats each.
inline void phaseSplitRow(const float* src, int64_t width, int64_t left, int64_t stride, int64_t phaseLen, float fill,
                          float* dst) {
  for (int64_t ph = 0; ph < stride; ++ph) {
    float* out = dst + ph * phaseLen;
    // Positions j with 0 <= ph + j*stride - left < width read the input.
    const int64_t first = ph - left;
    const int64_t lo = first >= 0 ? 0 : (-first + stride - 1) / stride;
    const int64_t hi = std::min(phaseLen, first >= width ? 0 : (width - first + stride - 1) / stride);
    if (lo >= hi) {
      std::fill(out, out + phaseLen, fill);
      continue;
    }
    std::fill(out, out + lo, fill);
    const float* s = src + first;
    if (stride == 1) {
      std::copy(s + lo, s + hi, out + lo);
    } else if (stride == 2) {
      for (int64_t j = lo; j < hi; ++j) out[j] = s[2 * j];
    } else {
      for (int64_t j = lo; j < hi; ++j) out[j] = s[j * stride];
    }
    std::fill(out + hi, out + phaseLen, fill);
  }
}

}  // namespace kiln::cpu
