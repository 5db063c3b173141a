// Building the CUDA section of a plan: pick the architecture (the chosen GPU's, or
// an explicit one for cross-compiling), optionally autotune (emit every tactic of
// every layer into one module, time each launch on the GPU with CUDA events, keep
// the fastest per layer), emit the final module, compile it with NVRTC or nvcc, and
// return the section the native writer stores. The native functions come in as a
// parameter so codegen keeps no dependency on the runtime.
import { KilnError } from '../../src/ir/index.js';
import type { PlanCudaTarget, PlanDesc } from '../plan-desc.js';
import { findNvcc, nvccCompiler, type CudaCompiler } from './compile.js';
import { emitCuda, type CudaProgram } from './emit.js';
import type { CudaPrecision } from './precision.js';

export interface CudaNative {
  cudaDevices(): { available: boolean; reason?: string; devices: { index: number; name: string; arch: number; multiprocessors: number }[] };
  nvrtcInfo(): { available: boolean; reason?: string; version?: string };
  cudaCompile(source: string, arch: number, name: string): { cubin: Uint8Array; log: string };
  serializePlan(desc: PlanDesc): Uint8Array;
  cudaTimeLaunches(plan: Uint8Array, repeats: number): number[];
}

export interface CudaBuildOptions {
  device: number;
  /** 'sm_90' or 90: build for this architecture instead of the device's. */
  arch?: string | number;
  compiler: 'auto' | 'nvrtc' | 'nvcc';
  /** Time every tactic on the GPU and keep the fastest (needs the GPU of `arch`). */
  autotune?: boolean;
  /** 'fp16': activations stored as half, conv and gemm on tensor cores; default 'fp32'. */
  precision?: CudaPrecision;
  log?: (message: string) => void;
}

const TUNING_REPEATS = 10;

/** The plan with a compiled program as its CUDA section, and the program's derived constants appended. */
export function withCuda(plan: PlanDesc, program: CudaProgram, cubin: Uint8Array, arch: number, compiler: string): PlanDesc {
  return {
    ...plan, tensors: [...plan.tensors, ...program.tensors], weights: program.weights, arenaBytes: program.arenaBytes,
    cuda: { arch, compiler, cubin, launches: program.launches },
  };
}

/** Times every tactic of every layer in one module; returns each layer's fastest (ties: the rule's). */
function autotune(plan: PlanDesc, native: CudaNative, compiler: CudaCompiler, arch: number, multiprocessors: number | undefined, precision: CudaPrecision, log: (m: string) => void): (string | undefined)[] {
  const tuning = emitCuda(plan, { multiprocessors, allTactics: true, precision });
  const cubin = compiler.compile(tuning.source, arch, 'kiln-tuning.cu');
  const times = native.cudaTimeLaunches(native.serializePlan(withCuda(plan, tuning, cubin, arch, compiler.name)), TUNING_REPEATS);
  const perLayer = new Map<number, Map<string, number>>();
  tuning.launches.forEach((l, i) => {
    const tactic = tuning.launchTactics[i];
    if (tactic === undefined) return;
    const m = perLayer.get(l.layer) ?? new Map<string, number>();
    m.set(tactic, (m.get(tactic) ?? 0) + times[i]!);
    perLayer.set(l.layer, m);
  });
  const chosen: (string | undefined)[] = plan.layers.map(() => undefined);
  const record = (layer: number, best: string, us: number) => {
    chosen[layer] = best;
    const info = JSON.parse(plan.layers[layer]!.info || '{}') as Record<string, unknown>;
    plan.layers[layer]!.info = JSON.stringify({ ...info, tactic: best, tacticUs: +us.toFixed(2) });
  };
  for (const [layer, m] of perLayer) {
    const [best] = [...m].reduce((a, b) => (b[1] < a[1] ? b : a));
    log(`autotune layer '${plan.layers[layer]!.name}': ${[...m].map(([t, ms]) => `${t} ${(ms * 1000).toFixed(1)} us`).join(', ')} -> ${best}`);
    record(layer, best!, m.get(best!)! * 1000);
  }
  tuning.sameAs.forEach((first, layer) => {
    if (first === undefined || chosen[first] === undefined) return;
    record(layer, chosen[first]!, perLayer.get(first)!.get(chosen[first]!)! * 1000);
  });
  return chosen;
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
  const precision = options.precision ?? 'fp32';
  const tactics = options.autotune && canTime ? autotune(plan, native, compiler, arch, multiprocessors, precision, options.log ?? (() => {})) : undefined;
  const program = emitCuda(plan, { multiprocessors, tactics, precision });
  const cubin = compiler.compile(program.source, arch, 'kiln-plan.cu');
  const built = withCuda(plan, program, cubin, arch, compiler.name);
  plan.tensors = built.tensors;
  plan.weights = built.weights;
  plan.arenaBytes = built.arenaBytes;
  return built.cuda!;
}
