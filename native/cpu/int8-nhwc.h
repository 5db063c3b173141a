// The int8 cores of the NHWC layers (qmatmul, qconv-nhwc; int8-matmul.cc,
// int8-depthwise.cc), with a portable version of each and an AVX2 one
// (int8-nhwc-avx2.cc and int8-matmul-avx2.cc, reached only after the cpuid check).
//
// 1. qmatmul's tile: C[5 pixels][16 channels] = A[5][K] * B[K][16] - comp, all in
//    registers, straight through the channel epilogue (3.) into the output rows. A is a
//    panel of pixel rows shifted to u8 (x ^ 0x80) and zero-padded to a multiple of 4 k
//    (packPixels: a pixel's K channels are contiguous in NHWC, so a quad of k is one
//    4-byte broadcast); B (weights, s8) is packed once as [16-channel block][K/4][16][4],
//    a last block of 1-8 channels as [K/4][8][4]. The accumulators start at -comp[c]
//    (-128 * sum_k w[c][k], which undoes the shift), or at 0 where the AVX2 packer
//    left a panel of codes >= 0 unshifted (PackPixelsFn). On AVX2 the u8 x s8 pairs go
//    through vpmaddubsw with the pair limit of int8-gemm.h (weights that break it are
//    split into two planes of halves, run one after the other into the same registers).
// 2. Depthwise: per output pixel, the taps' i8 channels widened to i16 and taken in
//    pairs of taps through vpmaddwd (16 channels, exact i32 sums, no shift and no
//    pair limit), the weights prepacked as pairs in the unpack order.
// 3. The channel epilogue: v = f32(acc - comp[c]) * multiplier[c] + bias[c]
//    [+ residual[c]], the activation, then f32 out or i8 = round(v * f32(1 / outScale)), in the float
//    steps and order of the interpreter (src/interpret/kernels/quant-nhwc.ts).
#pragma once

#include <cstddef>
#include <cstdint>

#include "activation.h"

namespace kiln::cpu {

// qmatmul's tile: pixels (rows of A) by channels (two vectors of 8; one for a last
// block of 1-8 channels).
inline constexpr size_t kMatMulMr = 5, kMatMulNr = 16;

// Channels of packed B (and of the padded per-channel arrays): n rounded up to 16, or
// to 8 when the last block holds 1-8 channels.
inline size_t int8MatMulChannels(size_t n) { return n % kMatMulNr != 0 && n % kMatMulNr <= 8 ? (n + 7) / 8 * 8 : (n + kMatMulNr - 1) / kMatMulNr * kMatMulNr; }

// One qmatmul: the packed weights and the epilogue's operands.
struct Int8MatMulArgs {
  size_t kq;                 // quads of k: packed rows of A and B hold 4 * kq k
  size_t n;                  // output channels: the row stride of y and of the residual
  const int8_t* b;           // [plane][block][kq][16 (or 8)][4]; block c0 at c0 * 4 * kq
  size_t planes, planeStride;
  const int32_t* negComp;    // -comp, padded to int8MatMulChannels(n)
  const float* multiplier;   // xScale * wScale[c], padded likewise
  const float* bias;         // n values, or null
  const void* residual;      // rows of n, i8 when residualScale > 0 else f32; or null
  float residualScale;
  Activation act;
  float outScale;            // 0: f32 output
  void* y;                   // rows of n, i8 or f32 by outScale
  bool stream;               // f32 output too large to stay in the caches, 32-byte aligned rows of n % 8 == 0:
                             // full-width blocks go by streaming stores (no read for ownership); cores may ignore it
  bool unshifted = false;    // the panel holds x itself (packPixels returned true): the sums start at 0, not negComp
};

// a[r][j] = x[r][j] ^ 0x80 for r < rows and j < k, else 0, for r < padded (a multiple
// of kMatMulMr) and j < 4 * kq: the A panel of qmatmul's tile. Returns false; or true
// where the panel holds x[r][j] itself: the AVX2 cores' packer when every code is >= 0
// (the project convs read a ReLU6), whose tile then sums two quads in i16 before
// vpmaddwd (exact: 4 products of x <= 127 and a pair-safe pair of weights stay within
// 127 * 256); the caller then sets Int8MatMulArgs::unshifted.
using PackPixelsFn = bool (*)(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a);
bool packPixels(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a);

// Per-channel constants of one run of n channels, each array indexed from its first channel.
struct Int8ChannelEpilogue {
  const int32_t* comp;       // null: 0
  const float* multiplier;
  const float* bias;         // null: none
  const void* residual;      // null: none; i8 when residualScale > 0, else f32
  float residualScale;
  Activation act;
  float outScale;            // 0: f32 output
};

struct Int8NhwcCores {
  const char* name;
  bool pairLimit;
  // qmatmul's output rows [row0, row0 + rows) for channels [c0, c1) (c0 a multiple of
  // 16, c1 one too or n) from a, those rows as packPixels packs them.
  void (*matmul)(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1);
  PackPixelsFn packPixels;
  // acc[c] for c < channels of one pixel from its taps (2 * pairs pointers to that
  // pixel's channels, a zero row where the tap falls outside); w from packDepthwise.
  void (*depthwise)(const int8_t* const* taps, size_t pairs, const int16_t* w, size_t channels, int32_t* acc);
  // n values of acc through the epilogue into out (f32 or i8 by e.outScale).
  void (*finish)(const int32_t* acc, size_t n, const Int8ChannelEpilogue& e, void* out);
};

// Weights [C][taps] -> the layout `depthwise` reads: per 16-channel block, per pair
// of taps, 32 i16 in the AVX2 unpack order; channels past the last full block as
// [C % 16][pairs][2]. The same layout serves the portable core.
void packDepthwise(const int8_t* w, size_t channels, size_t taps, int16_t* out);
inline size_t depthwisePairs(size_t taps) { return (taps + 1) / 2; }

// AVX-512 (avx512f/bw/dq/vl/vnni + avx2), else VNNI (avx512vnni +
// avx512vl + avx2), else AVX2, when cpuid says so, else portable; KILN_INT8_TILE=none
// forces the portable cores, =avx2 the AVX2 ones, =vnni256 the VNNI ones (ymm).
const Int8NhwcCores& int8NhwcCores();

extern const Int8NhwcCores kInt8NhwcGeneric;
#if defined(__x86_64__) || defined(_M_X64)
extern const Int8NhwcCores kInt8NhwcAvx2;
// The AVX2 cores with qmatmul's multiply step as vpdpbusd (int8-matmul-vnni.cc).
extern const Int8NhwcCores kInt8NhwcVnni;
void int8MatMulVnni(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1);
// The VNNI cores with qmatmul's tile in zmm: 8 pixels x 32 channels, the epilogue 16
// channels per instruction (int8-matmul-avx512.cc; under 32 channels the ymm tile).
extern const Int8NhwcCores kInt8NhwcAvx512;
void int8MatMulAvx512(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1);
void int8MatMulAvx2(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1);
bool packPixelsAvx2(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a);
// packPixelsAvx2, but a panel of codes >= 0 unshifted (true): kInt8NhwcAvx2's packer.
bool packPixelsAvx2Unshifted(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a);
#endif

}  // namespace kiln::cpu
