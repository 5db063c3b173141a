// AVX2 3x3 int8 depthwise rows of qconv-nhwc (int8-depthwise.h; compiled with
// -mavx2 -mfma into kiln_avx2, FP contraction off, so the only FMAs are the exact
// ones written here). The shape of vec-kernels-dw-nhwc.inc: a tile is 2 output rows
// x 4 pixels (or 1 x 8) of one 8-channel block, every input vector widened once and
// fed to each output of the tile that reads it; outputs whose window crosses the
// left or right edge take a checked path; a row above or below the image is a zero
// row. The epilogue (dequantize, bias, activation, requantize) stays in registers
// and stores i8 or f32 directly, in the interpreter's float steps (int8-nhwc.h).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "int8-depthwise.h"

namespace kiln::cpu {

namespace {

#define KILN_INLINE inline __attribute__((always_inline))

// 8 channels of i8 as f32; a partial block (Tail) reads only its m bytes (a byte
// loop, not memcpy: a call would spill every live accumulator).
template <bool Tail>
KILN_INLINE __m256 widen(const int8_t* p, long m) {
  __m128i b;
  if (Tail) {
    uint64_t t = 0;
    for (long k = 0; k < m; ++k) t |= uint64_t(uint8_t(p[k])) << (8 * k);
    b = _mm_cvtsi64_si128(int64_t(t));
  } else {
    b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  }
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
}

// The channel epilogue for i8 (I8) or f32 output: v = f32(acc) * m + b, the
// activation (none, relu or clip: int8-depthwise.cc sends the others to the cores),
// then f32 out, or i8 = saturate(round(v * inv)). For i8 the clamp to [lo, hi] is
// applied to the codes instead, to [q(lo), q(hi)]: v -> saturate(round(f32(v * inv)))
// never decreases, so clamping before or after gives the same code, and 32 codes
// take two byte instructions where 4 vectors took 8. cvtps rounds half to even (the
// default MXCSR mode, as nearbyint) and turns a value past 2^31 into INT_MIN, which
// would saturate to -128: `fits` says |v * inv| stays below 2^30, else 127 caps it first.
// A value as it is, to the compiler: GCC contracts a multiply and an add into an FMA
// by default (-ffp-contract=fast, even for intrinsics), which rounds once where the
// interpreter rounds twice.
KILN_INLINE __m256 rounded(__m256 v) {
  asm("" : "+x"(v));
  return v;
}

template <bool I8>
struct Epilogue {
  const float* m;
  const float* b;
  __m256 lo, hi, inv, top;
  __m128i qlo, qhi;
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
    qlo = _mm_set1_epi8(I8 ? code(clampOf(a.act).lo) : 0);
    qhi = _mm_set1_epi8(I8 ? code(clampOf(a.act).hi) : 0);
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

  KILN_INLINE __m128i clamp(__m128i q) const { return _mm_min_epi8(_mm_max_epi8(q, qlo), qhi); }

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

  // Pixels ox..ox+3, block cb (whole) of an output row. For i8 the 4 vectors of codes
  // pack into one: bytes [p0 0-3, p1 0-3, p2 0-3, p3 0-3 | p0 4-7, ...], whose dwords
  // a permute puts back in pixel order.
  KILN_INLINE void store4(void* row, long ox, long cb, const __m256* acc) const {
    if (!I8) {
      for (int q = 0; q < 4; ++q) store<false>(row, ox + q, cb, acc[q]);
      return;
    }
    const __m256i q0 = codes(value(acc[0], cb)), q1 = codes(value(acc[1], cb));
    const __m256i q2 = codes(value(acc[2], cb)), q3 = codes(value(acc[3], cb));
    const __m256i w = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
    __m256i c = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    c = _mm256_min_epi8(_mm256_max_epi8(c, _mm256_broadcastsi128_si256(qlo)), _mm256_broadcastsi128_si256(qhi));
    int8_t* o = static_cast<int8_t*>(row) + ox * C + cb * 8;
    const __m128i l = _mm256_castsi256_si128(c), h = _mm256_extracti128_si256(c, 1);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o), l);
    _mm_storeh_pd(reinterpret_cast<double*>(o + C), _mm_castsi128_pd(l));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + 2 * C), h);
    _mm_storeh_pd(reinterpret_cast<double*>(o + 3 * C), _mm_castsi128_pd(h));
  }
};

