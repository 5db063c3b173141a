// See gemm-packed.h. Loop nest of one task (a row chunk x a column chunk of C):
//   for each K block (kc rows of B, <= 256, so a 16-column panel is 16 KiB of L1):
//     for each 16-column panel of the chunk:      the panel stays in L1
//       for each 6-row tile of the row chunk:     A's rows stream from L2
// The first K block overwrites C, later ones add to it, the last applies the epilogue.
#include "gemm-packed.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "../cpu-features.h"
#include "gemm-packed-micro.h"

namespace kiln::cpu {
namespace {

constexpr size_t kMaxKc = 256;
// Rows of A one task reads per K block: 240 x 256 floats (240 KiB) stay in L2.
constexpr size_t kMaxTaskRows = 240;
// Multiply-adds below which another task costs more than it balances.
constexpr size_t kMinTaskWork = 48 * 1024;

size_t ceilDiv(size_t a, size_t b) { return (a + b - 1) / b; }

bool useAvx2() {
#ifdef KILN_HAVE_AVX2
  // KILN_GEMM_KERNEL=generic forces the portable kernels everywhere, this one included.
  static const bool yes = (hostIsaMask() & isa::kAvx2) && (hostIsaMask() & isa::kFma) &&
                          std::strcmp(sgemmKernelName(), "generic-4x8") != 0;
  return yes;
#else
  return false;
#endif
}

// The portable strip: the same contract as kiln_gemmp_avx2_strip.
void genericStrip(size_t mc, size_t kc, const float* a, size_t lda, const float* panel, float* c, size_t ldc,
                  size_t cols, bool accumulate, const KilnPackedEpilogue* ep) {
  for (size_t i = 0; i < mc; ++i) {
    float acc[kPackedNr] = {};
    for (size_t k = 0; k < kc; ++k) {
      const float av = a[i * lda + k];
      for (size_t j = 0; j < kPackedNr; ++j) acc[j] += av * panel[k * kPackedNr + j];
    }
    float* ci = c + i * ldc;
    for (size_t j = 0; j < cols; ++j) {
      float v = acc[j] + (accumulate ? ci[j] : 0.f);
      if (ep) {
        if (ep->bias) v += ep->bias[j];
        if (ep->residual) v += ep->residual[i * ep->ldr + j];
      }
      ci[j] = v;
    }
    if (!ep || ep->act == 0) continue;
    static constexpr Act kActs[] = {Act::none, Act::relu, Act::clip, Act::leakyRelu, Act::gelu};
    applyActivation({kActs[ep->act], ep->alpha, ep->beta}, ci, ci, cols);
  }
}

// The activations the strip kernels apply in registers (gemm-packed-micro.h codes);
// -1 for the others, which run after the store.
int registerAct(Act a) {
  switch (a) {
    case Act::none: return 0;
    case Act::relu: return 1;
    case Act::clip: return 2;
    case Act::leakyRelu: return 3;
    case Act::gelu: return 4;
    default: return -1;
  }
}

void packInto(const MatrixRef& b, PackedB& p) {
  for (size_t pc = 0; pc < p.k; pc += p.kc)
    packPanels(b, pc, std::min(p.kc, p.k - pc), p.n, p.data.as<float>() + pc * p.panels * kPackedNr);
}

// FNV-1a over a dense operand's 32-bit words (B's k x n elements are contiguous in
// either orientation): the first and last 256 and 4096 spread between, enough to
// tell weights apart that reuse a freed block's address, at a few microseconds.
uint64_t fingerprint(const float* data, size_t count) {
  const uint32_t* words = reinterpret_cast<const uint32_t*>(data);
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](size_t i) { h = (h ^ words[i]) * 1099511628211ull; };
  constexpr size_t kEnds = 256, kSpread = 4096;
  if (count <= 2 * kEnds + kSpread) {
    for (size_t i = 0; i < count; ++i) mix(i);
    return h;
  }
  for (size_t i = 0; i < kEnds; ++i) mix(i), mix(count - 1 - i);
  const size_t step = (count - 2 * kEnds) / kSpread;
  for (size_t i = 0; i < kSpread; ++i) mix(kEnds + i * step);
  return h;
}

struct Task {
  size_t m0, m1, j0, j1;  // rows and panels
};

// Rows and panels cut into about `parts` tasks: columns first (each task then
// reads all of its rows of A once per panel from L2), rows when there are too few
// panels or a task's rows of A would not stay in L2.
std::vector<Task> planTasks(size_t m, size_t panels, size_t k, unsigned threads) {
  const size_t work = m * panels * kPackedNr * std::max<size_t>(k, 1);
  size_t parts = 1;
  if (threads > 1) parts = std::clamp<size_t>(work / kMinTaskWork, 1, size_t(threads) * 4);
  const size_t tiles = ceilDiv(m, kPackedMr);
  size_t pn = std::min(panels, parts);
  size_t pm = std::min(tiles, std::max(ceilDiv(parts, pn), ceilDiv(m, kMaxTaskRows)));
  const size_t rowsPer = ceilDiv(tiles, pm) * kPackedMr, panelsPer = ceilDiv(panels, pn);
  std::vector<Task> tasks;
  for (size_t m0 = 0; m0 < m; m0 += rowsPer)
    for (size_t j0 = 0; j0 < panels; j0 += panelsPer)
      tasks.push_back({m0, std::min(m, m0 + rowsPer), j0, std::min(panels, j0 + panelsPer)});
  return tasks;
}

void runTask(const PackedGemm& g, const Task& t) {
  const PackedB& b = *g.b;
  const PanelEpilogue ep{g.bias, g.residual ? g.residual + t.m0 * g.ldr : nullptr, g.ldr, g.act};
  // K = 0: no block, but C still gets the epilogue of a zero product.
  const size_t k = std::max<size_t>(b.k, 1);
  for (size_t pc = 0; pc < k; pc += b.kc) {
    const size_t kcb = b.k ? std::min(b.kc, b.k - pc) : 0;
    sweepPanels(g.a + t.m0 * g.lda + pc, g.lda, t.m1 - t.m0, b.data.as<const float>() + pc * b.panels * kPackedNr, kcb,
                t.j0, t.j1, b.n, g.c + t.m0 * g.ldc, g.ldc, pc > 0, pc + b.kc >= k ? &ep : nullptr);
  }
}

}  // namespace

