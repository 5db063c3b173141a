// Winograd F(2x2, 3x3) in exact integers for QConv (see int8-winograd.h).
// Tiles (2x2 outputs each) of all images are numbered together and taken 24 (32 for
// the zmm tile) at a time: a task transforms its tiles' 4x4 input patches once (V,
// i16, [16][Cin/2][tiles][2], 8 tiles per AVX2 step), then for each block of 4 (8)
// output channels runs the 16 GEMMs and transforms back into runs of output rows,
// which the caller's epilogue takes (a task: a chunk's blocks, or a part of them where
// chunks are few).
#include "int8-winograd.h"

#include <algorithm>
#include <cstring>

#include "int8-gemm.h"
#include "int8-nhwc.h"

namespace kiln::cpu {

namespace {

// The largest tile (the zmm one): sizes the per-task buffers.
constexpr size_t kMaxTiles = 32, kMaxRows = 8;

// 2G of F(2x2, 3x3): G's halves doubled, so U = (2G) g (2G)^T = 4 G g G^T is integral.
constexpr int kG2[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};

}  // namespace

Int8Winograd::Int8Winograd(const Int8WinogradShape& s, const int8_t* w) : s_(s) {
#if defined(__x86_64__) || defined(_M_X64)
  micro_ = int8WinogradMicroAvx2;
  if (int8Tile() == &kInt8TileAvx512Vnni) micro_ = int8WinogradMicroVnni;
  if (&int8NhwcCores() == &kInt8NhwcAvx512) micro_ = int8WinogradMicroAvx512, rows_ = 8, tiles_ = 32, zmm_ = true;
#endif
  const size_t block = rows_;  // output channels of a block
  th_ = (s.oh + 1) / 2;
  tw_ = (s.ow + 1) / 2;
  kp_ = (s.cin + 1) / 2;
  blocks_ = (s.cout + block - 1) / block;
  u_.assign(16 * blocks_ * kp_ * block * 2, 0);
  for (size_t o = 0; o < s.cout; ++o)
    for (size_t c = 0; c < s.cin; ++c) {
      const int8_t* g = w + (o * s.cin + c) * 9;
      int t[4][3];  // (2G) g
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 3; ++j) t[i][j] = kG2[i][0] * g[j] + kG2[i][1] * g[3 + j] + kG2[i][2] * g[6 + j];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const int v = t[i][0] * kG2[j][0] + t[i][1] * kG2[j][1] + t[i][2] * kG2[j][2];
          u_[(((size_t(i * 4 + j) * blocks_ + o / block) * kp_ + c / 2) * block + o % block) * 2 + c % 2] = int16_t(v);
        }
    }
}

