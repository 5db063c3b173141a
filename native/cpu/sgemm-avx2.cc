// AVX2+FMA 6x16 micro-kernel: 12 ymm accumulators (6 rows x 2 vectors of 8),
// 2 ymm for the B row, 1 for the broadcast A value: 15 of 16 registers. Per k
// step it issues 12 FMAs against 2 loads + 6 broadcasts, enough to keep both
// FMA ports busy on Haswell..Zen. Compiled with -mavx2 -mfma (binding.gyp);
// only called after cpuid said the CPU has both.
// Deliberately includes no project headers (see sgemm-micro.h).
#include <immintrin.h>

#include <cstddef>

#define KILN_ROW_FMA(i)                                 \
  {                                                     \
    const __m256 ai = _mm256_broadcast_ss(a + (i));     \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);         \
    c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);         \
  }

#define KILN_ROW_ACC(i)                                               \
  {                                                                   \
    c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(c + (i) * ldc));     \
    c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(c + (i) * ldc + 8)); \
  }

#define KILN_ROW_BIAS(i)                                  \
  {                                                       \
    const __m256 bi = _mm256_broadcast_ss(rowBias + (i)); \
    c##i##0 = _mm256_add_ps(c##i##0, bi);                 \
    c##i##1 = _mm256_add_ps(c##i##1, bi);                 \
  }

#define KILN_ROW_COLBIAS(i)               \
  {                                       \
    c##i##0 = _mm256_add_ps(c##i##0, b0); \
    c##i##1 = _mm256_add_ps(c##i##1, b1); \
  }

// Operand order picks the NaN result (maxps/minps return the second operand
// when either is NaN): relu (x > 0 ? x : 0) maps NaN to 0, clip
// (std::min(std::max(x, lo), hi)) keeps it, as the portable activations do.
#define KILN_ROW_RELU(i)                              \
  {                                                   \
    c##i##0 = _mm256_max_ps(c##i##0, vlo);            \
    c##i##1 = _mm256_max_ps(c##i##1, vlo);            \
  }

#define KILN_ROW_CLIP(i)                                           \
  {                                                                \
    c##i##0 = _mm256_min_ps(vhi, _mm256_max_ps(vlo, c##i##0));     \
    c##i##1 = _mm256_min_ps(vhi, _mm256_max_ps(vlo, c##i##1));     \
  }

#define KILN_ROW_STORE(i)                                                  \
  {                                                                        \
    float* ci = c + (i) * ldc;                                             \
    if (accumulate) {                                                      \
      c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(ci));               \
      c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(ci + 8));           \
    }                                                                      \
    _mm256_storeu_ps(ci, c##i##0);                                         \
    _mm256_storeu_ps(ci + 8, c##i##1);                                     \
  }

// Both entry points share one body; the epilogue variant adds bias (per row
// or per column of the tile) and applies relu (clamp 1, with lo = 0) or clip
// (clamp 2) in registers before the store: for small K a second pass over
// the tile costs as much as the multiply-adds.
template <bool kEpilogue>
static inline __attribute__((always_inline)) void kernel6x16(size_t kc, const float* a, const float* b, float* c,
                                                             size_t ldc, bool accumulate, const float* rowBias,
                                                             const float* colBias, float lo, float hi, int clamp) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (size_t i = 0; i < 6; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);

#pragma GCC unroll 4
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    KILN_ROW_FMA(0)
    KILN_ROW_FMA(1)
    KILN_ROW_FMA(2)
    KILN_ROW_FMA(3)
    KILN_ROW_FMA(4)
    KILN_ROW_FMA(5)
    a += 6;
    b += 16;
  }

  if (kEpilogue) {
    if (accumulate) {
      KILN_ROW_ACC(0)
      KILN_ROW_ACC(1)
      KILN_ROW_ACC(2)
      KILN_ROW_ACC(3)
      KILN_ROW_ACC(4)
      KILN_ROW_ACC(5)
    }
    if (rowBias) {
      KILN_ROW_BIAS(0)
      KILN_ROW_BIAS(1)
      KILN_ROW_BIAS(2)
      KILN_ROW_BIAS(3)
      KILN_ROW_BIAS(4)
      KILN_ROW_BIAS(5)
    }
    if (colBias) {
      const __m256 b0 = _mm256_loadu_ps(colBias), b1 = _mm256_loadu_ps(colBias + 8);
      KILN_ROW_COLBIAS(0)
      KILN_ROW_COLBIAS(1)
      KILN_ROW_COLBIAS(2)
      KILN_ROW_COLBIAS(3)
      KILN_ROW_COLBIAS(4)
      KILN_ROW_COLBIAS(5)
    }
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    if (clamp == 1) {
      KILN_ROW_RELU(0)
      KILN_ROW_RELU(1)
      KILN_ROW_RELU(2)
      KILN_ROW_RELU(3)
      KILN_ROW_RELU(4)
      KILN_ROW_RELU(5)
    } else if (clamp == 2) {
      KILN_ROW_CLIP(0)
      KILN_ROW_CLIP(1)
      KILN_ROW_CLIP(2)
      KILN_ROW_CLIP(3)
      KILN_ROW_CLIP(4)
      KILN_ROW_CLIP(5)
    }
    accumulate = false;
  }
  KILN_ROW_STORE(0)
  KILN_ROW_STORE(1)
  KILN_ROW_STORE(2)
  KILN_ROW_STORE(3)
  KILN_ROW_STORE(4)
  KILN_ROW_STORE(5)
}

