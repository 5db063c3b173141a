// Precision in a real build (TensorRT's --fp16 / --bf16 / --best with
// --layerPrecisions and --precisionConstraints): after the pass pipeline (and int8
// calibration) the declared I/O formats are applied (io-formats.ts), each layer gets
// a dtype from the allowed set and AssignPrecision inserts the casts where
// precisions meet (16-bit round trips through f32 cancel). On the CPU only layers with a 16-bit
// kernel take fp16/bf16 (conv and matmul, and the data movement between them);
// softmax, normalization and reductions stay fp32 (passes/precision.ts).
//
// Constraints decide what speed may overrule:
//  - obey: every layer the constraints (or the flags) put in 16 bits runs there, or the
//    build fails naming the layer;
//  - prefer / none: each conv or matmul is timed on this machine both ways, as a one-
//    layer plan with its best tactic, the 16-bit one with the casts it would need
//    where its neighbours stay fp32; it keeps 16 bits only where that is 5% faster. The
//    verdicts are kept in the timing cache, so a warm rebuild gives the same plan.
//    INT8 layers are timed the same way before quantizing (chooseInt8).
import { lowerToPlan } from '../../codegen/index.js';
import { assignPrecision, choosePrecisions, type Precision, type PrecisionOptions } from '../../passes/index.js';
import { INT8_LAYER_OPS, int8Source, int8Writers, isMaxPool, isPassThrough, quantizableLayers, quantizeGraph, type QuantizeOptions } from '../../passes/quantize.js';
import { makeGraph, type DType, type Graph, type Node } from '../ir/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { int8StemShape, isToNhwc } from '../../passes/fuse-int8-stem-io.js';
import { native } from '../runtime/native.js';
import { KILN_VERSION } from '../version.js';
import { autotunePlan, layerSignature, timingTarget } from './autotune.js';
import type { BuilderConfig } from './builder-config.js';
import { applyIOFormats, cancelCastPairs } from './io-formats.js';
import type { Logger } from './logger.js';
import { processTimingCache } from './timing-cache.js';
import { labellingCost, minCutLabels, type PairTerm } from './min-cut.js';

/** Ops the CPU runs in bf16 / fp16: conv and matmul (kernel-gemm-bf16.cc) and byte-moving layout ops. */
const CPU_LOWP_OPS = new Set(['Conv', 'MatMul', 'Reshape', 'Transpose', 'Concat']);
const TIMED_OPS = new Set(['Conv', 'MatMul']);
/** 16 bits must win by this much: a few percent is the noise of a shared machine, not a gain. */
export const PREFER_MARGIN = 0.95;

const isLowp = (d: DType | undefined) => d === 'bf16' || d === 'f16';

const cpuSupports = (node: Node) => CPU_LOWP_OPS.has(node.op);

/** The precision options a config asks for (fp32 always allowed). */
export function precisionOptions(config: BuilderConfig): PrecisionOptions {
  const allowed: Precision[] = [];
  if (config.fp16) allowed.push('fp16');
  if (config.bf16) allowed.push('bf16');
  if (config.int8) allowed.push('int8');
  return {
    allowed,
    layerPrecisions: config.layerPrecisions,
    ...(config.precisionConstraints !== undefined ? { constraints: config.precisionConstraints } : {}),
    supports: cpuSupports,
  };
}

const hasSymbolicDims = (g: Graph) => Object.values(g.types).some((t) => t.shape.some((d) => typeof d !== 'number'));

/** One layer as a network of its own: activations become inputs, constants come along. */
function layerGraph(graph: Graph, node: Node): Graph {
  const used = node.inputs.filter((v) => v !== '');
  const types = Object.fromEntries([...used, ...node.outputs].map((v) => [v, graph.types[v]!]));
  const constants = Object.fromEntries(used.filter((v) => v in graph.constants).map((v) => [v, graph.constants[v]!]));
  const inputs = [...new Set(used.filter((v) => !(v in graph.constants)))];
  return makeGraph({ inputs, outputs: [...node.outputs], nodes: [node], types, constants });
}

interface Timing {
  /** ms of the layer itself, of the casts into it, of the casts out of it. */
  layer: number;
  castIn: number;
  castOut: number;
}

