// Autotuning (the builder's tactic selection): for each plan layer with more than one
// candidate tactic (codegen/cpu/tactics.ts), look its signature up in the timing
// cache, and on a miss time every candidate on this machine with the layer's real
// shapes and weights, through the native timeLayers (all candidates of a layer in one
// small plan, run round-robin so machine load hits them alike), and keep the fastest.
// Effort follows the optimization level: 0 takes the first valid tactic and times
// nothing; higher levels run each candidate more times (its best run counts).
import { cpus } from 'node:os';
import { cpuTactics, type Tactic } from '../../codegen/cpu/tactics.js';
import type { PlanDesc, PlanLayer, PlanTensor } from '../../codegen/plan-desc.js';
import { native, type TimeLayersOptions } from '../runtime/native.js';
import type { TimingCache } from './timing-cache.js';

export interface AutotuneOptions {
  optLevel: number;
  cache: TimingCache;
  /** Threads the candidates run with (0 = all cores), as the engine will. */
  threads: number;
  /** Progress: called before each layer that is timed or looked up. */
  progress?: (layer: number, of: number, name: string) => void;
  log?: (message: string) => void;
}

export interface AutotuneReport {
  /** Layers with a choice of tactics. */
  tunable: number;
  /** Of those, layers whose tactic came from the timing cache. */
  cached: number;
  /** Layers timed in this build. */
  timed: number;
  ms: number;
}

const EFFORT: Record<number, TimeLayersOptions> = {
  1: { warmup: 1, minIterations: 2, maxIterations: 10, budgetMs: 4 },
  2: { warmup: 1, minIterations: 3, maxIterations: 20, budgetMs: 8 },
  3: { warmup: 1, minIterations: 5, maxIterations: 50, budgetMs: 20 },
  4: { warmup: 2, minIterations: 5, maxIterations: 200, budgetMs: 60 },
  5: { warmup: 2, minIterations: 7, maxIterations: 400, budgetMs: 120 },
};

/** What the timings are valid for: this CPU, its vector ISA, GEMM kernel and the thread count. */
export function timingTarget(threads: number): string {
  const n = threads === 0 ? native().hardwareThreads() : threads;
  return `cpu ${cpus()[0]?.model.trim() ?? 'unknown'} | ${native().cpuFeatures().join(' ')} | ${native().gemmKernel()} | ${n} threads`;
}

/** A layer's timing identity: kernel, parameters and operand types, not names or weight values. */
export function layerSignature(layer: PlanLayer, tensors: readonly PlanTensor[]): string {
  const operand = (i: number) => {
    const t = tensors[i]!;
    // 'v': a strided view (concat elimination), whose layer has fewer candidates (codegen/cpu/tactics.ts).
    return `${t.dtype}[${t.shape.join(',')}]${t.location === 'weights' ? 'w' : ''}${t.imageStride ? 'v' : ''}`;
  };
  return `${layer.kernel}(${layer.inputs.map(operand).join(';')})->(${layer.outputs.map(operand).join(';')}) i[${layer.ints.join(',')}] f[${layer.floats.join(',')}]`;
}

/** Picks a tactic for every tunable layer of a CPU plan, in place (kernel, parameters, info). */
export function autotunePlan(plan: PlanDesc, options: AutotuneOptions): AutotuneReport {
  const start = performance.now();
  const report: AutotuneReport = { tunable: 0, cached: 0, timed: 0, ms: 0 };
  const tunable = plan.layers.map((layer) => cpuTactics(layer, plan.tensors)).map((c, i) => ({ index: i, candidates: c }))
    .filter((l) => l.candidates.length > 1);
  report.tunable = tunable.length;
  const target = options.optLevel > 0 && tunable.length > 0 ? timingTarget(options.threads) : '';
  tunable.forEach(({ index, candidates }, k) => {
    const layer = plan.layers[index]!;
    options.progress?.(k + 1, tunable.length, layer.name);
    let chosen = candidates[0]!;
    if (options.optLevel > 0) {
      const signature = layerSignature(layer, plan.tensors);
      const hit = options.cache.get(target, signature);
      const cachedTactic = hit && candidates.find((c) => c.name === hit.tactic);
      if (cachedTactic) {
        chosen = cachedTactic;
        report.cached++;
      } else {
        const ms = timeCandidates(plan, layer, candidates, options);
        let best = 0;
        ms.forEach((t, i) => { if (t < ms[best]!) best = i; });
        chosen = candidates[best]!;
        options.cache.set(target, signature, { tactic: chosen.name, ms: ms[best]!, candidates: Object.fromEntries(candidates.map((c, i) => [c.name, ms[i]!])) });
        report.timed++;
        options.log?.(`autotune '${layer.name}': ${chosen.name} (${candidates.map((c, i) => `${c.name} ${ms[i]!.toFixed(4)} ms`).join(', ')})`);
      }
    }
    applyTactic(layer, chosen);
  });
  report.ms = performance.now() - start;
  return report;
}

