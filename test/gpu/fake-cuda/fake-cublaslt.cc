// A stand-in libcublasLt for CI (test/gpu/cublaslt.test.ts), on the stand-in driver
// (fake-driver.cc): the API calls kiln makes, with cuBLASLt's documented meaning
// computed on the CPU in f32 — column-major A, B, C, D with their leading dims,
// op() per CUBLASLT_MATMUL_DESC_TRANSA/B, D = epilogue(alpha op(A) op(B) + beta C)
// where C is not read when beta is 0, a bias of D's rows (pointer and type set on
// the descriptor) added before relu. Work goes on the stream through the driver, so
// a capture records it. Only f32 matrices with CUBLAS_COMPUTE_32F; anything else
// is CUBLAS_STATUS_NOT_SUPPORTED. Not part of kiln.
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" void kilnFakeEnqueue(void* stream, void (*fn)(void*), void* arg);

namespace {

constexpr int kNotSupported = 15, kInvalid = 7;
constexpr uint64_t kAlgoMagic = 0x6b696c6e4c74ull;
constexpr size_t kWorkspace = 4096;

struct Desc {
  int compute = 0, scale = 0, transA = 0, transB = 0, biasType = -1;
  uint32_t epilogue = 1;
  const float* bias = nullptr;
};
struct Layout {
  int type = 0;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0, stride = 0;
  int32_t batch = 1;
};
struct Algo {
  uint64_t data[8];
};
struct Heuristic {
  Algo algo;
  size_t workspaceSize;
  int state;
  float waves;
  int reserved[4];
};

struct Call {
  Desc desc;
  Layout a, b, c, d;
  float alpha, beta;
  const float *A, *B, *C;
  float* D;
};

void compute(void* p) {
  const Call* x = static_cast<Call*>(p);
  const uint64_t m = x->d.rows, n = x->d.cols, k = x->desc.transA ? x->a.rows : x->a.cols;
  const bool relu = x->desc.epilogue == 2 || x->desc.epilogue == 6, bias = x->desc.epilogue == 4 || x->desc.epilogue == 6;
  for (int32_t z = 0; z < x->d.batch; ++z) {
    const float *A = x->A + z * x->a.stride, *B = x->B + z * x->b.stride, *C = x->C + z * x->c.stride;
    float* D = x->D + z * x->d.stride;
    for (uint64_t j = 0; j < n; ++j)
      for (uint64_t i = 0; i < m; ++i) {
        double acc = 0;
        for (uint64_t l = 0; l < k; ++l) {
          const float av = x->desc.transA ? A[l + i * x->a.ld] : A[i + l * x->a.ld];
          const float bv = x->desc.transB ? B[j + l * x->b.ld] : B[l + j * x->b.ld];
          acc += double(av) * bv;
        }
        float v = float(x->alpha * acc);
        if (x->beta != 0.f) v += x->beta * C[i + j * x->c.ld];
        if (bias) v += x->desc.bias[i];
        if (relu) v = v > 0.f ? v : 0.f;
        D[i + j * x->d.ld] = v;
      }
  }
}

}  // namespace

