// `kiln inspect PLAN`: what a plan holds, read back by the native plan reader: IO
// tensors, layers with the original layers each one fused, kernel and precision, and
// where the memory goes (weights, arena). Text for people, --json for scripts. A MODEL
// is built in memory first, which also gives the arena layout per tensor.
import { formatType, type Graph } from '../ir/index.js';
import type { LayerInfo } from '../runtime/engine.js';
import type { Command } from './args.js';
import { BUILD_FLAGS, resolveBuildOptions } from './build-options.js';
import { loadTarget, type Target } from './model.js';
import { cliLogger } from './progress.js';
import { color, formatBytes, table } from './style.js';

export const inspectCommand: Command = {
  spec: {
    name: 'inspect',
    positionals: ['PLAN|MODEL'],
    summary: "Print a plan's IO tensors, layers (fused names, kernel, precision) and memory; text or --json.",
    flags: [{ name: 'json', kind: 'boolean', help: 'print one JSON document instead of text' }, ...BUILD_FLAGS],
    examples: ['kiln inspect out/mnist.plan', 'kiln inspect out/mnist.plan --json > mnist.json'],
  },

  async run(flags, [path]) {
    const options = resolveBuildOptions(flags);
    const { logger, done } = cliLogger({ verbose: options.verbose, phases: false });
    let target: Target;
    try {
      target = await loadTarget(path!, options, logger, (f) => flags.has(f), true);
    } finally {
      done();
    }
    const doc = describeTarget(target);
    console.log(flags.bool('json') ? JSON.stringify(doc, null, 2) : formatText(doc));
    return 0;
  },
};

/** Plans written before layers recorded their precision: the kernel and tactic names tell low-precision layers apart. */
export const PLAN_PRECISION_NOTE = 'the plan records no per-layer precision; read from the tactic (.f16/.bf16, int8 kernels), else f32; inspect the MODEL for exact dtypes';

export function layerPrecision(layer: LayerInfo, optimized: Graph | undefined): string {
  if (layer.precision) return layer.precision;
  const out = optimized?.types[layer.outputs[0] ?? ''];
  if (out) return out.dtype;
  const low = /\.(bf16|f16)\b/.exec(layer.tactic ?? '')?.[1];
  if (low) return low;
  return /^q(conv|gemm)|quantize/i.test(layer.kernel) ? 'i8' : 'f32';
}

export interface ArenaTensor {
  name: string;
  offset: number;
  bytes: number;
  /** Layer index that writes it (-1: a network input) and the last that reads it (layers.length: an output). */
  first: number;
  last: number;
  type: string;
}

export function describeTarget(target: Target) {
  const { engine } = target;
  const optimized = target.built?.report.optimized;
  return {
    path: target.path,
    kind: target.kind,
    kilnVersion: engine.kilnVersion,
    formatVersion: engine.formatVersion,
    target: engine.target,
    targetIsa: engine.targetIsa,
    buildDigest: engine.buildDigest,
    planBytes: target.plan.byteLength,
    memory: { weightsBytes: engine.weightsBytes, arenaBytes: engine.arenaBytes },
    inputs: engine.inputs.map((t) => ({ ...t, type: formatType({ dtype: t.dtype, shape: t.dims ?? t.shape }) })),
    outputs: engine.outputs.map((t) => ({ ...t, type: formatType({ dtype: t.dtype, shape: t.dims ?? t.shape }) })),
    profiles: engine.profiles,
    layers: engine.layers.map((l, index) => ({ index, ...l, precision: layerPrecision(l, optimized) })),
    precisionNote: optimized || engine.layers.every((l) => l.precision) ? undefined : PLAN_PRECISION_NOTE,
    build: target.built && { layersBefore: target.built.report.layersBefore, layersAfter: target.built.report.layersAfter, ms: target.built.ms },
    arena: arenaTensors(target) ?? undefined,
    arenaNote: target.built ? undefined : 'per-tensor arena offsets are not in the native reader\'s description yet (needs native support); inspect the MODEL to see them',
  };
}

/** The arena layout, known only when the model was built here (the plan reader does not expose it). */
export function arenaTensors(target: Target): ArenaTensor[] | undefined {
  const built = target.built;
  if (!built) return undefined;
  const { memory, optimized } = built.report;
  return [...memory.offsets].map(([name, offset]) => ({
    name,
    offset,
    bytes: memory.sizes.get(name)!,
    first: memory.intervals.get(name)!.first,
    last: memory.intervals.get(name)!.last,
    type: formatType(optimized.types[name]!),
  })).sort((a, b) => a.first - b.first || a.offset - b.offset);
}

type Doc = ReturnType<typeof describeTarget>;

function formatText(d: Doc): string {
  const isa = d.targetIsa.length ? d.targetIsa.join(', ') : 'any x86-64';
  const lines = [
    `${color.bold(d.kind === 'plan' ? 'plan' : 'model')} ${d.path}: kiln ${d.kilnVersion}, plan format ${d.formatVersion}, target ${d.target === 'cpu' ? `CPU (${isa})` : d.target}, build digest ${d.buildDigest.slice(0, 16)}`,
    `memory: plan ${formatBytes(d.planBytes)}, weights ${formatBytes(d.memory.weightsBytes)}, arena ${formatBytes(d.memory.arenaBytes)} per execution context`,
    '',
    color.bold('inputs'),
    ...d.inputs.map((t) => `  ${t.name}  ${t.type}`),
    color.bold('outputs'),
    ...d.outputs.map((t) => `  ${t.name}  ${t.type}`),
    ...d.profiles.flatMap((p, k) => [color.bold(`profile ${k}`), ...Object.entries(p).map(([n, b]) => `  ${n}  min [${b.min}]  opt [${b.opt}]  max [${b.max}]`)]),
    '',
    color.bold(`layers (${d.layers.length}${d.build ? `, from ${d.build.layersBefore} before optimization` : ''})`),
    table(['#', 'layer', 'op', 'kernel', 'precision', 'fused from', 'outputs'],
      d.layers.map((l) => [String(l.index), l.name, l.op, l.tactic ? `${l.kernel} (${l.tactic})` : l.kernel, l.precision, l.fused.join(', '), l.outputs.join(', ')]),
      ['r']),
  ];
  if (d.precisionNote) lines.push(color.dim(`(precision: ${d.precisionNote})`));
  if (d.arena) {
    lines.push('', color.bold(`arena tensors (${d.arena.length})`));
    lines.push(table(['tensor', 'type', 'offset', 'bytes', 'live (layers)'],
      d.arena.map((t) => [t.name, t.type, String(t.offset), String(t.bytes), `${t.first < 0 ? 'in' : t.first}..${t.last >= d.layers.length ? 'out' : t.last}`]),
      ['l', 'l', 'r', 'r']));
  } else if (d.arenaNote) {
    lines.push('', color.dim(`(${d.arenaNote})`));
  }
  return lines.join('\n');
}
