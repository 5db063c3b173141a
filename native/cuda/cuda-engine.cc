// See cuda-engine.h. The cubin is copied out of the plan bytes before loading:
// the driver parses it as ELF and the plan gives it no alignment.
#include "cuda-engine.h"

#include <cstdlib>
#include <cstring>

#include "../text.h"
#include "cublaslt.h"
#include "cuda-errors.h"

namespace kiln::cuda {

int runtimeDevice() {
  const char* v = std::getenv("KILN_CUDA_DEVICE");
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end || n < 0 || n > 1024) throw Error(codes::kCuda, cat("KILN_CUDA_DEVICE must be a device index, got ", quoted(v)));
  return int(n);
}

DeviceInfo checkTargetSupported(const PlanModel& plan, int device) {
  const std::string built = cat("plan built for ", archName(plan.cuda.arch), " by kiln ", plan.kilnVersion);
  std::string why;
  // Libraries first: the plan names what it needs, whatever GPU is here.
  for (const CudaLaunch& l : plan.cuda.launches)
    if (l.kind == LaunchKind::cublasLt && !cublasLtAvailable(&why))
      throw Error(codes::kPlanTarget, cat(built, "; layer ", quoted(plan.layers[l.layer].name), " runs on cuBLASLt (",
                                          l.function, "), and this machine has no cuBLASLt: ", why));
  if (!driver(&why)) throw Error(codes::kPlanTarget, cat(built, "; this machine: ", why));
  const int count = deviceCount();
  if (device >= count)
    throw Error(codes::kPlanTarget, cat(built, "; this machine: no GPU ", device, " (", count, count == 1 ? " GPU)" : " GPUs)"));
  DeviceInfo info = deviceInfo(device);
  const uint32_t have = uint32_t(info.ccMajor * 10 + info.ccMinor);
  if (have != plan.cuda.arch)
    throw Error(codes::kPlanTarget, cat(built, "; this machine: GPU ", device, " ", quoted(info.name), " is ", archName(have)));
  return info;
}

CudaEngine::CudaEngine(const PlanModel& plan, const DeviceInfo& device, const uint8_t* weights)
    : device_(device), ctx_(device.index) {
  ctx_.makeCurrent();
  const Driver& d = requireDriver();
  weights_ = DeviceBuffer(plan.weights.size);
  if (plan.weights.size) KILN_CU(d.cuMemcpyHtoD(weights_.get(), weights, plan.weights.size));
  std::vector<uint8_t> image(plan.cuda.cubin, plan.cuda.cubin + plan.cuda.cubinBytes);
  module_ = loadModule(image.data());
  for (const CudaLaunch& l : plan.cuda.launches) {
    if (l.kind == LaunchKind::cublasLt) {  // no function: the runner prepares the library call
      functions_.push_back(nullptr);
      continue;
    }
    CUfunction f = nullptr;
    const CUresult r = d.cuModuleGetFunction(&f, module_.get(), l.function.c_str());
    if (r != 0)
      throw Error(codes::kPlanCorrupt, cat("plan CUDA launch of layer ", quoted(plan.layers[l.layer].name), " names function ",
                                           quoted(l.function), " that its cubin does not have"));
    functions_.push_back(f);
  }
}

CudaEngine::~CudaEngine() { ctx_.makeCurrentNoThrow(); }

}  // namespace kiln::cuda