void Int8Winograd::run(const int8_t* x, Sink sink, ThreadPool* pool) const {
  const size_t tiles = tiles_, block = rows_;
  const size_t perImage = th_ * tw_, total = s_.n * perImage, chunks = (total + tiles - 1) / tiles;
  // i16 of one p's V, plus slack: a group of 8 (16) tiles at a run's end writes past it.
  const size_t panel = kp_ * tiles * 2 + 32, step = zmm_ ? 16 : 8;
  // Fewer chunks than 2 tasks a thread (small planes, batch 1): each chunk's channel
  // blocks split into parts, every part transforming the chunk's input itself.
  const size_t want = 2 * size_t(pool->threads()), parts = chunks >= want ? 1 : std::min(blocks_, (want + chunks - 1) / chunks);
  pool->parallelFor(chunks * parts, [&](size_t task) {
    const size_t chunk = task / parts, part = task % parts;
    static thread_local std::vector<int16_t> v;
    if (v.size() < 16 * panel) v.resize(16 * panel);
    const size_t t0 = chunk * tiles, count = std::min(tiles, total - t0);
    auto where = [&](size_t j, size_t& n, size_t& ty, size_t& tx) {
      const size_t t = t0 + j;
      n = t / perImage, ty = (t % perImage) / tw_, tx = t % tw_;
    };
    // 1. V = B^T d B: per pair of input channels, per run of tiles in one tile row, the
    //    patch rows copied with their zero padding, then 8 tiles per vector step (zmm:
    //    16 tiles a step read in place by masked loads).
    alignas(32) int8_t rows[2][4][96];
    for (size_t c = 0; c < s_.cin; c += 2) {
      for (size_t j = 0; j < count;) {
        size_t n, ty, tx;
        where(j, n, ty, tx);
        const size_t len = std::min(count - j, tw_ - tx);
        const ptrdiff_t y0 = ptrdiff_t(2 * ty) - ptrdiff_t(s_.padTop), x0 = ptrdiff_t(2 * tx) - ptrdiff_t(s_.padLeft);
        if (zmm_) {
          const int8_t* p0 = x + (n * s_.cin + c) * s_.h * s_.w;
          const int8_t* p1 = c + 1 < s_.cin ? p0 + s_.h * s_.w : nullptr;
          for (size_t g = 0; g < len; g += 16) int8WinogradInputAvx512(p0, p1, s_.h, s_.w, y0, x0 + ptrdiff_t(2 * g), v.data() + ((c / 2) * tiles + j + g) * 2, panel);
          j += len;
          continue;
        }
        const ptrdiff_t width = ptrdiff_t(2 * len + 2);
        for (size_t k = 0; k < 2 && c + k < s_.cin; ++k) {
          const int8_t* plane = x + (n * s_.cin + c + k) * s_.h * s_.w;
          for (int r = 0; r < 4; ++r) {
            int8_t* row = rows[k][r];
            std::memset(row, 0, sizeof rows[k][r]);
            const ptrdiff_t iy = y0 + r;
            if (iy < 0 || iy >= ptrdiff_t(s_.h)) continue;
            const ptrdiff_t a = std::max<ptrdiff_t>(0, -x0), b = std::min<ptrdiff_t>(width, ptrdiff_t(s_.w) - x0);
            if (b > a) std::memcpy(row + a, plane + size_t(iy) * s_.w + size_t(x0 + a), size_t(b - a));
          }
        }
        for (size_t g = 0; g < len; g += 8) {
          const int8_t* r0[4] = {rows[0][0] + 2 * g, rows[0][1] + 2 * g, rows[0][2] + 2 * g, rows[0][3] + 2 * g};
          const int8_t* r1[4] = {rows[1][0] + 2 * g, rows[1][1] + 2 * g, rows[1][2] + 2 * g, rows[1][3] + 2 * g};
          int8WinogradInputAvx2(r0, c + 1 < s_.cin ? r1 : nullptr, v.data() + ((c / 2) * tiles + j + g) * 2, panel);
        }
        j += len;
      }
    }
    // 2. Per block of output channels (4, or 8): the 16 products, then A^T M A / 4 into the two
    //    output rows of each run of tiles (8 tiles a vector step), which go to the sink.
    // 16 columns of slack per p: the last group of 8 (16) tiles may read past the chunk's tiles.
    alignas(64) int32_t m[16][kMaxRows * kMaxTiles + 16];
    alignas(32) int32_t out[2][2 * kMaxTiles + 16];
    for (size_t blk = part * blocks_ / parts; blk < (part + 1) * blocks_ / parts; ++blk) {
      for (size_t p = 0; p < 16; ++p) micro_(u_.data() + (p * blocks_ + blk) * kp_ * block * 2, v.data() + p * panel, kp_, m[p]);
      for (size_t i = 0; i < block && blk * block + i < s_.cout; ++i) {
        const size_t o = blk * block + i;
        for (size_t j = 0; j < count;) {
          size_t n, ty, tx;
          where(j, n, ty, tx);
          const size_t len = std::min(count - j, tw_ - tx), oy = 2 * ty, ox = 2 * tx;
          // Groups of 8 (16) tiles; past the run's end the values are garbage, and unused.
          for (size_t g = 0; g < len; g += step) {
            const int32_t* at = &m[0][i * tiles + j + g];
            if (zmm_) int8WinogradOutputAvx512(at, kMaxRows * kMaxTiles + 16, out[0] + 2 * g, out[1] + 2 * g);
            else int8WinogradOutputAvx2(at, kMaxRows * kMaxTiles + 16, out[0] + 2 * g, out[1] + 2 * g);
          }
          const size_t width = std::min(2 * len, s_.ow - ox);
          sink(n, o, oy, ox, out[0], width);
          if (oy + 1 < s_.oh) sink(n, o, oy + 1, ox, out[1], width);
          j += len;
        }
      }
    }
  });
}

}  // namespace kiln::cpu
