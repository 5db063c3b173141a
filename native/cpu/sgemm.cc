// The GEMM driver: Goto/BLIS loop nest over one tile of C.
//   for jc in tile columns, step NC:      B block = k x NC
//     for pc in 0..k, step KC:            pack B[pc:pc+KC, jc:jc+NC] -> L2/L3
//       for ic in tile rows, step MC:     pack A[ic:ic+MC, pc:pc+KC] -> L2
//         for jr step NR, ir step MR:     micro-kernel on an MR x NR tile of C
// The first KC block overwrites C, later ones accumulate; after the last one
// the epilogue (bias, activation) runs on the tile while it is in L1.
#include "sgemm.h"

#include <algorithm>

#include "../aligned-buffer.h"
#include "epilogue.h"
#include "sgemm-micro.h"
#include "sgemm-pack.h"
#include "sgemm-tiling.h"

namespace kiln::cpu {
namespace {

// Packing buffers per thread, reused across layers and runs: pool workers and
// the calling thread each keep theirs for their lifetime.
struct PackBuffers {
  AlignedBuffer a, b;
};
thread_local PackBuffers tBuffers;

size_t roundUp(size_t v, size_t m) { return (v + m - 1) / m * m; }

// Floats of packed B kept in L2 per KC block when A is prepacked (192 KiB).
constexpr size_t kL2BlockFloats = 48 * 1024;

// One MR x NR tile of C, through a stack buffer when it is cut by the edge.
inline void microTile(const MicroKernel& mk, size_t kc, const float* a, const float* b, float* c, size_t ldc,
                      size_t rows, size_t cols, bool accumulate) {
  if (rows == mk.mr && cols == mk.nr) {
    mk.fn(kc, a, b, c, ldc, accumulate);
    return;
  }
  alignas(64) float tmp[kMaxMr * kMaxNr];
  if (accumulate)
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < cols; ++j) tmp[i * mk.nr + j] = c[i * ldc + j];
  mk.fn(kc, a, b, tmp, mk.nr, accumulate);
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) c[i * ldc + j] = tmp[i * mk.nr + j];
}

// Where element (row, col) of a problem's C lives (see GemmProblem::cBlockCols).
inline float* cAt(const GemmProblem& p, size_t row, size_t col) {
  if (!p.cBlockCols) return p.c + row * p.ldc + col;
  return p.c + ptrdiff_t(col / p.cBlockCols) * p.cBlockStride + ptrdiff_t(row * p.ldc + col % p.cBlockCols);
}

// A tile whose columns cross a block boundary of C: through a stack tile,
// gathered when accumulating, with the epilogue applied before the scatter.
void scatteredTile(const MicroKernel& mk, const GemmProblem& p, size_t kc, const float* a, const float* b, size_t row0,
                   size_t col0, size_t rows, size_t cols, bool accumulate, bool epilogue) {
  alignas(64) float tmp[kMaxMr * kMaxNr];
  if (accumulate)
    for (size_t j = 0; j < cols; ++j) {
      const float* c = cAt(p, row0, col0 + j);
      for (size_t i = 0; i < rows; ++i) tmp[i * mk.nr + j] = c[i * p.ldc];
    }
  mk.fn(kc, a, b, tmp, mk.nr, accumulate);
  if (epilogue) applyEpilogue(p.epilogue, tmp, mk.nr, rows, cols, row0, col0);
  for (size_t j = 0; j < cols; ++j) {
    float* c = cAt(p, row0, col0 + j);
    for (size_t i = 0; i < rows; ++i) c[i * p.ldc] = tmp[i * mk.nr + j];
  }
}

// Depth of the KC blocks: K cut into the fewest blocks of at most the
// kernel's KC, all of one depth (576 = 3 x 192, not 256 + 256 + 64: a short
// last block pays the tile's load and store for few multiply-adds). The
// prepacked layouts use it too, so they and the driver agree.
size_t kcFor(const MicroKernel& mk, size_t k) {
  const size_t blocks = std::max<size_t>(1, (k + mk.kc - 1) / mk.kc);
  return (k + blocks - 1) / blocks;
}

// Columns of B packed per KC block. With A packed at load (conv weights) a
// narrow block costs nothing extra, and one that stays in L2 between its
// packing and its last use is read back cheaply; otherwise the kernel's NC
// amortizes packing A over more columns.
size_t ncFor(const MicroKernel& mk, const GemmProblem& p) {
  if (!p.aPacked) return mk.nc;
  const size_t kc = std::min(kcFor(mk, p.k), p.k);
  return std::min(mk.nc, std::max(mk.nr, (kL2BlockFloats / std::max<size_t>(kc, 1)) / mk.nr * mk.nr));
}

