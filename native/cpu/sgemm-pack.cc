// Packing loops, specialized on which stride is 1 so the contiguous side is
// read sequentially (row-major and transposed operands both pack fast).
#include "sgemm-pack.h"

#include <algorithm>
#include <cstring>

#include "copy-small.h"

namespace kiln::cpu {

void packA(const MatrixRef& a, size_t i0, size_t mc, size_t k0, size_t kc, size_t mr, float* dst) {
  for (size_t p = 0; p * mr < mc; ++p, dst += kc * mr) {
    const size_t row0 = i0 + p * mr;
    const size_t rows = mc - p * mr < mr ? mc - p * mr : mr;
    if (rows < mr) std::memset(dst, 0, kc * mr * sizeof(float));
    if (a.colStride == 1) {
      for (size_t i = 0; i < rows; ++i) {
        const float* src = a.data + ptrdiff_t(row0 + i) * a.rowStride + ptrdiff_t(k0);
        for (size_t k = 0; k < kc; ++k) dst[k * mr + i] = src[k];
      }
    } else if (a.rowStride == 1) {
      for (size_t k = 0; k < kc; ++k) {
        const float* src = a.data + ptrdiff_t(row0) + ptrdiff_t(k0 + k) * a.colStride;
        for (size_t i = 0; i < rows; ++i) dst[k * mr + i] = src[i];
      }
    } else {
      for (size_t k = 0; k < kc; ++k)
        for (size_t i = 0; i < rows; ++i) dst[k * mr + i] = a.at(row0 + i, k0 + k);
    }
  }
}

// Rows of B requested ahead of the one being copied: each row is a new
// stream the hardware prefetcher has to discover, so its first lines would
// otherwise wait on memory.
constexpr size_t kAhead = 4;

void StridedPanelSource::pack(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const {
  if (b_.colStride == 1) {
    // Row by row, every panel's slice of it: each row of B is read once,
    // front to back, so the hardware prefetcher follows one stream instead of
    // kc rows a cache line at a time (panel by panel, a short K x wide N block
    // spent a quarter of its time here).
    const size_t panels = (nc + nr - 1) / nr, tail = nc - (panels - 1) * nr;
    const size_t lines = (nc + 15) / 16;
    for (size_t k = 0; k < kc; ++k) {
      const float* src = b_.data + ptrdiff_t(k0 + k) * b_.rowStride + ptrdiff_t(j0);
      if (k + kAhead < kc)
        for (size_t l = 0; l < lines; ++l) __builtin_prefetch(src + kAhead * b_.rowStride + ptrdiff_t(l * 16), 0, 3);
      float* row = dst + k * nr;
      for (size_t p = 0; p + 1 < panels; ++p) copyFloats(row + p * kc * nr, src + p * nr, nr);
      float* last = row + (panels - 1) * kc * nr;
      copyFloats(last, src + (panels - 1) * nr, tail);
      if (tail < nr) zeroFloats(last + tail, nr - tail);
    }
    return;
  }
  for (size_t p = 0; p * nr < nc; ++p, dst += kc * nr) {
    const size_t col0 = j0 + p * nr;
    const size_t cols = nc - p * nr < nr ? nc - p * nr : nr;
    if (cols < nr) std::memset(dst, 0, kc * nr * sizeof(float));
    if (b_.rowStride == 1) {
      for (size_t j = 0; j < cols; ++j) {
        const float* src = b_.data + ptrdiff_t(k0) + ptrdiff_t(col0 + j) * b_.colStride;
        for (size_t k = 0; k < kc; ++k) dst[k * nr + j] = src[k];
      }
    } else {
      for (size_t k = 0; k < kc; ++k)
        for (size_t j = 0; j < cols; ++j) dst[k * nr + j] = b_.at(k0 + k, col0 + j);
    }
  }
}

void BlockedColumnsSource::pack(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const {
  for (size_t p = 0; p * nr < nc; ++p, dst += kc * nr) {
    const size_t col0 = j0 + p * nr;
    const size_t cols = nc - p * nr < nr ? nc - p * nr : nr;
    for (size_t k = 0; k < kc; ++k) {
      float* row = dst + k * nr;
      for (size_t jj = 0; jj < cols;) {
        const size_t block = (col0 + jj) / blockCols_, within = col0 + jj - block * blockCols_;
        const size_t run = std::min(cols - jj, blockCols_ - within);
        copyFloats(row + jj, data_ + ptrdiff_t(block) * blockStride_ + ptrdiff_t(k0 + k) * rowStride_ + ptrdiff_t(within), run);
        jj += run;
      }
      if (cols < nr) zeroFloats(row + cols, nr - cols);
    }
  }
}

}  // namespace kiln::cpu
