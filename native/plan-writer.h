// The one plan writer: PlanModel -> plan file bytes (native/PLAN_FORMAT.md).
#pragma once

#include <cstdint>
#include <vector>

#include "plan-model.h"

namespace kiln {

// Validates the model completely first (structure and every layer against its
// kernel; errors carry KILN_PLAN_INVALID / KILN_KERNEL), so a plan that would
// be refused at load is never written.
std::vector<uint8_t> writePlan(const PlanModel& plan);

}  // namespace kiln
