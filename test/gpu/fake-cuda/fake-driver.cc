// A stand-in libcuda.so.1 for CI (test/gpu/cublaslt.test.ts), built with g++ and
// found through LD_LIBRARY_PATH by a child process: one sm_90 "GPU" whose memory is
// host memory. Copies and library work run when enqueued, or are recorded while a
// stream captures and replayed by cuGraphLaunch, so the runner's plumbing (device
// pointers, staging, capture and replay) runs for real. It has no kernels:
// cuModuleGetFunction finds nothing and cuLaunchKernel fails, so only plans whose
// launches are all library calls run on it. Not part of kiln.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

namespace {

struct Stream {
  bool capturing = false;
  std::vector<std::function<void()>> recorded;
};
struct Graph {
  std::vector<std::function<void()>> work;
};

void enqueue(void* s, std::function<void()> work) {
  Stream* st = static_cast<Stream*>(s);
  if (st && st->capturing) st->recorded.push_back(std::move(work));
  else work();
}

}  // namespace

extern "C" {

// For the stand-in cuBLASLt: work on a stream, as the driver would order it.
void kilnFakeEnqueue(void* stream, void (*fn)(void*), void* arg) {
  enqueue(stream, [fn, arg] { fn(arg); });
}

int cuInit(unsigned) { return 0; }
int cuDriverGetVersion(int* v) { *v = 13000; return 0; }
int cuGetErrorName(int, const char** s) { *s = "CUDA_ERROR_FAKE"; return 0; }
int cuGetErrorString(int, const char** s) { *s = "the stand-in driver cannot do this"; return 0; }
int cuDeviceGetCount(int* n) { *n = 1; return 0; }
int cuDeviceGet(int* d, int i) { *d = i; return i == 0 ? 0 : 101; }
int cuDeviceGetName(char* name, int len, int) { std::strncpy(name, "kiln stand-in GPU", size_t(len)); return 0; }
int cuDeviceGetAttribute(int* v, int attr, int) {
  *v = attr == 16 ? 132 : attr == 75 ? 9 : 0;
  return 0;
}
int cuDeviceTotalMem_v2(size_t* b, int) { *b = size_t(1) << 30; return 0; }
int cuDevicePrimaryCtxRetain(void** c, int) { *c = reinterpret_cast<void*>(0x1); return 0; }
int cuDevicePrimaryCtxRelease_v2(int) { return 0; }
int cuCtxSetCurrent(void*) { return 0; }
int cuModuleLoadData(void** m, const void*) { *m = new int(0); return 0; }
int cuModuleUnload(void* m) { delete static_cast<int*>(m); return 0; }
int cuModuleGetFunction(void**, void*, const char*) { return 500; }
int cuMemAlloc_v2(unsigned long long* p, size_t n) {
  *p = reinterpret_cast<uintptr_t>(std::aligned_alloc(256, (n + 255) / 256 * 256));
  return 0;
}
int cuMemFree_v2(unsigned long long p) { std::free(reinterpret_cast<void*>(uintptr_t(p))); return 0; }
int cuMemHostAlloc(void** p, size_t n, unsigned) { *p = std::malloc(n ? n : 1); return 0; }
int cuMemFreeHost(void* p) { std::free(p); return 0; }
int cuMemcpyHtoD_v2(unsigned long long d, const void* h, size_t n) {
  std::memcpy(reinterpret_cast<void*>(uintptr_t(d)), h, n);
  return 0;
}
int cuMemcpyHtoDAsync_v2(unsigned long long d, const void* h, size_t n, void* s) {
  enqueue(s, [=] { std::memcpy(reinterpret_cast<void*>(uintptr_t(d)), h, n); });
  return 0;
}
int cuMemcpyDtoHAsync_v2(void* h, unsigned long long d, size_t n, void* s) {
  enqueue(s, [=] { std::memcpy(h, reinterpret_cast<const void*>(uintptr_t(d)), n); });
  return 0;
}
int cuStreamCreate(void** s, unsigned) { *s = new Stream; return 0; }
int cuStreamDestroy_v2(void* s) { delete static_cast<Stream*>(s); return 0; }
int cuStreamSynchronize(void*) { return 0; }
int cuEventCreate(void** e, unsigned) { *e = new int(0); return 0; }
int cuEventDestroy_v2(void* e) { delete static_cast<int*>(e); return 0; }
int cuEventRecord(void*, void*) { return 0; }
int cuEventElapsedTime_v2(float* ms, void*, void*) { *ms = 0.f; return 0; }
int cuLaunchKernel(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**) { return 1; }
int cuStreamBeginCapture_v2(void* s, int) {
  static_cast<Stream*>(s)->capturing = true;
  return 0;
}
int cuStreamEndCapture(void* s, void** g) {
  Stream* st = static_cast<Stream*>(s);
  *g = new Graph{std::move(st->recorded)};
  st->recorded.clear();
  st->capturing = false;
  return 0;
}
int cuGraphInstantiateWithFlags(void** e, void* g, unsigned long long) { *e = new Graph(*static_cast<Graph*>(g)); return 0; }
int cuGraphLaunch(void* e, void*) {
  for (auto& w : static_cast<Graph*>(e)->work) w();
  return 0;
}
int cuGraphExecDestroy(void* e) { delete static_cast<Graph*>(e); return 0; }
int cuGraphDestroy(void* g) { delete static_cast<Graph*>(g); return 0; }

}  // extern "C"
