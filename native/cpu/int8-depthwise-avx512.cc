// AVX-512 3x3 int8 depthwise rows of qconv-nhwc (int8-depthwise.h; kiln_avx512vnni,
// reached only where cpuid reports avx512f/bw/vl/vnni), 16 channels a vector, the
// weights packed per 16-channel block by packDw3x3Pairs16.
// Stride 1: sums through vpdpbusd on quads of taps, rows shifted to u8 (x ^ 0x80), the
// weights of a column's 3 rows as (w0, w1, w2, 0) or (0, w0, w1, w2): 3 multiplies an
// output, where pairs take 6. Each sum starts at -128 * (the channel's 9 weights),
// which undoes the shift exactly (a padded tap reads 0, shifted to 128, as counted).
// Whole groups of 64 channels with i8 output load 64 bytes a row and build the quads
// by in-lane unpacks (quad vector s then holds channels 16L + 4s + i: the group slots
// of dw3x3GroupSlot, in which the weights, multipliers and biases are kept a second
// time), 2 rows x 2 pixels x 64 channels a tile; vpackssdw/vpacksswb put the channels
// back in order, one 64-byte store a pixel. Other blocks (C < 64, C % 64, f32 out)
// take 4 rows x 4 pixels of 16 channels, each row's 16 bytes broadcast and spread into
// quads by masked vpshufb. Stride 2: the AVX2 rows' tap pairs (4 kinds of weight pair)
// through vpdpwssd, a pair of rows one 32-byte [a | b] widened to i16 and interleaved by
// one vpermw, 2 rows x 4 pixels a tile. Channel tails (C % 16) load and store under
// masks. The epilogue is the AVX2 one (the same float steps, the codes clamped in code
// space, `codesFit` capping at 127 before vcvtps2dq can give INT_MIN); four vectors of
// codes pack to bytes with two vpackssdw, one vpacksswb and a vpermd, stored a lane a
// pixel by memory-form vextracti32x4.
// On the Xeon (int8-dw-bench, b8, i8 out; medians of 4 interleaved runs against the pair
// rows at stride 1, one device call): 4 threads 112x112x32 0.355 -> 0.305 ms, 56x56x144
// 0.350 -> 0.324, 28x28x192 0.124 -> 0.115, 14x14x384 0.076 -> 0.075, 14x14x576 and
// 7x7x960 even within the noise (0.113 / 0.063 -> 0.121 / 0.065); 1 thread, the 6
// stride-1 shapes 3.03 -> 2.51 ms. The larger layers are not bound by the vector ports
// alone (~6 ns an output vector at 4 threads either way); a software prefetch of the
// rows ahead measured no clearer gain.
// GCC 12 flags the intrinsics' own `__Y = __Y` placeholders once inlined (bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
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
// by default, which rounds once where the interpreter rounds twice.
KILN_INLINE __m512 rounded(__m512 v) {
  asm("" : "+v"(v));
  return v;
}

template <bool I8>
struct Epilogue {
  const float* m;
  const float* b;
  const float* mg;  // m and b in the slots of the 64-channel groups (dw3x3GroupSlot)
  const float* bg;
  __m512 lo, hi, inv, top;
  __m512i qlo, qhi;
  long C;
  __mmask16 tail;
  bool fits;

  explicit Epilogue(const QDw3x3Rows& a)
      : m(a.multiplier), b(a.bias), mg(a.multiplier + (a.C + 15) / 16 * 16), bg(a.bias ? a.bias + (a.C + 15) / 16 * 16 : nullptr), lo(_mm512_set1_ps(clampOf(a.act).lo)), hi(_mm512_set1_ps(clampOf(a.act).hi)),
        inv(_mm512_set1_ps(a.outScale > 0 ? 1.f / a.outScale : 0.f)), top(_mm512_set1_ps(127.f)), C(a.C),
        tail(__mmask16((1u << (a.C % 16)) - 1)), fits(a.codesFit) {
    const float invs = a.outScale > 0 ? 1.f / a.outScale : 0.f;
    const auto code = [&](float v) {
      const float t = v * invs;
      return int8_t(std::min(127.f, std::max(-128.f, std::nearbyint(t))));
    };
    qlo = _mm512_set1_epi8(I8 ? code(clampOf(a.act).lo) : 0);
    qhi = _mm512_set1_epi8(I8 ? code(clampOf(a.act).hi) : 0);
  }

