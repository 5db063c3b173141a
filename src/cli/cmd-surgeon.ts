// `kiln surgeon`: ONNX GraphSurgeon / `polygraphy surgeon` for kiln. The model is read
// through kiln's importer (which already evaluates shape arithmetic and constant
// subgraphs), edited as a kiln graph, and written back with the ONNX exporter:
//   sanitize  fold constants, erase identities, drop dead layers, fix shapes (--shapes)
//   extract   the layers between named tensors, cut tensors becoming typed inputs
// A DSL module works as MODEL too: sanitize then writes the network as ONNX.
import { statSync, writeFileSync } from 'node:fs';
import { formatType, printGraph, type Graph } from '../ir/index.js';
import { exportOnnx } from '../onnx/export/index.js';
import { EliminateDeadLayers, EraseIdentities, FoldConstants, runPipeline, sequential } from '../../passes/index.js';
import { Builder } from '../builder/builder.js';
import type { Command } from './args.js';
import { resolveShapes, SHAPE_FLAGS } from './build-options.js';
import { UsageError } from './errors.js';
import { loadModel, sourceKind, type LoadedModel } from './model.js';
import { cliLogger } from './progress.js';
import { color, formatBytes } from './style.js';
import { extractSubgraph } from './subgraph.js';

export const OUTPUT_FLAG = { name: 'output', short: 'o', kind: 'string' as const, metavar: 'FILE', help: 'where to write the ONNX model (required)' };

/** Reads a MODEL for a tool that edits graphs (not a plan: plans keep no graph to edit). */
export async function loadEditable(path: string, shapes: ReturnType<typeof resolveShapes>, tool: string, verbose = false): Promise<LoadedModel> {
  const kind = sourceKind(path);
  if (kind === 'plan') throw new UsageError(`'${path}' is a plan, which keeps no graph to edit; ${tool} takes a MODEL (.onnx or .ts/.js)`);
  const { logger, done } = cliLogger({ verbose, phases: false });
  try {
    return await loadModel(path, kind, new Builder(logger), { shapes, supportReport: false });
  } finally {
    done();
  }
}

export function writeModel(path: string, graph: Graph): string {
  const bytes = exportOnnx(graph);
  writeFileSync(path, bytes);
  return `${path} (${formatBytes(statSync(path).size)})`;
}

export function describeIO(graph: Graph): string[] {
  return [
    ...graph.inputs.map((n) => `  input   ${n}: ${formatType(graph.types[n]!)}`),
    ...graph.outputs.map((n) => `  output  ${n}: ${formatType(graph.types[n]!)}`),
  ];
}

function requireOutput(out: string | undefined, example: string): string {
  if (out === undefined) throw new UsageError(`kiln surgeon needs -o FILE for the model it writes; e.g. ${example}`);
  return out;
}

function list(flag: string, value: string | undefined): string[] {
  const names = (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`--${flag} needs tensor names, comma-separated; e.g. --${flag} ${flag === 'inputs' ? 'input' : 'logits'}`);
  return names;
}

export const surgeonCommand: Command = {
  spec: {
    name: 'surgeon',
    positionals: ['sanitize|extract', 'MODEL'],
    summary: 'Edit ONNX models: sanitize (fold constants, drop dead layers, fix shapes), extract (a subgraph).',
    description: 'sanitize: folds every constant computation, erases identities, drops dead layers; --shapes fixes symbolic dims.\nextract: keeps the layers computing --outputs from --inputs (types inferred); the result is a model of its own.',
    flags: [
      OUTPUT_FLAG,
      { name: 'inputs', kind: 'string', metavar: 'A,B', help: 'extract: the tensors the subgraph starts from (become its inputs)' },
      { name: 'outputs', kind: 'string', metavar: 'C,D', help: 'extract: the tensors it computes (become its outputs)' },
      ...SHAPE_FLAGS,
      { name: 'verbose', kind: 'boolean', help: 'print the graph written' },
    ],
    examples: [
      'kiln surgeon sanitize model.onnx --shapes input:1x3x224x224 -o clean.onnx',
      'kiln surgeon extract model.onnx --inputs /features/Relu_output_0 --outputs logits -o head.onnx',
    ],
  },

  async run(flags, [tool, path]) {
    if (tool !== 'sanitize' && tool !== 'extract') throw new UsageError(`unknown surgeon tool '${tool}'; the tools are sanitize and extract (kiln surgeon --help)`);
    const shapes = resolveShapes(flags);
    const out = requireOutput(flags.string('output'), surgeonCommand.spec.examples[tool === 'sanitize' ? 0 : 1]!);
    if (tool === 'sanitize' && (flags.has('inputs') || flags.has('outputs'))) throw new UsageError('--inputs and --outputs belong to kiln surgeon extract; sanitize keeps the whole model');
    const model = await loadEditable(path!, shapes, `kiln surgeon ${tool}`, flags.bool('verbose'));
    const before = model.onnx ? `${model.onnx.nodes} ONNX nodes (${model.graph.nodes.length} layers after import)` : `${model.graph.nodes.length} layers`;
    let graph: Graph;
    if (tool === 'sanitize') {
      const warnings: string[] = [];
      const logger = (severity: string, m: string) => void (severity === 'warning' && warnings.push(m));
      graph = runPipeline(model.graph, sequential('Sanitize', [FoldConstants, EraseIdentities, EliminateDeadLayers]), { logger }).graph;
      for (const w of warnings) console.error(`kiln surgeon: warning: ${w}`);
    } else {
      graph = extractSubgraph(model.graph, list('inputs', flags.string('inputs')), list('outputs', flags.string('outputs')));
    }
    const written = writeModel(out, graph);
    console.log(`${color.bold(tool === 'sanitize' ? 'sanitized' : 'extracted')} ${path}: ${before} -> ${graph.nodes.length} layers, ${Object.keys(graph.constants).length} initializers`);
    for (const line of describeIO(graph)) console.log(line);
    if (flags.bool('verbose')) console.log(printGraph(graph));
    console.log(`wrote ${written}`);
    return 0;
  },
};
