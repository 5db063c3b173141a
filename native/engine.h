// Engine: a loaded plan, immutable after load and shared by all contexts
// (through shared_ptr, so a context keeps its engine alive). It owns the
// weight blob (copied into 64-byte aligned memory) and one prepared LayerOp
// per layer; all validation happens in load(), none at run time.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aligned-buffer.h"
#include "cpu/kernel.h"
#include "plan-model.h"

namespace kiln {

namespace cuda {
class CudaEngine;
}

// The layers of a dynamic plan prepared for one set of symbol values: every
// tensor's shape under that binding and one LayerOp per layer validated (and
// its constants prepacked) for those shapes. Immutable, shared by contexts.
struct ShapeSet {
  std::vector<int64_t> binding;
  std::vector<TensorDesc> tensors;
  std::vector<std::unique_ptr<cpu::LayerOp>> ops;
};

class Engine {
 public:
  // Reads and fully validates a plan, including the CPU features it requires.
  // Throws kiln::Error (KILN_PLAN_*, KILN_KERNEL).
  static std::shared_ptr<const Engine> load(const uint8_t* bytes, size_t size);

  // The same validation without keeping anything, except the CPU check:
  // a plan built for another machine can still be inspected. The returned
  // model's weights view points into `bytes`.
  static PlanModel inspect(const uint8_t* bytes, size_t size);

  const PlanModel& plan() const { return plan_; }
  // One op per layer. For a dynamic plan these are only validated (never run):
  // contexts run the ops of their shape set.
  const std::vector<std::unique_ptr<cpu::LayerOp>>& ops() const { return ops_; }
  const uint8_t* weights() const { return weights_.data(); }
  // Non-null for a CUDA plan: then ops() is empty and the GPU runs the layers.
  const cuda::CudaEngine* cuda() const { return cuda_.get(); }
  bool dynamic() const { return plan_.dynamic.present; }

  // Dynamic plans: the layers prepared for `binding` (symbol values), from a
  // small per-engine cache (most recently used first), so contexts that
  // alternate between a few shapes do not re-validate and re-pack weights on
  // every run. Thread-safe. Throws KILN_INPUT / KILN_KERNEL.
  std::shared_ptr<const ShapeSet> shapeSet(const std::vector<int64_t>& binding) const;
  // How many shape sets were prepared so far (tests and diagnostics).
  size_t shapeSetsPrepared() const;

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();  // out of line: CudaEngine is complete only in engine.cc

 private:
  Engine() = default;

  PlanModel plan_;  // weights view points into weights_
  AlignedBuffer weights_;
  std::vector<std::unique_ptr<cpu::LayerOp>> ops_;
  std::unique_ptr<cuda::CudaEngine> cuda_;
  mutable std::mutex shapeMutex_;
  mutable std::list<std::shared_ptr<const ShapeSet>> shapeSets_;
  mutable size_t shapeSetsPrepared_ = 0;
};

// Throws KILN_PLAN_ISA unless this machine has every feature in `required`.
void checkIsaSupported(uint64_t required);

}  // namespace kiln
