// `kiln debug`: Polygraphy's debug tools for kiln.
//   reduce     shrinks a model that kiln gets wrong (outputs beyond tolerance against the
//              interpreter or onnxruntime, or a build error) to a small failing
//              subgraph (reduce.ts) and writes it as ONNX;
//   precision  finds which layers must stay fp32 for a --fp16/--bf16/--int8 build to pass
//              the tolerance (precision-bisect.ts) and prints the --layer-precisions spec.
// Both work on the model with its inputs fixed (--shapes): every check builds a plan
// with the command's build options (and --plugin passes) and runs it on seeded inputs.
import { basename, extname } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Builder } from '../builder/builder.js';
import { specializeShapes } from '../builder/specialize.js';
import { interpret, type Tensor } from '../interpret/index.js';
import type { Graph } from '../ir/index.js';
import { exportOnnx } from '../onnx/export/index.js';
import type { IOTensorInfo } from '../runtime/engine.js';
import type { Command, Flags } from './args.js';
import { BUILD_FLAGS, resolveBuildOptions, type BuildOptions } from './build-options.js';
import { checkGraph, type CheckSetup } from './check.js';
import { UsageError } from './errors.js';
import { loadModel, sourceKind } from './model.js';
import { bisectPrecision, precisionSpec } from './precision-bisect.js';
import { cliLogger } from './progress.js';
import { reduceGraph } from './reduce.js';
import { color, formatBytes } from './style.js';
import { OUTPUT_FLAG, describeIO } from './cmd-surgeon.js';
import { INPUT_FLAGS, parseInputFiles, prepareInputs } from './tensors.js';

export const debugCommand: Command = {
  spec: {
    name: 'debug',
    positionals: ['reduce|precision', 'MODEL'],
    summary: 'Debug tools: reduce (shrink a failing model to its failing layers), precision (which layers need fp32).',
    description: [
      'reduce: a model fails when kiln differs from the reference beyond --atol/--rtol, or its build throws;',
      '  the smallest failing subgraph found is written as ONNX (-o, default <model>.reduced.onnx).',
      'precision: with --fp16, --bf16 or --int8, bisects the layers that must stay fp32 for the outputs to pass',
      '  and prints the --layer-precisions spec (used with --precision-constraints obey).',
    ].join('\n'),
    flags: [
      { name: 'atol', kind: 'string', metavar: 'A', help: 'absolute tolerance (default 1e-5 for reduce, 1e-3 for precision)' },
      { name: 'rtol', kind: 'string', metavar: 'R', help: 'relative tolerance (default 1e-5 for reduce, 1e-3 for precision)' },
      { name: 'reference', kind: 'string', metavar: 'REF', help: 'reduce: interpreter (default) or onnxruntime' },
      { ...OUTPUT_FLAG, help: 'reduce: where to write the reduced ONNX model' },
      ...INPUT_FLAGS,
      ...BUILD_FLAGS,
    ],
    examples: [
      'kiln debug reduce model.onnx --shapes input:1x3x224x224 -o small.onnx',
      'kiln debug precision model.onnx --shapes input:1x3x224x224 --fp16 --atol 1e-2 --rtol 1e-2',
    ],
  },

  async run(flags, [tool, path]) {
    if (tool !== 'reduce' && tool !== 'precision') throw new UsageError(`unknown debug tool '${tool}'; the tools are precision and reduce`);
    const options = resolveBuildOptions(flags);
    const low = tool === 'precision' ? lowPrecisionOf(options) : undefined;
    const reference = flags.string('reference') ?? 'interpreter';
    if (reference !== 'interpreter' && reference !== 'onnxruntime') throw new UsageError(`--reference must be interpreter or onnxruntime, got '${reference}'`);
    if (tool === 'precision' && flags.has('output')) throw new UsageError('-o belongs to kiln debug reduce; debug precision prints a spec');
    const kind = sourceKind(path!);
    if (kind === 'plan') throw new UsageError(`'${path}' is a plan; kiln debug ${tool} needs the MODEL (.onnx or .ts/.js) to rebuild its parts`);
    const { logger, done } = cliLogger({ verbose: options.verbose, phases: false });
    try {
      const model = await loadModel(path!, kind, new Builder(logger), options);
      const graph = staticGraph(model.graph, options);
      const fixed: BuildOptions = { ...options, shapes: new Map(), profiles: undefined };
      const infos = graph.inputs.map((n) => ({ name: n, ...graph.types[n]! }) as unknown as IOTensorInfo);
      const feed = Object.fromEntries(prepareInputs(infos, parseInputFiles(flags.list('input')), flags.int('seed', 1), (m) => logger.verbose(m)).map((t) => [t.name, t.tensor]));
      const tol = tool === 'reduce' ? 1e-5 : 1e-3;
      const setup: CheckSetup = { options: fixed, logger, atol: flags.number('atol', tol), rtol: flags.number('rtol', tol), reference, values: feed };
      if (tool === 'reduce') return await reduce(path!, graph, setup, flags);
      return await precision(path!, graph, setup, low!);
    } finally {
      done();
    }
  },
};

