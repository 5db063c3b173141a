// Autotuning CUDA tactics through the timing cache (the CPU's design, src/builder/
// autotune.ts, applied to the GPU). Each layer with a choice of tactics (conv,
// gemm) has a signature: kernel, parameters, operand shapes and dtypes, how the
// CUDA Storage keeps each operand (f32 or 16-bit), whether it runs in place, its
// candidate tactics and a digest of their code. The target is the GPU architecture
// and its multiprocessor count (tiles and split-K depend on it). Layers found in
// the cache take the recorded tactic; the rest are emitted, every tactic of each,
// into one tuning module that is compiled and timed on the GPU with CUDA events,
// and the fastest is recorded. Where nothing can be timed (a cross-build), a miss
// takes the template's rule. So a warm cache compiles no tuning module, times
// nothing, and gives the plan the cold build gave.
import { createHash, type Hash } from 'node:crypto';
import type { PlanDesc, PlanLayer } from '../plan-desc.js';
import { emitCuda, type CudaProgram } from './emit.js';
import { CUBLASLT_TACTIC } from './kernels/cublaslt.js';
import { chooseStorage, type CudaPrecision, type Storage } from './precision.js';
import { overlaps } from './render.js';

/** What the cache holds for one signature (src/builder/timing-cache.ts's TimingEntry). */
export interface TacticTiming {
  tactic: string;
  /** The chosen tactic's GPU time in ms (all launches of the layer). */
  ms: number;
  /** Every candidate's ms. */
  candidates: Record<string, number>;
}

/** The timing cache as tuning uses it (codegen does not import the builder). */
export interface TacticCache {
  get(target: string, signature: string): TacticTiming | undefined;
  set(target: string, signature: string, entry: TacticTiming): void;
}

export interface TuneOptions {
  arch: number;
  multiprocessors: number;
  precision: CudaPrecision;
  /** cuBLASLt loads here and the build is for this GPU: offer tactic 'cublasLt'. */
  cublasLt?: boolean;
  cache?: TacticCache;
  /** Compiles a tuning module and times each of its launches on the GPU (ms); absent where there is no GPU of `arch`. */
  time?: (program: CudaProgram) => number[];
  log?: (message: string) => void;
}

export interface TuneReport {
  /** Layers with a choice of tactics. */
  tunable: number;
  /** Of those, layers whose tactic came from the timing cache. */
  cached: number;
  /** Layers timed in this build (each layer shape once). */
  timed: number;
  /** Layers left to the template's rule (nothing cached, nothing could be timed). */
  rule: number;
}

/** What CUDA timings are valid for: one architecture at one multiprocessor count. */
export function cudaTimingTarget(arch: number, multiprocessors: number): string {
  return `cuda sm_${arch} | ${multiprocessors} SMs`;
}

/**
 * A digest of each tuned layer's kernels as rendered (all its tactics) and the
 * module's prelude (device helpers), without what names the layer (emit's `// layer`
 * line, the `kiln_<index>_` prefix): once a template or helper changes its code,
 * timings taken of the old code no longer match.
 */
function codeDigests(tuning: CudaProgram): Map<number, string> {
  // Library calls have no code here (their comment in the module would tie the digest to whether the library is present).
  const layerOf = new Map(tuning.launches.filter((l) => !l.cublasLt).map((l) => [l.function, l.layer]));
  const prelude = preludeOf(tuning);
  const hashes = new Map<number, Hash>();
  for (const k of tuning.kernels) {
    const layer = layerOf.get(k.function);
    if (layer === undefined) continue;
    const hash = hashes.get(layer) ?? createHash('sha256').update(prelude);
    hashes.set(layer, hash.update(k.source.slice(k.source.indexOf('\n') + 1).replace(/\bkiln_\d+_/g, 'kiln_')));
  }
  return new Map([...hashes].map(([layer, h]) => [layer, h.digest('hex').slice(0, 16)]));
}

/** A module is its prelude, then its kernels' texts: the prelude as emitted. */
function preludeOf(program: CudaProgram): string {
  return program.kernels.length > 0 ? program.source.slice(0, program.source.indexOf(program.kernels[0]!.source)) : program.source;
}

/** A layer's timing identity on the GPU; names and weight values play no part. */
export function cudaLayerSignature(plan: PlanDesc, layer: PlanLayer, st: Storage, precision: CudaPrecision, candidates: readonly string[], code: string): string {
  const operand = (i: number) => {
    const t = plan.tensors[i]!;
    return `${t.dtype}${st.isHalf(t) ? `:${precision}` : ''}[${t.shape.join(',')}]${t.location === 'weights' ? 'w' : ''}`;
  };
  const inPlace = layer.outputs.map((o) => layer.inputs.map((i) => (overlaps(plan.tensors[o]!, plan.tensors[i]!) ? 1 : 0)).join('')).join(',');
  return `${precision} ${layer.kernel}(${layer.inputs.map(operand).join(';')})->(${layer.outputs.map(operand).join(';')}) i[${layer.ints.join(',')}] f[${layer.floats.join(',')}] inplace[${inPlace}] tactics[${candidates.join(',')}] code ${code}`;
}

