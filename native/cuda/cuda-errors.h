// Error codes of the CUDA backend and the one check every driver and NVRTC
// call goes through. KILN_CU(cuMemAlloc(&p, n)) throws kiln::Error naming the
// call, the driver's error name and text, and the file and line, so a failure
// on a user's machine reads like a TensorRT sample's CHECK, never an abort.
#pragma once

#include "../error.h"

namespace kiln::codes {
inline constexpr const char* kCuda = "KILN_CUDA";                 // a driver call failed
inline constexpr const char* kCudaCompile = "KILN_CUDA_COMPILE";  // NVRTC refused the generated source
inline constexpr const char* kPlanTarget = "KILN_PLAN_TARGET";    // plan for another GPU, or none here
}  // namespace kiln::codes

namespace kiln::cuda {

// Throws KILN_CUDA unless `result` is CUDA_SUCCESS (0).
void check(int result, const char* call, const char* file, int line);

}  // namespace kiln::cuda

#define KILN_CU(call) ::kiln::cuda::check((call), #call, __FILE__, __LINE__)
