// Implicit im2col for conv: B[k][j] = x[c][iz][iy][ix] of the input window
// that output position j sees through kernel tap k (zero in the padding),
// produced panel by panel straight into the GEMM's packing buffer. The full
// im2col matrix (k x spatial, often many MB) is never materialized.
#pragma once

#include <cstdint>
#include <vector>

#include "sgemm.h"
#include "window.h"

namespace kiln::cpu {

// Per-layer tables, built once at load: where each row k and each column j of
// B starts in the input. Shared read-only by all runs.
// Strided convs first split each input row by stride phase (phase-split.h),
// padding included, so a run of outputs reads one contiguous stretch of a
// phase instead of gathering every sW-th element.
class Im2colTables {
 public:
  Im2colTables(const Window3& w, int64_t channels);

  bool split() const { return strideW_ > 1; }
  // Floats of one (image, group) input in the split layout.
  size_t splitFloats() const { return size_t(channels_ * inD_ * inH_ * rowStride_); }
  // Channel c of one (image, group) input x (planes of the input's volume) into dst.
  void splitChannel(const float* x, int64_t c, float* dst) const;

 private:
  friend class Im2colSource;
  int64_t inD_, inH_, inW_, strideW_;
  int64_t channels_, padLeft_, phaseLen_, rowStride_;
  std::vector<int64_t> kSplit_;             // split layout: row k's channel and tap offset
  std::vector<int32_t> jOx_;                // split layout: column j's output x
  std::vector<int64_t> kChannel_;           // element offset of row k's channel
  std::vector<int32_t> kz_, ky_, kx_;       // row k's dilated tap offset
  std::vector<int32_t> jz_, jy_, jx_;       // column j's window origin (may be negative)
  std::vector<uint32_t> jRowEnd_;           // first column after j's output row
};

// B of one conv group over `images` images side by side (columns of image n
// follow those of image n-1); image n's input is at x + n * imageStride: the
// input, or its split layout when the tables split().
class Im2colSource final : public PanelSource {
 public:
  Im2colSource(const Im2colTables& tables, const float* x, ptrdiff_t imageStride = 0)
      : t_(&tables), x_(x), imageStride_(imageStride), imageCols_(tables.jz_.size()) {}
  void pack(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const override;

 private:
  // One run of a panel: consecutive columns of one output row of one image.
  // A panel's runs are the same for every row k of B, so they are found once.
  struct Run {
    uint32_t col, len;
    int32_t z, y, x;  // the first column's window origin (x: output x in the split layout)
    const float* image;
  };
  static constexpr size_t kMaxPanelCols = 64;  // >= every micro-kernel's NR

  void packSplit(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const;
  // The runs of the cols-column panel starting at global column jBase; returns how many.
  size_t panelRuns(size_t jBase, size_t cols, bool split, Run* runs) const;

  const Im2colTables* t_;
  const float* x_;
  ptrdiff_t imageStride_;
  size_t imageCols_;
};

}  // namespace kiln::cpu
