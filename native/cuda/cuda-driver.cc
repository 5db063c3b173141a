// Loads libcuda.so.1 with dlopen and resolves every entry point once. A missing
// symbol makes the whole driver unusable (with the symbol named), rather than
// failing later in the middle of a run.
#include "cuda-driver.h"

#include <dlfcn.h>

#include <mutex>

#include "../text.h"
#include "cuda-errors.h"

namespace kiln::cuda {
namespace {

struct Loaded {
  Driver api{};
  bool ok = false;
  std::string whyNot;
};

template <typename Fn>
bool resolve(void* lib, Fn*& slot, const char* const* names, std::string* missing) {
  for (const char* const* n = names; *n; ++n)
    if (void* p = dlsym(lib, *n)) {
      slot = reinterpret_cast<Fn*>(p);
      return true;
    }
  *missing = names[0];
  return false;
}

#define KILN_SYM(field, ...)                                              \
  do {                                                                    \
    static const char* const names[] = {__VA_ARGS__, nullptr};            \
    if (!resolve(lib, d.field, names, &missing)) return cat("no ", missing); \
  } while (0)

std::string bind(void* lib, Driver& d) {
  std::string missing;
  KILN_SYM(cuInit, "cuInit");
  KILN_SYM(cuDriverGetVersion, "cuDriverGetVersion");
  KILN_SYM(cuGetErrorName, "cuGetErrorName");
  KILN_SYM(cuGetErrorString, "cuGetErrorString");
  KILN_SYM(cuDeviceGetCount, "cuDeviceGetCount");
  KILN_SYM(cuDeviceGet, "cuDeviceGet");
  KILN_SYM(cuDeviceGetName, "cuDeviceGetName");
  KILN_SYM(cuDeviceGetAttribute, "cuDeviceGetAttribute");
  KILN_SYM(cuDeviceTotalMem, "cuDeviceTotalMem_v2");
  KILN_SYM(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  KILN_SYM(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
  KILN_SYM(cuCtxSetCurrent, "cuCtxSetCurrent");
  KILN_SYM(cuModuleLoadData, "cuModuleLoadData");
  KILN_SYM(cuModuleUnload, "cuModuleUnload");
  KILN_SYM(cuModuleGetFunction, "cuModuleGetFunction");
  KILN_SYM(cuMemAlloc, "cuMemAlloc_v2");
  KILN_SYM(cuMemFree, "cuMemFree_v2");
  KILN_SYM(cuMemHostAlloc, "cuMemHostAlloc");
  KILN_SYM(cuMemFreeHost, "cuMemFreeHost");
  KILN_SYM(cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  KILN_SYM(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  KILN_SYM(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
  KILN_SYM(cuStreamCreate, "cuStreamCreate");
  KILN_SYM(cuStreamDestroy, "cuStreamDestroy_v2");
  KILN_SYM(cuStreamSynchronize, "cuStreamSynchronize");
  KILN_SYM(cuEventCreate, "cuEventCreate");
  KILN_SYM(cuEventDestroy, "cuEventDestroy_v2");
  KILN_SYM(cuEventRecord, "cuEventRecord");
  KILN_SYM(cuEventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime");
  KILN_SYM(cuLaunchKernel, "cuLaunchKernel");
  KILN_SYM(cuStreamBeginCapture, "cuStreamBeginCapture_v2");
  KILN_SYM(cuStreamEndCapture, "cuStreamEndCapture");
  KILN_SYM(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
  KILN_SYM(cuGraphLaunch, "cuGraphLaunch");
  KILN_SYM(cuGraphExecDestroy, "cuGraphExecDestroy");
  KILN_SYM(cuGraphDestroy, "cuGraphDestroy");
  return {};
}

#undef KILN_SYM

const Loaded& loaded() {
  static Loaded state;
  static std::once_flag once;
  std::call_once(once, [] {
    // Never unloaded: handles from it may live until the process exits.
    // The loader's search first; then where container runtimes mount the driver.
    void* lib = nullptr;
    for (const char* name : {"libcuda.so.1", "/usr/local/nvidia/lib64/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                             "/usr/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1"})
      if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    if (!lib) {
      state.whyNot = "no CUDA driver (libcuda.so.1 not found)";
      return;
    }
    if (std::string missing = bind(lib, state.api); !missing.empty()) {
      state.whyNot = cat("the CUDA driver (libcuda.so.1) lacks ", missing.substr(3));
      return;
    }
    const CUresult r = state.api.cuInit(0);
    if (r != 0) {
      const char* name = nullptr;
      state.api.cuGetErrorName(r, &name);
      state.whyNot = cat("no usable CUDA device (cuInit: ", name ? name : "unknown error", ")");
      return;
    }
    state.ok = true;
  });
  return state;
}

}  // namespace

const Driver* driver(std::string* whyNot) {
  const Loaded& s = loaded();
  if (!s.ok && whyNot) *whyNot = s.whyNot;
  return s.ok ? &s.api : nullptr;
}

const Driver& requireDriver() {
  std::string why;
  const Driver* d = driver(&why);
  if (!d) throw Error(codes::kCuda, why);
  return *d;
}

void check(int result, const char* call, const char* file, int line) {
  if (result == 0) return;
  const char *name = nullptr, *text = nullptr;
  if (const Driver* d = driver()) {
    d->cuGetErrorName(result, &name);
    d->cuGetErrorString(result, &text);
  }
  throw Error(codes::kCuda, cat(call, " failed: ", name ? name : "CUDA error", " (", result, text ? cat(": ", text) : "",
                                ") at ", file, ":", line));
}

int deviceCount() {
  const Driver& d = requireDriver();
  int n = 0;
  KILN_CU(d.cuDeviceGetCount(&n));
  return n;
}

DeviceInfo deviceInfo(int index) {
  const Driver& d = requireDriver();
  const int count = deviceCount();
  if (index < 0 || index >= count)
    throw Error(codes::kCuda, cat("CUDA device ", index, " does not exist; this machine has ", count,
                                  count == 1 ? " device" : " devices"));
  CUdevice dev = 0;
  KILN_CU(d.cuDeviceGet(&dev, index));
  DeviceInfo info;
  info.index = index;
  char name[256] = {};
  KILN_CU(d.cuDeviceGetName(name, sizeof name - 1, dev));
  info.name = name;
  KILN_CU(d.cuDeviceGetAttribute(&info.ccMajor, kAttrCcMajor, dev));
  KILN_CU(d.cuDeviceGetAttribute(&info.ccMinor, kAttrCcMinor, dev));
  KILN_CU(d.cuDeviceGetAttribute(&info.multiprocessors, kAttrMultiprocessors, dev));
  KILN_CU(d.cuDeviceTotalMem(&info.totalMemory, dev));
  return info;
}

}  // namespace kiln::cuda
