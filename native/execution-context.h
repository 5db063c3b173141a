// ExecutionContext: the mutable half of inference. Owns an arena of the
// plan's arenaBytes (64-byte aligned) and a thread pool; runs one inference
// at a time (tryBegin/RunLease), while several contexts of one engine may run
// at once. Inputs are validated and copied in by setInputs, layers run by
// execute (or a few at a time by executeSlice), outputs are read from the
// arena afterwards.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aligned-buffer.h"
#include "engine.h"
#include "thread-pool.h"

namespace kiln {

namespace cuda {
class CudaRunner;
}

// One caller-supplied input, as described by the binding.
struct InputData {
  std::string name;
  // dtypes the caller's array can hold (a Uint8Array may be u8 or bool) and
  // the name to print when none fits.
  std::vector<DType> candidates;
  std::string arrayDtype;
  Shape shape;
  const uint8_t* data = nullptr;
  uint64_t elements = 0;
};

class ExecutionContext {
 public:
  // threads == 0 means one per hardware thread.
  ExecutionContext(std::shared_ptr<const Engine> engine, unsigned threads);
  ~ExecutionContext();  // out of line: CudaRunner is complete only in the .cc

  const Engine& engine() const { return *engine_; }
  unsigned threads() const { return pool_.threads(); }

  // Claims the context for one run; false when a run is in progress.
  bool tryBegin();
  void end();

  // One input's bytes and where they go in the arena.
  struct InputCopy {
    uint8_t* to;
    const uint8_t* from;
    uint64_t bytes;
  };
  // Throws KILN_INPUT unless every engine input is given exactly once with
  // the planned dtype, shape and data length; then picks the shape set
  // (dynamic plans) and returns the copies that bring the inputs in.
  std::vector<InputCopy> checkInputs(const std::vector<InputData>& inputs);
  // Large inputs go in chunks over the pool's threads (one core's memcpy of a batch of
  // images took ~0.3-0.5 ms, a few percent of a MobileNetV2 run); small ones at once.
  void copyInputs(const std::vector<InputCopy>& copies);
  // checkInputs, then copyInputs.
  void setInputs(const std::vector<InputData>& inputs) { copyInputs(checkInputs(inputs)); }
  // Wakes the thread pool for a run that is about to start (its workers'
  // wake-up then overlaps the input copy); execute() and end() end it.
  void beginRun();
  // Runs every layer. May be called on any thread.
  void execute();
  // Runs layers from `next` on, advancing it, until all are done (true) or
  // the next layer's forecast time would take the slice past budgetMicros
  // (at least one layer runs). A run split into slices times the same as one
  // execute(); it ends the pool's run when the last layer is done.
  bool executeSlice(size_t& next, double budgetMicros);
  // The longest layer forecast for the current shape set in microseconds;
  // negative when that shape set has not run yet.
  double longestLayerMicros() const;
  // Runs layer i alone (CPU plans): the per-layer profiler times each one.
  void executeLayer(size_t i);
  // Wall time of the last execute() in microseconds, 0 before the first: the
  // binding runs plans this short on the calling thread.
  double lastExecuteMicros() const { return lastExecuteMicros_.load(std::memory_order_relaxed); }
  // Output i of the engine (plan order), valid until the next run.
  const uint8_t* outputData(size_t i) const { return tensorData_[engine_->plan().outputs[i]]; }
  // Output i's shape in the last setInputs (its planned shape for static plans).
  const Shape& outputShape(size_t i) const;

  // Dynamic shapes. The active optimization profile (0 at first); switching
  // clears the input shapes set so far. Throws KILN_INPUT for a bad index.
  size_t optimizationProfile() const { return profile_; }
  void setOptimizationProfile(size_t index);
  // Records the shape of one input for the next runs after checking it
  // against the active profile (KILN_INPUT names the dim, bound and profile).
  void setInputShape(const std::string& name, const Shape& dims);
  // The shape of any engine tensor (output, input) under the input shapes set
  // so far, computed from the plan's dim programs; throws KILN_INPUT naming
  // an input whose shape is still missing.
  Shape tensorShape(const std::string& name) const;
  // GPU time of the last run in milliseconds (CUDA plans); negative for CPU plans.
  double gpuMs() const;

 private:
  uint32_t inputIndex(const std::string& name, const char* what) const;

  std::shared_ptr<const Engine> engine_;
  size_t profile_ = 0;
  std::vector<Shape> inputShapes_;           // per engine input; empty = not set
  std::shared_ptr<const ShapeSet> shapes_;   // dynamic plans: the last run's shapes and ops
  AlignedBuffer arena_;
  std::vector<uint8_t*> tensorData_;  // base pointer of every plan tensor
  ThreadPool pool_;
  // CUDA plans: the device arena and stream; inputs and outputs live in its
  // pinned staging (tensorData_ points there) and the host arena stays empty.
  std::unique_ptr<cuda::CudaRunner> cuda_;
  std::atomic<bool> busy_{false};
  std::atomic<double> lastExecuteMicros_{0};
  // Each layer's time in the last three runs of shape set timedShapes_ (null
  // for static plans), when timed_; their median is executeSlice's forecast,
  // so one preempted layer on a loaded host does not skew it. Holding the set
  // keeps a new one from reusing its address.
  std::vector<std::array<double, 3>> layerMicros_;
  unsigned timedRuns_ = 0;
  double forecastMicros(size_t layer) const;
  std::shared_ptr<const ShapeSet> timedShapes_;
  bool timed_ = false;
  double runMicros_ = 0;  // the current run's layer time so far
};

// Releases a context claimed with tryBegin when it goes out of scope.
class RunLease {
 public:
  explicit RunLease(std::shared_ptr<ExecutionContext> ctx) : ctx_(std::move(ctx)) {}
  ~RunLease() {
    if (ctx_) ctx_->end();
  }
  RunLease(const RunLease&) = delete;
  RunLease& operator=(const RunLease&) = delete;
  ExecutionContext& context() const { return *ctx_; }

 private:
  std::shared_ptr<ExecutionContext> ctx_;
};

}  // namespace kiln