// One output pixel's block whose window may leave the row: columns outside [0, W)
// are skipped. Out of line, off the tiles' registers. r: the 3 input rows at block cb.
template <bool I8, bool Tail>
__attribute__((noinline)) void edgePixel(const int8_t* const* r, long ix0, long W, long C, const float* w, const Epilogue<I8>& e,
                                         void* y, long ox, long cb) {
  __m256 a = _mm256_setzero_ps();
  for (long kx = 0; kx < 3; ++kx) {
    const long ix = ix0 + kx;
    if (ix < 0 || ix >= W) continue;
    for (long ky = 0; ky < 3; ++ky) a = _mm256_fmadd_ps(widen<Tail>(r[ky] + ix * C, e.tail), _mm256_loadu_ps(w + (ky * 3 + kx) * 8), a);
  }
  e.template store<Tail>(y, ox, cb, a);
}

// R output rows x P pixels of one block, all accumulators in registers across the 9
// taps; in[i] (i < (R - 1) * SH + 3) the input rows at the tile's first column. The
// loops must unroll completely, or the arrays go to the stack.
template <int SH, int SW, int R, int P, bool Tail>
KILN_INLINE void tile(const int8_t* const* in, long C, const float* w, long m, __m256 (&acc)[R][P]) {
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j)
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) acc[j][p] = _mm256_setzero_ps();
#pragma GCC unroll 16
  for (int i = 0; i < (R - 1) * SH + 3; ++i) {
    __m256 wk[R][3];
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
      const int ky = i - j * SH;
      if (ky >= 0 && ky < 3)
#pragma GCC unroll 16
        for (int kx = 0; kx < 3; ++kx) wk[j][kx] = _mm256_loadu_ps(w + (ky * 3 + kx) * 8);
    }
    const int8_t* p = in[i];
#pragma GCC unroll 16
    for (int c = 0; c < (P - 1) * SW + 3; ++c) {
      const __m256 v = widen<Tail>(p + c * C, m);
#pragma GCC unroll 16
      for (int j = 0; j < R; ++j) {
        const int ky = i - j * SH;
        if (ky < 0 || ky >= 3) continue;
#pragma GCC unroll 16
        for (int q = 0; q < P; ++q) {
          const int kx = c - q * SW;
          if (kx >= 0 && kx < 3) acc[j][q] = _mm256_fmadd_ps(v, wk[j][kx], acc[j][q]);
        }
      }
    }
  }
}

// One tile at output pixel ox, block cb; its sums go to acc[j][q][block - cb0][8]
// (blocks of cb0..cb1). The epilogue runs afterwards over all blocks (flush): a tile's
// 72 FMAs form 9-long dependent chains, and an epilogue right behind them would keep
// the next tile's loads and FMAs out of the out-of-order window.
template <int SH, int SW, int R, int P, bool Tail>
KILN_INLINE void tileAt(const QDw3x3Rows& a, long ox, long cb, float* out) {
  constexpr int N = (R - 1) * SH + 3;
  const long off = (ox * SW - a.pl) * a.C + cb * 8, stride = (a.cb1 - a.cb0) * 8;
  const int8_t* in[N];
  for (int i = 0; i < N; ++i) in[i] = a.rows[i] + off;
  __m256 acc[R][P];
  tile<SH, SW, R, P, Tail>(in, a.C, a.w + cb * 72, a.C % 8, acc);
  out += (cb - a.cb0) * 8;
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j)
#pragma GCC unroll 16
    for (int q = 0; q < P; ++q) _mm256_store_ps(out + (j * P + q) * stride, acc[j][q]);
}

// The epilogue of the tiles at pixels ox..ox+P-1 of the R rows, every block. The
// epilogue and the row pointers are copied first: an i8 store may alias anything in
// memory, and the compiler would reload them after every one.
template <int R, int P, bool I8>
KILN_INLINE void flush(const QDw3x3Rows& a, const Epilogue<I8>& ep, long ox, const float* acc) {
  const Epilogue<I8> e = ep;
  void* y[R];
  for (int j = 0; j < R; ++j) y[j] = a.y[j];
  const long full = a.C / 8, last = a.cb1 < full ? a.cb1 : full, stride = (a.cb1 - a.cb0) * 8;
  for (int j = 0; j < R; ++j) {
    const float* r = acc + j * P * stride - a.cb0 * 8;
    for (long cb = a.cb0; cb < last; ++cb) {
      if (P % 4 == 0) {
        for (int q = 0; q < P; q += 4) {
          const __m256 v[4] = {_mm256_load_ps(r + q * stride + cb * 8), _mm256_load_ps(r + (q + 1) * stride + cb * 8),
                               _mm256_load_ps(r + (q + 2) * stride + cb * 8), _mm256_load_ps(r + (q + 3) * stride + cb * 8)};
          e.store4(y[j], ox + q, cb, v);
        }
      } else {
        for (int q = 0; q < P; ++q) e.template store<false>(y[j], ox + q, cb, _mm256_load_ps(r + q * stride + cb * 8));
      }
    }
    if (a.cb1 > full)
      for (int q = 0; q < P; ++q) e.template store<true>(y[j], ox + q, full, _mm256_load_ps(r + q * stride + full * 8));
  }
}

