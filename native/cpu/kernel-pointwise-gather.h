// How one input of a pointwise program is read at the output's flat positions:
// the input's own broadcast strides over the output, with size-1 output dims
// dropped and neighbours merged wherever this input stays consistent, so each
// input gets its longest runs independently of the others (a per-channel bias
// keeps W*H-long fills even where a full-size input would allow one flat run).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../dtype.h"

namespace kiln::cpu {

struct PointwiseGather {
  std::vector<int64_t> dims;     // outermost first, never empty
  std::vector<int64_t> strides;  // element strides into the input; the innermost is 0 or 1

  // The input is laid out exactly as the output: read it in place.
  bool direct() const { return dims.size() == 1 && strides[0] == 1; }

  // dst[k] = input at output flat position begin + k, for k < n.
  void gather(const float* src, uint64_t begin, size_t n, float* dst) const {
    const int64_t inner = dims.back(), step = strides.back();
    uint64_t row = begin / static_cast<uint64_t>(inner);
    int64_t col = static_cast<int64_t>(begin % static_cast<uint64_t>(inner));
    for (size_t done = 0; done < n; ++row, col = 0) {
      int64_t off = 0;
      uint64_t r = row;
      for (size_t d = dims.size() - 1; d-- > 0;) {
        off += static_cast<int64_t>(r % static_cast<uint64_t>(dims[d])) * strides[d];
        r /= static_cast<uint64_t>(dims[d]);
      }
      const size_t m = static_cast<size_t>(std::min<int64_t>(inner - col, static_cast<int64_t>(n - done)));
      if (step) std::memcpy(dst + done, src + off + col, m * sizeof(float));
      else std::fill(dst + done, dst + done + m, src[off]);
      done += m;
    }
  }
};

// `in` broadcasts to `out` (checked by the caller).
inline PointwiseGather planPointwiseGather(const Shape& in, const Shape& out) {
  const size_t rank = out.size(), lead = rank - in.size();
  std::vector<int64_t> stride(rank, 0);
  int64_t s = 1;
  for (size_t d = rank; d-- > lead;) {
    const int64_t extent = in[d - lead];
    stride[d] = extent == 1 ? 0 : s;
    s *= extent;
  }
  PointwiseGather g;
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    if (!g.dims.empty() && g.strides.back() == stride[d] * out[d]) {
      g.dims.back() *= out[d];
      g.strides.back() = stride[d];
    } else {
      g.dims.push_back(out[d]);
      g.strides.push_back(stride[d]);
    }
  }
  // A one-element output: its one input element, read as a fill.
  if (g.dims.empty()) g.dims = {1}, g.strides = {0};
  return g;
}

}  // namespace kiln::cpu
