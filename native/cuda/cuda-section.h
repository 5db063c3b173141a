// The CUDA target section of a plan (tag 'CUDA', between LYRS and WGTS; see
// native/PLAN_FORMAT.md): the compute capability the plan was built for, the
// cubin of all its generated kernels, and the launches that run each layer.
// A plan without the section is a CPU plan. This header is plain data and
// plan-file code; nothing here touches the driver.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kiln {
class ByteCursor;
class ByteWriter;
struct PlanModel;
}  // namespace kiln

namespace kiln::cuda {

// What a launch record runs: a kernel of the plan's cubin, or one cuBLASLt matmul.
enum class LaunchKind : uint32_t { kernel = 0, cublasLt = 1 };
// Element types of a cuBLASLt matmul's matrices (compute and scale are f32).
enum class LtType : uint32_t { f32 = 0, f16 = 1, bf16 = 2 };
enum class LtEpilogue : uint32_t { none = 0, bias = 1, relu = 2, reluBias = 3 };
inline constexpr uint32_t kNoTensor = 0xffffffffu;

// D = epilogue(op(A) op(B) + beta C): column-major, as cuBLAS counts (D is m x n,
// ld ldc, like C). A row-major plan matrix is its transpose in these terms; the
// code generator does that arithmetic (codegen/cuda/kernels/cublaslt.ts). The bias
// has m elements of D's type; relu comes after bias and the C term.
struct CublasLtCall {
  LtType typeAB = LtType::f32, typeCD = LtType::f32;
  uint32_t transA = 0, transB = 0;
  uint32_t m = 1, n = 1, k = 1;
  uint32_t lda = 1, ldb = 1, ldc = 1;
  uint32_t batch = 1;
  uint64_t strideA = 0, strideB = 0, strideC = 0;  // elements between batch entries
  LtEpilogue epilogue = LtEpilogue::none;
  uint32_t beta = 0;  // 0, or 1: C (a residual) added
  uint32_t a = kNoTensor, b = kNoTensor, c = kNoTensor, d = kNoTensor, bias = kNoTensor;
};

// One launch. A kernel's arguments are plan tensors, passed to the kernel as
// device pointers in this order; every one must be an operand of its layer,
// so the plan's data-flow validation covers what the kernel may touch. A
// cuBLASLt call lists its tensors (A, B, C, D, bias; those present) in `args`
// too, for the same check.
struct CudaLaunch {
  uint32_t layer = 0;
  std::string function;
  LaunchKind kind = LaunchKind::kernel;
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  uint32_t sharedBytes = 0;
  std::vector<uint32_t> args;
  CublasLtCall lt;  // kind == cublasLt
};

// The tensors of a cuBLASLt call, in A, B, C, D, bias order, without the absent ones.
std::vector<uint32_t> cublasLtArgs(const CublasLtCall& c);
// "f16", for messages and inspection.
const char* ltTypeName(LtType t);
const char* ltEpilogueName(LtEpilogue e);

struct CudaSection {
  bool present = false;
  uint32_t arch = 0;     // 10 * major + minor: 90 for sm_90
  std::string compiler;  // "nvrtc 13.0" or "nvcc 13.0"; for inspection
  const uint8_t* cubin = nullptr;  // borrowed, like the weight blob
  uint64_t cubinBytes = 0;
  std::vector<CudaLaunch> launches;  // in execution order, layers non-decreasing
};

using StringOf = std::function<const std::string&(uint32_t index, const std::string& what)>;
using StringId = std::function<uint32_t(const std::string&)>;

// The payload of the section, without its tag and length.
CudaSection readCudaSection(ByteCursor& c, const StringOf& string);
void writeCudaSection(ByteWriter& w, const CudaSection& s, const StringId& id);

// Checks the section against the plan (KILN_PLAN_CORRUPT from the reader,
// KILN_PLAN_INVALID from the writer); a no-op for CPU plans.
void validateCudaSection(const PlanModel& plan, const char* errorCode);

// "sm_90"
std::string archName(uint32_t arch);

}  // namespace kiln::cuda
