// Int8Stem's plan (tap pairing, channel groups, packed weights, staged-band geometry)
// and its driver (staging and threading); the AVX2 pack and tile are in
// int8-stem-avx2.cc. Design: int8-stem.h.
#include "int8-stem.h"

#include <algorithm>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../aligned-buffer.h"
#include "int8-gemm.h"
#include "int8-nhwc.h"
#include "transpose-tile.h"

namespace kiln::cpu {
namespace {

// Slots of one group: taps in pairs (slots 2i, 2i + 1) whose positive and whose
// negative weights sum to at most 128 in magnitude for every channel of [o0, o0 +
// count), -1 for a zero partner, padded to quads.
std::vector<int> pairTaps(const int8_t* w, size_t k, size_t o0, size_t count) {
  // Each tap's positive and negative parts per channel, tap-major, so the test of a
  // pair scans two short rows (and most unsafe pairs stop at their first channels).
  std::vector<uint8_t> pos(k * count), neg(k * count);
  for (size_t t = 0; t < k; ++t)
    for (size_t j = 0; j < count; ++j) {
      const int x = w[(o0 + j) * k + t];
      pos[t * count + j] = uint8_t(std::max(x, 0)), neg[t * count + j] = uint8_t(std::max(-x, 0));
    }
  std::vector<char> ok(k * k, 0);
  std::vector<size_t> degree(k, 0);
  for (size_t a = 0; a < k; ++a)
    for (size_t b = a + 1; b < k; ++b) {
      const uint8_t *pa = &pos[a * count], *pb = &pos[b * count], *na = &neg[a * count], *nb = &neg[b * count];
      size_t j = 0;
      while (j < count && pa[j] + pb[j] <= 128 && na[j] + nb[j] <= 128) ++j;
      if (j < count) continue;
      ok[a * k + b] = ok[b * k + a] = 1;
      ++degree[a], ++degree[b];
    }
  // 1. Greedy matching: the taps with the fewest safe partners choose first, and take
  //    the free partner that has the fewest itself.
  std::vector<size_t> order(k);
  for (size_t t = 0; t < k; ++t) order[t] = t;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return degree[a] < degree[b]; });
  std::vector<ptrdiff_t> mate(k, -1);
  for (size_t a : order) {
    if (mate[a] >= 0) continue;
    ptrdiff_t best = -1;
    for (size_t b = 0; b < k; ++b)
      if (mate[b] < 0 && b != a && ok[a * k + b] && (best < 0 || degree[b] < degree[size_t(best)])) best = ptrdiff_t(b);
    if (best >= 0) mate[a] = best, mate[size_t(best)] = ptrdiff_t(a);
  }
  // 2. Augmenting paths of three edges: two single taps u, v and a pair (p, q) with
  //    u ~ p and v ~ q become the pairs (u, p), (v, q) (ResNet-18's stem: 7 singles -> 1).
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t u = 0; u < k && !grew; ++u)
      for (size_t v = u + 1; v < k && !grew && mate[u] < 0; ++v) {
        if (mate[v] >= 0) continue;
        for (size_t p = 0; p < k && !grew; ++p) {
          if (mate[p] < 0 || !ok[u * k + p]) continue;
          const size_t q = size_t(mate[p]);
          if (!ok[v * k + q]) continue;
          mate[u] = ptrdiff_t(p), mate[p] = ptrdiff_t(u), mate[v] = ptrdiff_t(q), mate[q] = ptrdiff_t(v);
          grew = true;
        }
      }
  }
  std::vector<int> slots;
  for (size_t a = 0; a < k; ++a)
    if (mate[a] < 0 || size_t(mate[a]) > a) slots.push_back(int(a)), slots.push_back(int(mate[a]));
  while (slots.size() % 4) slots.push_back(-1);
  return slots;
}

// Relative cost of packing one quad of a panel against one block's multiplies of it.
constexpr double kPackCost = 0.6;
// Staged input per band: inside L1 next to the weights and the panel.
constexpr size_t kStageBytes = 16 << 10;

thread_local AlignedBuffer tStage, tPanel, tRow;

}  // namespace