extern "C" {

size_t cublasLtGetVersion() { return 130000; }
const char* cublasLtGetStatusName(int s) {
  return s == 0 ? "CUBLAS_STATUS_SUCCESS" : s == kNotSupported ? "CUBLAS_STATUS_NOT_SUPPORTED" : "CUBLAS_STATUS_INVALID_VALUE";
}
int cublasLtCreate(void** h) { *h = new int(1); return 0; }
int cublasLtDestroy(void* h) { delete static_cast<int*>(h); return 0; }

int cublasLtMatmulDescCreate(void** d, int compute, int scale) {
  if (compute != 68 || scale != 0) return kNotSupported;
  *d = new Desc{compute, scale};
  return 0;
}
int cublasLtMatmulDescDestroy(void* d) { delete static_cast<Desc*>(d); return 0; }
int cublasLtMatmulDescSetAttribute(void* p, int attr, const void* buf, size_t size) {
  Desc& d = *static_cast<Desc*>(p);
  switch (attr) {
    case 3: if (size != 4) return kInvalid; std::memcpy(&d.transA, buf, 4); return 0;
    case 4: if (size != 4) return kInvalid; std::memcpy(&d.transB, buf, 4); return 0;
    case 7: if (size != 4) return kInvalid; std::memcpy(&d.epilogue, buf, 4); return 0;
    case 8: if (size != sizeof(void*)) return kInvalid; std::memcpy(&d.bias, buf, sizeof(void*)); return 0;
    case 26: if (size != 4) return kInvalid; std::memcpy(&d.biasType, buf, 4); return 0;
    default: return kInvalid;
  }
}

int cublasLtMatrixLayoutCreate(void** l, int type, uint64_t rows, uint64_t cols, int64_t ld) {
  if (ld < int64_t(rows)) return kInvalid;
  *l = new Layout{type, rows, cols, ld};
  return 0;
}
int cublasLtMatrixLayoutDestroy(void* l) { delete static_cast<Layout*>(l); return 0; }
int cublasLtMatrixLayoutSetAttribute(void* p, int attr, const void* buf, size_t size) {
  Layout& l = *static_cast<Layout*>(p);
  if (attr == 5 && size == 4) std::memcpy(&l.batch, buf, 4);
  else if (attr == 6 && size == 8) std::memcpy(&l.stride, buf, 8);
  else return kInvalid;
  return 0;
}

int cublasLtMatmulPreferenceCreate(void** p) { *p = new uint64_t(0); return 0; }
int cublasLtMatmulPreferenceDestroy(void* p) { delete static_cast<uint64_t*>(p); return 0; }
int cublasLtMatmulPreferenceSetAttribute(void* p, int attr, const void*, size_t size) {
  if (attr == 1) return size == 8 ? 0 : kInvalid;               // max workspace
  if (attr >= 5 && attr <= 8) return size == 4 ? 0 : kInvalid;  // alignments
  return kInvalid;
}

int cublasLtMatmulAlgoGetHeuristic(void*, void* op, void* a, void* b, void* c, void* d, void*, int requested, Heuristic* out, int* found) {
  const Desc& x = *static_cast<Desc*>(op);
  const Layout &A = *static_cast<Layout*>(a), &B = *static_cast<Layout*>(b), &C = *static_cast<Layout*>(c), &D = *static_cast<Layout*>(d);
  *found = 0;
  if (A.type != 0 || B.type != 0 || C.type != 0 || D.type != 0 || (x.biasType != -1 && x.biasType != 0)) return kNotSupported;
  const uint64_t m = x.transA ? A.cols : A.rows, k = x.transA ? A.rows : A.cols;
  const uint64_t kb = x.transB ? B.cols : B.rows, n = x.transB ? B.rows : B.cols;
  if (k != kb || m != D.rows || n != D.cols || C.rows != D.rows || C.cols != D.cols || requested < 1) return kInvalid;
  std::memset(out, 0, sizeof *out);
  out->algo.data[0] = kAlgoMagic;
  out->workspaceSize = kWorkspace;
  *found = 1;
  return 0;
}

int cublasLtMatmul(void*, void* op, const void* alpha, const void* A, void* ad, const void* B, void* bd, const void* beta, const void* C, void* cd,
                   void* D, void* dd, const Algo* algo, void* workspace, size_t workspaceBytes, void* stream) {
  if (!algo || algo->data[0] != kAlgoMagic || !workspace || workspaceBytes < kWorkspace || !A || !B || !C || !D) return kInvalid;
  Call* x = new Call{*static_cast<Desc*>(op), *static_cast<Layout*>(ad), *static_cast<Layout*>(bd), *static_cast<Layout*>(cd), *static_cast<Layout*>(dd),
                     *static_cast<const float*>(alpha), *static_cast<const float*>(beta),
                     static_cast<const float*>(A), static_cast<const float*>(B), static_cast<const float*>(C), static_cast<float*>(D)};
  kilnFakeEnqueue(stream, compute, x);  // kept for every replay of a captured graph (a test process is short)
  return 0;
}

}  // extern "C"
