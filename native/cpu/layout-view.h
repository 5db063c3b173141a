// Strided views: the one copy loop behind slice, split, expand, tile,
// depthToSpace and spaceToDepth. Each of those is "output element i0..ik is
// source element offset + sum(i_d * stride_d)" with strides that may be 0
// (broadcast) or negative (reversed slices); the kernels only differ in how
// they derive the view at load. copyView moves contiguous runs with memcpy,
// so a layout kernel runs at memory speed, and works on any element size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../thread-pool.h"

namespace kiln::cpu {

struct StridedView {
  std::vector<int64_t> dims;     // output dims, outermost first
  std::vector<int64_t> strides;  // source element stride of each dim
  int64_t offset = 0;            // source element read by output element 0
};

// The same view with size-1 dims dropped and neighbours merged where the
// source stays evenly strided across them; never empty (a scalar is {1}).
StridedView simplifyView(const StridedView& view);

// True when every source element the view reads lies in [0, sourceElements).
bool viewInBounds(const StridedView& view, uint64_t sourceElements);

// dst (dense, row-major in the view's dims) = the source elements the view
// names. `view` should be simplified; elemSize is 1, 2, 4 or 8.
void copyView(const StridedView& view, size_t elemSize, const uint8_t* src, uint8_t* dst, ThreadPool* pool);

// Row-major element strides of a shape.
std::vector<int64_t> denseStrides(const std::vector<int64_t>& shape);

// Fills n elements of elemSize bytes at dst with copies of `value`.
void fillElements(uint8_t* dst, const uint8_t* value, size_t elemSize, uint64_t n);

}  // namespace kiln::cpu
