// AMX int8 GEMM of QConv (int8-amx.h): compiled with -mamx-tile -mamx-int8 and
// AVX-512 into kiln_amx, reached only after amxInt8Usable().
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "int8-amx.h"

namespace kiln::cpu {

namespace {

// Every tile 16 rows x 64 bytes: C in 0-3, A in 4-5, B in 6-7.
struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
  TileConfig() {
    for (int t = 0; t < 8; ++t) colsb[t] = 64, rows[t] = 16;
  }
};

// The tile configuration is per thread; it stays loaded (nothing else here uses tiles).
void configure() {
  static thread_local bool done = false;
  if (done) return;
  static const TileConfig config;
  _tile_loadconfig(&config);
  done = true;
}

}  // namespace

void amxPackWeights(const int8_t* w, size_t cout, size_t k, int8_t* a) {
  const size_t kc = amxChunks(k), blocks = amxBlocks(cout);
  std::memset(a, 0, blocks * kc * kAmxTileBytes);
  for (size_t o = 0; o < cout; ++o)
    for (size_t c = 0; c < kc; ++c) {
      const size_t n = k - c * 64 < 64 ? k - c * 64 : 64;
      std::memcpy(a + ((o / 16 * kc + c) * 16 + o % 16) * 64, w + o * k + c * 64, n);
    }
}

namespace {

// Rows (r[0], r[1], r[2], r[3]) of 16 bytes -> 64 bytes of quads: pixel j's 4 bytes at 4j.
inline void storeQuads(const __m128i (&r)[4], int8_t* b) {
  const __m128i lo01 = _mm_unpacklo_epi8(r[0], r[1]), lo23 = _mm_unpacklo_epi8(r[2], r[3]);
  const __m128i hi01 = _mm_unpackhi_epi8(r[0], r[1]), hi23 = _mm_unpackhi_epi8(r[2], r[3]);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b), _mm_unpacklo_epi16(lo01, lo23));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 16), _mm_unpackhi_epi16(lo01, lo23));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 32), _mm_unpacklo_epi16(hi01, hi23));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 48), _mm_unpackhi_epi16(hi01, hi23));
}

}  // namespace

void amxPackWindow(const int8_t* x, const AmxWindow& g, size_t c0, int8_t* b) {
  // The tile's lanes as runs of one output row each (lanes [lane, lane + count): pixels
  // ox .. ox + count - 1 of row oy of one image). Per run, for tap (ky, kx) of channel
  // ic: whether input row oy + ky - padTop exists, which lanes' columns lie inside the
  // row (by kx), and where lane 0 would read.
  struct Run {
    const int8_t* at;  // x at (image, ic 0, oy - padTop, ox - padLeft) less `lane`
    uint32_t rows;     // bit ky: the input row exists
    __mmask16 cols[kAmxWindowMax];
  } runs[16];
  size_t nruns = 0;
  const long h = long(g.h), w = long(g.w);
  for (size_t lane = 0; lane < 16 && c0 + lane < g.columns;) {
    const size_t c = c0 + lane, n = c / g.pixels, p = c % g.pixels, oy = p / g.ow, ox = p % g.ow;
    const size_t count = std::min({size_t(16) - lane, g.ow - ox, g.columns - c});
    Run& u = runs[nruns++];
    const long iy = long(oy) - long(g.padTop), ix = long(ox) - long(g.padLeft);
    u.at = x + n * g.cin * g.h * g.w + iy * w + ix - long(lane);
    u.rows = 0;
    for (size_t ky = 0; ky < g.kh; ++ky) u.rows |= uint32_t(iy + long(ky) >= 0 && iy + long(ky) < h) << ky;
    for (size_t kx = 0; kx < g.kw; ++kx) {
      const long x0 = ix + long(kx), lo = x0 < 0 ? -x0 : 0, hi = std::min<long>(long(count), w - x0);
      u.cols[kx] = lo < hi ? __mmask16(((1u << (hi - lo)) - 1) << (lane + lo)) : 0;
    }
    lane += count;
  }
  const size_t k = g.cin * g.kh * g.kw, quads = amxChunks(k) * 16, plane = g.h * g.w;
  size_t ic = 0, ky = 0, kx = 0;  // tap 4q + i
  for (size_t q = 0; q < quads; ++q, b += 64) {
    __m128i r[4];
    for (size_t i = 0; i < 4; ++i) {
      r[i] = _mm_setzero_si128();
      if (4 * q + i >= k) continue;
      const size_t off = ic * plane + ky * g.w + kx;
      for (size_t j = 0; j < nruns; ++j)
        if ((runs[j].rows >> ky) & 1) r[i] = _mm_mask_loadu_epi8(r[i], runs[j].cols[kx], runs[j].at + off);
      if (++kx == g.kw) kx = 0, ky = ky + 1 == g.kh ? (++ic, 0) : ky + 1;
    }
    storeQuads(r, b);
  }
}

