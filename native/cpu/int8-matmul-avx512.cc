// qmatmul's tile in zmm for AVX-512 VNNI CPUs (compiled into kiln_avx512vnni with
// -mavx512f/bw/dq/vl/vnni; reached only through int8NhwcCores() after cpuid reports
// those and avx2). One zmm holds a quad of k of one 16-channel block of packed B (64
// bytes), so a tile of up to 8 pixels x 32 channels is 16 i32 accumulators, each step
// a vpdpbusd of a broadcast pixel quad (u8) by a block's weights (s8): exact sums, no
// pair limit, one plane. The epilogue runs 16 channels per instruction in the float
// steps and order of the AVX2 one (int8-matmul-avx2.cc), with vpmovsdb saturating the
// codes to i8 and masked loads and stores for a last block of 1-15 channels.
// Split: a row group's sums for a span of channels go to an L1 buffer, then its rows
// run the epilogue. Row groups are balanced (25 rows: 7 + 6 + 6 + 6, not 8 + 8 + 8 + 1).
// Measured on the Xeon (int8-mm-bench, 4 threads, against fp32 in the same run): the
// epilogue from the tile's registers ran slower than split (96->576 3.5x vs 4.6x fp32),
// 6-row groups slower than 8, vpackssdw/vpacksswb/vpermd for 64 codes no faster than
// vpmovsdb; qmatmuls of fewer than 32 channels stay on the ymm tile (see below).
// Layouts: int8-nhwc.h.
// GCC 12 flags the intrinsics' own `__Y = __Y` placeholders (_mm512_undefined_*) once
// they are inlined here (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "int8-matmul-variant.h"

namespace kiln::cpu {

namespace {

constexpr size_t kRows = 8;     // rows of a tile
constexpr size_t kSpan = 640;   // channels of the sums buffer (a multiple of 16)

struct Consts {
  __m512 lo, hi, rs, inv;
  bool stream;  // f32 rows by streaming stores (Int8MatMulArgs::stream)
};

// A product rounded to f32 on its own: g++ contracts a multiply and a following add
// into one FMA (one rounding) unless the product is pinned by an (empty) asm.
inline __m512 rounded(__m512 v) {
  asm("" : "+v"(v));
  return v;
}

template <bool Full>
inline __m512 loadF(const float* p, __mmask16 lanes) {
  if constexpr (Full) return _mm512_loadu_ps(p);
  else return _mm512_maskz_loadu_ps(lanes, p);
}

// 16 channels (Full) or those of `lanes` of the epilogue in the interpreter's float
// steps and order: acc holds the exact sum already less comp.
template <bool Full, Res R, Act2 A>
inline __m512 value(__m512i acc, __mmask16 lanes, const float* m, const float* b, const void* r, const Activation& act, const Consts& k) {
  __m512 v = rounded(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), loadF<Full>(m, lanes)));
  if (b) v = _mm512_add_ps(v, loadF<Full>(b, lanes));
  if constexpr (R == Res::i8) {
    const __m128i q = Full ? _mm_loadu_si128(static_cast<const __m128i*>(r)) : _mm_maskz_loadu_epi8(lanes, r);
    v = _mm512_add_ps(v, rounded(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), k.rs)));
  }
  if constexpr (R == Res::f32) v = _mm512_add_ps(v, loadF<Full>(static_cast<const float*>(r), lanes));
  if constexpr (A == Act2::clamp || A == Act2::bounded) v = _mm512_min_ps(_mm512_max_ps(v, k.lo), k.hi);
  if constexpr (A == Act2::other) {
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    applyActivation(act, t, t, 16);
    v = _mm512_load_ps(t);
  }
  return v;
}

// round_half_even(v * inv) as i32, to be saturated to i8 by vpmovsdb: the upper clamp
// comes first since cvtps of a huge value is INT_MIN (NaN takes that path to -128, as
// the AVX2 epilogue does).
template <Act2 A>
inline __m512i codes(__m512 v, const Consts& k) {
  __m512 s = _mm512_mul_ps(v, k.inv);
  if constexpr (A != Act2::bounded) s = _mm512_min_ps(_mm512_set1_ps(127.f), s);
  return _mm512_cvtps_epi32(s);
}

