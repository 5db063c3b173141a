// Softmax-like kernels (softmax, logSoftmax) view x as [outer, len, inner] and
// normalize along len. Contiguous rows (inner = 1) go to a vectorized row
// routine; a strided axis is processed kBlock inner positions at a time so reads
// stay contiguous. This header holds that view and the threaded walk both share.
#pragma once

#include <algorithm>
#include <cstdint>

#include "layer-check.h"

namespace kiln::cpu {

struct AxisView {
  uint64_t outer, len, inner;
};

constexpr uint64_t kAxisBlock = 256;  // inner positions handled together

// Checks a one-input, one-output f32 layer whose ints are [axis] and returns its view.
inline AxisView checkAxisLayer(const LayerCheck& c, const char* kernel) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[axis]");
  c.floatCount(0, "(none)");
  c.allF32();
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.shape.empty()) c.fail(cat("kernel ", kernel, " needs an input of rank >= 1"));
  if (x.shape != y.shape)
    c.fail(cat("kernel ", kernel, " expects output ", typeString(DType::f32, x.shape), " (the input's shape), got ",
               LayerCheck::describe(y)));
  const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
  AxisView v{1, uint64_t(x.shape[size_t(axis)]), 1};
  for (int64_t i = 0; i < axis; ++i) v.outer *= uint64_t(x.shape[size_t(i)]);
  for (size_t i = size_t(axis) + 1; i < x.shape.size(); ++i) v.inner *= uint64_t(x.shape[i]);
  return v;
}

// Calls row(x, y) per contiguous row, or block(x, y, n) per block of n <= kAxisBlock
// strided positions, spread over the pool.
template <typename Row, typename Block>
void forEachAxisBlock(ThreadPool* pool, const AxisView& v, const float* x, float* y, Row row, Block block) {
  const uint64_t blocks = (v.inner + kAxisBlock - 1) / kAxisBlock;
  const uint64_t perItem = v.len * std::min(v.inner, kAxisBlock);
  const size_t grain = perItem >= 8192 ? 1 : static_cast<size_t>(8192 / perItem);
  pool->parallelRanges(v.outer * blocks, grain, [&](size_t b, size_t e) {
    for (size_t item = b; item < e; ++item) {
      const uint64_t o = item / blocks, i0 = (item % blocks) * kAxisBlock;
      const uint64_t base = o * v.len * v.inner + i0;
      if (v.inner == 1)
        row(x + base, y + base);
      else
        block(x + base, y + base, std::min(kAxisBlock, v.inner - i0));
    }
  });
}

}  // namespace kiln::cpu
