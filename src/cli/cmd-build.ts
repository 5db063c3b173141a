// `kiln build MODEL`: compiles a model into a plan (trtexec's engine build), showing
// the phase while it works and a summary after: layers before and after fusion, the
// passes, the precision mix, and where the bytes go (plan, weights, arena).
import { writeFileSync } from 'node:fs';
import type { BuildReport } from '../builder/builder.js';
import { printGraph } from '../ir/index.js';
import type { Command } from './args.js';
import { BUILD_FLAGS, resolveBuildOptions } from './build-options.js';
import { UsageError } from './errors.js';
import { buildGraph, loadModel, sourceKind, type Built, type LoadedModel } from './model.js';
import { Builder } from '../builder/builder.js';
import { cliLogger } from './progress.js';
import { color, formatBytes, formatMs, table } from './style.js';

export const buildCommand: Command = {
  spec: {
    name: 'build',
    positionals: ['MODEL'],
    summary: 'Build a model (.ts/.js DSL module or .onnx) into a kiln plan for this machine.',
    description: 'Without --save-plan the plan is built, summarized and dropped (a dry run). Symbolic input dims take one\nshape from --shapes (a static engine), or ranges from --min/--opt/--max-shapes (a dynamic plan).',
    flags: [
      { name: 'save-plan', kind: 'string', metavar: 'FILE', help: 'write the plan to FILE' },
      { name: 'export-json', kind: 'string', metavar: 'FILE', help: 'write the build summary (layers, passes, precision mix, sizes, time) as JSON' },
      ...BUILD_FLAGS,
    ],
    examples: [
      'kiln build model.ts --save-plan out/model.plan',
      'kiln build lenet.onnx --shapes input:1x1x28x28 --opt-level 2 --save-plan lenet.plan',
      'kiln build lenet.onnx --min-shapes input:1x1x28x28 --opt-shapes input:8x1x28x28 --max-shapes input:32x1x28x28 --fp16',
    ],
  },

  async run(flags, [path]) {
    const options = resolveBuildOptions(flags);
    const kind = sourceKind(path!);
    if (kind === 'plan') throw new UsageError(`'${path}' is already a plan; kiln build takes a MODEL (.ts/.js or .onnx); inspect the plan with kiln inspect ${path}`);
    const { logger, done } = cliLogger({ verbose: options.verbose, phases: true });
    let built: Built;
    let model: LoadedModel;
    try {
      model = await loadModel(path!, kind, new Builder(logger), options);
      built = buildGraph(model.graph, options, logger);
    } finally {
      done();
    }
    const save = flags.string('save-plan');
    if (save !== undefined) writeFileSync(save, built.plan);
    if (options.verbose) {
      console.log(`optimized graph:\n${printGraph(built.report.optimized)}\n`);
      const rows = built.report.passes.map((p) => [p.pass, formatMs(p.ms), p.changed ? 'yes' : 'no']);
      console.log(`${table(['pass', 'ms', 'changed'], rows, ['l', 'r', 'l'])}\n`);
    }
    console.log(summary(path!, save, built, model));
    const json = flags.string('export-json');
    if (json !== undefined) writeFileSync(json, `${JSON.stringify(summaryJson(path!, built), null, 2)}\n`);
    return 0;
  },
};

/** Layers per precision, by the dtype each layer writes. */
export function precisionMix(report: BuildReport): Map<string, number> {
  const mix = new Map<string, number>();
  for (const n of report.optimized.nodes) {
    const d = report.optimized.types[n.outputs[0]!]?.dtype ?? '?';
    mix.set(d, (mix.get(d) ?? 0) + 1);
  }
  return mix;
}

/** The summary as data, for --export-json. */
export function summaryJson(path: string, built: Built): Record<string, unknown> {
  const r = built.report;
  return {
    model: path,
    buildMs: built.ms,
    layersBefore: r.layersBefore,
    layersAfter: r.layersAfter,
    layers: r.optimized.nodes.map((n) => ({ name: n.name, op: n.op, fused: n.fused ?? [n.name], dtype: r.optimized.types[n.outputs[0]!]?.dtype })),
    precision: Object.fromEntries(precisionMix(r)),
    passes: r.passes,
    planBytes: built.plan.byteLength,
    weightsBytes: r.weightsBytes,
    arenaBytes: r.arenaBytes,
    livepeakBytes: r.memory.lowerBound,
  };
}

function summary(path: string, save: string | undefined, built: Built, model: LoadedModel): string {
  const r = built.report;
  const fused = r.optimized.nodes.filter((n) => (n.fused?.length ?? 1) > 1);
  const mix = [...precisionMix(r)].map(([d, n]) => `${d}: ${n} layer${n === 1 ? '' : 's'}`).join(', ');
  const changed = r.passes.filter((p) => p.changed).map((p) => p.pass);
  const passMs = r.passes.reduce((a, p) => a + p.ms, 0);
  const passes = r.passes.length === 0 ? 'none (opt level 0)' : `${r.passes.length} in ${formatMs(passMs)} ms; changed the graph: ${changed.join(', ') || 'none'} (--verbose for each)`;
  const m = r.memory;
  const onnx = model.onnx;
  return [
    `${color.bold('built')} ${path} in ${formatMs(built.ms)} ms${save ? ` -> ${save}` : ' (not saved; add --save-plan FILE)'}`,
    ...(onnx ? [`  onnx       opset ${onnx.opset}, ${onnx.nodes} nodes -> ${onnx.layers} layers at import (${onnx.folded} folded; --support-report for ops)`] : []),
    `  layers     ${r.layersBefore} -> ${r.layersAfter} after optimization${fused.length ? ` (${fused.length} fused: ${fused.slice(0, 3).map((n) => `'${n.name}'`).join(', ')}${fused.length > 3 ? `, ${fused.length - 3} more (kiln inspect lists all)` : ''})` : ''}`,
    `  passes     ${passes}`,
    `  precision  ${mix || 'no layers'}`,
    `  plan       ${formatBytes(built.plan.byteLength)} (${built.plan.byteLength} B)`,
    `  weights    ${formatBytes(r.weightsBytes)}`,
    `  arena      ${formatBytes(r.arenaBytes)} per execution context (live peak ${formatBytes(m.lowerBound)}, ${formatBytes(m.noReuseBytes)} without reuse)`,
  ].join('\n');
}
