// The optimizer on real networks: for SampleMNIST's LeNet (DSL), every model in
// ../shared/models (ONNX, batch 1, seq 16) and ResNet-18 (out/models/resnet18.onnx, made
// by ../shared/tools/make-models.py when absent), the layers before and after the default
// pipeline, the time it takes, and the memory plan of the result: arena / lower bound
// (kiln aims at <= 1.05) and no-reuse / arena. `npm run bench` calls benchPasses();
// `npx tsx test/bench/passes-bench.ts` prints the table. Nothing here asserts a number.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildPipeline, formatBytes, memoryReport, planMemory, runPipeline, staticSizeOf } from '../../passes/index.js';
import { specializeShapes } from '../../src/builder/specialize.js';
import { loadSafetensors } from '../../src/io/index.js';
import type { WeightTensor } from '../../src/index.js';
import type { Graph } from '../../src/ir/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { defineMnistNetwork } from '../../samples/mnist/network.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PassesBenchRow {
  model: string;
  layersBefore: number;
  layersAfter: number;
  /** Wall time of the whole pipeline, best of three. */
  passMs: number;
  /** Passes that changed the graph, in order. */
  changedBy: string[];
  /** The arena of the unoptimized network, for scale. */
  arenaBeforeBytes: number;
  arenaBytes: number;
  lowerBound: number;
  noReuseBytes: number;
  arenaOverBound: number;
  noReuseOverArena: number;
  /** Concat inputs the memory plan writes straight into their slice of the output. */
  inSlices: number;
}
export type Row = PassesBenchRow;

export interface BenchPassesOptions {
  optLevel?: number;
  /** Folder of .onnx files; default ../shared/models next to the repository. */
  modelsDir?: string;
}

function lenet(): Graph {
  const file = join(root, 'samples', 'mnist', 'lenet-fashion.safetensors');
  // The sample loads its weights the same way: io tensors are the DSL's weight tensors.
  const weights = loadSafetensors(file) as unknown as Map<string, WeightTensor>;
  return defineMnistNetwork(weights).graph;
}

const onnxAtBatch1 = (file: string) => () => specializeShapes(importOnnx(file, { dims: { batch: 1, seq: 16 } }).graph, { batch: 1, seq: 16 });

function models(dir: string): [string, () => Graph][] {
  const list: [string, () => Graph][] = [['lenet (DSL, SampleMNIST)', lenet]];
  if (existsSync(dir)) for (const f of readdirSync(dir).filter((n) => n.endsWith('.onnx')).sort()) list.push([f, onnxAtBatch1(join(dir, f))]);
  const resnet = join(root, 'out', 'models', 'resnet18.onnx');
  if (existsSync(resnet)) list.push(['resnet18.onnx', onnxAtBatch1(resnet)]);
  else process.stderr.write(`passes bench: resnet18 skipped (${resnet} is absent; make it with /usr/bin/python3 ../shared/tools/make-models.py out/models resnet18)\n`);
  return list;
}

function benchOne(model: string, graph: Graph, optLevel: number): PassesBenchRow {
  const pipeline = buildPipeline({ optLevel });
  let best = Infinity;
  let result = runPipeline(graph, pipeline);
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    result = runPipeline(graph, pipeline);
    best = Math.min(best, performance.now() - start);
  }
  const mem = memoryReport(result.graph);
  const inSlices = planMemory(result.graph, { sizeOf: staticSizeOf, inPlace: true }).sliceOf.size;
  return {
    model,
    layersBefore: graph.nodes.length,
    layersAfter: result.graph.nodes.length,
    passMs: best,
    changedBy: result.report.filter((r) => r.changed).map((r) => r.pass),
    arenaBeforeBytes: memoryReport(graph).arenaBytes,
    ...mem,
    inSlices,
  };
}

/** One row per model; a model that fails to import or optimize is reported on stderr and skipped. */
export async function benchPasses(options: BenchPassesOptions = {}): Promise<PassesBenchRow[]> {
  const dir = options.modelsDir ?? resolve(root, '..', 'shared', 'models');
  const rows: PassesBenchRow[] = [];
  for (const [name, load] of models(dir)) {
    try {
      rows.push(benchOne(name, load(), options.optLevel ?? 3));
    } catch (e) {
      process.stderr.write(`passes bench: ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return rows;
}

export function formatPassesTable(rows: readonly PassesBenchRow[]): string {
  const head = ['model', 'layers', 'passes ms', 'arena O0', 'arena', 'lower bound', 'arena/bound', 'no-reuse/arena', 'in concat slices'];
  const body = rows.map((r) => [
    r.model, `${r.layersBefore} -> ${r.layersAfter}`, r.passMs.toFixed(1), formatBytes(r.arenaBeforeBytes), formatBytes(r.arenaBytes),
    formatBytes(r.lowerBound), r.arenaOverBound.toFixed(3), r.noReuseOverArena.toFixed(2), String(r.inSlices),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchPasses().then((rows) => {
    process.stdout.write(`${formatPassesTable(rows)}\n`);
    for (const r of rows) process.stdout.write(`${r.model}: ${r.changedBy.join(', ') || 'no pass changed it'}\n`);
  }).catch((e: unknown) => {
    process.stderr.write(`passes bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