void amxPackColumns(const int8_t* x, size_t stride, size_t k, size_t c0, size_t columns, int8_t* b) {
  const size_t n = columns > c0 ? (columns - c0 < 16 ? columns - c0 : 16) : 0;
  const __mmask16 mask = __mmask16((1u << n) - 1);
  const size_t quads = amxChunks(k) * 16;
  for (size_t q = 0; q < quads; ++q, b += 64) {
    __m128i r[4];
    for (size_t i = 0; i < 4; ++i) {
      const size_t row = 4 * q + i;
      r[i] = row < k ? _mm_maskz_loadu_epi8(mask, x + row * stride + c0) : _mm_setzero_si128();
    }
    storeQuads(r, b);
  }
}

void amxTile2x2(const int8_t* a0, const int8_t* a1, const int8_t* b0, const int8_t* b1, size_t kc, int32_t* acc) {
  configure();
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (size_t c = 0; c < kc; ++c) {
    const size_t at = c * kAmxTileBytes;
    _tile_loadd(4, a0 + at, 64);
    _tile_loadd(5, a1 + at, 64);
    _tile_loadd(6, b0 + at, 64);
    _tile_loadd(7, b1 + at, 64);
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  _tile_stored(0, acc, 128);
  _tile_stored(1, acc + 16, 128);
  _tile_stored(2, acc + 16 * 32, 128);
  _tile_stored(3, acc + 16 * 32 + 16, 128);
}

void amxFinish(const int32_t* acc, size_t rows, size_t count, size_t o0, size_t c0, const AmxEpilogue& e) {
  const __m512 zero = _mm512_setzero_ps(), lo = _mm512_set1_ps(e.act.alpha), hi = _mm512_set1_ps(e.act.beta);
  const __m512 s = _mm512_set1_ps(e.outScale), qlo = _mm512_set1_ps(-128.f), qhi = _mm512_set1_ps(127.f);
  const bool inRegisters = e.act.kind == Act::none || e.act.kind == Act::relu || e.act.kind == Act::clip;
  for (size_t r = 0; r < rows; ++r) {
    const size_t o = o0 + r;
    const __m512 m = _mm512_set1_ps(e.multiplier[o]), bias = _mm512_set1_ps(e.bias ? e.bias[o] : 0.f);
    __m512 v[2];
    for (size_t h = 0; h < 2; ++h) {
      // The interpreter's two roundings: GCC would contract the mul and add into an FMA.
      __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(acc + r * 32 + 16 * h)), m);
      __asm__("" : "+v"(x));
      x = _mm512_add_ps(x, bias);
      if (e.act.kind == Act::relu) x = _mm512_max_ps(x, zero);
      else if (e.act.kind == Act::clip) x = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
      v[h] = x;
    }
    if (!inRegisters) {
      alignas(64) float t[32];
      _mm512_store_ps(t, v[0]);
      _mm512_store_ps(t + 16, v[1]);
      applyActivation(e.act, t, t, count);
      v[0] = _mm512_load_ps(t), v[1] = _mm512_load_ps(t + 16);
    }
    __m512i q[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
    if (e.outScale > 0)
      for (size_t h = 0; h < 2; ++h) {
        __m512 x = _mm512_roundscale_ps(_mm512_div_ps(v[h], s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q[h] = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(x, qlo), qhi));
      }
    // The columns in runs of one image each (joined images: a plane of `pixels` columns each).
    for (size_t j = 0; j < count;) {
      const size_t c = c0 + j, n = e.n0 + c / e.pixels, p = c % e.pixels;
      const size_t run = count - j < e.pixels - p ? count - j : e.pixels - p;
      const size_t at = (n * e.cout + o) * e.pixels + p;
      for (size_t h = 0; h < 2; ++h) {
        // Lanes [j, j + run) of this half, stored at y[at - j + lane].
        const size_t first = j > 16 * h ? j - 16 * h : 0, last = j + run < 16 * (h + 1) ? j + run - 16 * h : 16;
        if (j + run <= 16 * h || j >= 16 * (h + 1) || first >= last) continue;
        const __mmask16 mask = __mmask16(((1u << last) - 1) & ~((1u << first) - 1));
        const ptrdiff_t base = ptrdiff_t(at) - ptrdiff_t(j) + ptrdiff_t(16 * h);
        if (e.outScale > 0) _mm512_mask_cvtsepi32_storeu_epi8(static_cast<int8_t*>(e.y) + base, mask, q[h]);
        else _mm512_mask_storeu_ps(static_cast<float*>(e.y) + base, mask, v[h]);
      }
      j += run;
    }
  }
}