void runTile(const MicroKernel& mk, const GemmProblem& p, const GemmTile& t) {
  const size_t tileN = t.n1 - t.n0;
  const size_t ncBlock = ncFor(mk, p);
  const size_t ncMax = std::min(ncBlock, roundUp(tileN, mk.nr));
  const size_t kcBlock = kcFor(mk, p.k);
  const size_t kcMax = std::min(kcBlock, p.k);
  const size_t mcMax = std::min(mk.mc, roundUp(t.m1 - t.m0, mk.mr));
  PackBuffers& buf = tBuffers;
  if (!p.aPacked) buf.a.ensure(roundUp(mcMax, mk.mr) * kcMax * sizeof(float));
  if (!p.bPacked) buf.b.ensure(ncMax * kcMax * sizeof(float));
  float* const aBuffer = buf.a.as<float>();
  float* const bBuffer = buf.b.as<float>();
  // Prepacked operands: the KC block starting at pc begins at pc * (padded
  // rows or columns), and tiles start on MR / NR boundaries.
  const size_t mPadded = roundUp(p.m, mk.mr), nPadded = roundUp(p.n, mk.nr);

  const StridedPanelSource strided(p.b);
  const PanelSource& bSource = p.bSource ? *p.bSource : static_cast<const PanelSource&>(strided);
  const bool hasEpilogue = !epilogueIsEmpty(p.epilogue);
  // Bias with none, relu or clip fits the micro-kernel's fused epilogue.
  const Act act = p.epilogue.act.kind;
  const bool fusable = mk.withEpilogue && !p.epilogue.residual && (act == Act::none || act == Act::relu || act == Act::clip);
  const int clamp = act == Act::relu ? 1 : act == Act::clip ? 2 : 0;
  const float lo = act == Act::clip ? p.epilogue.act.alpha : 0.f, hi = p.epilogue.act.beta;

  for (size_t jc = t.n0; jc < t.n1; jc += ncBlock) {
    const size_t nc = std::min(ncBlock, t.n1 - jc);
    for (size_t pc = 0; pc < p.k; pc += kcBlock) {
      const size_t kc = std::min(kcBlock, p.k - pc);
      const bool accumulate = pc > 0;
      const bool last = pc + kc == p.k;
      const float* packedB = bBuffer;
      if (p.bPacked) packedB = p.bPacked + pc * nPadded + jc * kc;
      else bSource.pack(pc, kc, jc, nc, mk.nr, bBuffer);
      for (size_t ic = t.m0; ic < t.m1; ic += mk.mc) {
        const size_t mc = std::min(mk.mc, t.m1 - ic);
        const float* packedA = aBuffer;
        if (p.aPacked) packedA = p.aPacked + pc * mPadded + ic * kc;
        else packA(p.a, ic, mc, pc, kc, mk.mr, aBuffer);
        for (size_t jr = 0; jr < nc; jr += mk.nr) {
          const size_t cols = std::min(mk.nr, nc - jr);
          const float* bPanel = packedB + jr * kc;
          const size_t col = jc + jr;
          const bool oneBlock = !p.cBlockCols || col % p.cBlockCols + cols <= p.cBlockCols;
          if (mk.cols && cols <= mk.colsMax && cols < mk.nr && oneBlock) {
            float* c = cAt(p, ic, col);
            mk.cols(kc, packedA, mk.mr, mc, bPanel, mk.nr, cols, c, p.ldc, accumulate);
            if (last && hasEpilogue) applyEpilogue(p.epilogue, c, p.ldc, mc, cols, ic, col);
            continue;
          }
          for (size_t ir = 0; ir < mc; ir += mk.mr) {
            const size_t rows = std::min(mk.mr, mc - ir);
            if (!oneBlock) {
              scatteredTile(mk, p, kc, packedA + ir * kc, bPanel, ic + ir, col, rows, cols, accumulate,
                            last && hasEpilogue);
              continue;
            }
            float* c = cAt(p, ic + ir, col);
            if (last && hasEpilogue && fusable && rows == mk.mr && cols == mk.nr) {
              const float* bias = p.epilogue.bias;
              const bool perRow = p.epilogue.biasPerRow;
              mk.withEpilogue(kc, packedA + ir * kc, bPanel, c, p.ldc, accumulate,
                              bias && perRow ? bias + ic + ir : nullptr, bias && !perRow ? bias + jc + jr : nullptr,
                              lo, hi, clamp);
              continue;
            }
            microTile(mk, kc, packedA + ir * kc, bPanel, c, p.ldc, rows, cols, accumulate);
            if (last && hasEpilogue) applyEpilogue(p.epilogue, c, p.ldc, rows, cols, ic + ir, jc + jr);
          }
        }
      }
    }
  }
}

}  // namespace

AlignedBuffer prepackA(const MatrixRef& a, size_t m, size_t k, MicroTile tile) {
  const MicroKernel& mk = microKernelFor(int(tile));
  const size_t mPadded = roundUp(m, mk.mr);
  AlignedBuffer out(mPadded * k * sizeof(float));
  const size_t kcBlock = kcFor(mk, k);
  for (size_t pc = 0; pc < k; pc += kcBlock)
    packA(a, 0, m, pc, std::min(kcBlock, k - pc), mk.mr, out.as<float>() + pc * mPadded);
  return out;
}

AlignedBuffer prepackB(const MatrixRef& b, size_t k, size_t n, MicroTile tile) {
  const MicroKernel& mk = microKernelFor(int(tile));
  const size_t nPadded = roundUp(n, mk.nr);
  AlignedBuffer out(nPadded * k * sizeof(float));
  const StridedPanelSource source(b);
  const size_t kcBlock = kcFor(mk, k);
  for (size_t pc = 0; pc < k; pc += kcBlock)
    source.pack(pc, std::min(kcBlock, k - pc), 0, n, mk.nr, out.as<float>() + pc * nPadded);
  return out;
}

void sgemmBatch(ThreadPool& pool, const GemmProblem* problems, size_t count) {
  if (count == 0) return;
  const MicroKernel& mk = microKernelFor(int(problems[0].tile));
  const std::vector<GemmTile> tiles = planTiles(problems, count, pool.threads(), mk.mr, mk.nr, mk.cols ? mk.colsMax : 0);
  pool.parallelFor(tiles.size(), [&](size_t i) { runTile(mk, problems[tiles[i].problem], tiles[i]); });
}

}  // namespace kiln::cpu
