// Tensors as byte extents in the arena: a dense tensor is one range; a strided
// view (TensorDesc::imageStride, concat elimination at batch > 1) is shape[0]
// equal pieces, one per image, imageStride elements apart. Validation, the
// loader's operand checks and the concat kernel ask these, never offset + size.
#pragma once

#include <algorithm>
#include <cstdint>

#include "plan-model.h"

namespace kiln {

inline bool isStrided(const TensorDesc& t) { return t.imageStride != 0; }

// Elements of one index of dim 0 (the whole tensor for rank 0).
inline uint64_t imageElements(const TensorDesc& t) {
  uint64_t n = 1;
  for (size_t i = 1; i < t.shape.size(); ++i) n *= static_cast<uint64_t>(t.shape[i]);
  return n;
}

// Elements from one image's start to the next: the dense size unless strided.
inline uint64_t imageStrideOf(const TensorDesc& t) { return isStrided(t) ? t.imageStride : imageElements(t); }

struct Extent {
  uint64_t offset;  // first byte
  uint64_t count;   // pieces
  uint64_t stride;  // bytes between piece starts
  uint64_t bytes;   // bytes of each piece
  uint64_t end() const { return offset + (count - 1) * stride + bytes; }
};

inline Extent extentOf(const TensorDesc& t) {
  const uint64_t size = dtypeSize(t.dtype);
  if (!isStrided(t) || t.shape.empty() || t.shape[0] <= 1) return {t.offset, 1, 0, tensorBytes(t)};
  return {t.offset, static_cast<uint64_t>(t.shape[0]), t.imageStride * size, imageElements(t) * size};
}

// Bytes from a tensor's first byte to its last: its whole range in the arena.
inline uint64_t spanBytes(const TensorDesc& t) {
  const Extent e = extentOf(t);
  return e.end() - e.offset;
}

// True when some byte belongs to both extents (exact for interleaved views).
inline bool extentsOverlap(const Extent& a, const Extent& b) {
  if (a.bytes == 0 || b.bytes == 0 || !(a.offset < b.end() && b.offset < a.end())) return false;
  const Extent& few = a.count <= b.count ? a : b;
  const Extent& many = a.count <= b.count ? b : a;
  if (many.count == 1) return true;
  for (uint64_t i = 0; i < few.count; ++i) {
    const uint64_t s = few.offset + i * few.stride, e = s + few.bytes;
    // The first piece of `many` that ends after s, then whether it starts before e.
    const uint64_t m = s >= many.offset + many.bytes ? (s - many.offset - many.bytes) / many.stride + 1 : 0;
    if (m < many.count && many.offset + m * many.stride < e) return true;
  }
  return false;
}

inline bool extentsEqual(const Extent& a, const Extent& b) {
  return a.offset == b.offset && a.count == b.count && a.bytes == b.bytes && (a.count == 1 || a.stride == b.stride);
}

}  // namespace kiln