  KILN_INLINE __m512 value(__m512 acc, long cb) const {
    __m512 v = rounded(_mm512_mul_ps(acc, _mm512_loadu_ps(m + cb * 16)));
    if (b) v = _mm512_add_ps(v, _mm512_loadu_ps(b + cb * 16));
    return I8 ? v : _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  }

  // The i8 codes of one pixel's 64-channel group g from its 4 slot vectors: the packs
  // put lane L's channels 16L..16L+15 back in order, so one store writes the pixel.
  KILN_INLINE void storeGroup(int8_t* o, long g, const __m512i* acc) const {
    __m512i q[4];
    for (int s = 0; s < 4; ++s) {
      __m512 v = rounded(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[s]), _mm512_loadu_ps(mg + (g * 4 + s) * 16)));
      if (bg) v = _mm512_add_ps(v, _mm512_loadu_ps(bg + (g * 4 + s) * 16));
      q[s] = codes(v);
    }
    const __m512i c = _mm512_packs_epi16(_mm512_packs_epi32(q[0], q[1]), _mm512_packs_epi32(q[2], q[3]));
    _mm512_storeu_si512(o, _mm512_min_epi8(_mm512_max_epi8(c, qlo), qhi));
  }

  // The i32 codes of a value, before saturation and the clamp.
  KILN_INLINE __m512i codes(__m512 v) const {
    v = _mm512_mul_ps(v, inv);
    if (!fits) v = _mm512_min_ps(v, top);
    return _mm512_cvtps_epi32(v);
  }

  // Output pixel ox, block cb of an output row.
  template <bool Tail>
  KILN_INLINE void store(void* row, long ox, long cb, __m512 acc) const {
    const __m512 v = value(acc, cb);
    const long off = ox * C + cb * 16;
    if (I8) {
      const __m128i q = _mm512_cvtsepi32_epi8(codes(v));
      const __m128i c = _mm_min_epi8(_mm_max_epi8(q, _mm512_castsi512_si128(qlo)), _mm512_castsi512_si128(qhi));
      int8_t* o = static_cast<int8_t*>(row) + off;
      if (Tail) _mm_mask_storeu_epi8(o, tail, c);
      else _mm_storeu_si128(reinterpret_cast<__m128i*>(o), c);
    } else {
      float* o = static_cast<float*>(row) + off;
      if (Tail) _mm512_mask_storeu_ps(o, tail, v);
      else _mm512_storeu_ps(o, v);
    }
  }

  // Four whole blocks cb of the output pixels at o[0..3] (pixel 0 of their rows plus
  // the pixel's offset ox * C, in elements). For i8 the 4 vectors of codes pack into
  // one whose 128-bit lane L holds channels 4L..4L+3 of pixels 0-3 (a dword each);
  // vpermd transposes those dwords so that pixel q's 16 bytes are lane q.
  KILN_INLINE void store4(void* const* row, const long* ox, long cb, const __m512* acc) const {
    if (!I8) {
      for (int q = 0; q < 4; ++q) store<false>(row[q], ox[q], cb, acc[q]);
      return;
    }
    const __m512i q0 = codes(value(acc[0], cb)), q1 = codes(value(acc[1], cb));
    const __m512i q2 = codes(value(acc[2], cb)), q3 = codes(value(acc[3], cb));
    const __m512i packed = _mm512_packs_epi16(_mm512_packs_epi32(q0, q1), _mm512_packs_epi32(q2, q3));
    const __m512i byPixel = _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), packed);
    const __m512i c = _mm512_min_epi8(_mm512_max_epi8(byPixel, qlo), qhi);
    const auto at = [&](int q) { return reinterpret_cast<__m128i*>(static_cast<int8_t*>(row[q]) + ox[q] * C + cb * 16); };
    _mm_storeu_si128(at(0), _mm512_castsi512_si128(c));
    // Straight from the zmm to memory: GCC would extract to a register (a shuffle) and store.
    asm volatile("vextracti32x4 $1, %1, %0" : "=m"(*at(1)) : "v"(c));
    asm volatile("vextracti32x4 $2, %1, %0" : "=m"(*at(2)) : "v"(c));
    asm volatile("vextracti32x4 $3, %1, %0" : "=m"(*at(3)) : "v"(c));
  }
};

