// Sliding-window geometry shared by conv and pool: N-d (1..3 spatial dims)
// parameters read from a layer's ints, normalized to 3-D by padding leading
// dims with size 1, so one loop nest serves every rank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../dtype.h"

namespace kiln::cpu {

struct Window3 {
  int64_t in[3] = {1, 1, 1};
  int64_t out[3] = {1, 1, 1};
  int64_t kernel[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1};
  int64_t padBegin[3] = {0, 0, 0};
  int64_t padEnd[3] = {0, 0, 0};
  int64_t dilation[3] = {1, 1, 1};

  int64_t inVolume() const { return in[0] * in[1] * in[2]; }
  int64_t outVolume() const { return out[0] * out[1] * out[2]; }
  int64_t kernelVolume() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// floor((in + padBegin + padEnd - dilation*(kernel-1) - 1) / stride) + 1;
// may be <= 0 when the window does not fit.
inline int64_t windowOutSize(int64_t in, int64_t kernel, int64_t stride, int64_t padBegin, int64_t padEnd,
                             int64_t dilation) {
  const int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// ints[at .. at+n) as a list, for messages.
inline std::vector<int64_t> slice(const std::vector<int64_t>& v, size_t at, size_t n) {
  return std::vector<int64_t>(v.begin() + at, v.begin() + at + n);
}

}  // namespace kiln::cpu
