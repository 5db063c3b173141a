// Padded, stride-phase-split rows: the input layout of the depthwise and
// pooling tactics. Column i of a padded row (input column i - left, `fill`
// outside the input) goes to phase i % stride at position i / stride, so a
// window tap at any offset reads a contiguous run of its phase.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "copy-small.h"
#include "vec-kernels.h"

namespace kiln::cpu {

inline void fillRun(float* dst, int64_t n, float value) {
  if (value == 0.f && !std::signbit(value)) return zeroFloats(dst, size_t(n));
  std::fill(dst, dst + n, value);
}

// dst holds `stride` phases of `phaseLen` floats each.
inline void phaseSplitRow(const float* src, int64_t width, int64_t left, int64_t stride, int64_t phaseLen, float fill,
                          float* dst) {
  if (stride == 1) {
    // The common case, without the divisions below (small planes pay them per row).
    const int64_t lead = std::min(left, phaseLen);
    const int64_t count = std::max<int64_t>(0, std::min(width, phaseLen - lead));
    fillRun(dst, lead, fill);
    copyFloats(dst + lead, src, size_t(count));
    fillRun(dst + lead + count, phaseLen - lead - count, fill);
    return;
  }
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
    fillRun(out, lo, fill);
    const float* s = src + first;
    if (stride == 1) {
      copyFloats(out + lo, s + lo, size_t(hi - lo));
    } else {
      for (int64_t j = lo; j < hi; ++j) out[j] = s[j * stride];
    }
    fillRun(out + hi, phaseLen - hi, fill);
  }
}

// Writes only the positions phaseSplitRow takes from the input, leaving the
// padding as it is: scratch whose padding is already zero (kept from the
// previous plane of the same layer) needs no fills.
inline void phaseSplitInterior(const float* src, int64_t width, int64_t left, int64_t stride, int64_t phaseLen,
                               float* dst) {
  if (stride == 1) {
    copyFloats(dst + left, src, size_t(std::max<int64_t>(0, std::min(width, phaseLen - left))));
    return;
  }
  if (stride == 2 && phaseLen >= (left + width + 1) / 2 + 1) {
    float* first = dst + (left % 2) * phaseLen;
    float* second = dst + (1 - left % 2) * phaseLen;
    vecKernels().deinterleave2(src, long(width / 2), first + left / 2, second + (left + 1) / 2);
    if (width % 2) first[left / 2 + width / 2] = src[width - 1];
    return;
  }
  for (int64_t ix = 0; ix < width; ++ix) {
    const int64_t i = ix + left;
    if (i / stride < phaseLen) dst[(i % stride) * phaseLen + i / stride] = src[ix];
  }
}

}  // namespace kiln::cpu
