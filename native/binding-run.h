// Context.run: argument parsing, the libuv worker that executes the layers
// off the JS thread, and the conversion of outputs into typed arrays.
#pragma once

#include <napi.h>

#include <memory>

#include "execution-context.h"

namespace kiln::js {

// Returns a Promise; every failure (busy context, bad inputs, kernel error)
// rejects it, nothing throws synchronously. The layers run on the JS thread
// in slices or on a libuv worker (binding-run.cc says which and why).
Napi::Value runAsync(Napi::Env env, const std::shared_ptr<ExecutionContext>& context, const Napi::Value& inputs);

// run()'s inputs argument ({name, data, shape}[]) as the context takes them;
// throws KILN_ARGUMENT naming the bad field. Shared with profile().
std::vector<InputData> parseInputs(const Napi::Value& value);

}  // namespace kiln::js
