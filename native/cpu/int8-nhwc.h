// The int8 cores of the NHWC layers (qmatmul, qconv-nhwc; int8-matmul.cc,
// int8-depthwise.cc), with a portable version of each and an AVX2 one
// (int8-nhwc-avx2.cc, reached only after the cpuid check).
//
// 1. The pixel-row tile: C[4 pixels][24 channels] += A[4][K] * B[K][24], with A
//    (activations shifted to u8 by +128, as x ^ 0x80) packed as [K/4][4 rows][4 k]
//    and B (weights, s8) packed once as [K/4][24 channels][4 k]. A pixel's channels
//    are contiguous in NHWC, so each tile row is one contiguous store, and its
//    per-channel constants (compensation, multiplier, bias) are vectors. On AVX2 the
//    u8 x s8 pairs go through vpmaddubsw with the pair limit of int8-gemm.h (weights
//    that break it are split into two planes of halves).
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

inline constexpr size_t kNhwcMr = 4, kNhwcNr = 24;

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
  // acc[4][24] = (accumulate ? acc : 0) + sum over kq quads of a[q][4][4] . b[q][24][4].
  void (*micro)(const uint8_t* a, const int8_t* b, size_t kq, int32_t* acc, bool accumulate);
  // a[q][i][j] = rows[i][4q + j] ^ 0x80 for k < K, 0 past K; rows[i] null: zeros.
  void (*packRows)(const int8_t* const* rows, size_t k, size_t kq, uint8_t* a);
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

// AVX2 when cpuid says so (and KILN_INT8_TILE is not 'none'), else portable.
const Int8NhwcCores& int8NhwcCores();

extern const Int8NhwcCores kInt8NhwcGeneric;
#if defined(__x86_64__) || defined(_M_X64)
extern const Int8NhwcCores kInt8NhwcAvx2;
#endif

}  // namespace kiln::cpu
