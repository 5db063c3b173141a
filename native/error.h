// kiln::Error is the single exception type of the native runtime.
// Every failure (bad plan bytes, bad inputs, a kernel that cannot run a layer)
// becomes one of these; the binding turns it into a JS Error with `.code` set,
// in one place (binding-errors.cc). Nothing in native/ aborts the process.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace kiln {

// Codes are part of the JS API: tests and callers branch on them.
namespace codes {
inline constexpr const char* kPlanCorrupt = "KILN_PLAN_CORRUPT";  // bytes are not a valid plan
inline constexpr const char* kPlanVersion = "KILN_PLAN_VERSION";  // a plan format we do not read
inline constexpr const char* kPlanIsa = "KILN_PLAN_ISA";          // plan needs CPU features we lack
inline constexpr const char* kPlanInvalid = "KILN_PLAN_INVALID";  // a PlanDesc that breaks the rules
inline constexpr const char* kKernel = "KILN_KERNEL";             // a layer its kernel cannot run
inline constexpr const char* kInput = "KILN_INPUT";               // run() inputs do not fit the engine
inline constexpr const char* kBusy = "KILN_BUSY";                 // a context already running
inline constexpr const char* kArgument = "KILN_ARGUMENT";         // a JS argument of the wrong type
inline constexpr const char* kOutOfMemory = "KILN_OUT_OF_MEMORY";
inline constexpr const char* kInternal = "KILN_INTERNAL";
}  // namespace codes

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}

  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

}  // namespace kiln
