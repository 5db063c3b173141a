// One ONNX backend conformance case, end to end: import model.onnx, build it with the
// Builder, run every test_data_set_N and compare every output with ONNX's tolerance
// (rtol 1e-3, atol 1e-7 for floats; exact for integers and bools). A case fails only on
// a wrong answer or a crash; an unsupported node or a missing kernel/dtype makes it
// 'unsupported', with the reason. Shared by the runner (npm run conformance) and vitest.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder, Logger, Runtime, type Graph } from '../../src/index.js';
import { importOnnx, OnnxUnsupportedError, decodeTensorFile, type DecodedTensor } from '../../src/onnx/index.js';
import { decodeModel, readSource } from '../../src/onnx/proto/decode.js';
import type { GraphProto } from '../../src/onnx/proto/messages.js';
import { compareOutput } from './compare.js';

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

// Capability messages of the builder and the native runtime (no kernel, dtype, empty tensors).
const UNSUPPORTED_BUILD = /no kernel for op|kernel .{0,40}supports|every dim must be >= 1|not supported|unsupported/i;
const UNSUPPORTED_IMPORT = /opset \d+ is (older|newer)|imports no opset/;

class Unsupported extends Error {}

function dataSets(dir: string): string[] {
  return readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort().map((d) => join(dir, d));
}

function readTensors(dir: string, prefix: 'input' | 'output'): DecodedTensor[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb'));
  files.sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)));
  return files.map((f) => decodeTensorFile(join(dir, f)));
}

/** Matches tensors to names: by their own name when it is one of `names`, else by position. */
function byName<T extends { name: string }>(tensors: readonly T[], names: readonly string[]): Map<string, T> {
  const out = new Map<string, T>();
  tensors.forEach((t, k) => out.set(names.includes(t.name) ? t.name : names[k]!, t));
  return out;
}

const quiet = new Logger('error');

function build(graph: Graph, inputs: Map<string, DecodedTensor>): Uint8Array {
  const builder = new Builder(quiet);
  const config = builder.createBuilderConfig();
  const symbolic = graph.inputs.filter((n) => graph.types[n]!.shape.some((d) => typeof d === 'string'));
  if (symbolic.length) {
    const profile = builder.createOptimizationProfile();
    for (const n of symbolic) {
      const dims = inputs.get(n)?.dims ?? [];
      profile.setDimensions(n, dims, dims, dims);
    }
    config.addOptimizationProfile(profile);
  }
  try {
    return builder.buildSerializedNetwork(graph, config);
  } catch (e) {
    const m = (e as Error).message;
    throw UNSUPPORTED_BUILD.test(m) ? new Unsupported(`build: ${m}`) : e;
  }
}

async function runDataSet(graph: Graph, plan: Uint8Array, inputs: Map<string, DecodedTensor>, expected: Map<string, DecodedTensor>, set: string): Promise<string | undefined> {
  let outs;
  try {
    const ctx = new Runtime(quiet).deserializeEngine(plan).createExecutionContext({ threads: 1 });
    const feeds = Object.fromEntries(graph.inputs.map((n) => {
      const t = inputs.get(n);
      if (!t) throw new Error(`${set}: no data for input '${n}'`);
      return [n, { data: t.data as never, shape: t.dims, dtype: graph.types[n]!.dtype }];
    }));
    outs = await ctx.run(feeds);
  } catch (e) {
    const m = (e as Error).message;
    if (UNSUPPORTED_BUILD.test(m)) throw new Unsupported(`run: ${m}`);
    throw e;
  }
  for (const [name, want] of expected) {
    const got = outs[name];
    if (!got) return `${set}: output '${name}' missing`;
    const why = compareOutput(got, want);
    if (why) return `${set}: output '${name}': ${why}`;
  }
  return undefined;
}

/** Runs one case; never throws. */
export async function runCase(ref: CaseRef, knownOps: readonly string[] = []): Promise<CaseResult> {
  const start = performance.now();
  const file = join(ref.dir, 'model.onnx');
  let proto: GraphProto | undefined;
  try {
    proto = decodeModel(readSource(file)).graph;
  } catch {
    proto = undefined; // importOnnx below reports why
  }
  const ops = proto ? [...new Set(proto.node.map((n) => n.op_type))] : [];
  const base = { folder: ref.folder, name: ref.name, op: caseOp(ref.name, ops, knownOps), ops };
  const done = (status: Status, reason?: string): CaseResult => ({ ...base, status, ...(reason ? { reason } : {}), ms: Math.round(performance.now() - start) });
  try {
    const sets = dataSets(ref.dir);
    if (sets.length === 0) return done('unsupported', 'no test data');
    // Sequence and optional inputs are not TensorProtos; the import reports them, so read leniently first.
    let first: DecodedTensor[] | undefined;
    try {
      first = readTensors(sets[0]!, 'input');
    } catch {
      first = undefined;
    }
    let imported;
    try {
      imported = importOnnx(file, { dims: first && proto ? symbolBinding(proto, first) : {} });
    } catch (e) {
      if (e instanceof OnnxUnsupportedError) return done('unsupported', e.report.unsupported.map((u) => `${u.opType}: ${u.reason} (${u.detail})`).join('; '));
      if (UNSUPPORTED_IMPORT.test((e as Error).message)) return done('unsupported', (e as Error).message);
      throw e;
    }
    if (!first) {
      try {
        first = readTensors(sets[0]!, 'input');
      } catch (e) {
        return done('unsupported', `test data: ${(e as Error).message}`);
      }
    }
    const { graph } = imported;
    const plans = new Map<string, Uint8Array>();
    for (const set of sets) {
      const inputs = byName(set === sets[0] ? first : readTensors(set, 'input'), graph.inputs);
      const expected = byName(readTensors(set, 'output'), graph.outputs);
      const key = graph.inputs.map((n) => inputs.get(n)?.dims.join('x')).join(';');
      const plan = plans.get(key) ?? build(graph, inputs);
      plans.set(key, plan);
      const why = await runDataSet(graph, plan, inputs, expected, set.slice(set.lastIndexOf('/') + 1));
      if (why) return done('fail', why);
    }
    return done('pass');
  } catch (e) {
    if (e instanceof Unsupported) return done('unsupported', e.message);
    return done('fail', `crash: ${(e as Error).message ?? String(e)}`.slice(0, 2000));
  }
}

/** Binds each symbolic input dim to the size the test data gives it (engines are static). */
function symbolBinding(g: GraphProto, inputs: readonly DecodedTensor[]): Record<string, number> {
  const init = new Set(g.initializer.map((t) => t.name));
  const real = g.input.filter((i) => !init.has(i.name));
  const dims: Record<string, number> = {};
  const named = byName(inputs, real.map((i) => i.name));
  for (const vi of real) {
    const data = named.get(vi.name);
    vi.type?.tensor_type?.shape?.dim.forEach((d, k) => {
      if (d.value === 'dim_param' && data && k < data.dims.length) dims[d.dim_param] = data.dims[k]!;
    });
  }
  return dims;
}
