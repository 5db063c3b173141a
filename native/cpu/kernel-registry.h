// The kernel registry: one explicit list of the kernels this runtime has, and
// the load-time step that turns every plan layer into a ready LayerOp.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../plan-model.h"
#include "kernel.h"

namespace kiln {

// Null when no kernel has that name.
const cpu::KernelDef* findKernel(std::string_view name);

// Looks up and validates every layer of a structurally valid plan (KILN_KERNEL
// on failure): unknown kernels, operands that overlap where the kernel cannot
// work in place, and the kernel's own shape/parameter checks. With the
// engine's (aligned, owned) weight blob, kernels also prepack constants.
std::vector<std::unique_ptr<cpu::LayerOp>> prepareLayers(const PlanModel& plan, const uint8_t* weights = nullptr);

}  // namespace kiln
