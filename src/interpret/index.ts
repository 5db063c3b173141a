// src/interpret: the reference interpreter (the oracle of every later test), its
// kernels, f16/bf16 rounding helpers and seeded random tensors.
export { interpret, type InterpretOptions } from './interpret.js';
export { checkInputs, DimBinder } from './check-inputs.js';
export { isFloatDType, readFloats, tensor, tensorValues, writeFloats, type Tensor } from './tensor.js';
export { bf16BitsToF32, f16BitsToF32, f32ToBF16Bits, f32ToF16Bits, roundToBF16, roundToF16 } from './float16.js';
export { ACTIVATION_FNS, activationFn, erf } from './activation-fns.js';
export { defineKernel, getKernel, kernelOps, type KernelContext, type KernelDef, type KernelFn } from './kernel.js';
export { ALL_KERNELS, unary } from './kernels/index.js';
export { broadcastIndexMap } from './indexing.js';
export { mulberry32, randomInt, randomTensor, type RandomRange, type Rng } from './random.js';
