// The CUDA target section of a plan (tag 'CUDA', between LYRS and WGTS; see
// native/PLAN_FORMAT.md): the compute capability the plan was built for, the
// cubin of all its generated kernels, and the launches that run each layer.
// A plan without the section is a CPU plan. This header is plain data and
// plan-file code; nothing here touches the driver.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kiln {
class ByteCursor;
class ByteWriter;
struct PlanModel;
}  // namespace kiln

namespace kiln::cuda {

// One kernel launch. Its arguments are plan tensors, passed to the kernel as
// device pointers in this order; every one must be an operand of its layer,
// so the plan's data-flow validation covers what the kernel may touch.
struct CudaLaunch {
  uint32_t layer = 0;
  std::string function;
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  uint32_t sharedBytes = 0;
  std::vector<uint32_t> args;
};

struct CudaSection {
  bool present = false;
  uint32_t arch = 0;     // 10 * major + minor: 90 for sm_90
  std::string compiler;  // "nvrtc 13.0" or "nvcc 13.0"; for inspection
  const uint8_t* cubin = nullptr;  // borrowed, like the weight blob
  uint64_t cubinBytes = 0;
  std::vector<CudaLaunch> launches;  // in execution order, layers non-decreasing
};

using StringOf = std::function<const std::string&(uint32_t index, const std::string& what)>;
using StringId = std::function<uint32_t(const std::string&)>;

// The payload of the section, without its tag and length.
CudaSection readCudaSection(ByteCursor& c, const StringOf& string);
void writeCudaSection(ByteWriter& w, const CudaSection& s, const StringId& id);

// Checks the section against the plan (KILN_PLAN_CORRUPT from the reader,
// KILN_PLAN_INVALID from the writer); a no-op for CPU plans.
void validateCudaSection(const PlanModel& plan, const char* errorCode);

// "sm_90"
std::string archName(uint32_t arch);

}  // namespace kiln::cuda