void amxPackMatMulWeights(const int8_t* w, size_t n, size_t k, int8_t* b) {
  const size_t kc = amxChunks(k), blocks = amxBlocks(n);
  std::memset(b, 0, blocks * kc * kAmxTileBytes);
  for (size_t o = 0; o < n; ++o)
    for (size_t i = 0; i < k; ++i) b[((o / 16 * kc + i / 64) * 16 + i % 64 / 4) * 64 + o % 16 * 4 + i % 4] = w[o * k + i];
}

void amxPackRows(const int8_t* x, size_t k, size_t rows, size_t tiles, int8_t* a) {
  const size_t kc = amxChunks(k);
  for (size_t t = 0; t < tiles; ++t)
    for (size_t c = 0; c < kc; ++c) {
      const size_t k0 = c * 64, n = k - k0 < 64 ? k - k0 : 64;
      const __mmask64 mask = n == 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1;
      for (size_t r = 0; r < 16; ++r, a += 64) {
        const size_t row = t * 16 + r;
        _mm512_storeu_si512(a, row < rows ? _mm512_maskz_loadu_epi8(mask, x + row * k + k0) : _mm512_setzero_si512());
      }
    }
}

void amxMatMulFinish(const int32_t* acc, size_t rows, size_t count, size_t r0, size_t c0, const AmxMatMulEpilogue& e) {
  const ClampRange range = clampOf(e.values.act);
  const bool other = e.values.act.kind != Act::none && !range.on;
  const __m512 lo = _mm512_set1_ps(range.lo), hi = _mm512_set1_ps(range.hi), top = _mm512_set1_ps(127.f);
  const __m512 rs = _mm512_set1_ps(e.values.residualScale), inv = _mm512_set1_ps(e.values.outScale > 0 ? 1.f / e.values.outScale : 0.f);
  __mmask16 masks[2];
  __m512 m[2], b[2];
  for (size_t h = 0; h < 2; ++h) {
    const size_t first = 16 * h, valid = count > first ? (count - first < 16 ? count - first : 16) : 0;
    masks[h] = __mmask16((1u << valid) - 1);
    m[h] = _mm512_maskz_loadu_ps(masks[h], e.values.multiplier + c0 + first);
    b[h] = e.values.bias ? _mm512_maskz_loadu_ps(masks[h], e.values.bias + c0 + first) : _mm512_setzero_ps();
  }
  for (size_t r = 0; r < rows; ++r) {
    const size_t at = (r0 + r) * e.n + c0;
    for (size_t h = 0; h < 2; ++h) {
      if (!masks[h]) continue;
      // The interpreter's roundings: each product pinned before its add (GCC would fuse them).
      __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(acc + r * 32 + 16 * h)), m[h]);
      __asm__("" : "+v"(v));
      if (e.values.bias) v = _mm512_add_ps(v, b[h]);
      if (e.values.residual && e.values.residualScale > 0) {
        const __m128i q = _mm_maskz_loadu_epi8(masks[h], static_cast<const int8_t*>(e.values.residual) + at + 16 * h);
        __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), rs);
        __asm__("" : "+v"(t));
        v = _mm512_add_ps(v, t);
      } else if (e.values.residual) {
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(masks[h], static_cast<const float*>(e.values.residual) + at + 16 * h));
      }
      if (range.on) v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
      if (other) {
        alignas(64) float t[16];
        _mm512_store_ps(t, v);
        applyActivation(e.values.act, t, t, 16);
        v = _mm512_load_ps(t);
      }
      if (e.values.outScale > 0) {
        const __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(top, _mm512_mul_ps(v, inv)));
        _mm512_mask_cvtsepi32_storeu_epi8(static_cast<int8_t*>(e.y) + at + 16 * h, masks[h], q);
      } else {
        _mm512_mask_storeu_ps(static_cast<float*>(e.y) + at + 16 * h, masks[h], v);
      }
    }
  }
}

}  // namespace kiln::cpu
