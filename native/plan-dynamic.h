// Dynamic shapes at the plan level: validation of the DYNS section, and the
// run-time steps from input shapes to every tensor's shape. An input shape is
// checked against the active optimization profile (messages name the input,
// the dim, its symbol, the bound and the profile), the symbols are read from
// the inputs, and each dynamic tensor's dim programs are evaluated and checked
// against the tensor's capacity (its planned shape, the arena slot it owns).
#pragma once

#include <string>
#include <vector>

#include "plan-model.h"

namespace kiln {

// Throws kiln::Error(errorCode, ...) unless the section is consistent with
// the rest of the plan (a no-op for static plans).
void validateDynamicSection(const PlanModel& plan, const char* errorCode);

// The symbolic text of a tensor's shape ("[batch,seq,256]"); plain dims for
// static tensors.
std::string symbolicShape(const PlanModel& plan, uint32_t tensor);
std::vector<std::string> symbolicDims(const PlanModel& plan, uint32_t tensor);

// Throws KILN_INPUT unless `dims` fits input `input` (index into plan.inputs)
// in profile `profile`.
void checkInputShape(const PlanModel& plan, size_t profile, size_t input, const Shape& dims);

// Symbol values of a full set of input shapes (each already checked), in
// plan.dynamic.symbols order; throws KILN_INPUT when inputs disagree on a
// symbol or an input dim that is an expression does not match its value.
std::vector<int64_t> bindSymbols(const PlanModel& plan, const std::vector<Shape>& inputShapes);

// Every tensor with its shape under `binding`; throws KILN_INPUT when a dim
// comes out below 1 or a tensor outgrows its capacity.
std::vector<TensorDesc> resolveTensors(const PlanModel& plan, const std::vector<int64_t>& binding);

// "batch=4 seq=64", for messages.
std::string bindingText(const PlanModel& plan, const std::vector<int64_t>& binding);

}  // namespace kiln
