// Per-layer timing of a CPU execution context: the profile `kiln bench
// --dump-profile` prints, and the measurement the builder's autotuner takes
// (each candidate tactic is one layer of a small plan, so timing layers
// round-robin compares tactics under the same machine load).
#pragma once

#include <cstdint>
#include <vector>

#include "execution-context.h"

namespace kiln {

struct ProfileOptions {
  unsigned warmup = 1;         // untimed full runs first (caches, packing buffers)
  unsigned minIterations = 3;  // timed runs, at least
  unsigned maxIterations = 1000;
  double budgetMs = 0;  // then more runs while the estimated time stays under this
};

struct LayerProfile {
  std::vector<double> medianMs;  // per layer, plan order
  std::vector<double> meanMs;
  std::vector<double> minMs;  // the best run: what tactic selection compares (load only ever adds time)
  double runMedianMs = 0;  // median of the per-run sum over layers
  unsigned iterations = 0;
};

// Inputs that own their bytes, so a profile can restore them before every
// run: the memory plan may reuse an input's bytes once its last reader ran.
struct OwnedInputs {
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<InputData> inputs;  // data points into buffers
};

OwnedInputs copyInputs(const std::vector<InputData>& inputs);

// A deterministic pattern for every input of the plan (f32 in [-1, 1], other
// dtypes zero, a valid index for gathers), for timing runs without user data.
OwnedInputs syntheticInputs(const PlanModel& plan);

// Runs the context's layers one by one with a steady clock around each,
// setting `inputs` (untimed) before every run. Throws KILN_ARGUMENT for CUDA
// plans, KILN_INPUT when the inputs do not fit.
LayerProfile profileLayers(ExecutionContext& context, const OwnedInputs& inputs, const ProfileOptions& options);

}  // namespace kiln