/** The tuning module cut down to the launches of `layers` (and the kernels they call). */
function onlyLayers(tuning: CudaProgram, layers: ReadonlySet<number>): CudaProgram {
  const keep = tuning.launches.map((l) => layers.has(l.layer));
  const functions = new Set(tuning.launches.filter((_, i) => keep[i]).map((l) => l.function));
  const kernels = tuning.kernels.filter((k) => functions.has(k.function));
  return {
    ...tuning, kernels, source: `${preludeOf(tuning)}${kernels.map((k) => k.source).join('\n\n')}\n`,
    launches: tuning.launches.filter((_, i) => keep[i]), launchTactics: tuning.launchTactics.filter((_, i) => keep[i]),
  };
}

/** Compiles and times a tuning module; each layer's fastest tactic with every candidate's time. */
function timeLayers(plan: PlanDesc, program: CudaProgram, time: (p: CudaProgram) => number[], log: (m: string) => void): Map<number, TacticTiming> {
  const times = time(program);
  const perLayer = new Map<number, Map<string, number>>();
  program.launches.forEach((l, i) => {
    const tactic = program.launchTactics[i]!;
    const m = perLayer.get(l.layer) ?? new Map<string, number>();
    m.set(tactic, (m.get(tactic) ?? 0) + times[i]!);
    perLayer.set(l.layer, m);
  });
  const out = new Map<number, TacticTiming>();
  for (const [layer, m] of perLayer) {
    // Ties keep the earlier candidate: the rule's choice is first.
    const [best, ms] = [...m].reduce((a, b) => (b[1] < a[1] ? b : a));
    log(`autotune layer '${plan.layers[layer]!.name}': ${[...m].map(([t, v]) => `${t} ${(v * 1000).toFixed(1)} us`).join(', ')} -> ${best}`);
    out.set(layer, { tactic: best, ms, candidates: Object.fromEntries(m) });
  }
  return out;
}

/**
 * Picks each layer's tactic (undefined: the rule) and records it in the layer's info
 * (`"tactic"`, and `"tacticUs"` from the measurement or the cache entry).
 */
export function tuneTactics(plan: PlanDesc, options: TuneOptions): { tactics: (string | undefined)[]; report: TuneReport } {
  const log = options.log ?? (() => {});
  // Emitting is cheap (text); compiling and timing are not, so only misses get that far.
  const tuning = emitCuda(plan, { multiprocessors: options.multiprocessors, allTactics: true, precision: options.precision, cublasLt: options.cublasLt });
  const candidates = new Map<number, string[]>();
  tuning.launches.forEach((l, i) => {
    const tactic = tuning.launchTactics[i];
    if (tactic === undefined) return;
    const c = candidates.get(l.layer) ?? [];
    if (!c.includes(tactic)) c.push(tactic);
    candidates.set(l.layer, c);
  });
  const st = chooseStorage(plan, options.precision);
  const target = cudaTimingTarget(options.arch, options.multiprocessors);
  // Layers alike share the first one's emitted tactics (emit's sameAs).
  const firstOf = (i: number) => tuning.sameAs[i] ?? i;
  const code = codeDigests(tuning);
  // 'cublasLt' stays out of the signature, so entries serve builds with and without the library
  // alike; an entry serves a build that offers it only if it timed it too (below).
  const signatures = plan.layers.map((layer, i) => {
    const c = candidates.get(firstOf(i));
    return c && cudaLayerSignature(plan, layer, st, options.precision, c.filter((t) => t !== CUBLASLT_TACTIC), code.get(firstOf(i))!);
  });
  const chosen = new Map<string, TacticTiming>();
  // Signatures not found, each with the layer whose tuning launches stand for it.
  const misses = new Map<string, number>();
  signatures.forEach((sig, i) => {
    if (sig === undefined || chosen.has(sig) || misses.has(sig)) return;
    const hit = options.cache?.get(target, sig);
    const offered = candidates.get(firstOf(i))!;
    if (hit && offered.includes(hit.tactic) && (!offered.includes(CUBLASLT_TACTIC) || CUBLASLT_TACTIC in hit.candidates)) chosen.set(sig, hit);
    else misses.set(sig, firstOf(i));
  });
  const report: TuneReport = { tunable: signatures.filter((s) => s !== undefined).length, cached: 0, timed: 0, rule: 0 };
  if (misses.size > 0 && options.time) {
    const measured = timeLayers(plan, onlyLayers(tuning, new Set(misses.values())), options.time, log);
    for (const [sig, layer] of misses) {
      const entry = measured.get(layer)!;
      chosen.set(sig, entry);
      options.cache?.set(target, sig, entry);
    }
  }
  const tactics = plan.layers.map((layer, i): string | undefined => {
    const sig = signatures[i];
    if (sig === undefined) return undefined;
    const entry = chosen.get(sig);
    if (!entry) {
      report.rule++;
      return undefined;
    }
    if (misses.has(sig)) report.timed++;
    else report.cached++;
    const info = JSON.parse(layer.info || '{}') as Record<string, unknown>;
    layer.info = JSON.stringify({ ...info, tactic: entry.tactic, tacticUs: +(entry.ms * 1000).toFixed(2) });
    return entry.tactic;
  });
  log(`autotune (${target}): ${report.tunable} layers with tactics, ${report.cached} from the timing cache, ${report.timed} timed, ${report.rule} by rule`);
  return { tactics, report };
}
