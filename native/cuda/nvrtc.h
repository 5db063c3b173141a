// NVRTC, reached through dlopen like the driver: the builder compiles the
// generated CUDA C++ of a plan to a cubin for the target GPU's architecture.
// Only the builder needs it; a machine that only runs plans needs the driver.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::cuda {

struct CompileResult {
  std::vector<uint8_t> cubin;
  std::string log;  // NVRTC's warnings, possibly empty
};

// True when some libnvrtc could be loaded; otherwise `whyNot` says what was tried.
bool nvrtcAvailable(std::string* whyNot = nullptr);
// "13.0", or empty without NVRTC.
std::string nvrtcVersion();

// Compiles `source` (named `name` in messages) to a cubin for sm_<arch>
// (arch = 10 * major + minor). Throws KILN_CUDA when NVRTC is missing and
// KILN_CUDA_COMPILE with NVRTC's log when the source does not compile.
CompileResult compileCubin(const std::string& source, const std::string& name, int arch,
                           const std::vector<std::string>& extraOptions);

}  // namespace kiln::cuda
