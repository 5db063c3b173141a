// AVX2 3x3 int8 depthwise rows of qconv-nhwc (int8-depthwise.h). The shape of
// vec-kernels-dw-nhwc.inc: a tile is up to 4 output rows x 2 pixels (stride 1) or 2
// rows x 4 pixels (stride 2) of one 8-channel block, rows read in place, each input
// widened once for every output of the tile that reads it; outputs whose window
// crosses the left or right edge run on a zero-padded copy of their columns; a row
// above or below the image is a zero row.
// The sums are i32 through vpmaddwd, two taps of a column a step: the i8 channels of
// two input rows interleaved and widened to i16 pairs, against weight pairs packed
// per kind of pair (packDw3x3Pairs). Rows pair as (0,1), (2,3), ...: output row 0
// takes (0,1) x (w0,w1) + (2,3) x (w2,0), row 1 (0,1) x (0,w0) + (2,3) x (w1,w2), so
// one widening serves two output rows. Measured on Zen 3, one core, 14x14x384 at
// batch 8, ns per 8-channel output vector: an FMA tile on i8 widened to f32 (exact as
// well: the sums stay below 2^24) 3.9, this with 2-row tiles 3.9, with 4-row tiles
// and the edges on a copy 3.6; the fp32 kernel 3.3. Per output vector this does ~25
// vector instructions (6 vpmaddwd, 6 vpaddd, 3 widenings, the epilogue's 8) where the
// fp32 kernel does ~15, so it wins where fp32 waits on memory (large activations).
// The epilogue (dequantize, bias, activation, requantize) stays in registers and
// stores i8 or f32 directly, in the interpreter's float steps (int8-nhwc.h).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "int8-depthwise.h"

namespace kiln::cpu {

namespace {

#define KILN_INLINE inline __attribute__((always_inline))

// A value as it is, to the compiler: GCC contracts a multiply and an add into an FMA
// by default (-ffp-contract=fast, even for intrinsics), which rounds once where the
// interpreter rounds twice.
KILN_INLINE __m256 rounded(__m256 v) {
  asm("" : "+x"(v));
  return v;
}

// The channel epilogue for i8 (I8) or f32 output: v = f32(acc) * m + b, the
// activation (none, relu or clip: int8-depthwise.cc sends the others to the cores),
// then f32 out, or i8 = saturate(round(v * inv)). For i8 the clamp to [lo, hi] is
// applied to the codes instead, to [q(lo), q(hi)]: v -> saturate(round(f32(v * inv)))
// never decreases, so clamping before or after gives the same code, and 32 codes
// take two byte instructions where 4 vectors took 8. cvtps rounds half to even (the
// default MXCSR mode, as nearbyint) and turns a value past 2^31 into INT_MIN, which
// would saturate to -128: `fits` says |v * inv| stays below 2^30, else 127 caps it first.
template <bool I8>
struct Epilogue {
  const float* m;
  const float* b;
  __m256 lo, hi, inv, top;
  __m256i qlo, qhi;
  long C, tail;
  bool fits;

  explicit Epilogue(const QDw3x3Rows& a)
      : m(a.multiplier), b(a.bias), lo(_mm256_set1_ps(clampOf(a.act).lo)), hi(_mm256_set1_ps(clampOf(a.act).hi)),
        inv(_mm256_set1_ps(a.outScale > 0 ? 1.f / a.outScale : 0.f)), top(_mm256_set1_ps(127.f)), C(a.C), tail(a.C % 8),
        fits(a.codesFit) {
    const float invs = a.outScale > 0 ? 1.f / a.outScale : 0.f;
    const auto code = [&](float v) {
      const float t = v * invs;
      return int8_t(std::min(127.f, std::max(-128.f, std::nearbyint(t))));
    };
    qlo = _mm256_set1_epi8(I8 ? code(clampOf(a.act).lo) : 0);
    qhi = _mm256_set1_epi8(I8 ? code(clampOf(a.act).hi) : 0);
  }

  KILN_INLINE __m256 value(__m256 acc, long cb) const {
    __m256 v = rounded(_mm256_mul_ps(acc, _mm256_loadu_ps(m + cb * 8)));
    if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b + cb * 8));
    return I8 ? v : _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  }

