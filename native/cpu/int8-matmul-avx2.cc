// qmatmul's AVX2 tile (compiled with -mavx2 into kiln_avx2; reached only through
// int8NhwcCores() after the cpuid check): 5 pixels x 16 channels in 10 i32
// accumulators (6 rows measured no faster: with 12 accumulators, the weights, the
// broadcast, a product and the ones, gcc kept one accumulator on the stack). A row
// group's sums go to an L1 buffer for a span of channels before its rows run the
// epilogue (split); with two weight planes the epilogue runs from the tile's registers.
// The epilogue's variants (i8 or f32 out, residual none / i8 / f32, activation none /
// clamp / other) are template arguments, chosen once per call: the tile's loop holds
// no branch. So is the multiply step of a panel whose codes are all >= 0, packed
// unshifted (packPixelsAvx2Unshifted): two quads' vpmaddubsw summed by vpaddw before
// one vpmaddwd (exact, int8-nhwc.h), where other panels take a vpmaddwd per quad.
// Layouts: int8-nhwc.h.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "int8-matmul-variant.h"

#ifdef KILN_INT8_VNNI
#define KILN_INT8_MATMUL int8MatMulVnni
#else
#define KILN_INT8_MATMUL int8MatMulAvx2
#endif

namespace kiln::cpu {

namespace {

inline __m256i load(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// The epilogue's broadcast constants, made once per call.
struct Consts {
  __m256 lo, hi, rs, inv;
  __m256i keep;  // all ones, or 0 for an unshifted panel (no comp): negComp & keep starts the sums
  bool stream;   // f32 rows by streaming stores (Int8MatMulArgs::stream)
};

// A product rounded to f32 on its own: g++ contracts a multiply and a following add
// into one FMA (one rounding) unless the product is pinned by an (empty) asm.
inline __m256 rounded(__m256 v) {
  asm("" : "+x"(v));
  return v;
}

// Eight channels of the epilogue in the interpreter's float steps and order: acc holds
// the exact sum already less comp.
template <Res R, Act2 A>
inline __m256 value(__m256i acc, const float* m, const float* b, const void* r, const Activation& act, const Consts& k) {
  __m256 v = rounded(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(m)));
  if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b));
  if constexpr (R == Res::i8) v = _mm256_add_ps(v, rounded(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(static_cast<const __m128i*>(r)))), k.rs)));
  if constexpr (R == Res::f32) v = _mm256_add_ps(v, _mm256_loadu_ps(static_cast<const float*>(r)));
  if constexpr (A == Act2::clamp || A == Act2::bounded) v = _mm256_min_ps(_mm256_max_ps(v, k.lo), k.hi);
  if constexpr (A == Act2::other) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    applyActivation(act, t, t, 8);
    v = _mm256_load_ps(t);
  }
  return v;
}

// round_half_even(v * inv) as i32, to be saturated to i8 by the packs: the upper clamp
// comes first since cvtps of a huge value is INT_MIN (NaN takes that path to -128, as
// the clamp-first epilogue of finish does).
template <Act2 A>
inline __m256i codes(__m256 v, const Consts& k) {
  if constexpr (A == Act2::bounded) return _mm256_cvtps_epi32(_mm256_mul_ps(v, k.inv));
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_set1_ps(127.f), _mm256_mul_ps(v, k.inv)));
}

