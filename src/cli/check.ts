// One verdict on a graph, shared by `kiln debug reduce` and `kiln debug precision`:
// build it with the command's options, run it on given input values, and compare
// every output with the reference interpreter (or onnxruntime on the exported graph).
// A build that throws is a verdict too (kind 'build'), so a model that fails to
// build can be reduced like one that computes wrong numbers.
import { interpret, type Tensor } from '../interpret/index.js';
import type { Graph } from '../ir/index.js';
import type { Logger } from '../builder/logger.js';
import { Runtime } from '../runtime/runtime.js';
import { exportOnnx } from '../onnx/export/index.js';
import type { BuildOptions } from './build-options.js';
import { buildGraph } from './model.js';
import { runOnnxRuntime } from './onnxruntime.js';
import { errorStats } from './stats.js';
import { formatError } from './style.js';
import { oneLine } from './errors.js';

export type Verdict =
  | { kind: 'pass' }
  | { kind: 'build'; message: string }
  | { kind: 'mismatch'; message: string }
  /** The reference itself could not run the graph (e.g. random indices out of range): no verdict. */
  | { kind: 'unknown'; message: string };

export interface CheckSetup {
  options: BuildOptions;
  logger: Logger;
  atol: number;
  rtol: number;
  reference: 'interpreter' | 'onnxruntime';
  /** Values for every tensor a subgraph may take as input (the full model's, by name). */
  values: Record<string, Tensor>;
}

export async function checkGraph(graph: Graph, setup: CheckSetup): Promise<Verdict> {
  const feed = Object.fromEntries(graph.inputs.map((n) => [n, setup.values[n]!]));
  let plan: Uint8Array;
  try {
    plan = buildGraph(graph, setup.options, setup.logger).plan;
  } catch (e) {
    return { kind: 'build', message: oneLine(e) };
  }
  const engine = new Runtime(setup.logger).deserializeEngine(plan);
  const got = await engine.createExecutionContext({ threads: setup.options.threads }).run(feed);
  let want: Record<string, Tensor>;
  try {
    want = setup.reference === 'interpreter' ? interpret(graph, feed) : await runOnnxRuntime(exportOnnx(graph), feed);
  } catch (e) {
    return { kind: 'unknown', message: oneLine(e) };
  }
  for (const out of graph.outputs) {
    const s = errorStats(got[out]!, want[out]!, setup.atol, setup.rtol);
    if (!s.passed) return { kind: 'mismatch', message: `output '${out}': ${s.mismatches} of ${s.count} elements outside tolerance, max abs error ${formatError(s.maxAbs)} (kiln ${s.worst.actual} vs ${s.worst.expected} at [${s.worst.index}])` };
  }
  return { kind: 'pass' };
}