// 16 bytes of a row at p (the channels of `keep` where Tail, zeros past them).
template <bool Tail>
KILN_INLINE __m128i bytes16(const int8_t* p, __mmask16 keep) {
  if (Tail) return _mm_maskz_loadu_epi8(keep, p);
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// The i16 pairs (a[c], b[c]) of 16 channels: [a | b] widened, then words c and 16 + c
// side by side (`interleave`); single(a): (a[c], sign of a[c]), for weight pairs (w, 0).
template <bool Tail>
KILN_INLINE __m512i pair(const int8_t* a, const int8_t* b, __mmask16 keep, __m512i interleave) {
  const __m256i ab = _mm256_inserti128_si256(_mm256_castsi128_si256(bytes16<Tail>(a, keep)), bytes16<Tail>(b, keep), 1);
  return _mm512_permutexvar_epi16(interleave, _mm512_cvtepi8_epi16(ab));
}
template <bool Tail>
KILN_INLINE __m512i single(const int8_t* a, __mmask16 keep) {
  return _mm512_cvtepi8_epi32(bytes16<Tail>(a, keep));
}

// R output rows x P pixels of one 16-channel block, the sums in registers; in[i]
// (i < N) the input rows at the tile's first column; w the block's weight pairs
// [kind][kx][32] (kinds: (w0,w1), (w2,0), (0,w0), (w1,w2)); the row pairs as in the
// AVX2 rows. The loops must unroll completely, or the arrays go to the stack.
template <int SH, int SW, int R, int P, bool Tail>
KILN_INLINE void tile(const int8_t* const* in, long C, const int16_t* w, __mmask16 keep, __m512i (&acc)[R][P]) {
  constexpr int N = (R - 1) * SH + 3, pairs = N / 2;
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const auto wp = [w](int kind, int kx) { return _mm512_loadu_si512(w + (kind * 3 + kx) * 32); };
  // An output's first column (kx 0) starts its sum with vpmaddwd (no zeroed register).
  const auto mad2 = [](__m512i& a, bool first, __m512i x, __m512i wx, __m512i y, __m512i wy) {
    a = _mm512_dpwssd_epi32(first ? _mm512_madd_epi16(x, wx) : _mm512_dpwssd_epi32(a, x, wx), y, wy);
  };
#pragma GCC unroll 16
  for (int c = 0; c < (P - 1) * SW + 3; ++c) {
    const long o = c * C;
    __m512i pr[pairs + 1];
#pragma GCC unroll 16
    for (int k = 0; k < pairs; ++k) pr[k] = pair<Tail>(in[2 * k] + o, in[2 * k + 1] + o, keep, interleave);
    if (N % 2) pr[pairs] = single<Tail>(in[N - 1] + o, keep);
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
    // One column at a time: GCC otherwise hoists the widenings of later columns and spills.
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j)
#pragma GCC unroll 16
      for (int q = 0; q < P; ++q)
        if (c >= q * SW) asm volatile("" : "+v"(acc[j][q])::"memory");
  }
}

