// One ONNX backend conformance case, end to end: import model.onnx, build it with the
// Builder, run every test_data_set_N and compare every output with ONNX's tolerance.
// A case fails only on a wrong answer or a crash; an unsupported node or a missing
// kernel/dtype makes it 'unsupported', with the reason. Node tests often feed what real
// models keep constant (axes, pads, K) as graph inputs; those are fixed at import from
// the test data, as TensorRT's profile shape values fix shape-tensor inputs, and the
// case records which. Shared by the runner (npm run conformance) and vitest.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../../src/index.js';
import { importOnnx, OnnxUnsupportedError, type DecodedTensor, type SupportReport } from '../../src/onnx/index.js';
import { decodeModel, readSource } from '../../src/onnx/proto/decode.js';
import type { GraphProto } from '../../src/onnx/proto/messages.js';
import { build, byName, CaseUnsupported, dataSets, readTensors, realInputs, runDataSet, symbolBinding } from './case-data.js';

export const FOLDERS = ['node', 'pytorch-operator', 'pytorch-converted', 'simple'] as const;
export type Status = 'pass' | 'fail' | 'unsupported';

export interface CaseRef { folder: string; name: string; dir: string }

export interface CaseResult {
  folder: string;
  name: string;
  /** The op the case tests (from its name, else its first significant node). */
  op: string;
  /** Every op type in the model. */
  ops: string[];
  status: Status;
  reason?: string;
  /** Graph inputs whose values were fixed at import (shape values), if any. */
  shapeValues?: string[];
  ms: number;
}

const here = dirname(fileURLToPath(import.meta.url));
/** `<repo>/../shared/onnx-backend`, or undefined when the shared folder is absent. */
export function backendRoot(): string | undefined {
  const dir = resolve(here, '../../../shared/onnx-backend');
  return existsSync(dir) ? dir : undefined;
}

export function listCases(root: string, folders: readonly string[] = FOLDERS): CaseRef[] {
  return folders.flatMap((folder) => {
    const dir = join(root, folder);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((n) => existsSync(join(dir, n, 'model.onnx'))).sort().map((name) => ({ folder, name, dir: join(dir, name) }));
  });
}

const TRIVIAL = new Set(['Constant', 'Identity', 'Shape', 'Cast', 'CastLike', 'Unsqueeze', 'Squeeze', 'Reshape', 'Concat', 'Gather']);

/**
 * The op a case is about: the longest op name prefixing its test name that the model
 * contains (or any, for *_expanded function tests), else its first significant node.
 */
export function caseOp(name: string, ops: readonly string[], known: readonly string[]): string {
  const key = name.replace(/^test_/, '').replace(/_/g, '').toLowerCase();
  const candidates = name.endsWith('_expanded') ? new Set([...known, ...ops]) : new Set(ops);
  let best = '';
  for (const op of candidates) if (key.startsWith(op.toLowerCase()) && op.length > best.length) best = op;
  return best || ops.find((o) => !TRIVIAL.has(o)) || ops[0] || '(none)';
}

export function modelOps(file: string): string[] {
  try {
    return [...new Set(decodeModel(readSource(file)).graph!.node.map((n) => n.op_type))];
  } catch {
    return [];
  }
}

const UNSUPPORTED_IMPORT = /opset \d+ is (older|newer)|imports no opset/;
/** Largest graph input fixed at import as a shape value. */
const MAX_SHAPE_VALUES = 64;

const describeReport = (r: SupportReport) => r.unsupported.map((u) => `${u.opType}: ${u.reason} (${u.detail})`).join('; ');

/**
 * Imports the model for one data set. When every unsupported node only lacks a small
 * graph input's value, those inputs are fixed from the data and the import retried.
 */
function importFor(file: string, proto: GraphProto, inputs: ReadonlyMap<string, DecodedTensor>, fixed: string[]): Graph {
  const dims = symbolBinding(proto, inputs);
  for (;;) {
    const shapeValues = Object.fromEntries(fixed.map((n) => [n, inputs.get(n)!.data as ArrayLike<number>]));
    try {
      return importOnnx(file, { dims, shapeValues }).graph;
    } catch (e) {
      if (!(e instanceof OnnxUnsupportedError)) throw e;
      const wanted = e.report.unsupported.map((u) => u.tensor);
      const bindable = (t: string | undefined) => t !== undefined && inputs.has(t) && !fixed.includes(t) && inputs.get(t)!.data.length <= MAX_SHAPE_VALUES;
      if (!wanted.every(bindable)) throw new CaseUnsupported(describeReport(e.report));
      fixed.push(...new Set(wanted as string[]));
    }
  }
}

/** Runs one case; never throws. */
export async function runCase(ref: CaseRef, knownOps: readonly string[] = []): Promise<CaseResult> {
  const start = performance.now();
  const file = join(ref.dir, 'model.onnx');
  let proto: GraphProto | undefined;
  try {
    proto = decodeModel(readSource(file)).graph;
  } catch {
    proto = undefined; // importOnnx reports why
  }
  const ops = proto ? [...new Set(proto.node.map((n) => n.op_type))] : [];
  const fixed: string[] = [];
  const base = { folder: ref.folder, name: ref.name, op: caseOp(ref.name, ops, knownOps), ops };
  const done = (status: Status, reason?: string): CaseResult => ({
    ...base, status, ...(reason ? { reason } : {}), ...(fixed.length ? { shapeValues: fixed } : {}), ms: Math.round(performance.now() - start),
  });
  try {
    if (!proto) importOnnx(file); // throws the decoding error
    const sets = dataSets(ref.dir);
    if (sets.length === 0) return done('unsupported', 'no test data');
    const graphs = new Map<string, Graph>();
    const plans = new Map<Graph, Map<string, Uint8Array>>();
    for (const set of sets) {
      let raw: DecodedTensor[];
      try {
        raw = readTensors(set, 'input');
      } catch (e) {
        // Sequence and optional inputs are no TensorProtos: let the import say what the model needs.
        importFor(file, proto!, new Map(), []);
        return done('unsupported', `test data: ${(e as Error).message}`);
      }
      const inputs = byName(raw, realInputs(proto!));
      const key = JSON.stringify([symbolBinding(proto!, inputs), fixed.map((n) => Array.from(inputs.get(n)!.data as ArrayLike<number>, String))]);
      const graph = graphs.get(key) ?? importFor(file, proto!, inputs, fixed);
      graphs.set(key, graph);
      const expected = byName(readTensors(set, 'output'), graph.outputs);
      const byShape = plans.get(graph) ?? new Map<string, Uint8Array>();
      plans.set(graph, byShape);
      const shapeKey = graph.inputs.map((n) => inputs.get(n)?.dims.join('x')).join(';');
      const plan = byShape.get(shapeKey) ?? build(graph, inputs);
      byShape.set(shapeKey, plan);
      const why = await runDataSet(graph, plan, inputs, expected, set.slice(set.lastIndexOf('/') + 1));
      if (why) return done('fail', why);
    }
    return done('pass');
  } catch (e) {
    if (e instanceof CaseUnsupported) return done('unsupported', e.message);
    if (e instanceof OnnxUnsupportedError) return done('unsupported', describeReport(e.report));
    if (UNSUPPORTED_IMPORT.test((e as Error).message)) return done('unsupported', (e as Error).message);
    return done('fail', `crash: ${(e as Error).message ?? String(e)}`.slice(0, 2000));
  }
}
