// CUDA C++ as data: every spelling the renderer needs from the dialect lives here
// (qualifiers, barrier, thread indices, type names, math builtins), so kernel
// templates read as algorithms and another dialect (HIP) would be one more table.
import type { PlanDType } from '../plan-desc.js';

export const CUDA_DIALECT = {
  kernel: 'extern "C" __global__ void',
  launchBounds: (threads: number) => `__launch_bounds__(${threads})`,
  device: '__device__ __forceinline__',
  shared: '__shared__',
  barrier: '__syncthreads();',
  restrict: '__restrict__',
  thread: 'threadIdx.x',
  block: { x: 'blockIdx.x', y: 'blockIdx.y', z: 'blockIdx.z' },
  blockDim: 'blockDim.x',
  gridDim: 'gridDim.x',
  warpSize: 32,
  shuffleXor: (v: string, lane: string) => `__shfl_xor_sync(0xffffffffu, ${v}, ${lane})`,
  unroll: '#pragma unroll',
  /** Compute types; only f32 kernels do arithmetic today. */
  types: { f32: 'float', i32: 'int', i64: 'long long' } as Partial<Record<PlanDType, string>>,
  /** Data movement copies raw words of the element's size, whatever the dtype. */
  words: { 1: 'unsigned char', 2: 'unsigned short', 4: 'unsigned int', 8: 'unsigned long long' } as Record<number, string>,
  math: { exp: 'expf', tanh: 'tanhf', erf: 'erff', pow: 'powf', bitsToFloat: '__int_as_float' },
} as const;

export type Dialect = typeof CUDA_DIALECT;
