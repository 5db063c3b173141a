// Packing of GEMM operands into the panel layouts the micro-kernels read
// (see sgemm-micro.h). Edge panels are zero-padded to full MR / NR so the
// micro-kernel never needs bounds checks.
#pragma once

#include <cstddef>

#include "sgemm.h"

namespace kiln::cpu {

// Rows [i0, i0+mc) x columns [k0, k0+kc) of A into ceil(mc/mr) panels of
// kc x mr: dst[p*kc*mr + k*mr + i].
void packA(const MatrixRef& a, size_t i0, size_t mc, size_t k0, size_t kc, size_t mr, float* dst);

// B given as a strided matrix (the common case: gemm operands, 1x1 convs).
class StridedPanelSource final : public PanelSource {
 public:
  explicit StridedPanelSource(const MatrixRef& b) : b_(b) {}
  void pack(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const override;

 private:
  MatrixRef b_;
};

// B whose columns come in blocks (a 1x1 conv over several images): column j
// of row k is at data + (j / blockCols) * blockStride + k * rowStride + j % blockCols.
class BlockedColumnsSource final : public PanelSource {
 public:
  BlockedColumnsSource(const float* data, ptrdiff_t rowStride, size_t blockCols, ptrdiff_t blockStride)
      : data_(data), rowStride_(rowStride), blockCols_(blockCols), blockStride_(blockStride) {}
  void pack(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const override;

 private:
  const float* data_;
  ptrdiff_t rowStride_;
  size_t blockCols_;
  ptrdiff_t blockStride_;
};

}  // namespace kiln::cpu
