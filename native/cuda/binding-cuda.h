// The CUDA pieces of the Node-API surface, kept beside the backend so the
// generic binding files only gain a call each.
//
// cudaDevices(): {available, reason?, driverVersion?, devices: DeviceInfo[]} [sync]
//   Never throws: a machine without a driver answers available: false with the
//   reason ("no CUDA driver (libcuda.so.1 not found)").
// nvrtcInfo(): {available, reason?, version?}                              [sync]
// cublasLtInfo(): {available, reason?, version?}                           [sync]
//   Whether libcublasLt loads here (KILN_CUBLASLT names a file to use instead).
// cudaTimeLaunches(plan: Uint8Array, repeats: number): number[]          [sync]
//   Loads a CUDA plan, runs it `repeats` times launch by launch, and returns
//   each launch's mean GPU milliseconds (autotuning). Throws KILN_PLAN_*,
//   KILN_CUDA.
// cudaCompile(source: string, arch: number, name: string, options?: string[])
//   : {cubin: Uint8Array, log: string}                                     [sync]
//   NVRTC for sm_<arch>. Throws KILN_CUDA (no NVRTC), KILN_CUDA_COMPILE (with
//   the compiler's log), KILN_ARGUMENT.
#pragma once

#include <napi.h>

#include <string>

#include "../plan-model.h"

namespace kiln::js {

// desc.cuda -> the section (cubin borrowed from the Uint8Array). KILN_ARGUMENT.
cuda::CudaSection cudaSectionFromJs(const Napi::Value& value, const std::string& what);
// For engine info: "cpu" or "cuda sm_90", and the section's summary (or undefined).
std::string targetName(const PlanModel& plan);
Napi::Value cudaSectionInfo(Napi::Env env, const PlanModel& plan);
void addCudaExports(Napi::Env env, Napi::Object exports);

}  // namespace kiln::js
