// transposeTiled: the transpose tactic for 4-byte and 1-byte elements when the
// innermost dim moves, as attention's K^T ([seq, heads, d] -> [heads, d, seq]) or an
// int8 network's NCHW -> NHWC reformat of i8 codes. The generic kernel walks y in
// order and gathers every element with the source's large stride (~1.4 ns per
// element there); here the two dims that swap, y's last (L) and the one reading x's
// contiguous dim (J), are cut into 8x8 tiles: 8 source rows loaded as vectors,
// transposed in registers (transpose-tile.h: AVX2 for floats, SSE2 byte unpacks for
// bytes), stored as 8 output rows. Edge tiles and CPUs without AVX2 move scalars.
// ints: perm (as transpose's). floats: none.

#include <algorithm>
#include <memory>

#include "kernels.h"
#include "layer-check.h"
#include "transpose-tile.h"

namespace kiln::cpu {
namespace {

class TransposeTiledOp final : public LayerOp {
 public:
  // outer: the other dims' sizes with their source and destination strides (elements).
  TransposeTiledOp(uint32_t x, uint32_t y, bool bytes, size_t rowsJ, size_t colsL, size_t srcL, size_t dstJ,
                   std::vector<int64_t> outer, std::vector<int64_t> outerSrc, std::vector<int64_t> outerDst)
      : x_(x), y_(y), bytes_(bytes), rowsJ_(rowsJ), colsL_(colsL), srcL_(srcL), dstJ_(dstJ), outer_(std::move(outer)),
        outerSrc_(std::move(outerSrc)), outerDst_(std::move(outerDst)) {}

  void run(const RunContext& ctx) const override {
    if (bytes_) runAs<uint8_t>(ctx);
    else runAs<float>(ctx);
  }

 private:
  template <typename T>
  void runAs(const RunContext& ctx) const {
    const T* x = ctx.data<const T>(x_);
    T* y = ctx.data<T>(y_);
    uint64_t count = 1;
    for (int64_t d : outer_) count *= uint64_t(d);
    const size_t blocks = (rowsJ_ + 7) / 8;
    const bool vec = tile8x8Runs<T>();
    const size_t perItem = 8 * colsL_, grain = perItem >= 4096 ? 1 : 4096 / std::max<size_t>(perItem, 1);
    ctx.pool->parallelRanges(count * blocks, grain, [&](size_t b, size_t e) {
      for (size_t item = b; item < e; ++item) {
        int64_t so = 0, dO = 0;
        for (size_t d = outer_.size(), rest = item / blocks; d-- > 0; rest /= size_t(outer_[d])) {
          const int64_t coord = int64_t(rest % size_t(outer_[d]));
          so += coord * outerSrc_[d], dO += coord * outerDst_[d];
        }
        const size_t j0 = item % blocks * 8, rows = std::min<size_t>(8, rowsJ_ - j0);
        // y[dO + j * dstJ + l] = x[so + l * srcL + j] for j in [j0, j0 + rows).
        const T* src = x + so + j0;
        T* dst = y + dO + j0 * dstJ_;
        transposeRows8(src, srcL_, rows, colsL_, dst, dstJ_, vec);
      }
    });
  }

  uint32_t x_, y_;
  bool bytes_;
  size_t rowsJ_, colsL_, srcL_, dstJ_;
  std::vector<int64_t> outer_, outerSrc_, outerDst_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.floatCount(0, "(none)");
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const size_t rank = x.shape.size();
  if (c.ints().size() != rank) c.intCount(rank, "perm (one entry per input dim)");
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t p = c.intIn(i, 0, int64_t(rank) - 1, "perm entry");
    if (seen[size_t(p)]) c.fail(cat("kernel transposeTiled: perm repeats dim ", p));
    seen[size_t(p)] = true;
  }
  if (x.dtype != y.dtype || (dtypeSize(x.dtype) != 4 && dtypeSize(x.dtype) != 1))
    c.fail(cat("kernel transposeTiled moves 4-byte or 1-byte elements of one type, got ", LayerCheck::describe(x), " -> ",
               LayerCheck::describe(y)));
  Shape expect(rank);
  for (size_t i = 0; i < rank; ++i) expect[i] = x.shape[size_t(c.ints()[i])];
  if (y.shape != expect)
    c.fail(cat("kernel transposeTiled expects output ", typeString(y.dtype, expect), ", got ", LayerCheck::describe(y)));
  if (rank < 2 || size_t(c.ints()[rank - 1]) == rank - 1)
    c.fail(cat("kernel transposeTiled needs the innermost dim to move, got perm of rank ", rank, " ending in ",
               rank ? c.ints()[rank - 1] : 0));
  std::vector<int64_t> srcStride(rank, 1), dstStride(rank, 1);
  for (size_t i = rank - 1; i-- > 0;) {
    srcStride[i] = srcStride[i + 1] * x.shape[i + 1];
    dstStride[i] = dstStride[i + 1] * y.shape[i + 1];
  }
  // J: the output dim reading x's innermost dim (stride 1 in x); L: y's last dim.
  size_t J = 0;
  while (size_t(c.ints()[J]) != rank - 1) ++J;
  std::vector<int64_t> outer, outerSrc, outerDst;
  for (size_t i = 0; i + 1 < rank; ++i)
    if (i != J) {
      outer.push_back(y.shape[i]);
      outerSrc.push_back(srcStride[size_t(c.ints()[i])]);
      outerDst.push_back(dstStride[i]);
    }
  return std::make_unique<TransposeTiledOp>(c.inputId(0), c.outputId(0), dtypeSize(x.dtype) == 1, size_t(y.shape[J]), size_t(y.shape[rank - 1]),
                                            size_t(srcStride[size_t(c.ints()[rank - 1])]), size_t(dstStride[J]),
                                            std::move(outer), std::move(outerSrc), std::move(outerDst));
}

}  // namespace

KernelDef transposeTiledKernel() { return {"transposeTiled", false, validate}; }

}  // namespace kiln::cpu
