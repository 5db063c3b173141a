// The GPU half of an Engine built from a CUDA plan: the device's primary
// context, the plan's cubin loaded as one module with a function per launch,
// and the weight blob copied to device memory once. Immutable after load and
// shared by every execution context (each brings its own arena and stream).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../plan-model.h"
#include "cuda-driver.h"
#include "cuda-resources.h"

namespace kiln::cuda {

// The device a runtime uses: KILN_CUDA_DEVICE when set, else 0.
int runtimeDevice();

// Throws KILN_PLAN_TARGET naming both sides unless this machine has the
// libraries the plan calls (cuBLASLt, named with the first layer needing it),
// a driver and a GPU of exactly the plan's compute capability ("plan built for sm_90
// by kiln 0.1.0; this machine: no CUDA driver (libcuda.so.1 not found)").
DeviceInfo checkTargetSupported(const PlanModel& plan, int device);

class CudaEngine {
 public:
  // `weights` is the engine's host copy of the blob (plan.weights.size bytes).
  CudaEngine(const PlanModel& plan, const DeviceInfo& device, const uint8_t* weights);
  ~CudaEngine();
  CudaEngine(const CudaEngine&) = delete;
  CudaEngine& operator=(const CudaEngine&) = delete;

  const DeviceInfo& device() const { return device_; }
  const PrimaryContext& context() const { return ctx_; }
  CUdeviceptr weights() const { return weights_.get(); }
  // Null for a launch that is a library call (cuBLASLt).
  CUfunction function(size_t launch) const { return functions_[launch]; }

 private:
  DeviceInfo device_;
  PrimaryContext ctx_;  // declared first: everything below is released inside it
  DeviceBuffer weights_;
  Module module_;
  std::vector<CUfunction> functions_;
};

}  // namespace kiln::cuda
