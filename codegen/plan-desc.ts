// The plan description: the plain data codegen hands to the native plan writer.
// It is the one contract between TypeScript and native/: the writer turns it into
// .plan bytes (native/PLAN_FORMAT.md), the reader turns bytes back into an engine.
// Every tensor has a static shape here: for a dynamic plan, the largest shape its
// arena slot holds; `dynamic` then says how each such shape follows from the inputs.

/** Element types, with the code each has in the plan file. */
export const PLAN_DTYPE_CODES = {
  f32: 0, f16: 1, bf16: 2, i8: 3, u8: 4, i32: 5, i64: 6, bool: 7,
} as const;
export type PlanDType = keyof typeof PLAN_DTYPE_CODES;

/** Activation epilogues and unary kernels share one numbering with native/cpu. */
export const ACTIVATION_CODES = {
  none: 0, relu: 1, sigmoid: 2, tanh: 3, leakyRelu: 4, clip: 5, gelu: 6, silu: 7, geluTanh: 8,
} as const;
export type ActivationName = keyof typeof ACTIVATION_CODES;

export const BINARY_CODES = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, pow: 6 } as const;
export type BinaryName = keyof typeof BINARY_CODES;

export const SCALE_MODE_CODES = { uniform: 0, channel: 1, elementwise: 2 } as const;
export const POOL_MODE_CODES = { max: 0, avg: 1 } as const;

export interface PlanTensor {
  name: string;
  dtype: PlanDType;
  shape: number[];
  /** 'arena': activations, inputs and outputs (offset into the context's arena);
   *  'weights': constant data (offset into the plan's weight blob, 64-byte aligned). */
  location: 'arena' | 'weights';
  offset: number;
  /** A view of the tensor's slice in a larger buffer (a concat input at batch > 1): elements
   *  between consecutive indices of dim 0. Absent (or 0) for dense tensors. Only kernels that
   *  write strided outputs (codegen/cpu/tactics.ts STRIDED_OUTPUT_KERNELS) may produce one. */
  imageStride?: number;
}

/**
 * One kernel launch. `kernel` names a kernel in native/cpu's registry; `ints` and
 * `floats` are its parameters (layout per kernel in native/PLAN_FORMAT.md).
 * `info` is opaque JSON kept for inspection (fused layer names, tactic, precision).
 */
export interface PlanLayer {
  name: string;
  kernel: string;
  inputs: number[];
  outputs: number[];
  ints: number[];
  floats: number[];
  info: string;
}

/** One kernel launch of a CUDA plan: its layer, function and geometry; `args` are
 *  plan tensor indices (operands of that layer) passed as device pointers. */
export interface PlanCudaLaunch {
  layer: number;
  function: string;
  grid: [number, number, number];
  block: [number, number, number];
  sharedBytes: number;
  args: number[];
  /** Instead of a kernel of the cubin: one cuBLASLt matmul (`function` only names it). */
  cublasLt?: PlanCublasLt;
}

/**
 * A cuBLASLt matmul record (native/PLAN_FORMAT.md): D = epilogue(op(A) op(B) + beta C) in
 * cuBLAS's column-major terms, D m x n with ld `ldc`, f32 accumulation; tensors by index.
 */
export interface PlanCublasLt {
  typeAB: 'f32' | 'f16' | 'bf16';
  typeCD: 'f32' | 'f16' | 'bf16';
  transA: 0 | 1;
  transB: 0 | 1;
  m: number; n: number; k: number;
  lda: number; ldb: number; ldc: number;
  batch: number; strideA: number; strideB: number; strideC: number;
  epilogue: 'none' | 'bias' | 'relu' | 'reluBias';
  beta: 0 | 1;
  a: number; b: number; c?: number; d: number; bias?: number;
}

/** The CUDA target section: absent for CPU plans (native/PLAN_FORMAT.md). */
export interface PlanCudaTarget {
  /** Compute capability as 10 * major + minor: 90 for sm_90. */
  arch: number;
  compiler: string;
  cubin: Uint8Array;
  launches: PlanCudaLaunch[];
}

/** A shape symbol (`batch`): read at run time from one dim of one plan input. */
export interface PlanSymbol {
  name: string;
  /** Index into PlanDesc.inputs. */
  input: number;
  dim: number;
}

/** An optimization profile: per plan input (PlanDesc.inputs order) its min / opt / max shape. */
export interface PlanProfile {
  min: number[][];
  opt: number[][];
  max: number[][];
}

/** Dynamic shapes (native/PLAN_FORMAT.md, section DYNS): absent from static plans. */
export interface PlanDynamic {
  symbols: PlanSymbol[];
  profiles: PlanProfile[];
  /** Tensors whose shape depends on the symbols: one dim program (codegen/dim-program.ts) per dim. */
  tensors: { tensor: number; dims: number[][] }[];
}

export interface PlanDesc {
  kilnVersion: string;
  /** 32 bytes: digest of the build options. */
  buildDigest: Uint8Array;
  /** CPU ISA features the plan requires (e.g. [] or ['avx2','fma']). */
  targetIsa: string[];
  arenaBytes: number;
  weights: Uint8Array;
  tensors: PlanTensor[];
  inputs: number[];
  outputs: number[];
  layers: PlanLayer[];
  /** Present when the plan runs on a GPU: the layers above, as launches of one cubin. */
  cuda?: PlanCudaTarget;
  /** Present when some input dims are symbolic. */
  dynamic?: PlanDynamic;
}
