// softmaxRows: the softmax tactic for contiguous rows (the last axis, attention's
// scores) with AVX2 + FMA intrinsics: the reduce family's row routine is built as
// target clones for plain "avx2", without FMA, and ran at ~1.1 ns per element
// on [4,128,128], twice onnxruntime's. Per row: a vector max, then exp(x - max)
// stored and summed in one pass (Cephes range reduction, degree-6 polynomial on
// FMA, ~1 ulp, as rows::expApprox), then one scaling pass. Rows holding a NaN or
// an infinity, and CPUs without AVX2/FMA, go to rows::softmax, whose handling of
// those matches the interpreter's.
// ints: [axis], which must be the last one. floats: none.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "kernels.h"  // before axis-blocks.h, which uses its ThreadPool
#include "axis-blocks.h"
#include "kernel-reduce-rows.h"

namespace kiln::cpu {
namespace {

#if defined(__x86_64__) || defined(__i386__)
#define KILN_AVX2_FMA __attribute__((target("avx2,fma")))

KILN_AVX2_FMA inline __m256 exp8(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));  // shifted arguments are <= 0; exp(-87) is negligible next to the max's 1
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

KILN_AVX2_FMA float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

KILN_AVX2_FMA float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// False, before writing anything (y may be x), when the row holds a NaN or an
// infinity: those take the careful path.
KILN_AVX2_FMA bool softmaxRowAvx2(const float* x, float* y, size_t n) {
  size_t i = 0;
  __m256 m8 = _mm256_set1_ps(-INFINITY), nan8 = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    m8 = _mm256_max_ps(m8, v);
    nan8 = _mm256_or_ps(nan8, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  float m = hmax(m8);
  bool nan = _mm256_movemask_ps(nan8) != 0;
  for (; i < n; ++i) m = std::max(m, x[i]), nan = nan || std::isnan(x[i]);
  if (nan || !std::isfinite(m)) return false;
  // Every term is in (0, 1] and one of them is 1: the sum is finite and >= 1.
  const __m256 mv = _mm256_set1_ps(m);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
    const __m256 b = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), mv));
    _mm256_storeu_ps(y + i, a);
    _mm256_storeu_ps(y + i + 8, b);
    s0 = _mm256_add_ps(s0, a);
    s1 = _mm256_add_ps(s1, b);
  }
  float s = hsum(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) s += (y[i] = rows::expApprox(x[i] - m));
  const float inv = 1.0f / s;
  const __m256 iv = _mm256_set1_ps(inv);
  i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), iv));
  for (; i < n; ++i) y[i] *= inv;
  return true;
}

bool haveAvx2Fma() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}
#else
bool softmaxRowAvx2(const float*, float*, size_t) { return false; }
bool haveAvx2Fma() { return false; }
#endif

class SoftmaxRowsOp final : public LayerOp {
 public:
  SoftmaxRowsOp(uint32_t x, uint32_t y, uint64_t rows, uint64_t len) : x_(x), y_(y), rows_(rows), len_(len) {}

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const bool fast = haveAvx2Fma();
    const size_t grain = len_ >= 8192 ? 1 : size_t(8192 / std::max<uint64_t>(len_, 1));
    ctx.pool->parallelRanges(rows_, grain, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        const float* xr = x + r * len_;
        float* yr = y + r * len_;
        if (!fast || !softmaxRowAvx2(xr, yr, len_)) rows::softmax(xr, yr, len_);
      }
    });
  }

 private:
  uint32_t x_, y_;
  uint64_t rows_, len_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const AxisView v = checkAxisLayer(c, "softmaxRows");
  if (v.inner != 1)
    c.fail(cat("kernel softmaxRows needs contiguous rows (every dim after the axis 1), got axis ", c.ints()[0], " of ",
               LayerCheck::describe(c.input(0))));
  return std::make_unique<SoftmaxRowsOp>(c.inputId(0), c.outputId(0), v.outer, v.len);
}

}  // namespace

KernelDef softmaxRowsKernel() { return {"softmaxRows", true, validate}; }

}  // namespace kiln::cpu
