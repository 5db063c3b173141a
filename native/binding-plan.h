// Conversions between JS plan objects and the native PlanModel: a PlanDesc
// (codegen/plan-desc.ts) in, an EngineInfo out. Shape and type checks of the
// JS values only; the rules of a valid plan are plan-validate's.
#pragma once

#include <napi.h>

#include "plan-model.h"

namespace kiln::js {

// The returned model borrows desc.weights' memory: use it before returning to JS.
PlanModel planFromDesc(const Napi::Value& desc);

// EngineInfo: { formatVersion, kilnVersion, targetIsa, buildDigest (hex),
// arenaBytes, weightsBytes, inputs, outputs, layers }.
Napi::Object engineInfo(Napi::Env env, const PlanModel& plan);

}  // namespace kiln::js