// A quad of rows for vpdpbusd: byte r of dword c is row r's channel c, shifted to u8
// (x ^ 0x80). Each row's 16 bytes broadcast to the 4 lanes (a plain load), then lane L
// takes channels 4L..4L+3 of every row by one vpshufb a row, merged by byte masks.
template <bool Tail>
KILN_INLINE __m512i quad(const int8_t* r0, const int8_t* r1, const int8_t* r2, const int8_t* r3, __mmask16 keep, __m512i spread, __m512i flip) {
  const auto row = [keep](const int8_t* p) { return _mm512_broadcast_i32x4(bytes16<Tail>(p, keep)); };
  __m512i q = _mm512_shuffle_epi8(row(r0), spread);
  q = _mm512_mask_shuffle_epi8(q, 0x2222222222222222ull, row(r1), spread);
  q = _mm512_mask_shuffle_epi8(q, 0x4444444444444444ull, row(r2), spread);
  q = _mm512_mask_shuffle_epi8(q, 0x8888888888888888ull, row(r3), spread);
  return _mm512_xor_si512(q, flip);
}

// The stride-1 tile on quads: output row j takes quad j / 2 (rows j & ~1 .. +3, the
// last row repeated where the tile has fewer) with the weights (w0, w1, w2, 0) for
// even j, (0, w0, w1, w2) for odd j: 3 vpdpbusd an output where the pairs take 6.
// Sums start at comp[c] = -128 * (sum of the channel's 9 weights), which undoes the
// shift exactly: a padded tap reads 0, shifted to 128, as the compensation counts it.
template <int R, int P, bool Tail>
KILN_INLINE void quadTile(const int8_t* const* in, long C, const int16_t* block, __mmask16 keep, __m512i (&acc)[R][P]) {
  constexpr int N = R + 2, Q = (R + 1) / 2;
  const __m512i spread = _mm512_set_epi8(15, 15, 15, 15, 14, 14, 14, 14, 13, 13, 13, 13, 12, 12, 12, 12, 11, 11, 11, 11, 10, 10, 10, 10, 9, 9, 9, 9, 8, 8, 8, 8,
                                         7, 7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  const __m512i flip = _mm512_set1_epi8(char(0x80));
  const int8_t* w = reinterpret_cast<const int8_t*>(block) + kDw3x3QuadsAt;
  const auto wq = [w](int kind, int kx) { return _mm512_load_si512(w + (kind * 3 + kx) * 64); };
  const __m512i comp = _mm512_load_si512(w + 6 * 64);
#pragma GCC unroll 16
  for (int c = 0; c < P + 2; ++c) {
    const long o = c * C;
    const auto at = [&](int i) { return in[i < N ? i : N - 1] + o; };
    __m512i qd[Q];
#pragma GCC unroll 16
    for (int k = 0; k < Q; ++k) qd[k] = quad<Tail>(at(2 * k), at(2 * k + 1), at(2 * k + 2), at(2 * k + 3), keep, spread, flip);
#pragma GCC unroll 16
    for (int q = 0; q < P; ++q) {
      const int kx = c - q;
      if (kx < 0 || kx >= 3) continue;
#pragma GCC unroll 16
      for (int j = 0; j < R; ++j) acc[j][q] = _mm512_dpbusd_epi32(kx == 0 ? comp : acc[j][q], qd[j / 2], wq(j % 2, kx));
    }
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j)
#pragma GCC unroll 16
      for (int q = 0; q < P; ++q)
        if (c >= q) asm volatile("" : "+v"(acc[j][q])::"memory");
  }
}