  // The i32 codes of a value, before saturation and the clamp.
  KILN_INLINE __m256i codes(__m256 v) const {
    v = _mm256_mul_ps(v, inv);
    if (!fits) v = _mm256_min_ps(v, top);
    return _mm256_cvtps_epi32(v);
  }

  KILN_INLINE __m128i clamp(__m128i q) const {
    return _mm_min_epi8(_mm_max_epi8(q, _mm256_castsi256_si128(qlo)), _mm256_castsi256_si128(qhi));
  }

  // Output pixel ox, block cb of an output row.
  template <bool Tail>
  KILN_INLINE void store(void* row, long ox, long cb, __m256 acc) const {
    const __m256 v = value(acc, cb);
    const long off = ox * C + cb * 8;
    if (I8) {
      const __m256i q = codes(v);
      const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
      const __m128i c = clamp(_mm_packs_epi16(w, w));
      int8_t* o = static_cast<int8_t*>(row) + off;
      if (Tail) {
        const uint64_t t = uint64_t(_mm_cvtsi128_si64(c));
        for (long k = 0; k < tail; ++k) o[k] = int8_t(t >> (8 * k));
      } else {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(o), c);
      }
    } else {
      float* o = static_cast<float*>(row) + off;
      if (Tail) {
        const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(tail)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(o, keep, v);
      } else {
        _mm256_storeu_ps(o, v);
      }
    }
  }

  // Four whole blocks cb of the output pixels at o[0..3] (pixel 0 of their rows plus
  // the pixel's offset ox * C, in elements). For i8 the 4 vectors of codes pack into
  // one: bytes [p0 0-3, p1 0-3, p2 0-3, p3 0-3 | p0 4-7, ...], whose halves' dwords
  // interleave back into pixels (vpermd, lane-crossing, was slower).
  KILN_INLINE void store4(void* const* row, const long* ox, long cb, const __m256* acc) const {
    if (!I8) {
      for (int q = 0; q < 4; ++q) store<false>(row[q], ox[q], cb, acc[q]);
      return;
    }
    const __m256i q0 = codes(value(acc[0], cb)), q1 = codes(value(acc[1], cb));
    const __m256i q2 = codes(value(acc[2], cb)), q3 = codes(value(acc[3], cb));
    const __m256i c = _mm256_min_epi8(_mm256_max_epi8(_mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3)), qlo), qhi);
    const __m128i l = _mm256_castsi256_si128(c), h = _mm256_extracti128_si256(c, 1);
    const __m128i p01 = _mm_unpacklo_epi32(l, h), p23 = _mm_unpackhi_epi32(l, h);
    const auto at = [&](int q) { return static_cast<int8_t*>(row[q]) + ox[q] * C + cb * 8; };
    _mm_storel_epi64(reinterpret_cast<__m128i*>(at(0)), p01);
    _mm_storeh_pd(reinterpret_cast<double*>(at(1)), _mm_castsi128_pd(p01));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(at(2)), p23);
    _mm_storeh_pd(reinterpret_cast<double*>(at(3)), _mm_castsi128_pd(p23));
  }
};

// 8 bytes of a row at p (m bytes where Tail).
template <bool Tail>
KILN_INLINE __m128i bytes8(const int8_t* p, long m) {
  if (!Tail) return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  uint64_t t = 0;
  for (long k = 0; k < m; ++k) t |= uint64_t(uint8_t(p[k])) << (8 * k);
  return _mm_cvtsi64_si128(int64_t(t));
}

// The i16 pairs (a[c], b[c]) of 8 channels; single(a): (a[c], sign of a[c]), for
// weight pairs (w, 0).
template <bool Tail>
KILN_INLINE __m256i pair(const int8_t* a, const int8_t* b, long m) {
  return _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(bytes8<Tail>(a, m), bytes8<Tail>(b, m)));
}
template <bool Tail>
KILN_INLINE __m256i single(const int8_t* a, long m) {
  return _mm256_cvtepi8_epi32(bytes8<Tail>(a, m));
}