// One pixel row of NV vectors: values to out (i8 or f32), the residual read from r.
template <int NV, bool I8, Res R, Act2 A>
inline void storeRow(const __m256i* acc, const Int8MatMulArgs& m, size_t c0, const void* r, void* out, const Consts& k) {
  const float* b = m.bias ? m.bias + c0 : nullptr;
  const size_t rsize = R == Res::i8 ? 1 : 4;
  __m256 v[NV];
  for (int j = 0; j < NV; ++j) v[j] = value<R, A>(acc[j], m.multiplier + c0 + 8 * j, b ? b + 8 * j : nullptr, R == Res::none ? nullptr : static_cast<const uint8_t*>(r) + 8 * j * rsize, m.act, k);
  if constexpr (!I8) {
    if (k.stream)
      for (int j = 0; j < NV; ++j) _mm256_stream_ps(static_cast<float*>(out) + 8 * j, v[j]);
    else
      for (int j = 0; j < NV; ++j) _mm256_storeu_ps(static_cast<float*>(out) + 8 * j, v[j]);
  } else if constexpr (NV == 2) {
    // packs work within 128-bit lanes: the dwords of u come out as [a0-3 b0-3 . . | a4-7 b4-7 . .].
    const __m256i t = _mm256_packs_epi32(codes<A>(v[0], k), codes<A>(v[1], k)), u = _mm256_packs_epi16(t, t);
    const __m256i o = _mm256_permutevar8x32_epi32(u, _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0));
    _mm_storeu_si128(static_cast<__m128i*>(out), _mm256_castsi256_si128(o));
  } else {
    const __m256i q = codes<A>(v[0], k);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(static_cast<__m128i*>(out), _mm_packs_epi16(w, w));
  }
}

// The last block's 1-15 channels of `rows` rows (acc as [row][8 * NV]) through
// zero-padded copies of the residual and the output, and a padded bias (multiplier
// and comp are padded already): off the tile's path, so its registers stay put.
template <int NV, bool I8, Res R, Act2 A>
__attribute__((noinline)) void partialRows(const int32_t* acc, const Int8MatMulArgs& m, const uint8_t* res, uint8_t* y, size_t rows, size_t c0, size_t width, const Consts& k) {
  const size_t esize = I8 ? 1 : 4, rsize = R == Res::i8 ? 1 : 4;
  alignas(32) float bias[8 * NV] = {}, out[8 * NV], resid[8 * NV] = {};
  Consts staged = k;
  staged.stream = false;  // out is on the stack
  Int8MatMulArgs p = m;
  if (m.bias) {
    std::memcpy(bias, m.bias + c0, width * 4);
    p.bias = bias - c0;
  }
  for (size_t i = 0; i < rows; ++i, acc += 8 * NV) {
    __m256i a[NV];
    for (int j = 0; j < NV; ++j) a[j] = load(acc + 8 * j);
    if (R != Res::none) std::memcpy(resid, res + i * m.n * rsize, width * rsize);
    storeRow<NV, I8, R, A>(a, p, c0, resid, out, staged);
    std::memcpy(y + i * m.n * esize, out, width * esize);
  }
}

// acc + the sums of 4 u8 x s8 products per i32 lane: vpdpbusd where compiled for VNNI
// (int8-matmul-vnni.cc: exact i32 sums, no pair limit), else vpmaddubsw (pairs into
// i16, exact under the pair limit), vpmaddwd by ones and vpaddd.
inline __m256i dot4(__m256i acc, __m256i x, __m256i w, __m256i ones) {
#ifdef KILN_INT8_VNNI
  (void)ones;
  return _mm256_dpbusd_epi32(acc, x, w);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones));
#endif
}

