// cuBLASLt, reached through dlopen like the driver and NVRTC: the addon links
// nothing from CUDA, and a plan whose CUDA section has cuBLASLt records runs
// only where the library loads (checked when the engine is created). One
// LtMatmul per record and execution context: the matmul descriptor, the four
// matrix layouts and the algorithm cublasLtMatmulAlgoGetHeuristic picks for the
// operands' real alignments are made once; a run only enqueues cublasLtMatmul
// on the context's stream, so it is captured into the CUDA graph like a kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cuda-driver.h"
#include "cuda-section.h"

namespace kiln::cuda {

// True when some libcublasLt could be loaded; otherwise `whyNot` says what was tried.
bool cublasLtAvailable(std::string* whyNot = nullptr);
// "13.0.0" (from cublasLtGetVersion), or empty without the library.
std::string cublasLtVersion();

// The most workspace an algorithm may ask for (what NVIDIA recommends on Hopper).
inline constexpr size_t kLtMaxWorkspace = 32u << 20;

// A cuBLASLt handle for one execution context. Throws KILN_CUDA without the library.
class LtHandle {
 public:
  LtHandle();
  ~LtHandle();
  LtHandle(const LtHandle&) = delete;
  LtHandle& operator=(const LtHandle&) = delete;
  void* get() const { return h_; }

 private:
  void* h_ = nullptr;
};

// The device pointers of one call's operands (0 where absent).
struct LtPointers {
  CUdeviceptr a = 0, b = 0, c = 0, d = 0, bias = 0;
};

class LtMatmul {
 public:
  // Builds the descriptors and asks the heuristic for an algorithm within
  // kLtMaxWorkspace; `label` names the layer in errors ("no algorithm").
  LtMatmul(const LtHandle& handle, const CublasLtCall& call, const LtPointers& p, const std::string& label);
  ~LtMatmul();
  LtMatmul(const LtMatmul&) = delete;
  LtMatmul& operator=(const LtMatmul&) = delete;

  // Workspace the chosen algorithm needs.
  size_t workspaceBytes() const { return workspace_; }
  void enqueue(CUstream stream, CUdeviceptr workspace, size_t workspaceBytes) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t workspace_ = 0;
};

}  // namespace kiln::cuda