// R output rows x P pixels of one block, the sums in registers; in[i] (i < N) the
// input rows at the tile's first column; w the block's weight pairs [kind][kx][16]
// (kinds: (w0,w1), (w2,0), (0,w0), (w1,w2)). Per column the rows pair up as (0,1),
// (2,3), ... (an odd last row alone): an output row that starts on an even row k
// takes (k,k+1) x (w0,w1) + (k+2,k+3) x (w2,0); one that starts on an odd row (stride
// 1) takes (k-1,k) x (0,w0) + (k+1,k+2) x (w1,w2). The loops must unroll completely,
// or the arrays go to the stack.
template <int SH, int SW, int R, int P, bool Tail>
KILN_INLINE void tile(const int8_t* const* in, long C, const int16_t* w, long m, __m256i (&acc)[R][P]) {
  constexpr int N = (R - 1) * SH + 3, pairs = N / 2;
  const auto wp = [w](int kind, int kx) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + (kind * 3 + kx) * 16)); };
  // An output's first column (kx 0) starts its sum.
  const auto mad2 = [](__m256i& a, bool first, __m256i x, __m256i wx, __m256i y, __m256i wy) {
#ifdef KILN_INT8_VNNI
    // vpdpwssd multiplies the i16 pairs and adds them to the sum in one instruction.
    a = _mm256_dpwssd_epi32(_mm256_dpwssd_epi32(first ? _mm256_setzero_si256() : a, x, wx), y, wy);
#else
    const __m256i t = _mm256_add_epi32(_mm256_madd_epi16(x, wx), _mm256_madd_epi16(y, wy));
    a = first ? t : _mm256_add_epi32(a, t);
#endif
  };
#pragma GCC unroll 16
  for (int c = 0; c < (P - 1) * SW + 3; ++c) {
    const long o = c * C;
    __m256i pr[pairs + 1];
#pragma GCC unroll 16
    for (int k = 0; k < pairs; ++k) pr[k] = pair<Tail>(in[2 * k] + o, in[2 * k + 1] + o, m);
    if (N % 2) pr[pairs] = single<Tail>(in[N - 1] + o, m);
#pragma GCC unroll 16
    for (int q = 0; q < P; ++q) {
      const int kx = c - q * SW;
      if (kx < 0 || kx >= 3) continue;
#pragma GCC unroll 16
      for (int j = 0; j < R; ++j) {
        const int k = j * SH;
        if (k % 2 == 0) mad2(acc[j][q], kx == 0, pr[k / 2], wp(0, kx), pr[k / 2 + 1], wp(1, kx));
        else mad2(acc[j][q], kx == 0, pr[k / 2], wp(2, kx), pr[k / 2 + 1], wp(3, kx));
      }
    }
    // One column at a time: GCC otherwise hoists the weights and products of later
    // columns and spills them (2.4x slower).
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j)
#pragma GCC unroll 16
      for (int q = 0; q < P; ++q)
        if (c >= q * SW) asm volatile("" : "+x"(acc[j][q])::"memory");
  }
}

// One tile at output pixel ox, block cb, stored through the epilogue; rows[i] + col
// is the input pixel under the tile's first column. The epilogue and the row
// pointers are copied first: an i8 store may alias anything in memory, and the
// compiler would reload them after every one.
template <int SH, int SW, int R, int P, bool I8, bool Tail>
KILN_INLINE void tileAt(const QDw3x3Rows& a, const Epilogue<I8>& ep, const int8_t* const* rows, long col, long ox, long cb) {
  constexpr int N = (R - 1) * SH + 3;
  const int8_t* in[N];
  for (int i = 0; i < N; ++i) in[i] = rows[i] + col + cb * 8;
  __m256i acc[R][P];
  tile<SH, SW, R, P, Tail>(in, a.C, a.wpairs + cb * kDw3x3PairsPerBlock, a.C % 8, acc);
  const Epilogue<I8> e = ep;
  void* y[R];
  for (int j = 0; j < R; ++j) y[j] = a.y[j];
  // The R x P outputs in row-major order, by fours where whole blocks allow.
  __m256 v[R * P];
  void* row[R * P];
  long px[R * P];
#pragma GCC unroll 16
  for (int i = 0; i < R * P; ++i) {
    v[i] = _mm256_cvtepi32_ps(acc[i / P][i % P]);
    row[i] = y[i / P];
    px[i] = ox + i % P;
  }
  int i = 0;
  if (!Tail)
#pragma GCC unroll 16
    for (; i + 4 <= R * P; i += 4) e.store4(&row[i], &px[i], cb, &v[i]);
#pragma GCC unroll 16
  for (; i < R * P; ++i) e.template store<Tail>(row[i], px[i], cb, v[i]);
}

