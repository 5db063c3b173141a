// RAII owners of driver objects: the primary context of a device, a module,
// device memory, pinned host memory, a stream, an event, an instantiated graph.
// Each is move-only and releases in its destructor without throwing (a failed
// release during unwinding would hide the first error), so no path leaks.
#pragma once

#include <cstddef>
#include <utility>

#include "cuda-driver.h"
#include "cuda-errors.h"

namespace kiln::cuda {

// Shared by everything created on one device; retained once per engine.
class PrimaryContext {
 public:
  explicit PrimaryContext(int device) : d_(&requireDriver()) {
    KILN_CU(d_->cuDeviceGet(&device_, device));
    KILN_CU(d_->cuDevicePrimaryCtxRetain(&ctx_, device_));
  }
  ~PrimaryContext() {
    if (ctx_) d_->cuDevicePrimaryCtxRelease(device_);
  }
  PrimaryContext(const PrimaryContext&) = delete;
  PrimaryContext& operator=(const PrimaryContext&) = delete;
  // Driver calls act on the calling thread's current context; runs happen on
  // libuv workers, so every entry point makes it current first.
  void makeCurrent() const { KILN_CU(d_->cuCtxSetCurrent(ctx_)); }
  // For destructors, which must not throw: resources are released in this context.
  void makeCurrentNoThrow() const noexcept { d_->cuCtxSetCurrent(ctx_); }

 private:
  const Driver* d_;
  CUdevice device_ = 0;
  CUcontext ctx_ = nullptr;
};

template <typename Handle, CUresult (*Driver::*Release)(Handle)>
class Owned {
 public:
  Owned() = default;
  explicit Owned(Handle h) : h_(h) {}
  ~Owned() { reset(); }
  Owned(Owned&& o) noexcept : h_(std::exchange(o.h_, Handle{})) {}
  Owned& operator=(Owned&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  Handle get() const { return h_; }
  void reset() {
    if (h_) ((*driver()).*Release)(std::exchange(h_, Handle{}));
  }

 private:
  Handle h_{};
};

using Module = Owned<CUmodule, &Driver::cuModuleUnload>;
using Stream = Owned<CUstream, &Driver::cuStreamDestroy>;
using Event = Owned<CUevent, &Driver::cuEventDestroy>;
using GraphExec = Owned<CUgraphExec, &Driver::cuGraphExecDestroy>;
using Graph = Owned<CUgraph, &Driver::cuGraphDestroy>;

inline Module loadModule(const void* cubin) {
  CUmodule m = nullptr;
  KILN_CU(requireDriver().cuModuleLoadData(&m, cubin));
  return Module(m);
}

inline Stream createStream() {
  CUstream s = nullptr;
  KILN_CU(requireDriver().cuStreamCreate(&s, kStreamNonBlocking));
  return Stream(s);
}

inline Event createEvent() {
  CUevent e = nullptr;
  KILN_CU(requireDriver().cuEventCreate(&e, 0));
  return Event(e);
}

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : size_(bytes) {
    if (bytes) KILN_CU(requireDriver().cuMemAlloc(&ptr_, bytes));
  }
  ~DeviceBuffer() {
    if (ptr_) driver()->cuMemFree(ptr_);
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, 0)), size_(std::exchange(o.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  CUdeviceptr get() const { return ptr_; }
  size_t size() const { return size_; }

 private:
  CUdeviceptr ptr_ = 0;
  size_t size_ = 0;
};

// Page-locked host memory: the only kind the copy engines read and write
// asynchronously, so inputs and outputs are staged here.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes) : size_(bytes) {
    if (bytes) KILN_CU(requireDriver().cuMemHostAlloc(&ptr_, bytes, 0));
  }
  ~PinnedBuffer() {
    if (ptr_) driver()->cuMemFreeHost(ptr_);
  }
  PinnedBuffer(PinnedBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(size_, o.size_);
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  uint8_t* data() const { return static_cast<uint8_t*>(ptr_); }
  size_t size() const { return size_; }

 private:
  void* ptr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kiln::cuda
