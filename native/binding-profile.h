// Timing entry points of the binding: a context's per-layer profile (what
// `kiln bench --dump-profile` prints) and timeLayers, the builder's
// measurement of candidate tactics (src/builder/autotune.ts).
//
// context.profile(inputs, options?: {iterations?, warmup?})
//   : Promise<{ layers: {name, kernel, medianMs, meanMs}[], runMs, iterations }>  [async]
//   Validates and copies the inputs like run(), then runs the layers one by
//   one `iterations` times (default 20) with a clock around each. Rejects
//   with KILN_ARGUMENT (bad options, CUDA plan), KILN_INPUT, KILN_BUSY.
// timeLayers(desc: PlanDesc, options?: {threads?, warmup?, minIterations?,
//            maxIterations?, budgetMs?}): { medianMs, minMs: number[], iterations }  [sync]
//   Serializes and loads the plan, fills its inputs with a fixed pattern,
//   and times every layer round-robin (median and best per layer). Blocks the caller:
//   the builder is synchronous. Throws like serializePlan, or KILN_ARGUMENT.
#pragma once

#include <napi.h>

#include <memory>

#include "execution-context.h"

namespace kiln::js {

Napi::Value profileAsync(Napi::Env env, const std::shared_ptr<ExecutionContext>& context, const Napi::Value& inputs,
                         const Napi::Value& options);

Napi::Value timeLayers(const Napi::CallbackInfo& cb);

// fmaPeak(threads?): { gflops, threads, isa }                                 [sync]
//   The best of 15 rounds of independent FMA chains on `threads` threads
//   (default: all): the machine's peak for the GEMM benchmark's fractions.
Napi::Value fmaPeak(const Napi::CallbackInfo& cb);

}  // namespace kiln::js