// Output pixels [ox0, ox1), every block, one pixel at a time, from rows[i] + col.
template <int S, int R, bool I8>
void pixels(const QDw3x3Rows& a, const Epilogue<I8>& e, const int8_t* const* rows, long col, long ox0, long ox1) {
  const long full = a.C / 8, last = a.cb1 < full ? a.cb1 : full;
  for (long ox = ox0; ox < ox1; ++ox, col += S * a.C) {
    for (long cb = a.cb0; cb < last; ++cb) tileAt<S, S, R, 1, I8, false>(a, e, rows, col, ox, cb);
    if (a.cb1 > full) tileAt<S, S, R, 1, I8, true>(a, e, rows, col, ox, full);
  }
}

// Output pixels [ox0, ox1) whose windows leave the row: their input columns copied
// with zero pixels where they lie outside [0, W) (a few pixels a row), then the
// pixel tiles on the copy, so the border shares the inner pixels' code.
template <int S, int R, bool I8>
void edges(const QDw3x3Rows& a, const Epilogue<I8>& e, long ox0, long ox1) {
  if (ox0 >= ox1) return;
  constexpr int N = (R - 1) * S + 3;
  const long ix0 = ox0 * S - a.pl, width = (ox1 - 1 - ox0) * S + 3;
  thread_local std::vector<int8_t> copy;
  copy.resize(size_t(N * width * a.C));
  const int8_t* rows[N];
  for (int i = 0; i < N; ++i) {
    int8_t* dst = copy.data() + i * width * a.C;
    rows[i] = dst;
    for (long k = 0; k < width; ++k) {
      const long ix = ix0 + k;
      if (ix < 0 || ix >= a.W) std::memset(dst + k * a.C, 0, size_t(a.C));
      else std::memcpy(dst + k * a.C, a.rows[i] + ix * a.C, size_t(a.C));
    }
  }
  pixels<S, R, I8>(a, e, rows, 0, ox0, ox1);
}

// Pixel-major, as the fp32 rows: every block of a tile's pixels in turn, so each
// input line is used whole while it is in L1.
template <int S, int R, bool I8>
void rows(const QDw3x3Rows& a, long oxa, long oxb) {
  constexpr int P = R > 2 ? 2 : 4;
  const Epilogue<I8> e(a);
  const long full = a.C / 8, last = a.cb1 < full ? a.cb1 : full;
  edges<S, R, I8>(a, e, 0, oxa);
  long ox = oxa;
  for (; ox + P <= oxb; ox += P) {
    const long col = (ox * S - a.pl) * a.C;
    for (long cb = a.cb0; cb < last; ++cb) tileAt<S, S, R, P, I8, false>(a, e, a.rows, col, ox, cb);
    if (a.cb1 > full) tileAt<S, S, R, P, I8, true>(a, e, a.rows, col, ox, full);
  }
  pixels<S, R, I8>(a, e, a.rows, (ox * S - a.pl) * a.C, ox, oxb);
  edges<S, R, I8>(a, e, oxb, a.OW);
}

}  // namespace

#ifndef KILN_INT8_VNNI
void packDw3x3Pairs(const int8_t* w, size_t channels, int16_t* out) {
  const size_t blocks = (channels + 7) / 8;
  std::fill(out, out + blocks * kDw3x3PairsPerBlock, int16_t(0));
  for (size_t c = 0; c < channels; ++c)
    for (size_t kx = 0; kx < 3; ++kx) {
      const int16_t w0 = w[c * 9 + kx], w1 = w[c * 9 + 3 + kx], w2 = w[c * 9 + 6 + kx];
      const int16_t kinds[4][2] = {{w0, w1}, {w2, 0}, {0, w0}, {w1, w2}};
      for (size_t k = 0; k < 4; ++k)
        for (size_t t = 0; t < 2; ++t) out[c / 8 * kDw3x3PairsPerBlock + (k * 3 + kx) * 16 + c % 8 * 2 + t] = kinds[k][t];
    }
}

#endif

#ifdef KILN_INT8_VNNI
void qdw3x3RowsVnni(const QDw3x3Rows& a) {
#else
void qdw3x3RowsAvx2(const QDw3x3Rows& a) {
#endif
  dispatchDw3x3Rows(a, [&](auto stride, auto r, auto i8, long s, long t) { rows<decltype(stride)::value, decltype(r)::value, decltype(i8)::value>(a, s, t); });
}

}  // namespace kiln::cpu