/** Switches a layer to a tactic: kernel, parameters, and the tactic's name in its info. */
export function applyTactic(layer: PlanLayer, tactic: Tactic): void {
  layer.kernel = tactic.kernel;
  layer.ints = [...tactic.ints];
  layer.floats = [...tactic.floats];
  let info: Record<string, unknown> = {};
  try {
    info = JSON.parse(layer.info) as Record<string, unknown>;
  } catch {
    // info is opaque; a layer without JSON info just gets the tactic
  }
  layer.info = JSON.stringify({ ...info, tactic: tactic.name });
}

/**
 * Best-of-runs ms of each candidate, all run round-robin as layers of one plan on the
 * layer's real operands. The minimum, not the median: on a shared machine a worker
 * thread descheduled while it holds a work item adds a time slice to that run, and
 * a few such runs once made a median choose a tactic ten times slower.
 */
function timeCandidates(plan: PlanDesc, layer: PlanLayer, candidates: Tactic[], options: AutotuneOptions): number[] {
  const desc = timingPlan(plan, layer, candidates);
  const effort = EFFORT[Math.min(5, Math.max(1, options.optLevel))]!;
  return native().timeLayers(desc, { ...effort, threads: options.threads }).minMs;
}

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const DTYPE_BYTES: Record<string, number> = { f32: 4, f16: 2, bf16: 2, i8: 1, u8: 1, i32: 4, i64: 8, bool: 1 };
const bytesOf = (t: PlanTensor) => t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype]!;

/** One layer's operands as a plan: arena inputs become graph inputs, weights keep their data,
 *  and every candidate is a layer writing its own outputs. */
export function timingPlan(plan: PlanDesc, layer: PlanLayer, candidates: Tactic[]): PlanDesc {
  const tensors: PlanTensor[] = [];
  const inputs: number[] = [];
  const outputs: number[] = [];
  const chunks: { offset: number; data: Uint8Array }[] = [];
  let arena = 0;
  let weights = 0;
  const mapped = new Map<number, number>();
  for (const i of layer.inputs) {
    if (mapped.has(i)) continue;
    const t = plan.tensors[i]!;
    if (t.location === 'weights') {
      chunks.push({ offset: weights, data: plan.weights.subarray(t.offset, t.offset + bytesOf(t)) });
      tensors.push({ ...t, offset: weights });
      weights = align(weights + bytesOf(t));
    } else {
      tensors.push({ ...t, offset: arena, imageStride: undefined });
      arena = align(arena + bytesOf(t));
      inputs.push(tensors.length - 1);
    }
    mapped.set(i, tensors.length - 1);
  }
  const layers = candidates.map((c, n) => {
    const outs = layer.outputs.map((o) => {
      const t = plan.tensors[o]!;
      tensors.push({ ...t, name: `${t.name}#${n}`, location: 'arena', offset: arena, imageStride: undefined });  // timed dense
      arena = align(arena + bytesOf(t));
      outputs.push(tensors.length - 1);
      return tensors.length - 1;
    });
    return { name: `${layer.name}#${c.name}`, kernel: c.kernel, inputs: layer.inputs.map((i) => mapped.get(i)!), outputs: outs, ints: c.ints, floats: c.floats, info: '{}' };
  });
  const blob = new Uint8Array(weights);
  for (const c of chunks) blob.set(c.data, c.offset);
  return { ...plan, cuda: undefined, arenaBytes: arena, weights: blob, tensors, inputs, outputs, layers };
}