void packPanels(const MatrixRef& b, size_t k0, size_t kc, size_t n, float* out) {
  for (size_t j = 0; j * kPackedNr < n; ++j) {
    float* panel = out + j * kc * kPackedNr;
    const size_t col0 = j * kPackedNr, cols = std::min(kPackedNr, n - col0);
    if (cols < kPackedNr) std::memset(panel, 0, kc * kPackedNr * sizeof(float));
    if (b.colStride == 1) {  // rows of B contiguous: one copy of `cols` floats per k
      const float* src = b.data + ptrdiff_t(k0) * b.rowStride + ptrdiff_t(col0);
      if (cols == kPackedNr)  // a constant size the compiler turns into a few vector moves
        for (size_t k = 0; k < kc; ++k) std::memcpy(panel + k * kPackedNr, src + ptrdiff_t(k) * b.rowStride, sizeof(float) * kPackedNr);
      else
        for (size_t k = 0; k < kc; ++k) std::memcpy(panel + k * kPackedNr, src + ptrdiff_t(k) * b.rowStride, cols * sizeof(float));
    } else if (b.rowStride == 1) {  // transposed: each column of B contiguous
      for (size_t c = 0; c < cols; ++c) {
        const float* src = b.data + ptrdiff_t(col0 + c) * b.colStride + ptrdiff_t(k0);
        for (size_t k = 0; k < kc; ++k) panel[k * kPackedNr + c] = src[k];
      }
    } else {
      for (size_t k = 0; k < kc; ++k)
        for (size_t c = 0; c < cols; ++c) panel[k * kPackedNr + c] = b.at(k0 + k, col0 + c);
    }
  }
}

void sweepPanels(const float* a, size_t lda, size_t rows, const float* block, size_t kc, size_t j0, size_t j1, size_t n,
                 float* c, size_t ldc, bool accumulate, const PanelEpilogue* ep) {
  const auto strip = useAvx2() ? kiln_gemmp_avx2_strip : genericStrip;
  const int act = ep ? registerAct(ep->act.kind) : 0;
  for (size_t j = j0; j < j1; ++j) {
    const size_t col = j * kPackedNr, cols = std::min(kPackedNr, n - col);
    KilnPackedEpilogue e{};
    if (ep)
      e = {ep->bias ? ep->bias + col : nullptr, ep->residual ? ep->residual + col : nullptr, ep->ldr, std::max(act, 0),
           ep->act.alpha, ep->act.beta};
    strip(rows, kc, a, lda, block + j * kc * kPackedNr, c + col, ldc, cols, accumulate, ep ? &e : nullptr);
    if (ep && act < 0)
      for (size_t i = 0; i < rows; ++i) applyActivation(ep->act, c + i * ldc + col, c + i * ldc + col, cols);
  }
}

std::shared_ptr<const PackedB> sharedPackedB(const MatrixRef& b, size_t k, size_t n) {
  // The contents' fingerprint guards against new weights at a freed block's address.
  using Key = std::tuple<const float*, ptrdiff_t, ptrdiff_t, size_t, size_t, uint64_t>;
  static std::mutex mutex;
  static std::map<Key, std::weak_ptr<const PackedB>> cache;
  const Key key{b.data, b.rowStride, b.colStride, k, n, fingerprint(b.data, k * n)};
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) {
    if (auto held = it->second.lock()) return held;
  }
  for (auto it = cache.begin(); it != cache.end();) it = it->second.expired() ? cache.erase(it) : std::next(it);
  auto p = std::make_shared<PackedB>();
  p->k = k, p->n = n;
  // Even K blocks of at most kMaxKc rows (a K of 300 gives 150 + 150, not 256 + 44).
  p->kc = k ? ceilDiv(k, ceilDiv(k, kMaxKc)) : 1;
  p->panels = ceilDiv(n, kPackedNr);
  p->data.reset(std::max<size_t>(p->panels * kPackedNr * k, 1) * sizeof(float));
  packInto(b, *p);
  cache[key] = p;
  return p;
}

void packedGemm(ThreadPool& pool, const PackedGemm& g) {
  if (g.m == 0 || g.b->n == 0) return;
  const std::vector<Task> tasks = planTasks(g.m, g.b->panels, g.b->k, pool.threads());
  pool.parallelFor(tasks.size(), [&](size_t i) { runTask(g, tasks[i]); });
}

const char* packedGemmKernelName() { return useAvx2() ? "avx2-6x16" : "generic"; }

}  // namespace kiln::cpu
