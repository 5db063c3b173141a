// See cublaslt.h. The types are declared as cublasLt.h defines them (opaque
// handles, int statuses, the 64-byte algorithm and the 96-byte heuristic
// result), so no CUDA header is needed to build. The library is found as
// dl-library.h says (libcublasLt.so, .so.13 down to .so.11, the toolkit
// folders); KILN_CUBLASLT names one file to use instead (a PyTorch wheel's
// copy, say).
#include "cublaslt.h"

#include <mutex>
#include <vector>

#include "dl-library.h"

namespace kiln::cuda {
namespace {

using Status = int;
struct Algo {
  uint64_t data[8];
};
struct HeuristicResult {
  Algo algo;
  size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};
static_assert(sizeof(HeuristicResult) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");

// Values from cublasLt.h / library_types.h.
constexpr int kCompute32F = 68;  // CUBLAS_COMPUTE_32F
constexpr int kR32F = 0, kR16F = 2, kR16BF = 14;
constexpr int kDescTransA = 3, kDescTransB = 4, kDescEpilogue = 7, kDescBiasPointer = 8, kDescBiasType = 26;
constexpr uint32_t kEpilogueDefault = 1, kEpilogueRelu = 2, kEpilogueBias = 4, kEpilogueReluBias = 6;
constexpr int kLayoutBatchCount = 5, kLayoutBatchStride = 6;
constexpr int kPrefMaxWorkspace = 1, kPrefAlignA = 5;  // A, B, C, D: 5..8

struct Api {
  Status (*create)(void**);
  Status (*destroy)(void*);
  size_t (*getVersion)();
  const char* (*statusName)(Status);  // optional: older libraries lack it
  Status (*descCreate)(void**, int, int);
  Status (*descDestroy)(void*);
  Status (*descSet)(void*, int, const void*, size_t);
  Status (*layoutCreate)(void**, int, uint64_t, uint64_t, int64_t);
  Status (*layoutDestroy)(void*);
  Status (*layoutSet)(void*, int, const void*, size_t);
  Status (*prefCreate)(void**);
  Status (*prefDestroy)(void*);
  Status (*prefSet)(void*, int, const void*, size_t);
  Status (*heuristic)(void*, void*, void*, void*, void*, void*, void*, int, HeuristicResult*, int*);
  Status (*matmul)(void*, void*, const void*, const void*, void*, const void*, void*, const void*, const void*, void*, void*,
                   void*, const Algo*, void*, size_t, CUstream);
};

using Loaded = LoadedLibrary<Api>;

std::vector<std::string> candidates() {
  if (const char* forced = std::getenv("KILN_CUBLASLT"); forced && *forced) return {forced};
  return cudaLibraryNames("libcublasLt.so", 13, 11);
}

const Loaded& loaded() {
  static Loaded state;
  static std::once_flag once;
  std::call_once(once, [] {
    const std::vector<std::string> names = candidates();
    void* lib = openFirst(names);
    if (!lib) {
      state.whyNot = cat("libcublasLt not found (tried ", joined(names, ", "), ")");
      return;
    }
    Api& a = state.api;
    auto bind = [lib](auto*& slot, const char* name) { return bindSymbol(lib, slot, name); };
    bind(a.statusName, "cublasLtGetStatusName");
    const bool all = bind(a.create, "cublasLtCreate") && bind(a.destroy, "cublasLtDestroy") &&
                     bind(a.getVersion, "cublasLtGetVersion") && bind(a.descCreate, "cublasLtMatmulDescCreate") &&
                     bind(a.descDestroy, "cublasLtMatmulDescDestroy") && bind(a.descSet, "cublasLtMatmulDescSetAttribute") &&
                     bind(a.layoutCreate, "cublasLtMatrixLayoutCreate") && bind(a.layoutDestroy, "cublasLtMatrixLayoutDestroy") &&
                     bind(a.layoutSet, "cublasLtMatrixLayoutSetAttribute") && bind(a.prefCreate, "cublasLtMatmulPreferenceCreate") &&
                     bind(a.prefDestroy, "cublasLtMatmulPreferenceDestroy") &&
                     bind(a.prefSet, "cublasLtMatmulPreferenceSetAttribute") && bind(a.heuristic, "cublasLtMatmulAlgoGetHeuristic") &&
                     bind(a.matmul, "cublasLtMatmul");
    if (!all) {
      state.whyNot = "the libcublasLt found lacks entry points kiln needs (cuBLASLt 11 or later)";
      return;
    }
    state.ok = true;
  });
  return state;
}

const Api& require() { return loaded().require(); }

const char* statusName(const Api& a, Status s) {
  if (a.statusName) return a.statusName(s);
  switch (s) {
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

void checkLt(const Api& a, Status s, const char* call, const char* file, int line) {
  if (s != 0) throw Error(codes::kCuda, cat(call, " failed: ", statusName(a, s), " (", s, ") at ", file, ":", line));
}

#define KILN_LT(call) checkLt(api, (call), #call, __FILE__, __LINE__)

int dataType(LtType t) { return t == LtType::f16 ? kR16F : t == LtType::bf16 ? kR16BF : kR32F; }

uint32_t epilogueCode(LtEpilogue e) {
  switch (e) {
    case LtEpilogue::bias: return kEpilogueBias;
    case LtEpilogue::relu: return kEpilogueRelu;
    case LtEpilogue::reluBias: return kEpilogueReluBias;
    default: return kEpilogueDefault;
  }
}

// The largest power of two up to 256 dividing the address: what the heuristic may assume.
uint32_t alignmentOf(CUdeviceptr p) {
  uint32_t a = 256;
  while (a > 1 && p % a) a >>= 1;
  return a;
}

}  // namespace

bool cublasLtAvailable(std::string* whyNot) { return loaded().available(whyNot); }

std::string cublasLtVersion() {
  if (!cublasLtAvailable()) return {};
  const size_t v = loaded().api.getVersion();  // major * 10000 + minor * 100 + patch
  return cat(v / 10000, ".", v / 100 % 100, ".", v % 100);
}

LtHandle::LtHandle() {
  const Api& api = require();
  KILN_LT(api.create(&h_));
}

LtHandle::~LtHandle() {
  if (h_) loaded().api.destroy(h_);
}

struct LtMatmul::Impl {
  const Api& api;
  void* handle;
  void* desc = nullptr;
  void* layouts[3] = {nullptr, nullptr, nullptr};  // A, B, C (= D's)
  Algo algo{};
  float alpha = 1.f, beta = 0.f;
  LtPointers p;
  ~Impl() {
    for (void* l : layouts)
      if (l) api.layoutDestroy(l);
    if (desc) api.descDestroy(desc);
  }
};

LtMatmul::LtMatmul(const LtHandle& handle, const CublasLtCall& x, const LtPointers& p, const std::string& label) {
  const Api& api = require();
  impl_.reset(new Impl{api, handle.get(), nullptr, {nullptr, nullptr, nullptr}, {}, 1.f, 0.f, p});
  Impl& m = *impl_;
  m.beta = float(x.beta);
  KILN_LT(api.descCreate(&m.desc, kCompute32F, kR32F));
  const int32_t ta = int32_t(x.transA), tb = int32_t(x.transB);
  KILN_LT(api.descSet(m.desc, kDescTransA, &ta, sizeof ta));
  KILN_LT(api.descSet(m.desc, kDescTransB, &tb, sizeof tb));
  const uint32_t epilogue = epilogueCode(x.epilogue);
  KILN_LT(api.descSet(m.desc, kDescEpilogue, &epilogue, sizeof epilogue));
  if (x.bias != kNoTensor) {
    const void* bias = reinterpret_cast<const void*>(uintptr_t(p.bias));
    const int32_t biasType = dataType(x.typeCD);
    KILN_LT(api.descSet(m.desc, kDescBiasPointer, &bias, sizeof bias));
    KILN_LT(api.descSet(m.desc, kDescBiasType, &biasType, sizeof biasType));
  }
  const uint64_t rows[3] = {x.transA ? x.k : x.m, x.transB ? x.n : x.k, x.m};
  const uint64_t cols[3] = {x.transA ? x.m : x.k, x.transB ? x.k : x.n, x.n};
  const int64_t ld[3] = {x.lda, x.ldb, x.ldc};
  const int64_t stride[3] = {int64_t(x.strideA), int64_t(x.strideB), int64_t(x.strideC)};
  const int types[3] = {dataType(x.typeAB), dataType(x.typeAB), dataType(x.typeCD)};
  for (int i = 0; i < 3; ++i) {
    KILN_LT(api.layoutCreate(&m.layouts[i], types[i], rows[i], cols[i], ld[i]));
    if (x.batch > 1) {
      const int32_t count = int32_t(x.batch);
      KILN_LT(api.layoutSet(m.layouts[i], kLayoutBatchCount, &count, sizeof count));
      KILN_LT(api.layoutSet(m.layouts[i], kLayoutBatchStride, &stride[i], sizeof stride[i]));
    }
  }
  void* pref = nullptr;
  KILN_LT(api.prefCreate(&pref));
  std::unique_ptr<void, void (*)(void*)> prefOwner(pref, [](void* q) { loaded().api.prefDestroy(q); });
  const uint64_t maxWorkspace = kLtMaxWorkspace;
  KILN_LT(api.prefSet(pref, kPrefMaxWorkspace, &maxWorkspace, sizeof maxWorkspace));
  const CUdeviceptr ptrs[4] = {p.a, p.b, x.c != kNoTensor ? p.c : p.d, p.d};
  for (int i = 0; i < 4; ++i) {
    const uint32_t align = alignmentOf(ptrs[i]);
    KILN_LT(api.prefSet(pref, kPrefAlignA + i, &align, sizeof align));
  }
  HeuristicResult result{};
  int found = 0;
  KILN_LT(api.heuristic(m.handle, m.desc, m.layouts[0], m.layouts[1], m.layouts[2], m.layouts[2], pref, 1, &result, &found));
  if (found < 1)
    throw Error(codes::kCuda, cat(label, ": cuBLASLt has no algorithm for this matmul (", ltTypeName(x.typeAB), "->", ltTypeName(x.typeCD),
                                  " m=", x.m, " n=", x.n, " k=", x.k, " epilogue ", ltEpilogueName(x.epilogue), ")"));
  m.algo = result.algo;
  workspace_ = result.workspaceSize;
}

LtMatmul::~LtMatmul() = default;

void LtMatmul::enqueue(CUstream stream, CUdeviceptr workspace, size_t workspaceBytes) const {
  const Impl& m = *impl_;
  const Api& api = m.api;
  auto ptr = [](CUdeviceptr v) { return reinterpret_cast<void*>(uintptr_t(v)); };
  const CUdeviceptr c = m.p.c ? m.p.c : m.p.d;  // beta 0: C is not read, but needs a valid pointer
  KILN_LT(api.matmul(m.handle, m.desc, &m.alpha, ptr(m.p.a), m.layouts[0], ptr(m.p.b), m.layouts[1], &m.beta, ptr(c), m.layouts[2],
                     ptr(m.p.d), m.layouts[2], &m.algo, ptr(workspace), workspaceBytes, stream));
}

}  // namespace kiln::cuda