// 16 channels (Full) or those of `lanes` of one row: mult, bias (or null), r and y
// point at their first channel.
template <bool Full, bool I8, Res R, Act2 A>
inline void store16(__m512i acc, __mmask16 lanes, const float* mult, const float* bias, const Activation& act, const void* r, uint8_t* y, const Consts& k) {
  const __m512 v = value<Full, R, A>(acc, lanes, mult, bias, r, act, k);
  if constexpr (I8) {
    const __m512i q = codes<A>(v, k);
    if constexpr (Full) _mm_storeu_si128(reinterpret_cast<__m128i*>(y), _mm512_cvtsepi32_epi8(q));
    else _mm512_mask_cvtsepi32_storeu_epi8(y, lanes, q);
  } else {
    float* o = reinterpret_cast<float*>(y);
    if constexpr (Full) {
      if (k.stream) {
        // Rows are 32-byte aligned (n % 8 == 0), not always 64: two 32-byte halves.
        _mm256_stream_ps(o, _mm512_castps512_ps256(v));
        _mm256_stream_ps(o + 8, _mm512_extractf32x8_ps(v, 1));
      } else {
        _mm512_storeu_ps(o, v);
      }
    } else {
      _mm512_mask_storeu_ps(o, lanes, v);
    }
  }
}

// out[i][16 * j ..] (row stride `stride`) = -comp + the sums of the R packed rows x
// (stride 4 * kq) for NB blocks from channel c of the one weight plane; Half: the last
// of them is the 8-wide last block ([kq][8][4]), read as the low half of a zmm.
template <int R, int NB, bool Half>
__attribute__((always_inline)) inline void accumulate(const Int8MatMulArgs& m, const uint8_t* a, size_t c, __m512i (&acc)[R][NB]) {
  const size_t kp = 4 * m.kq;
  for (int j = 0; j < NB; ++j) {
    const __m512i init = Half && j == NB - 1 ? _mm512_maskz_loadu_epi32(0xff, m.negComp + c + 16 * j) : _mm512_loadu_si512(m.negComp + c + 16 * j);
    for (int i = 0; i < R; ++i) acc[i][j] = init;
  }
  const int8_t* b0 = m.b + c * kp;
  const int8_t* b1 = b0 + 16 * kp;
  const uint8_t* x = a;
  for (size_t q = 0; q < m.kq; ++q, x += 4) {
    __m512i w[NB];
    if constexpr (NB == 1) {
      w[0] = Half ? _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + 32 * q))) : _mm512_loadu_si512(b0 + 64 * q);
    } else {
      w[0] = _mm512_loadu_si512(b0 + 64 * q);
      w[1] = Half ? _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b1 + 32 * q))) : _mm512_loadu_si512(b1 + 64 * q);
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      int32_t s;
      std::memcpy(&s, x + i * kp, 4);
      const __m512i xv = _mm512_set1_epi32(s);
#pragma GCC unroll 2
      for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], xv, w[j]);
    }
  }
}

template <int R, int NB, bool Half>
__attribute__((always_inline)) inline void sums(const Int8MatMulArgs& m, const uint8_t* a, size_t c, int32_t* out, size_t stride) {
  __m512i acc[R][NB];
  accumulate<R, NB, Half>(m, a, c, acc);
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < NB; ++j) _mm512_store_si512(out + i * stride + 16 * j, acc[i][j]);
}

// The sums of R rows for channels [c0, c1) into buf (rows of `stride`, from c0): pairs
// of blocks, then a last single block or pair.
template <int R>
__attribute__((noinline)) void groupSums(const Int8MatMulArgs& m, const uint8_t* a, size_t c0, size_t c1, int32_t* buf, size_t stride) {
  const size_t padded = int8MatMulChannels(m.n);
  size_t c = c0;
  // c + 32 <= c1 <= n: both blocks hold 16 channels.
  for (; c + 32 <= c1; c += 32) sums<R, 2, false>(m, a, c, buf + (c - c0), stride);
  if (c == c1) return;
  if (c1 - c > 16) {
    if (padded - c == 24) sums<R, 2, true>(m, a, c, buf + (c - c0), stride);
    else sums<R, 2, false>(m, a, c, buf + (c - c0), stride);
  } else {
    if (padded - c == 8) sums<R, 1, true>(m, a, c, buf + (c - c0), stride);
    else sums<R, 1, false>(m, a, c, buf + (c - c0), stride);
  }
}

