// Engine loading: read (plan-reader), check the CPU, copy the weights out of
// the caller's buffer (so the engine does not depend on it), then prepare
// every layer (kernel-registry) against that copy, prepacking constants.
#include "engine.h"

#include <cstdlib>
#include <cstring>

#include "cpu-features.h"
#include "cpu/kernel-registry.h"
#include "cuda/cuda-engine.h"
#include "error.h"
#include "plan-dynamic.h"
#include "plan-reader.h"
#include "text.h"

namespace kiln {

void checkIsaSupported(uint64_t required) {
  const uint64_t host = hostIsaMask();
  const uint64_t missing = required & ~host;
  if (!missing) return;
  const std::vector<std::string> have = isaNames(host);
  throw Error(codes::kPlanIsa, cat("plan needs ", joined(isaNames(missing), " "), "; this machine: ",
                                   have.empty() ? std::string("none of the features kiln knows") : joined(have, " ")));
}

PlanModel Engine::inspect(const uint8_t* bytes, size_t size) {
  PlanModel plan = readPlan(bytes, size);
  prepareLayers(plan);
  return plan;
}

std::shared_ptr<const Engine> Engine::load(const uint8_t* bytes, size_t size) {
  PlanModel plan = readPlan(bytes, size);
  checkIsaSupported(plan.isaMask);
  cuda::DeviceInfo device;
  if (plan.cuda.present) device = cuda::checkTargetSupported(plan, cuda::runtimeDevice());
  std::shared_ptr<Engine> engine(new Engine());
  engine->weights_.reset(plan.weights.size);
  if (plan.weights.size) std::memcpy(engine->weights_.data(), plan.weights.data, plan.weights.size);
  plan.weights.data = engine->weights_.data();
  engine->plan_ = std::move(plan);
  if (engine->plan_.cuda.present) {
    prepareLayers(engine->plan_);  // the same per-layer checks; the GPU runs the layers
    engine->cuda_ = std::make_unique<cuda::CudaEngine>(engine->plan_, device, engine->weights_.data());
    engine->plan_.cuda.cubin = nullptr;  // loaded into the module; the caller's bytes may go
  } else if (engine->dynamic()) {
    // Validated at the capacity shapes without prepacking: a dynamic plan only
    // runs the layers of a shape set (shapeSet), prepared for the run's shapes.
    engine->ops_ = prepareLayers(engine->plan_);
  } else {
    engine->ops_ = prepareLayers(engine->plan_, engine->weights_.data());
  }
  return engine;
}

namespace {

// Shape sets kept per engine: enough for a server's few common shapes, small
// enough that prepacked weights are not copied without bound.
size_t shapeCacheLimit() {
  static const size_t limit = [] {
    const char* v = std::getenv("KILN_SHAPE_CACHE");
    const long n = v ? std::atol(v) : 8;
    return size_t(n < 1 ? 1 : n);
  }();
  return limit;
}

}  // namespace

std::shared_ptr<const ShapeSet> Engine::shapeSet(const std::vector<int64_t>& binding) const {
  {
    std::lock_guard<std::mutex> lock(shapeMutex_);
    for (auto it = shapeSets_.begin(); it != shapeSets_.end(); ++it) {
      if ((*it)->binding != binding) continue;
      shapeSets_.splice(shapeSets_.begin(), shapeSets_, it);
      return shapeSets_.front();
    }
  }
  // Prepared outside the lock: another context may prepare the same binding
  // meanwhile, which costs time once but never correctness.
  auto set = std::make_shared<ShapeSet>();
  set->binding = binding;
  set->tensors = resolveTensors(plan_, binding);
  PlanModel resolved = plan_;
  resolved.tensors = set->tensors;
  set->ops = prepareLayers(resolved, weights_.data());
  std::lock_guard<std::mutex> lock(shapeMutex_);
  ++shapeSetsPrepared_;
  shapeSets_.push_front(set);
  while (shapeSets_.size() > shapeCacheLimit()) shapeSets_.pop_back();
  return set;
}

size_t Engine::shapeSetsPrepared() const {
  std::lock_guard<std::mutex> lock(shapeMutex_);
  return shapeSetsPrepared_;
}

Engine::~Engine() = default;

}  // namespace kiln