Int8Stem::Int8Stem(const Int8StemShape& s, const int8_t* w) : s_(s) {
#if defined(__x86_64__) || defined(_M_X64)
  // The VNNI tile's CPUs (int8Tile() honours KILN_INT8_TILE=avx2) take the vpdpbusd row:
  // in zmm on 32-pixel panels where the NHWC int8 cores are the AVX-512 ones (cpuid
  // reports avx512f/bw/dq/vl/vnni and KILN_INT8_TILE asks for no ymm code: vnni256).
  row_ = int8Tile() == &kInt8TileAvx512Vnni ? int8StemRowVnni : int8StemRowAvx2;
  pack_ = int8StemPackAvx2;
  if (&int8NhwcCores() == &kInt8NhwcAvx512) row_ = int8StemRowAvx512, pack_ = int8StemPackAvx512, tileW_ = 32;
#endif
  const size_t k = s.cin * s.kh * s.kw, sw = s.strideW;
  // Band geometry: each phase holds every column an output tile reads (32 bytes from
  // each tap's start, the rounded-up last tile included) and the padded input row.
  const size_t tilesW = (s.ow + tileW_ - 1) / tileW_ * tileW_, maxPos = (s.kw - 1) * s.dilationW / sw;
  phaseLen_ = std::max((s.padLeft + s.w + sw - 1) / sw, tilesW + maxPos + 32 - tileW_);
  rowStride_ = (sw * phaseLen_ + 31) / 32 * 32;
  const size_t halo = (s.kh - 1) * s.dilationH + 1;
  auto rowsOf = [&](size_t band) { return (band - 1) * s.strideH + halo; };
  band_ = s.oh;
  while (band_ > 1 && s.cin * rowsOf(band_) * rowStride_ > kStageBytes) --band_;
  // At least 8 items for the threads.
  while (band_ > 1 && s.n * ((s.oh + band_ - 1) / band_) < 8) --band_;
  bandRows_ = rowsOf(band_);
  bands_ = (s.oh + band_ - 1) / band_;
  std::vector<int32_t> tapOff(k);
  for (size_t c = 0, t = 0; c < s.cin; ++c)
    for (size_t ky = 0; ky < s.kh; ++ky)
      for (size_t kx = 0; kx < s.kw; ++kx, ++t) {
        const size_t col = kx * s.dilationW;
        tapOff[t] = int32_t((c * bandRows_ + ky * s.dilationH) * rowStride_ + (col % sw) * phaseLen_ + col / sw);
      }
  comp_.assign(s.cout, 0);
  for (size_t o = 0; o < s.cout; ++o)
    for (size_t t = 0; t < k; ++t) comp_[o] += 128 * w[o * k + t];
  // Channel groups: the size (a multiple of 4, or all) whose pairings cost least. The
  // zmm row has no pair limit: one group of all channels, the taps in their order.
  const size_t blocks = (s.cout + kInt8Mr - 1) / kInt8Mr;
  const bool pairs = tileW_ != 32;
  std::vector<int> inOrder(k);
  for (size_t t = 0; t < k; ++t) inOrder[t] = int(t);
  while (inOrder.size() % 4) inOrder.push_back(-1);
  double bestCost = 0;
  for (size_t g = pairs ? kInt8Mr : blocks * kInt8Mr;; g *= 2) {
    const size_t size = std::min(g, blocks * kInt8Mr);
    std::vector<Group> groups;
    double cost = 0;
    for (size_t o0 = 0; o0 < s.cout; o0 += size) {
      Group gr{o0, std::min(size, s.cout - o0), 0, {}, {}};
      const std::vector<int> slots = pairs ? pairTaps(w, k, gr.o0, gr.count) : inOrder;
      gr.kq = slots.size() / 4;
      const size_t gb = (gr.count + kInt8Mr - 1) / kInt8Mr;
      cost += double(gr.kq) * (kPackCost + double(gb));
      gr.a.assign(gb * gr.kq * 16, 0);
      for (size_t i = 0; i < slots.size(); ++i) {
        gr.off.push_back(slots[i] < 0 ? tapOff[0] : tapOff[size_t(slots[i])]);
        if (slots[i] < 0) continue;
        for (size_t o = gr.o0; o < gr.o0 + gr.count; ++o) {
          const size_t j = o - gr.o0;
          gr.a[((j / kInt8Mr) * gr.kq + i / 4) * 16 + (j % kInt8Mr) * 4 + i % 4] = w[o * k + size_t(slots[i])];
        }
      }
      groups.push_back(std::move(gr));
    }
    if (groups_.empty() || cost < bestCost) groups_ = std::move(groups), bestCost = cost;
    if (size >= s.cout) break;
  }
  for (const Group& g : groups_) panel_ = std::max(panel_, (s.ow + tileW_ - 1) / tileW_ * g.kq * tileW_ * 4);
}

void Int8Stem::run(const uint8_t* x, const Int8StemEpilogue& e, void* y, ThreadPool* pool) const {
  // e by value: read per row, it must not share a cache line with the caller's stack.
  pool->parallelFor(s_.n * bands_, [&](size_t item) { runBand(x, e, static_cast<uint8_t*>(y), item / bands_, item % bands_); });
}