const lower = (g: Graph) => lowerToPlan(g, { kilnVersion: KILN_VERSION, buildDigest: new Uint8Array(32) }).plan;

/** Lowers a small graph, picks its tactics, and times its layers (best of several runs). */
function timeGraph(g: Graph, name: string, config: BuilderConfig): Timing {
  const plan = lower(g);
  autotunePlan(plan, { optLevel: Math.max(1, config.optLevel), cache: config.timingCache ?? processTimingCache, threads: config.tuningThreads });
  const ms = native().timeLayers(plan, { warmup: 2, minIterations: 5, maxIterations: 200, budgetMs: 30, threads: config.tuningThreads }).minMs;
  const at = plan.layers.findIndex((l) => l.name === name);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return { layer: ms[at]!, castIn: sum(ms.slice(0, at)), castOut: sum(ms.slice(at + 1)) };
}

/** A lower-precision form of one layer, to time against its fp32 form. */
interface Candidate {
  precision: string;
  /** The one-layer network in that precision, with the conversions at its edges. */
  graph: Graph;
  /** The name of the computing layer in `graph`'s plan. */
  layer: string;
  /** Which edge conversions count, as part of the timing cache key ('in-', '-out', ...). */
  edges: string;
  /** Said after the candidate's figure ('with casts'). */
  note: string;
  /** The candidate's ms from its plan's timings: the layer plus the conversions that count. */
  cost: (t: Timing) => number;
}

/** The timing-cache key of `node`'s one-layer network: `what` and the fp32 layer's signature. */
function layerKey(what: string, single: Graph, node: Node): string {
  const plan = lower(single);
  return `${what} ${layerSignature(plan.layers.find((l) => l.name === node.name)!, plan.tensors)}`;
}

/**
 * Named figures (ms) kept in the timing cache under `key`: taken from it when all are
 * there, else measured by `round` twice (interleaving the forms it times, so a busy
 * moment on the machine hits all) keeping each one's minimum, and stored with the
 * verdict they give. A warm rebuild thus times nothing and makes the same choice.
 */
function cachedFigures<K extends string>(config: BuilderConfig, key: string, names: readonly K[], round: () => Record<K, number>,
  verdict: (f: Record<K, number>) => string): { figures: Record<K, number>; cached: boolean } {
  const cache = config.timingCache ?? processTimingCache;
  const target = timingTarget(config.tuningThreads);
  const hit = cache.get(target, key);
  if (hit && names.every((k) => Number.isFinite(hit.candidates[k]))) return { figures: hit.candidates as Record<K, number>, cached: true };
  const figures = Object.fromEntries(names.map((k) => [k, Infinity])) as Record<K, number>;
  for (let r = 0; r < 2; r++) {
    const m = round();
    for (const k of names) figures[k] = Math.min(figures[k], m[k]);
  }
  cache.set(target, key, { tactic: verdict(figures), ms: Math.min(...names.map((k) => figures[k])), candidates: figures });
  return { figures, cached: false };
}

/**
 * Times `node` alone in fp32 (`fp32`, its best tactic) against `candidate`, two rounds
 * each, interleaved so a busy moment on the machine hits both; the candidate wins
 * when it is 5% faster. The verdict lives in the timing cache next to the tactics,
 * keyed by precision, counted edges and the fp32 layer's signature, so a warm rebuild
 * times nothing and makes the same choice (byte-identical plans).
 */
function timedVerdict(fp32: Graph, node: Node, candidate: Candidate, config: BuilderConfig): { faster: boolean; figures: string } {
  const low = candidate.precision;
  const { figures: f, cached } = cachedFigures(config, layerKey(`precision ${low} casts ${candidate.edges}`, fp32, node), ['fp32', low], () => ({
    fp32: timeGraph(fp32, node.name, config).layer,
    [low]: candidate.cost(timeGraph(candidate.graph, candidate.layer, config)),
  }), (t) => (t[low]! < t.fp32! * PREFER_MARGIN ? low : 'fp32'));
  const [f32, lowMs] = [f.fp32!, f[low]!];
  const figures = `fp32 ${f32.toFixed(4)} ms, ${low} ${lowMs.toFixed(4)} ms${candidate.note}${cached ? ' (timing cache)' : ''}`;
  return { faster: lowMs < f32 * PREFER_MARGIN, figures };
}

