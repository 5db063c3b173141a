// See layer-profiler.h. Times are medians: the builder runs on shared
// machines where a single descheduling would otherwise pick the wrong tactic.
#include "layer-profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "error.h"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// KILN_PROFILE_CLOCK=thread times layers in CPU time of the calling thread:
// with one thread, a measurement that a loaded machine's descheduling does
// not inflate (kernel development; the default stays wall time).
bool threadClock() {
  static const bool on = [] {
    const char* v = std::getenv("KILN_PROFILE_CLOCK");
    return v && std::strcmp(v, "thread") == 0;
  }();
  return on;
}

double nowMs() {
#if defined(__linux__)
  if (threadClock()) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
  }
#endif
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + ptrdiff_t(mid), v.end());
  return v[mid];
}

}  // namespace

LayerProfile profileLayers(ExecutionContext& context, const OwnedInputs& inputs, const ProfileOptions& options) {
  if (context.engine().cuda())
    throw Error(codes::kArgument, "per-layer profiling is for CPU plans; a CUDA plan reports gpuMs per run");
  const size_t layers = context.engine().ops().size();
  for (unsigned w = 0; w < options.warmup; ++w) {
    context.setInputs(inputs.inputs);
    context.execute();
  }

  std::vector<std::vector<double>> samples(layers);
  std::vector<double> runs;
  const auto start = Clock::now();
  const unsigned minIter = std::max(1u, options.minIterations);
  const unsigned maxIter = std::max(minIter, options.maxIterations);
  for (unsigned it = 0; it < maxIter; ++it) {
    if (it >= minIter && msSince(start) * double(it + 1) / double(it) > options.budgetMs) break;
    context.setInputs(inputs.inputs);
    double sum = 0;
    for (size_t i = 0; i < layers; ++i) {
      const double t0 = nowMs();
      context.executeLayer(i);
      const double ms = nowMs() - t0;
      samples[i].push_back(ms);
      sum += ms;
    }
    runs.push_back(sum);
  }

  LayerProfile out;
  out.iterations = unsigned(runs.size());
  for (const auto& s : samples) {
    out.medianMs.push_back(median(s));
    double total = 0;
    for (double v : s) total += v;
    out.meanMs.push_back(s.empty() ? 0 : total / double(s.size()));
    out.minMs.push_back(s.empty() ? 0 : *std::min_element(s.begin(), s.end()));
  }
  out.runMedianMs = median(runs);
  return out;
}

OwnedInputs copyInputs(const std::vector<InputData>& inputs) {
  OwnedInputs out;
  out.buffers.reserve(inputs.size());
  for (const InputData& in : inputs) {
    const size_t bytes = size_t(in.elements) * (in.candidates.empty() ? 1 : dtypeSize(in.candidates[0]));
    out.buffers.emplace_back(in.data, in.data + bytes);
    out.inputs.push_back(in);
    out.inputs.back().data = out.buffers.back().data();
  }
  return out;
}

OwnedInputs syntheticInputs(const PlanModel& plan) {
  OwnedInputs out;
  out.buffers.reserve(plan.inputs.size());
  for (uint32_t t : plan.inputs) {
    const TensorDesc& desc = plan.tensors[t];
    const uint64_t n = elementCount(desc.shape);
    out.buffers.emplace_back(size_t(tensorBytes(desc)), uint8_t(0));
    if (desc.dtype == DType::f32) {
      // A small linear congruential sequence: no denormals, no NaNs, no zeros
      // that would make a timing unrepresentative.
      uint32_t state = 0x9e3779b9u ^ t;
      for (uint64_t i = 0; i < n; ++i) {
        state = state * 1664525u + 1013904223u;
        const float v = float(int32_t(state >> 8) - (1 << 23)) / float(1 << 23);
        std::memcpy(out.buffers.back().data() + i * 4, &v, 4);
      }
    }
    InputData in;
    in.name = desc.name;
    in.candidates = {desc.dtype};
    in.arrayDtype = dtypeName(desc.dtype);
    in.shape = desc.shape;
    in.data = out.buffers.back().data();
    in.elements = n;
    out.inputs.push_back(std::move(in));
  }
  return out;
}

}  // namespace kiln
