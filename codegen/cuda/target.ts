// Building the CUDA section of a plan: pick the architecture (the chosen GPU's, or
// an explicit one for cross-compiling), optionally autotune (autotune.ts: tactics
// from the timing cache, the rest timed on the GPU with CUDA events, or the rule
// where there is no GPU to time on), emit the final module, compile it with NVRTC or nvcc, and
// return the section the native writer stores. The native functions come in as a
// parameter so codegen keeps no dependency on the runtime.
import { KilnError } from '../../src/ir/index.js';
import type { PlanCudaTarget, PlanDesc } from '../plan-desc.js';
import { findNvcc, nvccCompiler, type CudaCompiler } from './compile.js';
import { tuneTactics, type TacticCache } from './autotune.js';
import { emitCuda, type CudaProgram } from './emit.js';
import type { CudaPrecision } from './precision.js';

export interface CudaNative {
  cudaDevices(): { available: boolean; reason?: string; devices: { index: number; name: string; arch: number; multiprocessors: number }[] };
  nvrtcInfo(): { available: boolean; reason?: string; version?: string };
  /** Whether libcublasLt loads here (tactic 'cublasLt'); absent: never offered. */
  cublasLtInfo?(): { available: boolean; reason?: string; version?: string };
  cudaCompile(source: string, arch: number, name: string): { cubin: Uint8Array; log: string };
  serializePlan(desc: PlanDesc): Uint8Array;
  cudaTimeLaunches(plan: Uint8Array, repeats: number): number[];
}

export interface CudaBuildOptions {
  device: number;
  /** 'sm_90' or 90: build for this architecture instead of the device's. */
  arch?: string | number;
  compiler: 'auto' | 'nvrtc' | 'nvcc';
  /** Choose tactics: from `cache`, else timed on the GPU (needs the GPU of `arch`), else the rule. */
  autotune?: boolean;
  /** Where tactic timings are looked up and recorded, keyed by architecture and multiprocessor count. */
  cache?: TacticCache;
  /** 'fp16': activations stored as half, conv and gemm on tensor cores; default 'fp32'. */
  precision?: CudaPrecision;
  log?: (message: string) => void;
}

const TUNING_REPEATS = 10;
/** Multiprocessors assumed where no GPU of the architecture is here (an H100 / H200 SXM): tiles and cache keys follow it. */
const ASSUMED_MULTIPROCESSORS = 132;

/** The plan with a compiled program as its CUDA section, and the program's derived constants appended. */
export function withCuda(plan: PlanDesc, program: CudaProgram, cubin: Uint8Array, arch: number, compiler: string): PlanDesc {
  return {
    ...plan, tensors: [...plan.tensors, ...program.tensors], weights: program.weights, arenaBytes: program.arenaBytes,
    cuda: { arch, compiler, cubin, launches: program.launches },
  };
}

export function parseArch(arch: string | number): number {
  const n = typeof arch === 'number' ? arch : Number(/^(?:sm_)?(\d+)a?$/.exec(arch.trim())?.[1]);
  if (!Number.isInteger(n) || n < 30 || n > 1000) throw new KilnError('KILN_CONFIG', `cudaArch must look like 'sm_90' (or 90), got '${arch}'`, { argument: 'cudaArch' });
  return n;
}

function chooseCompiler(native: CudaNative, want: CudaBuildOptions['compiler']): CudaCompiler {
  const nvrtc = native.nvrtcInfo();
  if (want !== 'nvcc' && nvrtc.available) {
    return { name: `nvrtc ${nvrtc.version ?? ''}`.trim(), compile: (s, arch, label) => native.cudaCompile(s, arch, label).cubin };
  }
  const nvcc = want !== 'nvrtc' ? findNvcc() : undefined;
  if (nvcc) return nvccCompiler(nvcc);
  throw new KilnError('KILN_CONFIG', `target 'cuda' needs a CUDA compiler: ${nvrtc.reason ?? 'NVRTC unavailable'}${want === 'nvrtc' ? '' : ', and no nvcc on PATH'}`);
}

/**
 * Compiles the plan's layers for the GPU and returns its CUDA section. Constants the
 * kernels derive (half weights under fp16) are appended to `plan` itself (tensors
 * and weight blob), since the section's launches refer to them.
 */
export function buildCudaTarget(plan: PlanDesc, native: CudaNative, options: CudaBuildOptions): PlanCudaTarget {
  let arch = options.arch === undefined ? undefined : parseArch(options.arch);
  let multiprocessors: number | undefined;
  const devices = native.cudaDevices();
  const device = devices.devices.find((d) => d.index === options.device);
  if (device && (arch === undefined || arch === device.arch)) multiprocessors = device.multiprocessors;
  if (arch === undefined) {
    if (!device) {
      const here = devices.available ? `${devices.devices.length} GPU(s), none with index ${options.device}` : devices.reason;
      throw new KilnError('KILN_CONFIG', `target 'cuda' builds for GPU ${options.device}, but this machine has ${here}; set config.cudaArch (e.g. 'sm_90') to build for a GPU elsewhere`, { argument: 'device' });
    }
    arch = device.arch;
  }
  const compiler = chooseCompiler(native, options.compiler);
  const canTime = device !== undefined && arch === device.arch;
  // cuBLASLt records run only where the library is, so only a build for this GPU offers them.
  const cublasLt = canTime && native.cublasLtInfo?.().available === true;
  const precision = options.precision ?? 'fp32';
  const sms = multiprocessors ?? ASSUMED_MULTIPROCESSORS;
  const sm = arch;
  const time = (tuning: CudaProgram) => {
    const cubin = compiler.compile(tuning.source, sm, 'kiln-tuning.cu');
    return native.cudaTimeLaunches(native.serializePlan(withCuda(plan, tuning, cubin, sm, compiler.name)), TUNING_REPEATS);
  };
  const tactics = options.autotune && (canTime || options.cache)
    ? tuneTactics(plan, { arch, multiprocessors: sms, precision, cublasLt, cache: options.cache, ...(canTime ? { time } : {}), log: options.log }).tactics
    : undefined;
  const program = emitCuda(plan, { multiprocessors: sms, tactics, precision, cublasLt });
  const cubin = compiler.compile(program.source, arch, 'kiln-plan.cu');
  const built = withCuda(plan, program, cubin, arch, compiler.name);
  plan.tensors = built.tensors;
  plan.weights = built.weights;
  plan.arenaBytes = built.arenaBytes;
  return built.cuda!;
}