/**
 * The verdicts of timing: layers whose 16-bit form is not faster, with the figures.
 * A cast counts where the neighbour on that side computes in another dtype.
 */
function timeLayers(graph: Graph, options: PrecisionOptions, config: BuilderConfig, logger: Logger): Map<string, string> {
  const decisions = choosePrecisions(graph, options);
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const dtypeOf = (v: string) => decisions.get(producer.get(v)?.name ?? '')?.dtype;
  const slower = new Map<string, string>();
  for (const node of graph.nodes) {
    const dtype = decisions.get(node.name)?.dtype;
    if (!isLowp(dtype) || !TIMED_OPS.has(node.op)) continue;
    const single = layerGraph(graph, node);
    const precision: Precision = dtype === 'bf16' ? 'bf16' : 'fp16';
    const low = assignPrecision({ allowed: [precision], layerPrecisions: `*:${precision}`, constraints: 'obey', supports: cpuSupports })
      .run(single, { logger: () => {}, options: {} });
    const castIn = node.inputs.some((v) => v !== '' && !(v in graph.constants) && dtypeOf(v) !== dtype);
    const castOut = graph.outputs.some((o) => node.outputs.includes(o))
      || graph.nodes.some((n) => n.inputs.some((v) => node.outputs.includes(v)) && decisions.get(n.name)?.dtype !== dtype);
    const { faster, figures } = timedVerdict(single, node, {
      precision, graph: low, layer: node.name, edges: `${castIn ? 'in' : '-'}${castOut ? 'out' : '-'}`,
      note: castIn || castOut ? ' with casts' : '', cost: (t) => t.layer + (castIn ? t.castIn : 0) + (castOut ? t.castOut : 0),
    }, config);
    logger.verbose(`precision '${node.name}': ${figures}`);
    if (!faster) slower.set(node.name, `16 bits not 5% faster on this machine (${figures})`);
  }
  return slower;
}

/** One int8 candidate layer as timed alone: fp32, its int8 form, and the QuantizeLinear of its input. */
interface Int8Timing { fp32: number; int8: number; quantize: number; cached: boolean }

/**
 * Times `node` alone in fp32 (its best tactic) and in its int8 form (QConv / QGemm /
 * QMatMul / QConvNhwc plus the Add + activation a split residual becomes, writing i8
 * when `i8Out`), two rounds each, interleaved so a busy moment hits both. The
 * QuantizeLinear of the input is timed in the same plan and kept apart: whether it
 * is paid depends on the producer's precision. The three figures live in the timing
 * cache, keyed by the output dtype and the fp32 layer's signature, so a warm rebuild
 * times nothing and makes the same choice (byte-identical plans).
 */
function timeInt8(graph: Graph, node: Node, o: QuantizeOptions, i8Out: boolean, config: BuilderConfig): Int8Timing {
  const single = layerGraph(graph, node);
  const int8 = quantizeGraph(single, i8Out ? { ...o, i8Outputs: new Set(node.outputs) } : o);
  const layer = int8.nodes.find((n) => INT8_LAYER_OPS.has(n.op))!.name;
  const { figures, cached } = cachedFigures(config, layerKey(`precision int8 parts${i8Out ? ' i8' : ''}`, single, node), ['fp32', 'int8', 'quantize'], () => {
    const fp32 = timeGraph(single, node.name, config).layer;
    const q = timeGraph(int8, layer, config);
    return { fp32, int8: q.layer + q.castOut, quantize: q.castIn };
  }, (t) => (t.int8 + t.quantize < t.fp32 * PREFER_MARGIN ? 'int8' : 'fp32'));
  return { ...figures, cached };
}

/**
 * A pass-through layer (a reformat Transpose, a max pool) after an int8 layer that
 * writes i8 moves codes, a quarter of the bytes: timed alone on f32 and on i8 (a max
 * pool with fp32 readers with the DequantizeLinear they then read), cached like the rest.
 */
