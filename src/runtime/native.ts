// Loads the native addon (built by `npm ci` through node-gyp) once, and types the
// thin binding. All policy stays in TypeScript; all plan handling stays native.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanCublasLt, PlanDesc } from '../../codegen/plan-desc.js';
import { KilnError, type TypedArray } from '../ir/index.js';

export interface NativeIO {
  name: string;
  dtype: string;
  /** Planned shape; for a dynamic tensor the largest one its arena slot holds. */
  shape: number[];
  /** Dynamic plans: the symbolic shape (numbers for fixed dims). */
  dims?: (number | string)[];
}

/** One optimization profile of a dynamic plan: per input name, its min / opt / max shape. */
export type NativeShapeProfile = Record<string, { min: number[]; opt: number[]; max: number[] }>;

export interface NativeLayer {
  name: string;
  kernel: string;
  inputs: string[];
  outputs: string[];
  ints: number[];
  floats: number[];
  info: string;
}

export interface NativeEngineInfo {
  formatVersion: number;
  kilnVersion: string;
  targetIsa: string[];
  /** 'cpu' or 'cuda sm_90'. */
  target: string;
  cuda?: { arch: number; compiler: string; cubinBytes: number; launches: { layer: string; function: string; grid: string; block: string; cublasLt?: PlanCublasLt }[] };
  buildDigest: string;
  arenaBytes: number;
  weightsBytes: number;
  inputs: NativeIO[];
  outputs: NativeIO[];
  layers: NativeLayer[];
  /** Dynamic plans only. */
  profiles?: NativeShapeProfile[];
}

export interface NativeTensor {
  name: string;
  shape: number[];
  dtype: string;
  data: TypedArray;
}

export interface NativeEngine {
  info(): NativeEngineInfo;
  /** Dynamic plans: how many shape sets (layers prepared for one binding) were made so far. */
  shapeSetsPrepared(): number;
}

export interface NativeContext {
  run(inputs: { name: string; data: TypedArray; shape: number[] }[]): Promise<NativeTensor[]>;
  /** GPU time of the last run in ms (CUDA plans); -1 for CPU plans. */
  readonly gpuMs: number;
  /** Checks dims against the active profile (KILN_INPUT naming the bound) and records them. */
  setInputShape(name: string, dims: number[]): void;
  setOptimizationProfile(index: number): void;
  /** A tensor's shape under the input shapes set so far, from the plan's dim programs. */
  tensorShape(name: string): number[];
  /** Runs the layers one by one with a clock around each (CPU plans). */
  profile(inputs: { name: string; data: TypedArray; shape: number[] }[], options?: { iterations?: number; warmup?: number }): Promise<NativeProfile>;
}

export interface NativeProfile {
  layers: { name: string; kernel: string; medianMs: number; meanMs: number }[];
  /** Median over iterations of the summed layer times. */
  runMs: number;
  iterations: number;
}

export interface TimeLayersOptions {
  threads?: number;
  warmup?: number;
  minIterations?: number;
  maxIterations?: number;
  /** After minIterations, more runs while the estimated total stays under this. */
  budgetMs?: number;
}

export interface CudaDeviceInfo {
  index: number;
  name: string;
  /** 10 * major + minor: 90 for sm_90. */
  arch: number;
  computeCapability: string;
  multiprocessors: number;
  totalMemory: number;
}

export interface NativeBinding {
  serializePlan(desc: PlanDesc): Uint8Array;
  inspectPlan(bytes: Uint8Array): NativeEngineInfo;
  Engine: new (bytes: Uint8Array) => NativeEngine;
  Context: new (engine: NativeEngine, threads: number) => NativeContext;
  cpuFeatures(): string[];
  /** Loads the plan, fills its inputs with a fixed pattern and times every layer round-robin (autotuning). */
  timeLayers(desc: PlanDesc, options?: TimeLayersOptions): { medianMs: number[]; minMs: number[]; iterations: number };
  /** The GEMM micro-kernel in use ('avx2-6x16'...). */
  gemmKernel(): string;
  /** Peak multiply-add rate of independent FMA chains on `threads` threads (benchmarks). */
  fmaPeak(threads?: number): { gflops: number; threads: number; isa: string };
  hardwareThreads(): number;
  /** Never throws: without a driver, available is false and reason says why. */
  cudaDevices(): { available: boolean; reason?: string; driverVersion?: string; devices: CudaDeviceInfo[] };
  nvrtcInfo(): { available: boolean; reason?: string; version?: string };
  cublasLtInfo(): { available: boolean; reason?: string; version?: string };
  cudaCompile(source: string, arch: number, name: string, options?: string[]): { cubin: Uint8Array; log: string };
  /** Mean GPU ms of each launch of a CUDA plan, launched one by one `repeats` times (autotuning). */
  cudaTimeLaunches(plan: Uint8Array, repeats: number): number[];
}

let binding: NativeBinding | undefined;

/** Finds build/Release/kiln.node above this module (src/runtime in development, dist/ when bundled). */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'build', 'Release', 'kiln.node');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('kiln native addon not found (build/Release/kiln.node); run `npm ci` (or `npx node-gyp rebuild`) in the kiln package');
}

export function native(): NativeBinding {
  binding ??= createRequire(import.meta.url)(addonPath()) as NativeBinding;
  return binding;
}

/** Native errors carry a `code`; give them the KilnError type users catch. */
export function toKilnError(e: unknown): KilnError {
  if (e instanceof KilnError) return e;
  const err = e as { message?: string; code?: string };
  return new KilnError(err.code ?? 'KILN_NATIVE', err.message ?? String(e));
}
