// QConv's GEMM on AMX (Intel's tile matrix unit: amx-tile + amx-int8), where the CPU
// has it and the OS grants the tile state (Linux: arch_prctl ARCH_REQ_XCOMP_PERM).
// C[cout][columns] = W[cout][K] * X[K][columns] with s8 weights and s8 activations
// (tdpbssd: no +128 shift, so no compensation), exact i32 sums, 2 x 2 tiles of 16
// channels x 16 pixels a step: one tdpbssd does 16 x 16 x 64 products where a zmm
// vpdpbusd does 16 x 4. The weights are tile A (16 channel rows x 64 k); the
// activations tile B, packed per 16 pixels as quads of k ([K/4][16 pixels][4], the
// layout of the 4 x 24 tile's B with 16 pixels), so the sums come out as rows of
// channels over pixels: NCHW rows for the epilogue.
// Layouts, by 64-k chunks (kc of them, K zero-padded):
//   A: [block of 16 channels][kc][16 rows][64], blocks padded to an even count;
//   B: [tile of 16 pixels][kc][16 quads][16 pixels][4].
#pragma once

#include <cstddef>
#include <cstdint>

#include "activation.h"
#include "int8-nhwc.h"

namespace kiln::cpu {

// True where AMX int8 runs here (cpuid, AVX-512 for the epilogue, and the OS grant,
// asked once); KILN_INT8_AMX=0 says false (tests and timing of the other paths).
bool amxInt8Usable();

inline constexpr size_t kAmxTileBytes = 1024;  // 16 rows x 64 bytes

inline size_t amxChunks(size_t k) { return (k + 63) / 64; }
inline size_t amxBlocks(size_t cout) { return (cout + 31) / 32 * 2; }

// Weights [cout][k] -> A (amxBlocks(cout) * amxChunks(k) tiles).
void amxPackWeights(const int8_t* w, size_t cout, size_t k, int8_t* a);

// Columns [c0, c0 + 16) of X (k rows of `stride` bytes, `columns` of them real: the
// rest read as 0) -> one B tile run of amxChunks(k) tiles.
void amxPackColumns(const int8_t* x, size_t stride, size_t k, size_t c0, size_t columns, int8_t* b);

// Columns [c0, c0 + 16) of a stride-1, dilation-1 window straight from NCHW x (its
// im2col never written): column c is output pixel c % pixels of image c / pixels, and
// tap k = (ic, ky, kx) reads x[image][ic][oy + ky - padTop][ox + kx - padLeft], 0
// outside the plane. The same tile run as amxPackColumns.
inline constexpr size_t kAmxWindowMax = 16;  // kh, kw at most this (wider windows: im2col)
struct AmxWindow {
  size_t cin, h, w, kh, kw, ow, padTop, padLeft, pixels, columns;
};
void amxPackWindow(const int8_t* x, const AmxWindow& g, size_t c0, int8_t* b);

// acc[32][32] (rows: channels 0-15 from a0, 16-31 from a1; columns: pixels 0-15 from
// b0, 16-31 from b1) = the exact sums over kc chunks.
void amxTile2x2(const int8_t* a0, const int8_t* a1, const int8_t* b0, const int8_t* b1, size_t kc, int32_t* acc);

// The epilogue of QConv (the interpreter's float steps, as int8FinishAvx2): for
// channel rows r < rows of acc[32][32] (channel o0 + r) and its columns j < count
// (column c0 + j, c0 in the GEMM's joined columns of `pixels` per image from image
// n0): v = f32(acc) * multiplier[o] + bias[o], the activation, then f32 or i8 =
// saturate(round_half_even(v / outScale)) into NCHW y.
struct AmxEpilogue {
  const float* multiplier;
  const float* bias;  // null: none
  Activation act;
  float outScale;     // 0: f32 output
  void* y;
  size_t cout, pixels, n0;
};
void amxFinish(const int32_t* acc, size_t rows, size_t count, size_t o0, size_t c0, const AmxEpilogue& e);

// qmatmul on AMX (int8-matmul.cc): y[M][N] = x[M][K] * w[N][K]^T, NHWC rows. The
// pixels are tile A (16 rows x 64 k, packed per task with zero padding), the weights
// tile B as quads ([K/4][16 channels][4]), so amxTile2x2's acc is [32 pixels][32
// channels]: output rows.
// Weights [n][k] -> B: [block of 16 channels][kc][16 quads][16][4], blocks padded to even.
void amxPackMatMulWeights(const int8_t* w, size_t n, size_t k, int8_t* b);
// `rows` rows of x (k bytes each) -> A tiles [tile][kc][16][64], zero past the rows and
// past k, for `tiles` tiles.
void amxPackRows(const int8_t* x, size_t k, size_t rows, size_t tiles, int8_t* a);

// qmatmul's epilogue in the float steps of int8-matmul-avx2.cc (bit for bit the
// interpreter's): v = f32(acc) * multiplier[c] + bias[c], plus the residual (f32, or
// f32(i8) * residualScale), the activation, then f32 out or i8 = saturate(round(min(127,
// v * (1 / outScale)))). acc rows r < rows are pixels r0 + r, columns j < count channels
// c0 + j.
struct AmxMatMulEpilogue {
  Int8ChannelEpilogue values;  // comp unused (s8 x s8 sums need none); arrays indexed from channel 0
  void* y;
  size_t n;
};
void amxMatMulFinish(const int32_t* acc, size_t rows, size_t count, size_t r0, size_t c0, const AmxMatMulEpilogue& e);

}  // namespace kiln::cpu