// acc[5][NV] = -comp (0 for an unshifted panel) + the sums of the 5 packed rows a
// (stride 4 * kq; past the tile's rows, zeros) for channels c0 .. c0 + 8 * NV. P: the
// panel is unshifted (codes 0..127), so two quads go through one vpmaddwd, the odd
// last quad through the one-quad step.
template <int NV, bool P>
inline void sums(const Int8MatMulArgs& m, const uint8_t* a, size_t c0, __m256i (&acc)[kMatMulMr][NV], const Consts& k) {
  constexpr int MR = int(kMatMulMr);
  const size_t kp = 4 * m.kq;
  for (int j = 0; j < NV; ++j) {
    const __m256i init = _mm256_and_si256(load(m.negComp + c0 + 8 * j), k.keep);
    for (int i = 0; i < MR; ++i) acc[i][j] = init;
  }
  const __m256i ones = _mm256_set1_epi16(1);
  for (size_t pl = 0; pl < m.planes; ++pl) {
    const int8_t* b = m.b + pl * m.planeStride + c0 * kp;
    const uint8_t* x = a;
    size_t q = 0;
    if constexpr (P) {
      // g++ holds the 4 weight vectors and spills 3 accumulators, and that measured
      // best: weights as memory operands lose 20% where b sits at 16 mod 64 (split
      // loads, 5 times as many), one channel vector at a time loads twice the broadcasts.
      for (; q + 2 <= m.kq; q += 2, b += 64 * NV, x += 8) {
        const __m256i b0 = load(b), b1 = load(b + 32 * NV);
#pragma GCC unroll 5
        for (int i = 0; i < MR; ++i) {
          int32_t s0, s1;
          std::memcpy(&s0, x + i * kp, 4);
          std::memcpy(&s1, x + i * kp + 4, 4);
          const __m256i x0 = _mm256_set1_epi32(s0), x1 = _mm256_set1_epi32(s1);
          acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(x0, b0), _mm256_maddubs_epi16(x1, b1)), ones));
          if constexpr (NV == 2)
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(x0, load(b + 32)), _mm256_maddubs_epi16(x1, load(b + 96))), ones));
        }
      }
    }
    for (; q < m.kq; ++q, b += 32 * NV, x += 4) {
      const __m256i b0 = load(b);
#pragma GCC unroll 5
      for (int i = 0; i < MR; ++i) {
        int32_t s;
        std::memcpy(&s, x + i * kp, 4);
        const __m256i xv = _mm256_set1_epi32(s);
        acc[i][0] = dot4(acc[i][0], xv, b0, ones);
        if constexpr (NV == 2) acc[i][1] = dot4(acc[i][1], xv, load(b + 32), ones);
      }
    }
  }
}

// Output rows row0.. (rows <= 5) x channels c0 .. c0 + width (width <= 8 * NV).
template <int NV, bool P, bool I8, Res R, Act2 A>
void tile(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t width, const Consts& k) {
  constexpr int MR = int(kMatMulMr);
  __m256i acc[MR][NV];
  sums<NV, P>(m, a, c0, acc, k);
  const size_t esize = I8 ? 1 : 4, rsize = R == Res::i8 ? 1 : 4;
  const uint8_t* res = R == Res::none ? nullptr : static_cast<const uint8_t*>(m.residual) + (row0 * m.n + c0) * rsize;
  uint8_t* y = static_cast<uint8_t*>(m.y) + (row0 * m.n + c0) * esize;
  if (width != 8 * NV) {
    alignas(32) int32_t spill[MR][8 * NV];
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NV; ++j) _mm256_store_si256(reinterpret_cast<__m256i*>(spill[i] + 8 * j), acc[i][j]);
    partialRows<NV, I8, R, A>(spill[0], m, res, y, rows, c0, width, k);
    return;
  }
  // Unrolled with constant indices, so the accumulators stay in registers.
#pragma GCC unroll 5
  for (int i = 0; i < MR; ++i) {
    if (size_t(i) >= rows) break;
    storeRow<NV, I8, R, A>(acc[i], m, c0, res, y, k);
    if (R != Res::none) res += m.n * rsize;
    y += m.n * esize;
  }
}

inline constexpr size_t kSplitChannels = 640;