using GroupSumsFn = void (*)(const Int8MatMulArgs&, const uint8_t*, size_t, size_t, int32_t*, size_t);
constexpr GroupSumsFn kGroupSums[kRows] = {groupSums<1>, groupSums<2>, groupSums<3>, groupSums<4>, groupSums<5>, groupSums<6>, groupSums<7>, groupSums<8>};

// The epilogue of `count` rows from row0 x `width` channels from c0, their sums in buf
// (rows of `stride`).
template <bool I8, Res R, Act2 A>
void finishRows(const int32_t* buf, size_t stride, size_t count, const Int8MatMulArgs& m, size_t row0, size_t c0, size_t width, const Consts& k) {
  const size_t esize = I8 ? 1 : 4, rsize = R == Res::i8 ? 1 : 4;
  const float* mult = m.multiplier + c0;
  const float* bias = m.bias ? m.bias + c0 : nullptr;
  const Activation act = m.act;
  for (size_t i = 0; i < count; ++i, buf += stride) {
    const size_t at = (row0 + i) * m.n + c0;
    const uint8_t* res = R == Res::none ? nullptr : static_cast<const uint8_t*>(m.residual) + at * rsize;
    uint8_t* y = static_cast<uint8_t*>(m.y) + at * esize;
    size_t c = 0;
    for (; c + 16 <= width; c += 16)
      store16<true, I8, R, A>(_mm512_load_si512(buf + c), 0xffff, mult + c, bias ? bias + c : nullptr, act, R == Res::none ? nullptr : res + c * rsize, y + c * esize, k);
    if (c < width)
      store16<false, I8, R, A>(_mm512_load_si512(buf + c), __mmask16((1u << (width - c)) - 1), mult + c, bias ? bias + c : nullptr, act, R == Res::none ? nullptr : res + c * rsize,
                               y + c * esize, k);
  }
}

// Output rows [row0, row0 + rows) x channels [c0, c1) (c1 - c0 <= kSpan).
template <bool I8, Res R, Act2 A>
void split(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1, const Consts& k) {
  const size_t kp = 4 * m.kq, width = c1 - c0;
  alignas(64) int32_t buf[kRows][kSpan];
  size_t groups = (rows + kRows - 1) / kRows;
  for (size_t r = 0; r < rows; --groups) {
    const size_t count = (rows - r + groups - 1) / groups;
    kGroupSums[count - 1](m, a + r * kp, c0, c1, buf[0], kSpan);
    finishRows<I8, R, A>(buf[0], kSpan, count, m, row0 + r, c0, width, k);
    r += count;
  }
}

// Spans of channels whose weights stay in L2 while the panel's row groups pass.
template <bool I8, Res R, Act2 A>
void blocks(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1, const Consts& k) {
  const size_t kp = 4 * m.kq;
  const size_t span = std::clamp<size_t>((size_t(256) << 10) / kp / 16 * 16, 16, kSpan);
  for (size_t c = c0; c < c1; c += span) split<I8, R, A>(m, a, row0, rows, c, std::min(c1, c + span), k);
}

using BlocksFn = void (*)(const Int8MatMulArgs&, const uint8_t*, size_t, size_t, size_t, size_t, const Consts&);

KILN_INT8_MATMUL_TABLES(blocks, BlocksFn)

}  // namespace

void int8MatMulAvx512(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1) {
  if (m.planes != 1 || m.n < 32) {
    // Weights split for the pair limit (never packed so for these cores: pairLimit is
    // false), or fewer than 32 channels, which ran 6-10% slower in zmm than in ymm
    // (int8-mm-bench on the Xeon, 4 threads: 32->16, 96->24, 144->24, relative to fp32).
    int8MatMulVnni(m, a, row0, rows, c0, c1);
    return;
  }
  const Variant v = variantOf(m);
  const Consts k{_mm512_set1_ps(v.range.lo), _mm512_set1_ps(v.range.hi), _mm512_set1_ps(m.residualScale), _mm512_set1_ps(v.inv), m.stream && m.outScale == 0};
  const BlocksFn fn = (m.outScale > 0 ? kByRes<true> : kByRes<false>)[v.res][v.act];
  fn(m, a, row0, rows, c0, c1, k);
  if (k.stream) _mm_sfence();  // the streamed rows visible before the task counts as done
}

}  // namespace kiln::cpu
