// The single-precision GEMM every matrix-shaped kernel (conv, gemm) runs on:
// C[m x n] = A[m x k] * B[k x n], then bias and activation in the epilogue.
// Blocked in the Goto/BLIS way: B is packed into KC x NR panels, A into
// MR x KC panels, and a register-blocked micro-kernel (AVX-512 / AVX2+FMA /
// portable, chosen at run time) computes MR x NR tiles of C. Work is split
// into 2-D tiles of C that threads take independently, each with its own
// packing buffers (sgemm-tiling.h); constant operands can be packed once at
// load (prepackA / prepackB) and are then read in place.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../aligned-buffer.h"
#include "../thread-pool.h"
#include "activation.h"

namespace kiln::cpu {

// Element (i, j) lives at data[i * rowStride + j * colStride]; a transposed
// operand is the same memory with the strides swapped.
struct MatrixRef {
  const float* data = nullptr;
  ptrdiff_t rowStride = 0;
  ptrdiff_t colStride = 1;
  float at(size_t i, size_t j) const { return data[ptrdiff_t(i) * rowStride + ptrdiff_t(j) * colStride]; }
};

// Produces B's packed panels on demand. Conv implements it to build im2col
// panels straight from the image, so the full im2col matrix never exists.
class PanelSource {
 public:
  virtual ~PanelSource() = default;
  // Writes rows [k0, k0+kc) x columns [j0, j0+nc) as ceil(nc/nr) panels; panel
  // p holds dst[p*kc*nr + k*nr + j], columns past nc zero-filled.
  virtual void pack(size_t k0, size_t kc, size_t j0, size_t nc, size_t nr, float* dst) const = 0;
};

// The register tile a GEMM runs on: the CPU's standard one (AVX2 6x16), or
// the wide 4x24 (AVX2 only; elsewhere the same as standard), a tactic for row
// counts that are multiples of 4 but not of 6. Prepacked operands are laid
// out for one tile and must run on it.
enum class MicroTile : int { standard = 0, wide = 1 };

struct Epilogue {
  const float* bias = nullptr;  // none when null
  bool biasPerRow = false;      // conv: one bias per output channel (row of C)
  Activation act;
  // A fused residual added after the bias, before the activation: element (i, j)
  // of C adds residual[i * ldr + j], or with rBlockCols > 0 (C's column blocks)
  // residual[(j / rBlockCols) * rBlockStride + i * ldr + j % rBlockCols].
  const float* residual = nullptr;
  size_t ldr = 0;
  size_t rBlockCols = 0;
  ptrdiff_t rBlockStride = 0;
};

// Operands can come in three forms, picked per operand: a strided matrix
// (packed on the fly), a PanelSource (B only), or panels packed once at load
// by prepackA/prepackB (constant weights), which the driver reads in place.
struct GemmProblem {
  size_t m = 0, n = 0, k = 0;
  MatrixRef a;                         // used when aPacked is null
  const float* aPacked = nullptr;
  MatrixRef b;                         // used when bPacked and bSource are null
  const PanelSource* bSource = nullptr;
  const float* bPacked = nullptr;
  float* c = nullptr;
  size_t ldc = 0;
  // Columns in blocks (a conv over several images, one block per image): when
  // cBlockCols > 0, column j of C lives at c + (j / cBlockCols) * cBlockStride
  // + j % cBlockCols, rows ldc apart within a block.
  size_t cBlockCols = 0;
  ptrdiff_t cBlockStride = 0;
  Epilogue epilogue;
  MicroTile tile = MicroTile::standard;  // every problem of one sgemmBatch call has the same
};

// Packs a whole constant operand (m x k of A, or k x n of B) in the layout of
// the active micro-kernel: per KC block of k, every MR (NR) panel in order.
AlignedBuffer prepackA(const MatrixRef& a, size_t m, size_t k, MicroTile tile = MicroTile::standard);
AlignedBuffer prepackB(const MatrixRef& b, size_t k, size_t n, MicroTile tile = MicroTile::standard);

// Runs every problem (they must not write overlapping C) on the pool's threads.
void sgemmBatch(ThreadPool& pool, const GemmProblem* problems, size_t count);

// Name of the micro-kernel in use ("avx512-12x32", "avx2-6x16", "generic-4x8"),
// for diagnostics and tests.
const char* sgemmKernelName();

}  // namespace kiln::cpu
