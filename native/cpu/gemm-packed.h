// The packed-B GEMM of the gemmPacked kernel: C[m x n] = A[m x k] * B[k x n] with
// a constant B packed once (16-column panels per K block) and shared by every
// layer op that reads the same weights, so a dynamic plan's new shape sets and
// the autotuner's trial runs never pack it again. A is read in place (row-major,
// any row stride): with the small M of transformer layers (batch x seq rows)
// packing A costs as much as it saves. The epilogue (bias, residual, relu, clip,
// leakyRelu and GELU's erf form) is applied in registers on the last K block,
// while the tile is still in them. Panels go to threads as (row chunk, column
// chunk) tasks, several per thread, so a preempted thread's share is small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "../aligned-buffer.h"
#include "../thread-pool.h"
#include "activation.h"
#include "sgemm.h"

namespace kiln::cpu {

// Panel width of the packed B (two AVX2 vectors) and the most rows of one register tile.
inline constexpr size_t kPackedNr = 16;
inline constexpr size_t kPackedMr = 6;

struct PackedB {
  size_t k = 0, n = 0;
  size_t kc = 0;      // rows of B per K block (the last may be shorter)
  size_t panels = 0;  // ceil(n / 16)
  AlignedBuffer data;  // K block at pc * panels * 16, its panel j at + j * kcb * 16 (kcb = that block's rows)
};

// B (k x n, element (i, j) at b.at(i, j)) packed, or the one packed earlier from the
// same memory and layout while any op still holds it.
std::shared_ptr<const PackedB> sharedPackedB(const MatrixRef& b, size_t k, size_t n);

struct PackedGemm {
  size_t m = 0;
  const float* a = nullptr;  // m x k, row i at a + i * lda
  size_t lda = 0;
  const PackedB* b = nullptr;
  float* c = nullptr;  // m x n, row i at c + i * ldc
  size_t ldc = 0;
  const float* bias = nullptr;      // n values or null
  const float* residual = nullptr;  // m x n at residual + i * ldr, or null
  size_t ldr = 0;
  Activation act;
};

void packedGemm(ThreadPool& pool, const PackedGemm& g);

// The pieces the packed-B kernels share (gemmPacked, gemmBatched): rows [k0, k0+kc)
// of b (columns [0, n)) packed as 16-column panels, panel j at out + j * kc * 16,
// columns past n zero;
void packPanels(const MatrixRef& b, size_t k0, size_t kc, size_t n, float* out);

// and rows [0, rows) of C (row i at c + i * ldc) against panels [j0, j1) of one such
// block: C = (accumulate ? C : 0) + A * block, with A's row i at a + i * lda, then,
// when ep is non-null (the last K block), bias (n values, at column 0), residual
// (row i at residual + i * ldr, column 0) and the activation.
struct PanelEpilogue {
  const float* bias;
  const float* residual;
  size_t ldr;
  Activation act;
};
void sweepPanels(const float* a, size_t lda, size_t rows, const float* block, size_t kc, size_t j0, size_t j1, size_t n,
                 float* c, size_t ldc, bool accumulate, const PanelEpilogue* ep);

// Name of the register tile in use ("avx2-6x16" or "generic"), for tests.
const char* packedGemmKernelName();

}  // namespace kiln::cpu

namespace kiln::cpu {
struct KernelDef;
class LayerCheck;
class LayerOp;
struct GemmParams;
struct RowsGemm;
struct BatchedGemm;
KernelDef gemmPackedKernel();  // kernel-gemm-packed.cc
// True for a layer gemmPacked can run (transA 0, a of rank >= 2, b constant 2-D
// weights); gemm and gemmRows run such layers on it too, so whichever of them a
// noisy autotune picks, constant weights get the packed-B path.
bool runsPacked(const LayerCheck& c, const GemmParams& p);
// The gemmPacked op for a layer runsPacked accepts, its shapes checked by the caller.
std::unique_ptr<LayerOp> makeGemmPackedOp(const LayerCheck& c, const GemmParams& p, const RowsGemm& g);
// Likewise gemm runs a b per batch entry of at most kBatchedMaxKn elements (K x N,
// attention's K^T and V; the gemm-batched tactic's condition in codegen/cpu/tactics.ts)
// on gemmBatched (kernel-gemm-batched.cc).
inline constexpr uint64_t kBatchedMaxKn = 65536;
bool runsBatched(const LayerCheck& c, const BatchedGemm& g);
std::unique_ptr<LayerOp> makeGemmBatchedOp(const LayerCheck& c, const GemmParams& p, BatchedGemm g);
}  // namespace kiln::cpu
