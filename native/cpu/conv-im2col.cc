// See conv-im2col.h. Columns of one output row map to input positions spaced
// by the stride along x, so each panel row is filled run by run: a bounds
// check per run, a clipped (strided) copy inside it.
#include "conv-im2col.h"

#include <algorithm>
#include <cstring>

#include "copy-small.h"
#include "phase-split.h"

namespace kiln::cpu {

Im2colTables::Im2colTables(const Window3& w, int64_t channels)
    : inD_(w.in[0]), inH_(w.in[1]), inW_(w.in[2]), strideW_(w.stride[2]), channels_(channels), padLeft_(w.padBegin[2]) {
  // Positions of the last window plus one of slack, per phase.
  phaseLen_ = ((w.out[2] - 1) * w.stride[2] + (w.kernel[2] - 1) * w.dilation[2]) / w.stride[2] + 2;
  rowStride_ = strideW_ * phaseLen_;
  const int64_t taps = w.kernelVolume();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t kx = t % w.kernel[2], ky = (t / w.kernel[2]) % w.kernel[1], kz = t / (w.kernel[2] * w.kernel[1]);
      const int64_t dx = kx * w.dilation[2];
      kSplit_.push_back(c * inD_ * inH_ * rowStride_ + (dx % strideW_) * phaseLen_ + dx / strideW_);
      kChannel_.push_back(c * w.inVolume());
      kz_.push_back(static_cast<int32_t>(kz * w.dilation[0]));
      ky_.push_back(static_cast<int32_t>(ky * w.dilation[1]));
      kx_.push_back(static_cast<int32_t>(kx * w.dilation[2]));
    }
  for (int64_t oz = 0; oz < w.out[0]; ++oz)
    for (int64_t oy = 0; oy < w.out[1]; ++oy) {
      const uint32_t rowEnd = static_cast<uint32_t>(jz_.size() + w.out[2]);
      for (int64_t ox = 0; ox < w.out[2]; ++ox) {
        jz_.push_back(static_cast<int32_t>(oz * w.stride[0] - w.padBegin[0]));
        jy_.push_back(static_cast<int32_t>(oy * w.stride[1] - w.padBegin[1]));
        jx_.push_back(static_cast<int32_t>(ox * w.stride[2] - w.padBegin[2]));
        jOx_.push_back(static_cast<int32_t>(ox));
        jRowEnd_.push_back(rowEnd);
      }
    }
}

void Im2colTables::splitChannel(const float* x, int64_t c, float* dst) const {
  const float* plane = x + c * inD_ * inH_ * inW_;
  float* out = dst + c * inD_ * inH_ * rowStride_;
  for (int64_t r = 0; r < inD_ * inH_; ++r)
    phaseSplitRow(plane + r * inW_, inW_, padLeft_, strideW_, phaseLen_, 0.f, out + r * rowStride_);
}

size_t Im2colSource::panelRuns(size_t jBase, size_t cols, bool split, Run* runs) const {
  const Im2colTables& t = *t_;
  size_t n = jBase / imageCols_, j = jBase - n * imageCols_, count = 0;
  for (size_t jj = 0; jj < cols;) {
    const size_t len = std::min<size_t>(t.jRowEnd_[j] - j, cols - jj);
    runs[count++] = {uint32_t(jj), uint32_t(len), t.jz_[j], t.jy_[j], split ? t.jOx_[j] : t.jx_[j],
                     x_ + ptrdiff_t(n) * imageStride_};
    jj += len;
    j += len;
    if (j == imageCols_) j = 0, ++n;
  }
  return count;
}

// Split layout: the padding is in the rows, so every in-range row is one copy.
void Im2colSource::packSplit(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const {
  const Im2colTables& t = *t_;
  Run runs[kMaxPanelCols];
  for (size_t p = 0; p * nr < nc; ++p) {
    const size_t cols = std::min(nr, nc - p * nr);
    float* panel = dst + p * kc * nr;
    const size_t count = panelRuns(j0 + p * nr, cols, true, runs);
    for (size_t kk = 0; kk < kc; ++kk) {
      const size_t k = k0 + kk;
      float* row = panel + kk * nr;
      for (size_t r = 0; r < count; ++r) {
        const Run& run = runs[r];
        const int64_t iz = run.z + t.kz_[k], iy = run.y + t.ky_[k];
        if (iz < 0 || iz >= t.inD_ || iy < 0 || iy >= t.inH_) zeroFloats(row + run.col, run.len);
        else copyFloats(row + run.col, run.image + t.kSplit_[k] + (iz * t.inH_ + iy) * t.rowStride_ + run.x, run.len);
      }
      if (cols < nr) zeroFloats(row + cols, nr - cols);
    }
  }
}

// Unstrided windows (strided ones take the split path): each run is a copy
// clipped to the image, zeros in the padding.
void Im2colSource::pack(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const {
  const Im2colTables& t = *t_;
  if (t.split()) return packSplit(k0, kc, j0, nc, nr, dst);
  const int64_t D = t.inD_, H = t.inH_, W = t.inW_;
  Run runs[kMaxPanelCols];
  for (size_t p = 0; p * nr < nc; ++p) {
    const size_t cols = std::min(nr, nc - p * nr);
    float* panel = dst + p * kc * nr;
    const size_t count = panelRuns(j0 + p * nr, cols, false, runs);
    for (size_t kk = 0; kk < kc; ++kk) {
      const size_t k = k0 + kk;
      const int64_t dz = t.kz_[k], dy = t.ky_[k], dx = t.kx_[k];
      const int64_t channel = t.kChannel_[k];
      float* row = panel + kk * nr;
      for (size_t r = 0; r < count; ++r) {
        const Run& run = runs[r];
        const int64_t iz = run.z + dz, iy = run.y + dy;
        float* out = row + run.col;
        const int64_t ix0 = run.x + dx;
        // Positions c with 0 <= ix0 + c < W are inside the image.
        const int64_t lo = std::max<int64_t>(0, -ix0), hi = std::min<int64_t>(run.len, W - ix0);
        if (iz < 0 || iz >= D || iy < 0 || iy >= H || lo >= hi) {
          zeroFloats(out, run.len);
          continue;
        }
        zeroFloats(out, size_t(lo));
        copyFloats(out + lo, run.image + channel + (iz * H + iy) * W + ix0 + lo, size_t(hi - lo));
        zeroFloats(out + hi, run.len - size_t(hi));
      }
      if (cols < nr) zeroFloats(row + cols, nr - cols);
    }
  }
}

}  // namespace kiln::cpu
