// Padded, stride-phase-split rows: the input layout of the depthwise and
// pooling tactics. Column i of a padded row (input column i - left, `fill`
// outside the input) goes to phase i % stride at position i / stride, so a
// window tap at any offset reads a contiguous run of its phase.
#pragma once

#include <algorithm>
#include <cstdint>

#include "vec-kernels.h"

namespace kiln::cpu {

// dst holds `stride` phases of `phaseLen` floats each.
inline void phaseSplitRow(const float* src, int64_t width, int64_t left, int64_t stride, int64_t phaseLen, float fill,
                          float* dst) {
  if (stride == 2 && phaseLen >= (left + width + 1) / 2 + 1) {
    // The phase holding input column 0 starts it at position left/2, the
    // other phase holds the odd columns from ceil(left/2) (even left) or the
    // even phase holds them (odd left): one vector deinterleave fills both.
    float* first = dst + (left % 2) * phaseLen;         // gets input columns 0, 2, 4...
    float* second = dst + (1 - left % 2) * phaseLen;    // gets input columns 1, 3, 5...
    const int64_t leadFirst = left / 2, leadSecond = (left + 1) / 2, pairs = width / 2;
    std::fill(first, first + leadFirst, fill);
    std::fill(second, second + leadSecond, fill);
    vecKernels().deinterleave2(src, long(pairs), first + leadFirst, second + leadSecond);
    int64_t f = leadFirst + pairs;
    if (width % 2) first[f++] = src[width - 1];
    std::fill(first + f, first + phaseLen, fill);
    std::fill(second + leadSecond + pairs, second + phaseLen, fill);
    return;
  }
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
    } else {
      for (int64_t j = lo; j < hi; ++j) out[j] = s[j * stride];
    }
    std::fill(out + hi, out + phaseLen, fill);
  }
}

}  // namespace kiln::cpu
