// The kernel interface. A kernel validates one plan layer against its tensors
// at load time and returns a LayerOp: the layer with every derived quantity
// (dims, strides, tables) precomputed, so run() does no checking and no
// parsing. LayerOps are immutable and shared by all contexts of an engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../dtype.h"
#include "../plan-model.h"
#include "../thread-pool.h"

namespace kiln::cpu {

// What a LayerOp sees while running: one base pointer per plan tensor (into
// this context's arena or the engine's weights) and the context's threads.
struct RunContext {
  uint8_t* const* tensorData;
  ThreadPool* pool;

  template <typename T>
  T* data(uint32_t tensor) const {
    return reinterpret_cast<T*>(tensorData[tensor]);
  }
};

class LayerOp {
 public:
  virtual ~LayerOp() = default;
  virtual void run(const RunContext& ctx) const = 0;
};

class LayerCheck;

struct KernelDef {
  const char* name;
  // True when an output may share its exact bytes with an input (elementwise
  // kernels that read element i before writing element i).
  bool inPlace;
  // Throws KILN_KERNEL naming the layer when the layer does not fit the kernel.
  std::unique_ptr<LayerOp> (*validate)(const LayerCheck& layer);
  // True when an input may lie inside the output (concat's inputs planned into
  // their slice); validate() then checks each such input sits at its own slice.
  bool inputsInOutput = false;
  // True when the kernel writes an output that is a strided view (TensorDesc::
  // imageStride: each image's output at its own stride, concat elimination at
  // batch > 1); the loader refuses such an output for any other kernel. Only
  // inputsInOutput kernels (concat, which skips them) may take a strided input.
  bool stridedOutput = false;
};

}  // namespace kiln::cpu