function timePassThrough(graph: Graph, node: Node, dequantized: boolean, config: BuilderConfig): { f32: number; i8: number } {
  const single = layerGraph(graph, node);
  const d = new GraphDraft();
  const x = d.input(node.inputs[0]!, { ...graph.types[node.inputs[0]!]!, dtype: 'i8' });
  const y = d.node(node.op, node.name, [x], node.attrs, node.outputs[0]);
  d.outputs.push(dequantized ? d.node('DequantizeLinear', `${node.name}.dequantize`, [y, d.constant(`${node.name}.scale`, 'f32', [1], Float32Array.of(1))], {}) : y);
  const codes = d.graph();
  const { figures } = cachedFigures(config, layerKey(`precision int8 pass-through${dequantized ? ' dq' : ''}`, single, node), ['fp32', 'int8'], () => {
    const fp32 = timeGraph(single, node.name, config).layer;
    const q = timeGraph(codes, node.name, config);
    return { fp32, int8: q.layer + q.castOut };
  }, (t) => (t.int8 < t.fp32 ? 'int8' : 'fp32'));
  return { f32: figures.fp32, i8: figures.int8 };
}

/**
 * INT8 under prefer / none (the default): each layer the Quantize pass would rewrite
 * is timed alone in fp32 and in int8 (timeInt8), and the layers run int8 together
 * where that is faster in all: an int8 layer reading the output of an int8 layer
 * takes it as i8 (no QuantizeLinear, a quarter of the bytes), while one whose
 * producer stays fp32 pays the QuantizeLinear of its input. That makes the choice a
 * labelling of the layers (fp32 or int8) with a cost per layer and a cost per
 * producer-reader pair, solved exactly by a minimum cut (min-cut.ts); int8 costs count
 * 1 / PREFER_MARGIN, so int8 must win by 5% where it stands alone, as 16 bits must.
 * A layer whose int8 readers would read i8 (int8Writers) is timed writing i8, and the
 * reformats and max pools its codes pass through count in its two costs (timePassThrough).
 * Under obey every layer the precisions allow is int8. Returns the options for quantizeGraph.
 */
export function chooseInt8(graph: Graph, o: QuantizeOptions, config: BuilderConfig, logger: Logger): QuantizeOptions {
  if (config.precisionConstraints === 'obey' || config.target !== 'cpu') return o;
  const layers = quantizableLayers(graph, o);
  if (layers.length === 0) return o;
  logger.info('build phase: int8 layers timed against fp32');
  const writers = int8Writers(graph, new Set(layers));
  const index = new Map(layers.map((n, i) => [n, i] as const));
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((v) => [v, n] as const)));
  const times = layers.map((node) => timeInt8(graph, node, o, writers.has(node), config));
  const cost0 = times.map((t) => t.fp32);
  const cost1 = times.map((t) => t.int8 / PREFER_MARGIN);
  const pairs: PairTerm[] = [];
  layers.forEach((node, i) => {
    const from = int8Source(producer, node.inputs[0]!);
    const quantize = times[i]!.quantize / PREFER_MARGIN;
    // Read as i8 only from a producer that writes i8 when int8; otherwise always quantized.
    if (from && writers.has(from)) pairs.push({ a: i, b: index.get(from)!, cost: quantize });
    else cost1[i]! += quantize;
  });
  // The pass-through layers after a writer run on its codes when it is int8, on f32 when not.
  const readersOf = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const v of n.inputs) readersOf.set(v, [...(readersOf.get(v) ?? []), n]);
  for (const node of graph.nodes) {
    const from = isPassThrough(node) ? int8Source(producer, node.inputs[0]!) : undefined;
    if (!from || !writers.has(from) || !index.has(from)) continue;
    const readers = readersOf.get(node.outputs[0]!) ?? [];
    const fp32Readers = readers.some((r) => !index.has(r));
    const t = timePassThrough(graph, node, isMaxPool(node) && fp32Readers, config);
    logger.verbose(`int8 pass-through '${node.name}' after '${from.name}': f32 ${t.f32.toFixed(4)} ms, i8 ${t.i8.toFixed(4)} ms`);
    // An int8 stem writes NHWC itself (FuseInt8StemIO, after this choice): its reformat then costs nothing.
    const intoStem = isToNhwc(node) && int8StemShape(graph, from) && (readersOf.get(from.outputs[0]!) ?? []).length === 1 && !graph.outputs.includes(from.outputs[0]!);
    const p = index.get(from)!, f = t.f32, i = intoStem ? 0 : Math.min(f, t.i8 / PREFER_MARGIN);
    cost0[p]! += f;
    // A max pool moves codes whenever its producer writes them (fp32 readers read a
    // DequantizeLinear); a reformat only when its readers are int8 too: each reader
    // left fp32 costs the difference back (a pair term), one that cannot be int8 at once.
    if (isMaxPool(node)) cost1[p]! += i;
    else if (fp32Readers) cost1[p]! += f;
    else {
      cost1[p]! += i;
      for (const r of readers) pairs.push({ a: p, b: index.get(r)!, cost: f - i });
    }
  }
  const labels = minCutLabels(cost0, cost1, pairs);
  const slower = new Set<string>();
  layers.forEach((node, i) => {
    const t = times[i]!;
    if (!labels[i]) slower.add(node.name);
    logger.verbose(`int8 '${node.name}': fp32 ${t.fp32.toFixed(4)} ms, int8 ${t.int8.toFixed(4)} ms, quantize ${t.quantize.toFixed(4)} ms${t.cached ? ' (timing cache)' : ''}: ${labels[i] ? 'int8' : 'fp32 kept'}`);
  });
  // The totals as measured (int8 costs without the margin), for the log.
  const real = (l: readonly (0 | 1)[]) => PREFER_MARGIN * labellingCost(cost0.map((c) => c / PREFER_MARGIN), cost1, pairs, l);
  logger.info(`int8: ${layers.length - slower.size} of ${layers.length} layers kept (faster): timed layers ${real(labels).toFixed(3)} ms, all fp32 ${real(labels.map(() => 0)).toFixed(3)} ms`);
  return slower.size === 0 ? o : { ...o, precisionOf: (layer) => (slower.has(layer) ? 'fp32' : o.precisionOf?.(layer)) };
}

