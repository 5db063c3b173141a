// QConv's path for stem convs (1 to 4 input channels: RGB images, digits), whose
// short reduction (K = 27 for a 3x3 RGB stem, 147 for ResNet's 7x7) makes the
// im2col of the whole image and a per-tile epilogue through memory cost as much as
// the multiplies. As convSmallC does in fp32, each work item takes one image and a
// band of output rows:
//   1. the band's input rows are staged in per-thread scratch, flipped to u8 (+128),
//      padded with 128 (x = 0) and split by stride phase, so tap (c, ky, kx) of 24
//      consecutive outputs is 24 consecutive bytes at a fixed offset;
//   2. each output row packs the B panels of its 24-pixel tiles ([K/4][24][4] u8)
//      from those offsets, then runs the 4 x 24 u8 x s8 tile (int8-gemm.h) over them
//      block by block, the epilogue (int8-gemm.h's float steps) applied to the sums
//      in registers and stored straight into the NCHW planes (f32, or i8).
// The pair limit of AVX2's vpmaddubsw (int8-gemm.h): instead of splitting 8-bit weights
// into two planes (twice the multiplies), the taps are paired: a pair (a, b) is safe
// for a channel when neither its positive nor its negative weights sum past 128 (u8
// values times opposite signs cannot saturate), and the K taps are matched into pairs
// safe for every channel of a group (greedy, then augmenting paths of three edges),
// taps left alone pairing with a zero. The tap order only moves the B offsets, so
// each group of channels (4 to cout) takes its own order and packs its own panels;
// the group size is chosen at load by a cost model. ResNet-18's 7x7 stem then needs
// 37 quads of taps per block in two groups of 32 (one plane's 37), MobileNetV2's 3x3
// 7 or 8 (one plane's 7), instead of two planes' 74 and 14.
// On AVX-512 VNNI CPUs (int8-stem-avx512.cc) panels are 32 pixels wide and the taps
// stay in order, one group of all channels (vpdpbusd has no pair limit).
// Two options spare the layers around a stem (passes/fuse-int8-stem-io.ts):
//  - f32 input (xScale > 0): step 1 quantizes each row as it stages it, exactly as
//    QuantizeLinear's AVX2 row (quantizeRowAvx2: round half to even of x / scale,
//    saturated), so no i8 copy of the image goes through memory;
//  - NHWC output: step 2 writes each output row's channels into an L1 buffer
//    [cout][ow] and then transposes it into whole pixel rows [ow][cout] of y.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../thread-pool.h"
#include "activation.h"
#include "int8-gemm.h"

namespace kiln::cpu {

struct Int8StemShape {
  size_t n, cin, h, w, cout, kh, kw, oh, ow, strideH, strideW, padTop, padLeft, dilationH, dilationW;
  bool nhwcOut = false;  // y [n][oh][ow][cout] rather than [n][cout][oh][ow]
  float xScale = 0;      // > 0: x is f32, quantized by this scale (QuantizeLinear, zero point 0)
};

// Per output channel (arrays of cout): multiplier = xScale * wScale[c], bias (null: none).
struct Int8StemEpilogue {
  const float* multiplier;
  const float* bias;
  Activation act;
  float outScale;  // 0: f32 output
};

#if defined(__x86_64__) || defined(_M_X64)
// An f32 input row into a staged row (stride phases of phaseLen bytes, as int8-stem.cc's
// stageRow places i8 ones): each x quantized exactly as quantizeRowAvx2 (zero point 0)
// does, then flipped to u8.
void int8StemStageRowF32Avx2(const float* src, size_t width, size_t left, size_t stride, size_t phaseLen, float scale, uint8_t* dst);
// dst[p][c] = src[c][p] for c < channels, p < pixels (bytes): an output row's channel
// rows, staged in L1, out as NHWC pixels.
void int8StemToPixelsAvx2(const uint8_t* src, size_t channels, size_t pixels, uint8_t* dst);
// b[q][j][i] = base[off[4q + i] + j], j < 24, q < kq (32 bytes from each offset readable).
void int8StemPackAvx2(const uint8_t* base, const int32_t* off, size_t kq, uint8_t* b);
// One output row of `count` channels: a holds their ceil(count / 4) blocks of [kq][4][4]
// s8, panels one [kq][24][4] u8 panel per 24 of the ow pixels; channel i's row goes to
// y + i * plane elements (f32, or i8 when e.outScale > 0). comp, e.multiplier and
// e.bias start at the group's first channel.
void int8StemRowAvx2(const int8_t* a, const uint8_t* panels, size_t kq, size_t ow, size_t count, const int32_t* comp, const Int8StemEpilogue& e, void* y, size_t plane);
// The same with vpdpbusd (int8-stem-vnni.cc; where cpuid reports avx512vnni + avx512vl).
void int8StemRowVnni(const int8_t* a, const uint8_t* panels, size_t kq, size_t ow, size_t count, const int32_t* comp, const Int8StemEpilogue& e, void* y, size_t plane);
// The zmm pair (int8-stem-avx512.cc; where cpuid reports avx512f/bw/vl/vnni): panels
// of 32 pixels ([kq][32][4] u8, kq * 128 bytes a panel), 8 channels a step.
void int8StemPackAvx512(const uint8_t* base, const int32_t* off, size_t kq, uint8_t* b);
void int8StemRowAvx512(const int8_t* a, const uint8_t* panels, size_t kq, size_t ow, size_t count, const int32_t* comp, const Int8StemEpilogue& e, void* y, size_t plane);
using Int8StemRowFn = void (*)(const int8_t*, const uint8_t*, size_t, size_t, size_t, const int32_t*, const Int8StemEpilogue&, void*, size_t);
using Int8StemPackFn = void (*)(const uint8_t*, const int32_t*, size_t, uint8_t*);
#endif

class Int8Stem {
 public:
  static constexpr size_t kMaxChannels = 4;
  // w: [cout][cin][kh][kw] i8 codes. Runs only where AVX2 is (int8Tile() not null).
  Int8Stem(const Int8StemShape& s, const int8_t* w);
  // x: [n][cin][h][w] i8 (or f32 when xScale > 0); y: [n][cout][oh][ow] (or
  // [n][oh][ow][cout] when nhwcOut), f32 or i8 by e.outScale.
  void run(const uint8_t* x, const Int8StemEpilogue& e, void* y, ThreadPool* pool) const;

 private:
  struct Group {
    size_t o0, count, kq;
    std::vector<int8_t> a;     // [count / 4 blocks][kq][4][4]
    std::vector<int32_t> off;  // [4 kq] byte offsets of the taps from an output row's staged base
  };
  void runBand(const uint8_t* x, Int8StemEpilogue e, uint8_t* y, size_t image, size_t band) const;
  Int8StemShape s_;
  std::vector<Group> groups_;
  std::vector<int32_t> comp_;
#if defined(__x86_64__) || defined(_M_X64)
  Int8StemRowFn row_ = nullptr;
  Int8StemPackFn pack_ = nullptr;
#endif
  size_t tileW_ = kInt8Nr;  // pixels of a B panel: 24 (ymm rows) or 32 (zmm)
  size_t phaseLen_ = 0, rowStride_ = 0, band_ = 1, bandRows_ = 1, bands_ = 1, panel_ = 0;
};

}  // namespace kiln::cpu
