// The loop plan of the reduce kernel and the traversal every mode and dtype
// shares. At load, size-1 dims are dropped and neighbouring dims that are both
// reduced or both kept are merged, so any axes set becomes alternating groups;
// then the innermost group decides the shape of the work:
//  - inner reduced ("segments"): output o reads R contiguous runs of L
//    elements (R = product of the outer reduced groups); one state per output;
//  - inner kept ("rows"): output row u (I contiguous outputs) accumulates R
//    input rows of I elements column by column.
// When the outputs alone are too few to keep every thread busy, the R*L (or R)
// reduction range is also cut into chunks whose partial states are merged in
// chunk order afterwards, so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../dtype.h"
#include "../thread-pool.h"

namespace kiln::cpu {

struct ReducePlan {
  bool innerReduced = true;
  uint64_t inner = 1;                // L (segments) or I (rows)
  std::vector<uint64_t> keptDims;    // outer kept groups, outermost first
  std::vector<uint64_t> keptStrides; // their input strides
  std::vector<uint64_t> redOffsets;  // input offset of each outer reduced combination (R entries)
  uint64_t units = 1;                // outputs (segments) or output rows (rows)
  uint64_t count = 1;                // input elements folded into each output

  uint64_t outputs() const { return innerReduced ? units : units * inner; }
  uint64_t base(uint64_t unit) const {
    uint64_t off = 0;
    for (size_t d = keptDims.size(); d-- > 0;) {
      off += (unit % keptDims[d]) * keptStrides[d];
      unit /= keptDims[d];
    }
    return off;
  }
};

// `reduced[i]` says whether dim i is reduced.
inline ReducePlan planReduce(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<uint64_t> dims, strides;
  std::vector<bool> flags;
  uint64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    const uint64_t d = static_cast<uint64_t>(shape[i]);
    if (d == 1) continue;
    if (!flags.empty() && flags.back() == reduced[i] && strides.back() * dims.back() == stride) {
      dims.back() *= d;  // merge with the (inner) group before it
    } else {
      dims.push_back(d);
      strides.push_back(stride);
      flags.push_back(reduced[i]);
    }
    stride *= d;
  }
  // Groups were collected innermost first.
  ReducePlan p;
  if (!dims.empty()) {
    p.innerReduced = flags[0];
    p.inner = dims[0];
  }
  std::vector<uint64_t> redDims, redStrides;
  for (size_t g = dims.size(); g-- > 1;) {
    (flags[g] ? redDims : p.keptDims).push_back(dims[g]);
    (flags[g] ? redStrides : p.keptStrides).push_back(strides[g]);
  }
  p.redOffsets.assign(1, 0);
  for (size_t d = 0; d < redDims.size(); ++d) {
    std::vector<uint64_t> next;
    next.reserve(p.redOffsets.size() * redDims[d]);
    for (uint64_t o : p.redOffsets)
      for (uint64_t k = 0; k < redDims[d]; ++k) next.push_back(o + k * redStrides[d]);
    p.redOffsets.swap(next);
  }
  for (uint64_t d : p.keptDims) p.units *= d;
  p.count = p.redOffsets.size() * (p.innerReduced ? p.inner : 1);
  return p;
}

// Reduces x into states[outputs()] with `op` (see kernel-reduce.cc for the op
// interface). `shifts` (per output, may be null) is handed to the op.
template <typename Op>
void reduceTraverse(const ReducePlan& p, const Op& op, const typename Op::T* x, typename Op::S* states,
                    const float* shifts, ThreadPool* pool) {
  using S = typename Op::S;
  const uint64_t R = p.redOffsets.size(), L = p.inner;
  const uint64_t total = p.units * p.count * (p.innerReduced ? 1 : L);
  constexpr uint64_t kCol = 4096;  // columns of a rows item: long contiguous reads, accumulators in L1/L2
  const uint64_t blocks = p.innerReduced ? 1 : (L + kCol - 1) / kCol;
  const uint64_t base = p.units * blocks, want = uint64_t(pool->threads()) * 4;
  // Chunks of the reduction range, each of at least 16K elements.
  const uint64_t span = p.innerReduced ? R * L : R;
  const uint64_t perChunkMin = p.innerReduced ? 16384 : std::max<uint64_t>(1, 16384 / std::min(L, kCol));
  uint64_t chunks = 1;
  if (base < want && total >= 65536) chunks = std::max<uint64_t>(1, std::min((want + base - 1) / base, span / perChunkMin));
  const uint64_t outs = p.outputs();
  std::vector<S> partial(chunks > 1 ? outs * chunks : 0);
  S* dst = chunks > 1 ? partial.data() : states;
  const uint64_t items = base * chunks;
  const uint64_t perItem = std::max<uint64_t>(1, total / items);
  pool->parallelRanges(items, static_cast<size_t>(std::max<uint64_t>(1, 16384 / perItem)), [&](size_t b, size_t e) {
    for (size_t item = b; item < e; ++item) {
      const uint64_t c = item % chunks, ub = item / chunks, u = ub / blocks, blk = ub % blocks;
      const uint64_t from = span * c / chunks, to = span * (c + 1) / chunks;
      const uint64_t at = p.base(u);
      S* out = dst + c * outs;
      if (p.innerReduced) {
        S s = op.init();
        const float shift = shifts ? shifts[u] : 0.f;
        for (uint64_t t = from; t < to;) {
          const uint64_t r = t / L, j = t % L, n = std::min(L - j, to - t);
          op.seg(s, x + at + p.redOffsets[r] + j, n, shift);
          t += n;
        }
        out[u] = s;
      } else {
        const uint64_t c0 = blk * kCol, w = std::min(kCol, L - c0);
        S* acc = out + u * L + c0;
        std::fill(acc, acc + w, op.init());
        const float* sh = shifts ? shifts + u * L + c0 : nullptr;
        for (uint64_t r = from; r < to; ++r) op.row(acc, x + at + p.redOffsets[r] + c0, w, sh);
      }
    }
  });
  if (chunks == 1) return;
  pool->parallelRanges(outs, 4096, [&](size_t b, size_t e) {
    for (size_t o = b; o < e; ++o) {
      S s = partial[o];
      for (uint64_t c = 1; c < chunks; ++c) s = op.merge(s, partial[c * outs + o]);
      states[o] = s;
    }
  });
}

}  // namespace kiln::cpu