/**
 * The build step: `graph` (optimized, possibly quantized) with each layer's dtype
 * assigned and casts inserted; the same graph when only fp32 applies.
 */
export function applyPrecisions(written: Graph, config: BuilderConfig, logger: Logger): Graph {
  const graph = applyIOFormats(written, config.ioFormats);
  const options = precisionOptions(config);
  const low = options.allowed.some((p) => p === 'fp16' || p === 'bf16');
  if (config.target !== 'cpu') return graph;
  // Without a 16-bit flag nothing changes, but obeyed layer precisions must still be possible.
  if (!low) return (config.precisionConstraints === 'obey' && config.layerPrecisions !== '' && choosePrecisions(graph, options), graph);
  logger.info('build phase: precision assignment');
  if (config.best && !config.quantizes()) logger.warning('best: no calibrator, so no int8 layers (fp16/bf16 and fp32 only)');
  const obey = config.precisionConstraints === 'obey';
  // Symbolic shapes cannot be timed here; their layers stay fp32 unless obeyed.
  const timed = obey ? undefined : hasSymbolicDims(graph) ? untimed(graph, options) : timeLayers(graph, options, config, logger);
  const final: PrecisionOptions = { ...options, ...(timed ? { keepFp32: timed } : {}) };
  const out = cancelCastPairs(assignPrecision(final).run(graph, { logger: (s, m) => logger.log(s, m), options: {} }));
  const counts = new Map<string, number>();
  for (const d of choosePrecisions(graph, final).values()) counts.set(d.dtype, (counts.get(d.dtype) ?? 0) + 1);
  logger.info(`precision: ${[...counts].map(([d, n]) => `${n} layer(s) ${d}`).join(', ')}`);
  return out;
}

function untimed(graph: Graph, options: PrecisionOptions): Map<string, string> {
  const decisions = choosePrecisions(graph, options);
  return new Map(graph.nodes.filter((n) => TIMED_OPS.has(n.op) && isLowp(decisions.get(n.name)?.dtype)).map((n) => [n.name, 'symbolic shapes are not timed; fp32 kept (use obey)']));
}
