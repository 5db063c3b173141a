// The 3x3 int8 depthwise row kernel of qconv-nhwc (int8-depthwise.cc) on AVX2
// (int8-depthwise-avx2.cc, reached only after the cpuid check): NHWC i8 rows read
// in place, as the fp32 kernel of vec-kernels-dw-nhwc.inc reads its f32 rows.
// Each 8-channel i8 vector is widened to f32 once per load and multiplied by f32
// weights with FMA: every product and partial sum is an integer below 9 * 128 * 128
// < 2^24, so the sums are exact, the interpreter's i32 sums bit for bit. The
// channel epilogue (int8-nhwc.h) runs on the accumulators in registers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "activation.h"

namespace kiln::cpu {

struct QDw3x3Rows {
  // (nrows - 1) * sh + 3 input rows of one image (pixel 0, channel 0): row
  // oy * sh - padTop + i, or a zero row of W * C bytes where that row is padding.
  const int8_t* const* rows;
  long nrows;  // 1 or 2 output rows
  long W, C, sh, sw, pl;  // strides sh == sw, 1 or 2; left pad
  const float* w;           // [blocks][9][8] weights as f32, lanes past C zero
  const float* multiplier;  // [blocks * 8]: xScale * wScale[c], zero past C
  const float* bias;        // [blocks * 8], null: none
  long cb0, cb1;            // 8-channel blocks to compute; the last may be partial (C % 8)
  Activation act;           // none, relu or clip
  float outScale;           // 0: f32 output, else i8 = round(v * f32(1 / outScale))
  bool codesFit;            // |v / outScale| < 2^30 for every value v can take
  void* const* y;           // nrows output rows (pixel 0, channel 0), f32 or i8
  long OW;
};

void qdw3x3RowsAvx2(const QDw3x3Rows& a);

}  // namespace kiln::cpu