function lowPrecisionOf(options: BuildOptions): 'fp16' | 'bf16' | 'int8' {
  const flags = options.precision?.flags ?? [];
  if (flags.includes('best') || flags.length !== 1) throw new UsageError(`kiln debug precision tests one precision: give exactly one of --fp16, --bf16, --int8${flags.length ? ` (got ${flags.map((f) => `--${f}`).join(' ')})` : ''}`);
  if (options.precision?.layerPrecisions) throw new UsageError('kiln debug precision finds --layer-precisions itself; drop the flag');
  return flags[0] as 'fp16' | 'bf16' | 'int8';
}

/** The model with --shapes bound into every symbolic dim: subgraphs then need no profile. */
function staticGraph(graph: Graph, options: BuildOptions): Graph {
  const binding: Record<string, number> = {};
  for (const n of graph.inputs) {
    const given = options.shapes.get(n);
    graph.types[n]!.shape.forEach((d, i) => {
      if (typeof d === 'string' && given?.[i] !== undefined) binding[d] = given[i]!;
    });
    const free = graph.types[n]!.shape.find((d) => typeof d === 'string' && binding[d] === undefined);
    if (free !== undefined) throw new UsageError(`input '${n}' has symbolic dim '${free}'; fix it with --shapes ${n}:${graph.types[n]!.shape.map((d) => (typeof d === 'number' ? d : binding[d] ?? 1)).join('x')}`);
  }
  return Object.keys(binding).length ? specializeShapes(graph, binding) : graph;
}

async function reduce(path: string, graph: Graph, setup: CheckSetup, flags: Flags): Promise<number> {
  const values = interpret(graph, setup.values, { keep: 'all' });
  const full: CheckSetup = { ...setup, values: values as Record<string, Tensor> };
  const first = await checkGraph(graph, full);
  if (first.kind === 'pass') throw new Error(`${path}: kiln matches the ${setup.reference} within atol ${setup.atol}, rtol ${setup.rtol}: nothing to reduce; tighten --atol/--rtol or check kiln compare`);
  if (first.kind === 'unknown') throw new Error(`${path}: the ${setup.reference} cannot run the model (${first.message})`);
  console.log(`${color.bold('failing')}: ${graph.nodes.length} layers; ${first.kind === 'build' ? 'the build fails' : 'outputs differ'}: ${first.message}`);
  const log = (m: string) => (setup.options.verbose ? console.log(`  ${m}`) : undefined);
  const result = await reduceGraph(graph, first, (g) => checkGraph(g, full), log);
  const out = flags.string('output') ?? `${basename(path, extname(path))}.reduced.onnx`;
  const bytes = exportOnnx(result.graph);
  writeFileSync(out, bytes);
  const layers = result.graph.nodes.map((n) => `'${n.name}' (${n.op})`);
  console.log(`${color.bold('reduced')} ${graph.nodes.length} layers -> ${result.graph.nodes.length} in ${result.checks} checks: ${layers.join(', ')}`);
  console.log(`still failing: ${result.verdict.kind === 'build' || result.verdict.kind === 'mismatch' ? result.verdict.message : result.verdict.kind}`);
  for (const line of describeIO(result.graph)) console.log(line);
  console.log(`wrote ${out} (${formatBytes(bytes.byteLength)}); reproduce with kiln compare ${out}`);
  return 0;
}

async function precision(path: string, graph: Graph, setup: CheckSetup, low: 'fp16' | 'bf16' | 'int8'): Promise<number> {
  const layers = graph.nodes.map((n) => n.name);
  const base = setup.options.precision!;
  const passes = async (fp32: readonly string[]) => {
    const options: BuildOptions = { ...setup.options, precision: { ...base, layerPrecisions: precisionSpec(fp32, low), constraints: 'obey' } };
    const v = await checkGraph(graph, { ...setup, options });
    if (v.kind === 'build' || v.kind === 'unknown') throw new Error(`building with ${fp32.length} fp32 layer(s) failed: ${v.message}`);
    if (setup.options.verbose) console.log(`  ${fp32.length} of ${layers.length} layers fp32: ${v.kind === 'pass' ? 'passes' : v.message}`);
    return v.kind === 'pass';
  };
  const tol = `atol ${setup.atol}, rtol ${setup.rtol}`;
  if (await passes([])) {
    console.log(`${path}: every layer in ${low} passes (${tol}); nothing must stay fp32\n--layer-precisions '*:${low}'`);
    return 0;
  }
  if (!(await passes(layers))) throw new Error(`${path}: outputs fail ${tol} even with every layer pinned to fp32, so precision is not the cause; try kiln debug reduce ${path}`);
  const found = await bisectPrecision(layers, passes);
  const spec = precisionSpec(found.fp32, low);
  console.log(`${color.bold('precision')} ${path}: ${found.fp32.length} of ${layers.length} layers must stay fp32 for ${low} to pass ${tol} (${found.checks + 2} builds)`);
  for (const n of found.fp32) console.log(`  fp32  ${n} (${graph.nodes.find((x) => x.name === n)!.op})`);
  console.log(`--layer-precisions '${spec}' --precision-constraints obey`);
  return 0;
}
