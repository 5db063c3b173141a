// The int8 dot-product cores of QConv and QGemm.
//
// 1. int8DotRows: operands widened to i16 and zero-padded to a multiple of 16 along
//    K, one _mm256_madd_epi16 per 16 products with exact i32 sums. Portable, and
//    the path of QGemm (few rows) and of CPUs without AVX2.
// 2. Int8Tile (QConv's GEMM): a 4 x 24 register tile, C[4 channels][24 pixels] +=
//    A[4][K] * B[K][24], with A (weights, s8) packed as [K/4][4 rows][4 k] and B
//    (activations shifted to u8 by +128) packed as [K/4][24 pixels][4 k]: each i32
//    lane sums 4 consecutive k of one pixel. AVX2 multiplies with vpmaddubsw (u8 x
//    s8 pairs into i16, then vpmaddwd by ones into i32), which saturates when a
//    pair exceeds the i16 range: 255 * (|w0| + |w1|) <= 32767 needs |w0| + |w1| <=
//    128 for every pair of weights. Weights that break it are split into two planes
//    of halves and multiplied twice (exact, half speed). VNNI's vpdpbusd sums all
//    four products in i32 and has no such limit. The +128 shift is undone with
//    128 * sum_k w[c][k], subtracted before the epilogue.
// 3. Stem convs (1 to 4 input channels) take their own path around the tile's
//    multiply step, with the taps paired so that no pair saturates instead of two
//    planes (int8-stem.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "activation.h"

namespace kiln::cpu {

inline constexpr size_t kInt8KStep = 16;

inline size_t int8PaddedK(size_t k) { return (k + kInt8KStep - 1) / kInt8KStep * kInt8KStep; }

// out[j] = sum_k x[k] * w[j * kp + k] for j < n; kp a multiple of kInt8KStep.
using Int8DotRowsFn = void (*)(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out);

void int8DotRowsGeneric(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out);
#if defined(__x86_64__) || defined(_M_X64)
void int8DotRowsAvx2(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out);
#endif

// The fastest implementation this CPU runs (AVX2 when cpuid says so), chosen once.
Int8DotRowsFn int8DotRows();

inline constexpr size_t kInt8Mr = 4, kInt8Nr = 24;

// One output row of the epilogue: v = f32(acc - comp) * multiplier + bias, the
// activation, then f32 out, or i8 out = saturate(round_half_even(v / outScale)).
struct Int8RowEpilogue {
  int32_t comp;
  float multiplier, bias;
  Activation act;
  float outScale;  // 0: f32 output
};

struct Int8Tile {
  const char* name;
  // True when u8 x s8 pairs saturate in i16 (AVX2): weights must be pair-safe.
  bool pairLimit;
  // acc[4][24] = (accumulate ? acc : 0) + sum over kq quads of a[q][4][4] . b[q][24][4].
  void (*micro)(const int8_t* a, const uint8_t* b, size_t kq, int32_t* acc, bool accumulate);
  // b[q][j][i] = (src[(4q + i) * stride + j] + 128) as u8 for j < n (n <= 24; the
  // rest of the 24 is filler); rows at or past k read as 0 (they meet zero weights).
  void (*packB)(const int8_t* src, size_t stride, size_t k, size_t n, uint8_t* b);
  // The epilogue of one row of n <= 24 values into out (f32 or i8 by e.outScale).
  void (*finish)(const int32_t* acc, size_t n, const Int8RowEpilogue& e, void* out);
};

// The tile for this CPU (VNNI, then AVX2), or null: QConv then takes int8DotRows.
const Int8Tile* int8Tile();

#if defined(__x86_64__) || defined(_M_X64)
extern const Int8Tile kInt8TileAvx2;
extern const Int8Tile kInt8TileAvx512Vnni;
// The AVX2 packing and epilogue, shared by the VNNI tile.
void int8PackBAvx2(const int8_t* src, size_t stride, size_t k, size_t n, uint8_t* b);
void int8FinishAvx2(const int32_t* acc, size_t n, const Int8RowEpilogue& e, void* out);
// x f32 -> i8 or u8 = saturate(round_half_even(x / scale) + zp) (QuantizeLinear), and
// back to f32: y = (q - zp) * scale (DequantizeLinear), n values each.
void quantizeRowAvx2(const float* x, size_t n, float scale, int32_t zp, bool u8, void* y);
void dequantizeRowAvx2(const void* q, bool u8, size_t n, float scale, int32_t zp, float* y);
#endif

}  // namespace kiln::cpu
