// QConv's 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) in exact integers:
// with 2G in place of G (every entry an integer), U = (2G) g (2G)^T holds i16
// (|U| <= 9 * 127), V = B^T d B of an i8 input tile holds i16 (|V| <= 4 * 128),
// and A^T (U . V) A is exactly 4x the direct conv's i32 sums, so dividing by 4 gives
// the same sums the interpreter computes, with 16 products per 2x2 outputs and input
// channel instead of 36. The 16 GEMMs M[p] = U[p] V[p] run over pairs of input
// channels on a 4 x 24 tile of vpmaddwd (as many multiplies per instruction as the
// u8 x s8 pair of vpmaddubsw + vpmaddwd, which needs two) on AVX2, of vpdpwssd in ymm
// where int8Tile() is the VNNI tile (KILN_INT8_TILE=vnni256), and an 8 x 32 tile of
// vpdpwssd in zmm where the NHWC int8 cores are the AVX-512 ones (avx512f/bw/dq/vl/vnni).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../function-ref.h"
#include "../thread-pool.h"

namespace kiln::cpu {

struct Int8WinogradShape {
  size_t n, cin, h, w, cout, oh, ow, padTop, padLeft;
};

class Int8Winograd {
 public:
  // w: [cout][cin][3][3] i8 codes.
  Int8Winograd(const Int8WinogradShape& s, const int8_t* w);
  // The sums over (c, ky, kx) of x * w, exactly as the direct conv's, handed out as
  // runs of one output row: out(n, o, oy, ox, values, count) for values at ox.. of
  // row oy of channel o of image n (count <= 64), from the thread that computed them.
  using Sink = FunctionRef<void(size_t n, size_t o, size_t oy, size_t ox, const int32_t* values, size_t count)>;
  void run(const int8_t* x, Sink out, ThreadPool* pool) const;

 private:
  using Micro = void (*)(const int16_t* a, const int16_t* b, size_t kp, int32_t* acc);
  Int8WinogradShape s_;
  size_t th_, tw_, kp_, blocks_;
  size_t rows_ = 4, tiles_ = 24;  // the GEMM tile: output channels x tiles
  Micro micro_ = nullptr;
  bool zmm_ = false;  // the zmm tile and transforms
  std::vector<int16_t> u_;  // [16][cout / rows][kp][rows][2]
};

#if defined(__x86_64__) || defined(_M_X64)
// acc[4][24] = sum over kp pairs of a[q][4 rows][2] . b[q][24][2] (i16, exact i32 sums).
void int8WinogradMicroAvx2(const int16_t* a, const int16_t* b, size_t kp, int32_t* acc);
// The same in vpdpwssd (ymm), and acc[8][32] of a[q][8][2] . b[q][32][2] in zmm.
void int8WinogradMicroVnni(const int16_t* a, const int16_t* b, size_t kp, int32_t* acc);
void int8WinogradMicroAvx512(const int16_t* a, const int16_t* b, size_t kp, int32_t* acc);
// The zmm tile's transforms, 16 tiles a step. Input: V of the 16 adjacent tiles whose
// patches start at (y0, x0 + 2j) of planes p0 and p1 ([h][w] i8; p1 null: zeros), read
// in place by masked loads (zeros outside the plane). Output: as the AVX2 one, 32
// values of each row.
void int8WinogradInputAvx512(const int8_t* p0, const int8_t* p1, size_t h, size_t w, ptrdiff_t y0, ptrdiff_t x0, int16_t* v, size_t pStride);
void int8WinogradOutputAvx512(const int32_t* m, size_t pStride, int32_t* row0, int32_t* row1);
// V of 8 adjacent tiles of channels c and c + 1 (c1 null: zeros), rows[r] at each
// patch row's first byte (32 bytes readable): v[p * pStride + 2 * j + (0|1)].
void int8WinogradInputAvx2(const int8_t* const c0[4], const int8_t* const c1[4], int16_t* v, size_t pStride);
// A^T M A / 4 of 8 adjacent tiles (m[p * pStride + j]) into 16 values of output row
// 0 and, unless null, row 1.
void int8WinogradOutputAvx2(const int32_t* m, size_t pStride, int32_t* row0, int32_t* row1);
#endif

}  // namespace kiln::cpu