namespace {

// dst (stride phases of phaseLen bytes, already 128 everywhere) gets the input row
// src flipped to u8: padded column i = ix + left to phase i % stride, position i / stride.
void stageRow(const int8_t* src, size_t width, size_t left, size_t stride, size_t phaseLen, uint8_t* dst) {
  size_t ix = 0;
#if defined(__SSE2__)
  const __m128i flip = _mm_set1_epi8(char(0x80));
  if (stride == 1) {
    for (; ix + 16 <= width; ix += 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + left + ix), _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + ix)), flip));
  } else if (stride == 2) {
    // Even input columns go to phase left % 2 from position left / 2, odd ones to
    // the other phase from (left + 1) / 2: 32 columns split per step.
    uint8_t* even = dst + (left % 2) * phaseLen + left / 2;
    uint8_t* odd = dst + (1 - left % 2) * phaseLen + (left + 1) / 2;
    const __m128i low = _mm_set1_epi16(0x00ff);
    for (; ix + 32 <= width; ix += 32) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + ix));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + ix + 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(even + ix / 2), _mm_xor_si128(_mm_packus_epi16(_mm_and_si128(a, low), _mm_and_si128(b, low)), flip));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(odd + ix / 2), _mm_xor_si128(_mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8)), flip));
    }
  }
#endif
  for (; ix < width; ++ix) {
    const size_t i = ix + left;
    dst[(i % stride) * phaseLen + i / stride] = uint8_t(src[ix] ^ 0x80);
  }
}

}  // namespace

void Int8Stem::runBand(const uint8_t* x, const Int8StemEpilogue e, uint8_t* y, size_t image, size_t band) const {
#if defined(__x86_64__) || defined(_M_X64)
  const Int8StemShape& s = s_;
  const size_t oy0 = band * band_, oh = std::min(band_, s.oh - oy0), rows = (oh - 1) * s.strideH + (s.kh - 1) * s.dilationH + 1;
  tStage.ensure(s.cin * bandRows_ * rowStride_);
  tPanel.ensure(panel_);
  uint8_t* stage = tStage.data();
  uint8_t* panels = tPanel.data();
  const bool quantize = s.xScale > 0;
  const size_t xsize = quantize ? 4 : 1;
  for (size_t c = 0; c < s.cin; ++c) {
    const uint8_t* plane = x + (image * s.cin + c) * s.h * s.w * xsize;
    for (size_t r = 0; r < rows; ++r) {
      uint8_t* dst = stage + (c * bandRows_ + r) * rowStride_;
      std::memset(dst, 0x80, rowStride_);
      const ptrdiff_t iy = ptrdiff_t(oy0 * s.strideH + r) - ptrdiff_t(s.padTop);
      if (iy < 0 || iy >= ptrdiff_t(s.h)) continue;
      const uint8_t* src = plane + size_t(iy) * s.w * xsize;
      if (quantize) int8StemStageRowF32Avx2(reinterpret_cast<const float*>(src), s.w, s.padLeft, s.strideW, phaseLen_, s.xScale, dst);
      else stageRow(reinterpret_cast<const int8_t*>(src), s.w, s.padLeft, s.strideW, phaseLen_, dst);
    }
  }
  const size_t plane = s.oh * s.ow, esize = e.outScale > 0 ? 1 : 4, tiles = (s.ow + tileW_ - 1) / tileW_;
  // NHWC: the row's channels go to [cout][ow] in L1 first, then out as whole pixels.
  if (s.nhwcOut) tRow.ensure(s.cout * s.ow * esize);
  for (size_t r = 0; r < oh; ++r) {
    const uint8_t* base = stage + r * s.strideH * rowStride_;
    const size_t oy = oy0 + r;
    for (const Group& g : groups_) {
      for (size_t t = 0; t < tiles; ++t) pack_(base + t * tileW_, g.off.data(), g.kq, panels + t * g.kq * tileW_ * 4);
      const Int8StemEpilogue ge{e.multiplier + g.o0, e.bias ? e.bias + g.o0 : nullptr, e.act, e.outScale};
      if (s.nhwcOut) row_(g.a.data(), panels, g.kq, s.ow, g.count, comp_.data() + g.o0, ge, tRow.data() + g.o0 * s.ow * esize, s.ow);
      else row_(g.a.data(), panels, g.kq, s.ow, g.count, comp_.data() + g.o0, ge, y + ((image * s.cout + g.o0) * plane + oy * s.ow) * esize, plane);
    }
    if (!s.nhwcOut) continue;
    uint8_t* pixels = y + (image * plane + oy * s.ow) * s.cout * esize;
    if (esize == 1) int8StemToPixelsAvx2(tRow.data(), s.cout, s.ow, pixels);
    else
      // f32 rows (stem layers with f32 output, rare): 8 pixels at a time, transposeTiled's tiles.
      for (size_t p0 = 0; p0 < s.ow; p0 += 8)
        transposeRows8(reinterpret_cast<const float*>(tRow.data()) + p0, s.ow, std::min<size_t>(8, s.ow - p0), s.cout,
                       reinterpret_cast<float*>(pixels) + p0 * s.cout, s.cout, tile8x8Runs<float>());
  }
#else
  (void)x, (void)e, (void)y, (void)image, (void)band;
#endif
}

}  // namespace kiln::cpu
