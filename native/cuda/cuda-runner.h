// CudaRunner: the GPU half of an ExecutionContext. It owns a device arena of
// the plan's arenaBytes, a stream, pinned staging for the graph's inputs and
// outputs (the context copies inputs straight into it and reads outputs from
// it), and the prepared argument arrays of every launch. A run is: async H2D
// of the inputs, every launch in plan order, async D2H of the outputs, one
// wait; by default the whole sequence is captured once as a CUDA graph and
// replayed (KILN_CUDA_GRAPH=0 launches one by one, for comparison). A
// cuBLASLt record is prepared here (descriptors, algorithm, one workspace for
// all of them) and enqueued on the same stream in its place.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "../plan-model.h"
#include "cublaslt.h"
#include "cuda-engine.h"
#include "cuda-resources.h"

namespace kiln::cuda {

class CudaRunner {
 public:
  CudaRunner(const CudaEngine& engine, const PlanModel& plan);
  ~CudaRunner();
  CudaRunner(const CudaRunner&) = delete;
  CudaRunner& operator=(const CudaRunner&) = delete;

  // Pinned host bytes of a graph input or output; null for other tensors.
  uint8_t* hostData(size_t tensor) const { return host_[tensor]; }
  // Runs the plan on the GPU and waits for it. Any thread.
  void run();
  // GPU time of the last run (first copy in to last copy out), from events.
  double lastGpuMs() const { return gpuMs_; }
  bool usesGraph() const { return useGraph_; }
  // Mean GPU time of each launch over `repeats` runs, from an event before
  // each launch (no graph): what the builder's autotuning compares. Inputs are
  // whatever the staging holds; kernel time does not depend on the values.
  std::vector<double> profileLaunches(int repeats);

 private:
  struct Copy {
    CUdeviceptr device;
    uint8_t* host;
    size_t bytes;
  };
  struct Launch {
    CUfunction function;
    uint32_t grid[3], block[3], sharedBytes;
    std::vector<CUdeviceptr> values;  // one device pointer per argument
    std::vector<void*> params;        // &values[i], as cuLaunchKernel wants
    std::unique_ptr<LtMatmul> lt;     // instead of a kernel: a cuBLASLt matmul
  };
  void enqueue();
  void launch(Launch& l);
  void capture();

  const CudaEngine& engine_;
  DeviceBuffer arena_;
  PinnedBuffer staging_;
  Stream stream_;
  Event start_, end_;
  std::vector<uint8_t*> host_;
  std::vector<Copy> uploads_, downloads_;
  std::unique_ptr<LtHandle> ltHandle_;  // only for plans with cuBLASLt calls; outlives them
  DeviceBuffer ltWorkspace_;            // the largest any of them asked for
  std::vector<Launch> launches_;
  bool useGraph_ = true;
  GraphExec graph_;
  double gpuMs_ = 0;
};

}  // namespace kiln::cuda