// Edge pixels [ox0, ox1) of the R output rows, every block.
template <int SH, int R, bool I8>
void edges(const QDw3x3Rows& a, const Epilogue<I8>& e, long ox0, long ox1) {
  const long full = a.C / 8;
  for (long ox = ox0; ox < ox1; ++ox)
    for (int j = 0; j < R; ++j)
      for (long cb = a.cb0; cb < a.cb1; ++cb) {
        const int8_t* r[3] = {a.rows[j * SH] + cb * 8, a.rows[j * SH + 1] + cb * 8, a.rows[j * SH + 2] + cb * 8};
        if (cb < full) edgePixel<I8, false>(r, ox * a.sw - a.pl, a.W, a.C, a.w + cb * 72, e, a.y[j], ox, cb);
        else edgePixel<I8, true>(r, ox * a.sw - a.pl, a.W, a.C, a.w + cb * 72, e, a.y[j], ox, cb);
      }
}

// Pixel-major, as the fp32 rows: every block of a tile's pixels in turn, so each
// input line is used whole while it is in L1. acc: R * 8 * (cb1 - cb0) * 8 floats.
template <int S, int R, bool I8>
void rows(const QDw3x3Rows& a, long oxa, long oxb, float* acc) {
  constexpr int SH = S, SW = S;
  const Epilogue<I8> e(a);
  constexpr int P = 8 / R;
  const long full = a.C / 8, last = a.cb1 < full ? a.cb1 : full;
  const bool partial = a.cb1 > full;
  edges<SH, R, I8>(a, e, 0, oxa);
  long ox = oxa;
  for (; ox + P <= oxb; ox += P) {
    for (long cb = a.cb0; cb < last; ++cb) tileAt<SH, SW, R, P, false>(a, ox, cb, acc);
    if (partial) tileAt<SH, SW, R, P, true>(a, ox, full, acc);
    flush<R, P, I8>(a, e, ox, acc);
  }
  for (; ox < oxb; ++ox) {
    for (long cb = a.cb0; cb < last; ++cb) tileAt<SH, SW, R, 1, false>(a, ox, cb, acc);
    if (partial) tileAt<SH, SW, R, 1, true>(a, ox, full, acc);
    flush<R, 1, I8>(a, e, ox, acc);
  }
  edges<SH, R, I8>(a, e, oxb, a.OW);
}

}  // namespace

void qdw3x3RowsAvx2(const QDw3x3Rows& a) {
  // Outputs [oxa, oxb) read only columns inside [0, W); none when the row is too narrow.
  const long oxa = a.pl <= 0 ? 0 : (a.pl + a.sw - 1) / a.sw;
  long oxb = a.W - 3 + a.pl < 0 ? 0 : (a.W - 3 + a.pl) / a.sw + 1;
  oxb = oxb > a.OW ? a.OW : oxb;
  const long s = oxa < oxb ? oxa : a.OW, t = oxa < oxb ? oxb : a.OW;
  thread_local std::vector<__m256> buffer;
  const size_t need = size_t(2 * 4 * (a.cb1 - a.cb0));
  if (buffer.size() < need) buffer.resize(need);
  float* acc = reinterpret_cast<float*>(buffer.data());
  switch ((a.outScale > 0 ? 4 : 0) + (a.nrows == 2 ? 2 : 0) + (a.sh == 1 ? 0 : 1)) {
    case 0: rows<1, 1, false>(a, s, t, acc); break;
    case 1: rows<2, 1, false>(a, s, t, acc); break;
    case 2: rows<1, 2, false>(a, s, t, acc); break;
    case 3: rows<2, 2, false>(a, s, t, acc); break;
    case 4: rows<1, 1, true>(a, s, t, acc); break;
    case 5: rows<2, 1, true>(a, s, t, acc); break;
    case 6: rows<1, 2, true>(a, s, t, acc); break;
    default: rows<2, 2, true>(a, s, t, acc); break;
  }
}

}  // namespace kiln::cpu