// Sums and epilogue apart: a row group's sums for all channels of the span go to an L1
// buffer first, then its rows run the epilogue, so one tile's pipeline drain overlaps
// the next one's fill instead of waiting on an epilogue between them (one core:
// K=16 37.7 -> 43.9 GMAC/s, K=32 57.7 -> 62.4, K=384 88 -> 94).
template <bool P, bool I8, Res R, Act2 A>
void split(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1, const Consts& k) {
  constexpr int MR = int(kMatMulMr);
  const size_t kp = 4 * m.kq, esize = I8 ? 1 : 4, rsize = R == Res::i8 ? 1 : 4;
  const size_t padded = std::min(int8MatMulChannels(m.n), (c1 - c0 + kMatMulNr - 1) / kMatMulNr * kMatMulNr + c0) - c0;
  alignas(32) int32_t buf[kMatMulMr][kSplitChannels];
  for (size_t r = 0; r < rows; r += kMatMulMr) {
    for (size_t c = c0; c < c1; c += kMatMulNr) {
      if (int8MatMulChannels(m.n) - c == 8) {
        __m256i acc[MR][1];
        sums<1, P>(m, a + r * kp, c, acc, k);
        for (int i = 0; i < MR; ++i) _mm256_store_si256(reinterpret_cast<__m256i*>(buf[i] + (c - c0)), acc[i][0]);
      } else {
        __m256i acc[MR][2];
        sums<2, P>(m, a + r * kp, c, acc, k);
        for (int i = 0; i < MR; ++i) {
          _mm256_store_si256(reinterpret_cast<__m256i*>(buf[i] + (c - c0)), acc[i][0]);
          _mm256_store_si256(reinterpret_cast<__m256i*>(buf[i] + (c - c0) + 8), acc[i][1]);
        }
      }
    }
    const size_t count = std::min(kMatMulMr, rows - r);
    for (size_t i = 0; i < count; ++i) {
      const size_t at = (row0 + r + i) * m.n + c0;
      const uint8_t* res = R == Res::none ? nullptr : static_cast<const uint8_t*>(m.residual) + at * rsize;
      uint8_t* y = static_cast<uint8_t*>(m.y) + at * esize;
      size_t c = 0;
      for (; c + 16 <= c1 - c0; c += 16) {
        const __m256i v[2] = {load(buf[i] + c), load(buf[i] + c + 8)};
        storeRow<2, I8, R, A>(v, m, c0 + c, R == Res::none ? nullptr : res + c * rsize, y + c * esize, k);
      }
      if (c < c1 - c0) {
        const size_t width = c1 - c0 - c;
        if (width == 8 && padded - c == 8) {
          const __m256i v[1] = {load(buf[i] + c)};
          storeRow<1, I8, R, A>(v, m, c0 + c, R == Res::none ? nullptr : res + c * rsize, y + c * esize, k);
        } else if (width <= 8 && padded - c == 8) partialRows<1, I8, R, A>(buf[i] + c, m, res ? res + c * rsize : nullptr, y + c * esize, 1, c0 + c, width, k);
        else partialRows<2, I8, R, A>(buf[i] + c, m, res ? res + c * rsize : nullptr, y + c * esize, 1, c0 + c, width, k);
      }
    }
  }
}

using BlocksFn = void (*)(const Int8MatMulArgs&, const uint8_t*, size_t, size_t, size_t, size_t, const Consts&);

// One weight plane: split over spans of channels. Two: tiles with their epilogue,
// channel blocks outer, so a block of weights is read from L1 by every 5-row group of
// the panel; where all of the range's weights fit in L1 (small K), row groups outer, so
// the output is written row after row.
template <bool P, bool I8, Res R, Act2 A>
void blocks(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1, const Consts& k) {
  const size_t kp = 4 * m.kq;
  const auto one = [&](size_t r, size_t c) {
    const size_t count = std::min(kMatMulMr, rows - r), width = std::min(kMatMulNr, c1 - c);
    if (width <= 8 && int8MatMulChannels(m.n) - c == 8) tile<1, P, I8, R, A>(m, a + r * kp, row0 + r, count, c, width, k);
    else tile<2, P, I8, R, A>(m, a + r * kp, row0 + r, count, c, width, k);
  };
  if (m.planes == 1) {
    // Spans of channels whose weights stay in L2 while the panel's row groups pass.
    const size_t span = std::clamp<size_t>((size_t(256) << 10) / kp / kMatMulNr * kMatMulNr, kMatMulNr, kSplitChannels);
    for (size_t c = c0; c < c1; c += span) split<P, I8, R, A>(m, a, row0, rows, c, std::min(c1, c + span), k);
    return;
  }
  if ((c1 - c0) * kp * m.planes <= (size_t(12) << 10)) {
    for (size_t r = 0; r < rows; r += kMatMulMr)
      for (size_t c = c0; c < c1; c += kMatMulNr) one(r, c);
  } else {
    for (size_t c = c0; c < c1; c += kMatMulNr)
      for (size_t r = 0; r < rows; r += kMatMulMr) one(r, c);
  }
}