// Stride 1, i8 out, a whole group of 64 channels: one 64-byte load a row, the quads
// by vpunpck{l,h}bw then vpunpck{l,h}wd in lanes, so quad vector s holds channels
// 16L + 4s + i (lane L, dword i), the group slots of the weights, multipliers and
// biases. R2 (1 or 2) output rows from rows in[0..R2+1] (the last repeated for 1, its
// weight 0), P2 pixels; stored at y[j] + (ox + q) * C + 64g.
template <int R2, int P2>
__attribute__((noinline)) void groupTile(const int8_t* const* in, const QDw3x3Rows& a, const Epilogue<true>& e, void* const* y, long ox, long g) {
  constexpr int N = R2 + 2;
  const long C = a.C;
  const __m512i flip = _mm512_set1_epi8(char(0x80));
  const int8_t* w = reinterpret_cast<const int8_t*>(a.wpairs + g * 4 * kDw3x3Pairs16PerBlock) + kDw3x3GroupAt;
  const auto wq = [w](int s, int kind, int kx) { return _mm512_load_si512(w + s * 2 * kDw3x3Pairs16PerBlock + (kind * 3 + kx) * 64); };
  const auto comp = [w](int s) { return _mm512_load_si512(w + s * 2 * kDw3x3Pairs16PerBlock + 6 * 64); };
  __m512i acc[R2][P2][4];
#pragma GCC unroll 16
  for (int c = 0; c < P2 + 2; ++c) {
    __m512i r[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) r[i] = i < N ? _mm512_xor_si512(_mm512_loadu_si512(in[i] + c * C), flip) : r[N - 1];
    const __m512i lo01 = _mm512_unpacklo_epi8(r[0], r[1]), hi01 = _mm512_unpackhi_epi8(r[0], r[1]);
    const __m512i lo23 = _mm512_unpacklo_epi8(r[2], r[3]), hi23 = _mm512_unpackhi_epi8(r[2], r[3]);
    const __m512i qd[4] = {_mm512_unpacklo_epi16(lo01, lo23), _mm512_unpackhi_epi16(lo01, lo23), _mm512_unpacklo_epi16(hi01, hi23),
                           _mm512_unpackhi_epi16(hi01, hi23)};
#pragma GCC unroll 16
    for (int q = 0; q < P2; ++q) {
      const int kx = c - q;
      if (kx < 0 || kx >= 3) continue;
#pragma GCC unroll 16
      for (int j = 0; j < R2; ++j)
#pragma GCC unroll 4
        for (int s = 0; s < 4; ++s) acc[j][q][s] = _mm512_dpbusd_epi32(kx == 0 ? comp(s) : acc[j][q][s], qd[s], wq(s, j, kx));
    }
#pragma GCC unroll 16
    for (int j = 0; j < R2; ++j)
#pragma GCC unroll 16
      for (int q = 0; q < P2; ++q)
#pragma GCC unroll 4
        for (int s = 0; s < 4; ++s)
          if (c >= q) asm volatile("" : "+v"(acc[j][q][s])::"memory");
  }
#pragma GCC unroll 16
  for (int j = 0; j < R2; ++j)
#pragma GCC unroll 16
    for (int q = 0; q < P2; ++q) e.storeGroup(static_cast<int8_t*>(y[j]) + (ox + q) * C + g * 64, g, acc[j][q]);
}

// Every output row of the call, pixels [ox, ox + P), group g: rows by pairs (2 x 2
// pixels a tile), an odd last row alone.
template <int R, int P>
KILN_INLINE void groupAt(const QDw3x3Rows& a, const Epilogue<true>& e, const int8_t* const* rows, long col, long ox, long g) {
  constexpr int N = R + 2;
  const int8_t* in[N];
  for (int i = 0; i < N; ++i) in[i] = rows[i] + col + g * 64;
  void* y[R];
  for (int j = 0; j < R; ++j) y[j] = a.y[j];
#pragma GCC unroll 4
  for (int k = 0; 2 * k < R; ++k) {
    const int8_t* const* r = in + 2 * k;
    if (2 * k + 1 < R) {
      if (P == 1) groupTile<2, 1>(r, a, e, y + 2 * k, ox, g);
      else
#pragma GCC unroll 2
        for (int p = 0; p < P; p += 2) {
          const int8_t* shifted[4];
          for (int i = 0; i < 4; ++i) shifted[i] = r[i] + p * a.C;
          groupTile<2, (P > 1 ? 2 : 1)>(shifted, a, e, y + 2 * k, ox + p, g);
        }
    } else {
      groupTile<1, P>(r, a, e, y + 2 * k, ox, g);
    }
  }
}

