// What the f32 gemm-family kernels (gemm, gemmRows, gemv, gemmBatched) read from a
// layer, checked once here: the parameters ints [transA, transB, activationCode,
// hasBias(, hasResidual)] and floats [alpha, beta] with their operands; for the
// kernels over broadcast batch dims (gemm, gemmBatched) the shapes and each entry's
// offsets, for those over the rows of a against one 2-D b (gemmRows, gemv) the shapes.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "activation.h"
#include "layer-check.h"

namespace kiln::cpu {

struct GemmParams {
  bool transA = false, transB = false, hasBias = false;
  int64_t residual = -1;  // the fused residual's tensor id, or -1
  Activation act;
};

// The parameters and operand count (a, b, optional bias, optional residual), all f32.
GemmParams readGemmParams(const LayerCheck& c);

struct BatchedGemm {
  int64_t m = 0, n = 0, k = 0;
  std::vector<std::pair<int64_t, int64_t>> offsets;  // element offsets of a and b per batch entry
};

// y[..., M, N] = op(a)[..., M, K] * op(b)[..., K, N] with numpy broadcasting of the
// leading dims: checks ranks, inner dims, the output, the bias length and at most
// 2^24 entries; failures name `kernel`.
BatchedGemm checkBatchedGemm(const LayerCheck& c, const GemmParams& p, const char* kernel);

// A checked batched gemm layer as its kernels keep it: operand tensor ids, sizes, flags
// and each entry's offsets (gemm and gemmBatched run it differently).
struct BatchedGemmLayer {
  BatchedGemmLayer(const LayerCheck& c, const GemmParams& p, BatchedGemm g);
  uint32_t a, b, y;
  int64_t bias, residual;  // tensor ids, or -1
  size_t m, n, k;
  bool transA, transB;
  Activation act;
  std::vector<std::pair<int64_t, int64_t>> offsets;  // element offsets of a and b per batch entry
};

struct RowsGemm {
  int64_t rows = 0, n = 0, k = 0;  // rows: every row of a, its leading dims flattened
};

// y[..., N] = a[..., K] * op(b)[K, N] for an a of rank >= 2 and a b of rank 2 (the
// kernel has checked both, with its own needs): checks the inner dim, the output and
// the bias length; failures name `kernel`.
RowsGemm checkRowsGemm(const LayerCheck& c, const GemmParams& p, const char* kernel);

}  // namespace kiln::cpu