// The tables of kByRes (int8-matmul-variant.h) for shifted panels, and in the AVX2
// build for unshifted ones (VNNI has no pair limit: its unshifted sums only start at 0).
template <bool I8, Res R, Act2 A>
constexpr BlocksFn kShiftedBlocks = blocks<false, I8, R, A>;
namespace shifted {
KILN_INT8_MATMUL_TABLES(kShiftedBlocks, BlocksFn)
}
#ifndef KILN_INT8_VNNI
template <bool I8, Res R, Act2 A>
constexpr BlocksFn kPairBlocks = blocks<true, I8, R, A>;
namespace pairs {
KILN_INT8_MATMUL_TABLES(kPairBlocks, BlocksFn)
}
#endif

}  // namespace

void KILN_INT8_MATMUL(const Int8MatMulArgs& m, const uint8_t* a, size_t row0, size_t rows, size_t c0, size_t c1) {
  const Variant v = variantOf(m);
  const Consts k{_mm256_set1_ps(v.range.lo), _mm256_set1_ps(v.range.hi), _mm256_set1_ps(m.residualScale), _mm256_set1_ps(v.inv),
                 _mm256_set1_epi32(m.unshifted ? 0 : -1), m.stream && m.outScale == 0};
#ifdef KILN_INT8_VNNI
  const BlocksFn fn = (m.outScale > 0 ? shifted::kByRes<true> : shifted::kByRes<false>)[v.res][v.act];
#else
  const BlocksFn fn = (m.unshifted ? (m.outScale > 0 ? pairs::kByRes<true> : pairs::kByRes<false>) : (m.outScale > 0 ? shifted::kByRes<true> : shifted::kByRes<false>))[v.res][v.act];
#endif
  fn(m, a, row0, rows, c0, c1, k);
  if (k.stream) _mm_sfence();  // the streamed rows visible before the task counts as done
}

#ifndef KILN_INT8_VNNI
namespace {

// 32, 16 and 8 bytes at a time (K = 32: one load, xor and store a row; the portable
// loop spent as long as a 16-channel block's tile on it); f: 0x80 (shifted) or 0.
void packRows(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a, uint8_t f) {
  const size_t kp = 4 * kq;
  const __m256i flip = _mm256_set1_epi8(char(f));
  for (size_t r = 0; r < rows; ++r, x += k, a += kp) {
    size_t j = 0;
    for (; j + 32 <= k; j += 32) _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + j), _mm256_xor_si256(load(x + j), flip));
    if (j + 16 <= k) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a + j), _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + j)), _mm256_castsi256_si128(flip)));
      j += 16;
    }
    if (j + 8 <= k) {
      uint64_t v;
      std::memcpy(&v, x + j, 8);
      v ^= 0x0101010101010101ull * f;
      std::memcpy(a + j, &v, 8);
      j += 8;
    }
    for (; j < k; ++j) a[j] = uint8_t(x[j]) ^ f;
    for (; j < kp; ++j) a[j] = 0;
  }
  if (padded > rows) std::memset(a, 0, (padded - rows) * kp);
}

// Whether all n codes of x are >= 0, 32 at a time: stops at the first block with a
// sign bit (a panel of a layer with signed inputs stops within its first row).
bool nonNegative(const int8_t* x, size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    if (_mm256_movemask_epi8(load(x + i)) != 0) return false;
  uint8_t any = 0;
  for (; i < n; ++i) any |= uint8_t(x[i]);
  return any < 0x80;
}

}  // namespace

bool packPixelsAvx2(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a) {
  packRows(x, k, rows, padded, kq, a, 0x80);
  return false;
}

// A panel's rows are contiguous in x (NHWC): one scan over rows * k codes.
bool packPixelsAvx2Unshifted(const int8_t* x, size_t k, size_t rows, size_t padded, size_t kq, uint8_t* a) {
  const bool plain = nonNegative(x, rows * k);
  packRows(x, k, rows, padded, kq, a, plain ? 0 : 0x80);
  return plain;
}

#endif

}  // namespace kiln::cpu