extern "C" void kiln_sgemm_avx2_6x16(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                     bool accumulate) {
  kernel6x16<false>(kc, a, b, c, ldc, accumulate, nullptr, nullptr, 0.f, 0.f, 0);
}

extern "C" void kiln_sgemm_avx2_6x16_epilogue(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                              bool accumulate, const float* rowBias, const float* colBias, float lo,
                                              float hi, int clamp) {
  kernel6x16<true>(kc, a, b, c, ldc, accumulate, rowBias, colBias, lo, hi, clamp);
}

// The last few columns of a block (cols < NR, e.g. 49 = 3 x 16 + 1), for all
// `rows` rows of a packed A block at once: vectorized along M instead of N.
// A packed panel holds MR (<= 8) rows per k contiguously, so one unaligned
// 8-wide load gets them (lanes past MR hold the next k's values and are
// dropped; the last k uses a masked load so nothing past the buffer is read).
// Each column costs one FMA per panel per k, where a padded 6x16 tile costs 12
// whatever its width. Twelve panels run at once: twelve independent
// accumulators cover the FMA latency.
template <int G>
static inline __attribute__((always_inline)) void colsGroup(size_t kc, const float* a, size_t mr, size_t panelStride,
                                                            size_t rows, const float* b, size_t nr, size_t col,
                                                            float* c, size_t ldc, bool accumulate, __m256i lastMask) {
  __m256 acc[G];
  for (int g = 0; g < G; ++g) acc[g] = _mm256_setzero_ps();
  const float* bk = b + col;
  size_t k = 0;
  for (; k + 1 < kc; ++k, bk += nr) {
    const __m256 bv = _mm256_broadcast_ss(bk);
    const float* ak = a + k * mr;
    for (int g = 0; g < G; ++g) acc[g] = _mm256_fmadd_ps(_mm256_loadu_ps(ak + g * panelStride), bv, acc[g]);
  }
  if (kc) {
    const __m256 bv = _mm256_broadcast_ss(bk);
    const float* ak = a + k * mr;
    for (int g = 0; g < G; ++g) acc[g] = _mm256_fmadd_ps(_mm256_maskload_ps(ak + g * panelStride, lastMask), bv, acc[g]);
  }
  alignas(32) float t[8];
  for (int g = 0; g < G; ++g) {
    _mm256_store_ps(t, acc[g]);
    const size_t r0 = size_t(g) * mr, n = rows - r0 < mr ? rows - r0 : mr;
    float* cg = c + r0 * ldc + col;
    for (size_t i = 0; i < n; ++i) cg[i * ldc] = accumulate ? cg[i * ldc] + t[i] : t[i];
  }
}

extern "C" void kiln_sgemm_avx2_cols(size_t kc, const float* a, size_t mr, size_t rows, const float* b, size_t nr,
                                     size_t cols, float* c, size_t ldc, bool accumulate) {
  const __m256i lastMask = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(mr)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const size_t panelStride = kc * mr, panels = (rows + mr - 1) / mr;
  for (size_t j = 0; j < cols; ++j) {
    size_t p = 0;
    for (; p + 12 <= panels; p += 12)
      colsGroup<12>(kc, a + p * panelStride, mr, panelStride, rows - p * mr, b, nr, j, c + p * mr * ldc, ldc,
                    accumulate, lastMask);
#define KILN_COLS_GROUPS(G)                                                                                  \
  for (; p + G <= panels; p += G)                                                                            \
    colsGroup<G>(kc, a + p * panelStride, mr, panelStride, rows - p * mr, b, nr, j, c + p * mr * ldc, ldc, \
                 accumulate, lastMask);
    KILN_COLS_GROUPS(6) KILN_COLS_GROUPS(3) KILN_COLS_GROUPS(2) KILN_COLS_GROUPS(1)
#undef KILN_COLS_GROUPS
  }
}
