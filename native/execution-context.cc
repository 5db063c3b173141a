// See execution-context.h. Input checking lives here, not in the binding, so
// every front end reports the same messages.
#include "execution-context.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "cuda/cuda-runner.h"
#include "error.h"
#include "plan-dynamic.h"
#include "text.h"

namespace kiln {
namespace {

constexpr unsigned kMaxThreads = 1024;

[[noreturn]] void inputError(const std::string& message) { throw Error(codes::kInput, message); }

}  // namespace

ExecutionContext::ExecutionContext(std::shared_ptr<const Engine> engine, unsigned threads)
    : engine_(std::move(engine)),
      pool_(threads == 0 ? ThreadPool::hardwareThreads() : std::min(threads, kMaxThreads)) {
  const PlanModel& plan = engine_->plan();
  inputShapes_.resize(plan.inputs.size());
  tensorData_.reserve(plan.tensors.size());
  if (engine_->cuda()) {
    cuda_ = std::make_unique<cuda::CudaRunner>(*engine_->cuda(), plan);
    for (size_t t = 0; t < plan.tensors.size(); ++t) tensorData_.push_back(cuda_->hostData(t));
    return;
  }
  arena_.reset(plan.arenaBytes);
  for (const TensorDesc& t : plan.tensors) {
    // Kernels never write weights (validated at load); the cast only lets one
    // table serve inputs and outputs alike.
    uint8_t* base = t.location == Location::arena ? arena_.data() : const_cast<uint8_t*>(engine_->weights());
    tensorData_.push_back(base + t.offset);
  }
}

ExecutionContext::~ExecutionContext() = default;

double ExecutionContext::gpuMs() const { return cuda_ ? cuda_->lastGpuMs() : -1.0; }

bool ExecutionContext::tryBegin() {
  bool expected = false;
  return busy_.compare_exchange_strong(expected, true, std::memory_order_acquire);
}

void ExecutionContext::end() {
  pool_.endRun();
  busy_.store(false, std::memory_order_release);
}

void ExecutionContext::beginRun() {
  if (!cuda_) pool_.beginRun();
}

uint32_t ExecutionContext::inputIndex(const std::string& name, const char* what) const {
  const PlanModel& plan = engine_->plan();
  std::vector<std::string> names;
  for (uint32_t i = 0; i < plan.inputs.size(); ++i) {
    if (plan.tensors[plan.inputs[i]].name == name) return i;
    names.push_back(plan.tensors[plan.inputs[i]].name);
  }
  inputError(cat(what, ": unknown input ", quoted(name), "; the engine's inputs are: ",
                 names.empty() ? std::string("(none)") : joined(names, ", ")));
}

void ExecutionContext::setOptimizationProfile(size_t index) {
  const PlanModel& plan = engine_->plan();
  const size_t count = plan.dynamic.present ? plan.dynamic.profiles.size() : 1;
  if (index >= count)
    inputError(cat("setOptimizationProfile: profile ", index, " does not exist; the engine has ", count,
                   count == 1 ? " profile (0)" : cat(" profiles (0..", count - 1, ")")));
  if (index == profile_) return;
  profile_ = index;
  for (Shape& s : inputShapes_) s.clear();
}

void ExecutionContext::setInputShape(const std::string& name, const Shape& dims) {
  const uint32_t i = inputIndex(name, "setInputShape");
  checkInputShape(engine_->plan(), profile_, i, dims);
  inputShapes_[i] = dims;
}

Shape ExecutionContext::tensorShape(const std::string& name) const {
  const PlanModel& plan = engine_->plan();
  uint32_t tensor = UINT32_MAX;
  for (uint32_t t = 0; t < plan.tensors.size(); ++t)
    if (plan.tensors[t].name == name) tensor = t;
  if (tensor == UINT32_MAX) inputError(cat("the engine has no tensor ", quoted(name)));
  if (!engine_->dynamic()) return plan.tensors[tensor].shape;
  for (uint32_t i = 0; i < plan.inputs.size(); ++i)
    if (inputShapes_[i].empty())
      inputError(cat("the shape of ", quoted(name), " depends on the input shapes; set input ",
                     quoted(plan.tensors[plan.inputs[i]].name), " ", symbolicShape(plan, plan.inputs[i]),
                     " with setInputShape first"));
  return resolveTensors(plan, bindSymbols(plan, inputShapes_))[tensor].shape;
}

const Shape& ExecutionContext::outputShape(size_t i) const {
  const uint32_t t = engine_->plan().outputs[i];
  return shapes_ ? shapes_->tensors[t].shape : engine_->plan().tensors[t].shape;
}

std::vector<ExecutionContext::InputCopy> ExecutionContext::checkInputs(const std::vector<InputData>& inputs) {
  const PlanModel& plan = engine_->plan();
  std::vector<std::string> names;
  std::unordered_map<std::string, uint32_t> byName;
  for (uint32_t t : plan.inputs) {
    names.push_back(plan.tensors[t].name);
    byName.emplace(plan.tensors[t].name, t);
  }
  const std::string known = names.empty() ? std::string("(none)") : joined(names, ", ");

  std::vector<const InputData*> given(plan.tensors.size(), nullptr);
  for (const InputData& in : inputs) {
    auto it = byName.find(in.name);
    if (it == byName.end()) inputError(cat("unknown input ", quoted(in.name), "; the engine's inputs are: ", known));
    if (given[it->second]) inputError(cat("input ", quoted(in.name), " is given twice"));
    given[it->second] = &in;
  }
  for (uint32_t t : plan.inputs)
    if (!given[t]) inputError(cat("missing input ", quoted(plan.tensors[t].name), "; the engine's inputs are: ", known));

  // Dynamic plans: the given shapes pick the shape set (checked against the
  // active profile first, so a shape out of range names its bound).
  const std::vector<TensorDesc>* tensors = &plan.tensors;
  if (engine_->dynamic()) {
    std::vector<Shape> shapes;
    for (uint32_t i = 0; i < plan.inputs.size(); ++i) {
      checkInputShape(plan, profile_, i, given[plan.inputs[i]]->shape);
      shapes.push_back(given[plan.inputs[i]]->shape);
    }
    const std::vector<int64_t> binding = bindSymbols(plan, shapes);
    if (!shapes_ || shapes_->binding != binding) shapes_ = engine_->shapeSet(binding);
    inputShapes_ = std::move(shapes);
    tensors = &shapes_->tensors;
  }

  for (const InputData& in : inputs) {
    const TensorDesc& t = (*tensors)[byName.at(in.name)];
    const bool dtypeFits = std::find(in.candidates.begin(), in.candidates.end(), t.dtype) != in.candidates.end();
    if (!dtypeFits || in.shape != t.shape)
      inputError(cat("input ", quoted(in.name), ": expected ", typeString(t.dtype, t.shape), ", received ",
                     typeString(dtypeFits ? std::string(dtypeName(t.dtype)) : in.arrayDtype, in.shape)));
    if (in.elements != elementCount(t.shape))
      inputError(cat("input ", quoted(in.name), ": shape ", listString(t.shape), " needs ", elementCount(t.shape),
                     " elements, data has ", in.elements));
  }
  std::vector<InputCopy> copies;
  copies.reserve(plan.inputs.size());
  for (uint32_t t : plan.inputs) {
    const uint64_t bytes = tensorBytes((*tensors)[t]);
    if (bytes) copies.push_back({tensorData_[t], given[t]->data, bytes});
  }
  return copies;
}

void ExecutionContext::copyInputs(const std::vector<InputCopy>& copies) {
  constexpr uint64_t kChunk = uint64_t(256) << 10;
  for (const InputCopy& c : copies) {
    if (c.bytes < 4 * kChunk || pool_.threads() == 1) {
      std::memcpy(c.to, c.from, c.bytes);
      continue;
    }
    pool_.parallelFor((c.bytes + kChunk - 1) / kChunk, [&](size_t i) {
      const uint64_t at = i * kChunk;
      std::memcpy(c.to + at, c.from + at, std::min(kChunk, c.bytes - at));
    });
  }
}

void ExecutionContext::execute() {
  if (engine_->dynamic() && !shapes_) inputError("a dynamic engine runs after setInputs has given every input's shape");
  if (!cuda_) {
    size_t next = 0;
    executeSlice(next, std::numeric_limits<double>::infinity());
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  cuda_->run();
  lastExecuteMicros_.store(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count(),
                           std::memory_order_relaxed);
}

bool ExecutionContext::executeSlice(size_t& next, double budgetMicros) {
  if (engine_->dynamic() && !shapes_) inputError("a dynamic engine runs after setInputs has given every input's shape");
  using Clock = std::chrono::steady_clock;
  const auto& ops = shapes_ ? shapes_->ops : engine_->ops();
  if (!timed_ || timedShapes_ != shapes_ || layerMicros_.size() != ops.size()) {
    layerMicros_.assign(ops.size(), {0, 0, 0});
    timed_ = false;  // no forecast until this shape set has run once
    timedRuns_ = 0;
  }
  if (next == 0) runMicros_ = 0;
  const unsigned slot = timedRuns_ % 3;
  const cpu::RunContext ctx{tensorData_.data(), &pool_};
  const auto sliceStart = Clock::now();
  auto layerStart = sliceStart;
  double elapsed = 0;
  while (next < ops.size()) {
    if (elapsed > 0 && elapsed + forecastMicros(next) > budgetMicros) break;
    ops[next]->run(ctx);
    const auto layerEnd = Clock::now();
    layerMicros_[next++][slot] = std::chrono::duration<double, std::micro>(layerEnd - layerStart).count();
    elapsed = std::chrono::duration<double, std::micro>(layerEnd - sliceStart).count();
    layerStart = layerEnd;
  }
  runMicros_ += elapsed;
  if (next < ops.size()) return false;
  timedShapes_ = shapes_;
  timed_ = true;
  ++timedRuns_;
  pool_.endRun();
  lastExecuteMicros_.store(runMicros_, std::memory_order_relaxed);
  return true;
}

double ExecutionContext::forecastMicros(size_t layer) const {
  const auto& t = layerMicros_[layer];
  if (timedRuns_ < 3) return timedRuns_ == 0 ? 0 : t[(timedRuns_ - 1) % 3];  // the last run's time
  return std::max(std::min(t[0], t[1]), std::min(std::max(t[0], t[1]), t[2]));  // median of three
}

double ExecutionContext::longestLayerMicros() const {
  if (cuda_ || !timed_ || timedShapes_ != shapes_) return -1;
  double longest = 0;
  for (size_t i = 0; i < layerMicros_.size(); ++i) longest = std::max(longest, forecastMicros(i));
  return longest;
}

void ExecutionContext::executeLayer(size_t i) {
  if (engine_->dynamic() && !shapes_) inputError("a dynamic engine runs after setInputs has given every input's shape");
  const cpu::RunContext ctx{tensorData_.data(), &pool_};
  (shapes_ ? shapes_->ops : engine_->ops())[i]->run(ctx);
}

}  // namespace kiln