// One tile at output pixel ox, block cb, stored through the epilogue; rows[i] + col
// is the input pixel under the tile's first column. The epilogue and the row
// pointers are copied first: an i8 store may alias anything in memory.
template <int SH, int SW, int R, int P, bool I8, bool Tail>
KILN_INLINE void tileAt(const QDw3x3Rows& a, const Epilogue<I8>& ep, const int8_t* const* rows, long col, long ox, long cb) {
  constexpr int N = (R - 1) * SH + 3;
  const int8_t* in[N];
  for (int i = 0; i < N; ++i) in[i] = rows[i] + col + cb * 16;
  __m512i acc[R][P];
  if constexpr (SH == 1) quadTile<R, P, Tail>(in, a.C, a.wpairs + cb * kDw3x3Pairs16PerBlock, ep.tail, acc);
  else tile<SH, SW, R, P, Tail>(in, a.C, a.wpairs + cb * kDw3x3Pairs16PerBlock, ep.tail, acc);
  const Epilogue<I8> e = ep;
  void* y[R];
  for (int j = 0; j < R; ++j) y[j] = a.y[j];
  __m512 v[R * P];
  void* row[R * P];
  long px[R * P];
#pragma GCC unroll 16
  for (int i = 0; i < R * P; ++i) {
    v[i] = _mm512_cvtepi32_ps(acc[i / P][i % P]);
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

// Output pixels [ox, ox + P) of every block from rows[i] + col.
template <int S, int R, int P, bool I8>
KILN_INLINE void blocks(const QDw3x3Rows& a, const Epilogue<I8>& e, const int8_t* const* rows, long col, long ox) {
  const long full = a.C / 16, last = a.cb1 < full ? a.cb1 : full;
  long cb = a.cb0;
  if constexpr (I8 && S == 1) {
    const long grouped = a.C / 64 * 4 < last ? a.C / 64 * 4 : last;
    while (cb < grouped)
      if (cb % 4 == 0 && cb + 4 <= grouped) groupAt<R, P>(a, e, rows, col, ox, cb / 4), cb += 4;
      else tileAt<S, S, R, P, I8, false>(a, e, rows, col, ox, cb), ++cb;
  }
  for (; cb < last; ++cb) tileAt<S, S, R, P, I8, false>(a, e, rows, col, ox, cb);
  if (a.cb1 > full) tileAt<S, S, R, P, I8, true>(a, e, rows, col, ox, full);
}

// Output pixels [ox0, ox1) by tiles of 4 pixels, then 2, then 1.
template <int S, int R, bool I8>
void pixels(const QDw3x3Rows& a, const Epilogue<I8>& e, const int8_t* const* rows, long col, long ox0, long ox1) {
  long ox = ox0;
  for (; ox + 4 <= ox1; ox += 4, col += 4 * S * a.C) blocks<S, R, 4, I8>(a, e, rows, col, ox);
  if (ox + 2 <= ox1) blocks<S, R, 2, I8>(a, e, rows, col, ox), ox += 2, col += 2 * S * a.C;
  if (ox < ox1) blocks<S, R, 1, I8>(a, e, rows, col, ox);
}

// Output pixels [ox0, ox1) whose windows leave the row: their input columns copied
// with zero pixels where they lie outside [0, W), then the tiles on the copy.
template <int S, int R, bool I8>
void edges(const QDw3x3Rows& a, const Epilogue<I8>& e, long ox0, long ox1) {
  if (ox0 >= ox1) return;
  constexpr int N = (R - 1) * S + 3;
  const long ix0 = ox0 * S - a.pl, width = (ox1 - 1 - ox0) * S + 3;
  thread_local std::vector<int8_t> copy;
  copy.resize(size_t(N * width * a.C));
  const int8_t* rows[N];
  // Columns [k0, k1) of the copy lie inside the row: one copy, zeros either side.
  const long k0 = std::min(width, std::max(0L, -ix0)), k1 = std::max(k0, std::min(width, a.W - ix0));
  for (int i = 0; i < N; ++i) {
    int8_t* dst = copy.data() + i * width * a.C;
    rows[i] = dst;
    std::memset(dst, 0, size_t(k0 * a.C));
    if (k1 > k0) std::memcpy(dst + k0 * a.C, a.rows[i] + (ix0 + k0) * a.C, size_t((k1 - k0) * a.C));
    std::memset(dst + k1 * a.C, 0, size_t((width - k1) * a.C));
  }
  pixels<S, R, I8>(a, e, rows, 0, ox0, ox1);
}

template <int S, int R, bool I8>
void rows(const QDw3x3Rows& a, long oxa, long oxb) {
  const Epilogue<I8> e(a);
  edges<S, R, I8>(a, e, 0, oxa);
  pixels<S, R, I8>(a, e, a.rows, (oxa * S - a.pl) * a.C, oxa, oxb);
  edges<S, R, I8>(a, e, oxb, a.OW);
}

}  // namespace

void packDw3x3Pairs16(const int8_t* w, size_t channels, int16_t* out) {
  const size_t blocks = (channels + 15) / 16;
  std::fill(out, out + blocks * kDw3x3Pairs16PerBlock, int16_t(0));
  for (size_t c = 0; c < channels; ++c)
    for (size_t kx = 0; kx < 3; ++kx) {
      const int16_t w0 = w[c * 9 + kx], w1 = w[c * 9 + 3 + kx], w2 = w[c * 9 + 6 + kx];
      const int16_t kinds[4][2] = {{w0, w1}, {w2, 0}, {0, w0}, {w1, w2}};
      for (size_t k = 0; k < 4; ++k)
        for (size_t t = 0; t < 2; ++t) out[c / 16 * kDw3x3Pairs16PerBlock + (k * 3 + kx) * 32 + c % 16 * 2 + t] = kinds[k][t];
    }
  // The stride-1 quads: [kind (w0,w1,w2,0), (0,w0,w1,w2)][kx][16 channels][4] i8, then comp i32[16].
  for (size_t c = 0; c < channels; ++c) {
    int8_t* q = reinterpret_cast<int8_t*>(out + c / 16 * kDw3x3Pairs16PerBlock) + kDw3x3QuadsAt;
    int32_t sum = 0;
    for (size_t kx = 0; kx < 3; ++kx) {
      const int8_t w0 = w[c * 9 + kx], w1 = w[c * 9 + 3 + kx], w2 = w[c * 9 + 6 + kx];
      const int8_t kinds[2][4] = {{w0, w1, w2, 0}, {0, w0, w1, w2}};
      for (size_t k = 0; k < 2; ++k) std::memcpy(q + (k * 3 + kx) * 64 + c % 16 * 4, kinds[k], 4);
      sum += w0 + w1 + w2;
    }
    const int32_t comp = -128 * sum;
    std::memcpy(q + 6 * 64 + c % 16 * 4, &comp, 4);
    // The same again in the group slots, for channels in whole groups of 64.
    if (c >= channels / 64 * 64) continue;
    const size_t slot = dw3x3GroupSlot(c);
    int8_t* gq = reinterpret_cast<int8_t*>(out + slot / 16 * kDw3x3Pairs16PerBlock) + kDw3x3GroupAt + slot % 16 * 4;
    for (size_t k = 0; k < 6; ++k) std::memcpy(gq + k * 64, q + k * 64 + c % 16 * 4, 4);
    std::memcpy(gq + 6 * 64, &comp, 4);
  }
}

void qdw3x3RowsAvx512(const QDw3x3Rows& a) {
  dispatchDw3x3Rows(a, [&](auto stride, auto r, auto i8, long s, long t) { rows<decltype(stride)::value, decltype(r)::value, decltype(i8)::value>(a, s, t); });
}

}  // namespace kiln::cpu
