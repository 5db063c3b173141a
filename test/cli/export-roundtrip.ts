// The ONNX export round trip, shared by the test and a runner: import a model, export
// it, import the export, and run both graphs in the reference interpreter (and the
// exported bytes in onnxruntime) on the same inputs.
import { join } from 'node:path';
import { interpret, mulberry32, randomTensor, tensorValues, type Tensor } from '../../src/interpret/index.js';
import { getOp, resolveAttrs, structuralEqual, type Graph } from '../../src/ir/index.js';
import { importOnnx, OnnxUnsupportedError } from '../../src/onnx/index.js';
import { exportOnnx } from '../../src/onnx/export/index.js';
import { decodeModel, readSource } from '../../src/onnx/proto/decode.js';
import { backendRoot, listCases } from '../conformance/harness.js';
import { byName, dataSets, readTensors, realInputs, symbolBinding } from '../conformance/case-data.js';
import { runOnnxRuntime } from '../../src/cli/onnxruntime.js';

export interface RoundTrip {
  name: string;
  /** ortUnsupported: kiln round-trips it, but onnxruntime has no kernel for it (bf16 Elu, batchwise RNNs, int8 Where). */
  status: 'equal' | 'differs' | 'refused' | 'skipped' | 'ortUnsupported';
  detail?: string;
  nodes?: number;
}

/** |a-b| <= atol + rtol |b| elementwise (NaN matches NaN, infinities match themselves), dtype and shape equal. */
export function same(a: Tensor, b: Tensor, atol: number, rtol: number): string | undefined {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return `${a.dtype}[${a.shape}] vs ${b.dtype}[${b.shape}]`;
  const [x, y] = [tensorValues(a), tensorValues(b)];
  for (let i = 0; i < x.length; i++) {
    const [u, v] = [Number(x[i]), Number(y[i])];
    if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue;
    if (!(Math.abs(u - v) <= atol + rtol * Math.abs(v))) return `element ${i}: ${u} vs ${v}`;
  }
  return undefined;
}

/** Errors that mean onnxruntime lacks a kernel or type, not that the model is wrong. */
const ORT_LIMITS = /Could not find an implementation|Unsupported data type: 16|Batchwise recurrent operations|Type 'tensor\((bfloat16|float16)\)' of input parameter .* is invalid/;

/** Re-import compares tightly: decompositions (Silu as x*Sigmoid(x)) round differently in the last bits. */
export const REIMPORT_TOL = { atol: 1e-6, rtol: 1e-5 };

/**
 * Exports `original`, re-imports it and checks the meaning is kept: a re-import that is
 * structurally equal needs no run; otherwise the interpreter runs both. onnxruntime runs
 * the exported bytes and is compared with the interpreter, or, when the model came from
 * ONNX bytes (`source`), with onnxruntime on those (the big models: the interpreter is slow).
 */
export async function roundTrip(name: string, original: Graph, feed: Record<string, Tensor>, options: { ort?: boolean; source?: Uint8Array } = {}): Promise<RoundTrip> {
  let bytes: Uint8Array;
  try {
    bytes = exportOnnx(original);
  } catch (e) {
    return { name, status: 'refused', detail: (e as Error).message };
  }
  const again = importOnnx(bytes, { file: `${name} (exported)` }).graph;
  let want: Record<string, Tensor> | undefined;
  const reference = () => (want ??= interpret(original, feed));
  if (!structuralEqual(withDefaults(again), withDefaults(original))) {
    const got = interpret(again, feed);
    for (const out of original.outputs) {
      const d = same(got[out]!, reference()[out]!, REIMPORT_TOL.atol, REIMPORT_TOL.rtol);
      if (d) return { name, status: 'differs', detail: `re-imported output '${out}': ${d}` };
    }
  }
  if (options.ort ?? true) {
    let o: Record<string, Tensor>;
    let r: Record<string, Tensor>;
    try {
      o = await runOnnxRuntime(bytes, feed);
      r = options.source ? await runOnnxRuntime(options.source, feed) : reference();
    } catch (e) {
      if (ORT_LIMITS.test((e as Error).message)) return { name, status: 'ortUnsupported', detail: (e as Error).message.split('\n')[0] };
      throw e;
    }
    for (const out of original.outputs) {
      const d = same(o[out]!, r[out]!, 1e-4, 1e-3);
      if (d) return { name, status: 'differs', detail: `onnxruntime output '${out}': ${d}` };
    }
  }
  return { name, status: 'equal', nodes: original.nodes.length };
}

/** Attributes with their defaults filled in, so an implicit default equals an explicit one. */
function withDefaults(g: Graph): Graph {
  return { ...g, nodes: g.nodes.map((n) => ({ ...n, attrs: resolveAttrs(getOp(n.op), n) })) };
}

/** Random inputs for a graph with static input shapes. */
export function randomFeed(graph: Graph, seed = 1): Record<string, Tensor> {
  const rng = mulberry32(seed);
  return Object.fromEntries(graph.inputs.map((n) => {
    const t = graph.types[n]!;
    return [n, randomTensor(t.dtype, t.shape as number[], rng, t.dtype === 'f32' ? { min: -1, max: 1 } : { min: 0, max: 3 })];
  }));
}

/** Every backend case of `folder` that kiln imports without fixing input values, round-tripped on its first data set. */
export async function backendRoundTrips(folder = 'node', ort = true): Promise<RoundTrip[]> {
  const root = backendRoot();
  if (!root) return [];
  const results: RoundTrip[] = [];
  for (const ref of listCases(root, [folder])) {
    const file = join(ref.dir, 'model.onnx');
    const set = dataSets(ref.dir)[0];
    if (!set) continue;
    let graph: Graph;
    let feed: Record<string, Tensor>;
    try {
      const proto = decodeModel(readSource(file)).graph!;
      const inputs = byName(readTensors(set, 'input'), realInputs(proto));
      graph = importOnnx(file, { dims: symbolBinding(proto, inputs) }).graph;
      feed = Object.fromEntries(graph.inputs.map((n) => {
        const t = inputs.get(n)!;
        return [n, { dtype: graph.types[n]!.dtype, shape: [...t.dims], data: t.data } as Tensor];
      }));
      interpret(graph, feed);
    } catch (e) {
      results.push({ name: ref.name, status: 'skipped', detail: e instanceof OnnxUnsupportedError ? 'unsupported by the importer' : (e as Error).message.split('\n')[0] });
      continue;
    }
    try {
      results.push(await roundTrip(ref.name, graph, feed, { ort }));
    } catch (e) {
      results.push({ name: ref.name, status: 'differs', detail: `threw: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return results;
}
