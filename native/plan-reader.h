// The one plan reader: plan file bytes -> PlanModel. It trusts nothing; see
// plan-reader.cc for the order of checks and PLAN_FORMAT.md for the layout.
#pragma once

#include <cstddef>
#include <cstdint>

#include "plan-model.h"

namespace kiln {

// The returned model's weights view points into `bytes`, which must outlive
// it. Structure is validated (KILN_PLAN_CORRUPT / KILN_PLAN_VERSION); the
// per-kernel checks and the ISA check are the engine's (engine.cc).
PlanModel readPlan(const uint8_t* bytes, size_t size);

}  // namespace kiln
