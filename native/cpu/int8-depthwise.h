// The 3x3 int8 depthwise row kernel of qconv-nhwc (int8-depthwise.cc) on AVX2
// (int8-depthwise-avx2.cc, reached only after the cpuid check): NHWC i8 rows read
// in place, as the fp32 kernel of vec-kernels-dw-nhwc.inc reads its f32 rows, exact
// i32 sums through vpmaddwd on pairs of taps, and the channel epilogue (int8-nhwc.h)
// on the sums in registers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "activation.h"

namespace kiln::cpu {

struct QDw3x3Rows {
  // (nrows - 1) * sh + 3 input rows of one image (pixel 0, channel 0): row
  // oy * sh - padTop + i, or a zero row of W * C bytes where that row is padding.
  const int8_t* const* rows;
  long nrows;  // output rows: 1 to 4 at stride 1, 1 or 2 at stride 2
  long W, C, sh, sw, pl;  // strides sh == sw, 1 or 2; left pad
  const int16_t* wpairs;    // packDw3x3Pairs
  const float* multiplier;  // [blocks * 8]: xScale * wScale[c], zero past C
  const float* bias;        // [blocks * 8], null: none
  long cb0, cb1;            // 8-channel blocks to compute; the last may be partial (C % 8)
  Activation act;           // none, relu or clip
  float outScale;           // 0: f32 output, else i8 = round(v * f32(1 / outScale))
  bool codesFit;            // |v / outScale| < 2^30 for every value v can take
  void* const* y;           // nrows output rows (pixel 0, channel 0), f32 or i8
  long OW;
};

// Weights [C][3][3] -> per 8-channel block, 4 kinds of tap pair (rows (0,1), (2,-),
// (-,0), (1,2)) x 3 columns x 8 channels x 2 i16; lanes past C zero. Compiled with
// the kernel (-mavx2): only where qdw3x3RowsAvx2 may run.
inline constexpr size_t kDw3x3PairsPerBlock = 4 * 3 * 16;
void packDw3x3Pairs(const int8_t* w, size_t channels, int16_t* out);

void qdw3x3RowsAvx2(const QDw3x3Rows& a);
// The same with vpdpwssd (int8-depthwise-vnni.cc): where cpuid reports avx512vnni + avx512vl.
void qdw3x3RowsVnni(const QDw3x3Rows& a);

// The zmm rows (int8-depthwise-avx512.cc; avx512f/bw/vl/vnni): 16-channel blocks, so
// cb0, cb1, multiplier and bias count blocks of 16, and the weights are packed by
// packDw3x3Pairs16 (packDw3x3Pairs' layout with 16 channels a block, then at byte
// kDw3x3QuadsAt the stride-1 rows' tap quads and their compensation).
inline constexpr size_t kDw3x3QuadsAt = 4 * 3 * 32 * 2;
inline constexpr size_t kDw3x3GroupAt = kDw3x3QuadsAt + 2 * 3 * 64 + 64;
inline constexpr size_t kDw3x3Pairs16PerBlock = (kDw3x3GroupAt + 2 * 3 * 64 + 64) / 2;
// Channels of whole groups of 64 (c < C / 64 * 64) also sit in group slots: channel
// 64g + 16L + 4s + i in slot 64g + 16s + 4L + i (block 4g + s), the order the stride-1
// rows' in-lane unpacks give. The multipliers and biases of the zmm rows hold their
// blocks * 16 channels, then those slots (zero elsewhere).
inline size_t dw3x3GroupSlot(size_t c) {
  const size_t w = c % 64;
  return c - w + w % 16 / 4 * 16 + w / 16 * 4 + w % 4;
}
void packDw3x3Pairs16(const int8_t* w, size_t channels, int16_t* out);
void qdw3x3RowsAvx512(const QDw3x3Rows& a);

// The row kernels' common entry (no intrinsics: every ISA's file calls it): outputs
// [s, t) of a row read only columns inside [0, W) (none when the row is too narrow),
// and the call goes to rows(S, R, I8, s, t) with stride S, R output rows and i8 (or
// f32) output as std::integral_constant arguments, so each file instantiates its
// row template on them.
template <class Rows>
void dispatchDw3x3Rows(const QDw3x3Rows& a, Rows&& rows) {
  const long oxa = a.pl <= 0 ? 0 : (a.pl + a.sw - 1) / a.sw;
  long oxb = a.W - 3 + a.pl < 0 ? 0 : (a.W - 3 + a.pl) / a.sw + 1;
  oxb = oxb > a.OW ? a.OW : oxb;
  const long s = oxa < oxb ? oxa : a.OW, t = oxa < oxb ? oxb : a.OW;
  const auto go = [&](auto stride, auto r) {
    if (a.outScale > 0) rows(stride, r, std::true_type{}, s, t);
    else rows(stride, r, std::false_type{}, s, t);
  };
  using I = std::integral_constant<int, 1>;
  using II = std::integral_constant<int, 2>;
  if (a.sh == 2) {
    if (a.nrows == 2) go(II{}, II{});
    else go(II{}, I{});
    return;
  }
  switch (a.nrows) {
    case 4: go(I{}, std::integral_constant<int, 4>{}); break;
    case 3: go(I{}, std::integral_constant<int, 3>{}); break;
    case 2: go(I{}, II{}); break;
    default: go(I{}, I{}); break;
  }
}

}  // namespace kiln::cpu
