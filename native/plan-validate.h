// Structural validation of a PlanModel: everything that can be checked without
// knowing what a kernel does. Tensor dtypes, shapes and byte ranges, graph
// inputs/outputs, layer operand indices, and a data-flow walk proving that each
// layer reads only tensors that were written and not overwritten since (so a
// broken memory plan is refused instead of computing garbage).
// Kernel-specific checks (ranks, parameter counts) live in cpu/kernel-registry.
#pragma once

#include "plan-model.h"

namespace kiln {

// Throws kiln::Error(errorCode, ...) on the first problem: the reader passes
// KILN_PLAN_CORRUPT (the bytes lie), the writer KILN_PLAN_INVALID (the desc
// is wrong).
void validatePlanStructure(const PlanModel& plan, const char* errorCode);

}  // namespace kiln
