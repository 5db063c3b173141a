// A case's test data and the engine run on it: test_data_set_N folders, tensors
// matched to graph inputs/outputs by name or position, a build with a static profile
// for symbolic inputs, a run, and the comparison. Capability messages from the builder
// and runtime (no kernel, unsupported dtype, empty tensors) make a case unsupported.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Builder, Logger, Runtime, type Graph } from '../../src/index.js';
import { decodeTensorFile, type DecodedTensor } from '../../src/onnx/index.js';
import type { GraphProto } from '../../src/onnx/proto/messages.js';
import { compareOutput } from './compare.js';

const CAPABILITY = /no kernel for op|kernel .{0,40}supports|every dim must be >= 1|not supported|unsupported/i;

/** Thrown when the builder or runtime lacks what the case needs. */
export class CaseUnsupported extends Error {}

export function dataSets(dir: string): string[] {
  return readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort().map((d) => join(dir, d));
}

export function readTensors(dir: string, prefix: 'input' | 'output'): DecodedTensor[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.pb'));
  files.sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)));
  return files.map((f) => decodeTensorFile(join(dir, f)));
}

/** Matches tensors to names: by their own name when it is one of `names`, else by position. */
export function byName<T extends { name: string }>(tensors: readonly T[], names: readonly string[]): Map<string, T> {
  const out = new Map<string, T>();
  tensors.forEach((t, k) => out.set(names.includes(t.name) ? t.name : names[k]!, t));
  return out;
}

/** The graph inputs that are not initializers, in order. */
export function realInputs(g: GraphProto): string[] {
  const init = new Set(g.initializer.map((t) => t.name));
  return g.input.map((i) => i.name).filter((n) => !init.has(n));
}

/** Binds each symbolic input dim to the size the test data gives it (engines are static). */
export function symbolBinding(g: GraphProto, inputs: ReadonlyMap<string, DecodedTensor>): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const vi of g.input) {
    const data = inputs.get(vi.name);
    vi.type?.tensor_type?.shape?.dim.forEach((d, k) => {
      if (d.value === 'dim_param' && data && k < data.dims.length) dims[d.dim_param] = data.dims[k]!;
    });
  }
  return dims;
}

const quiet = new Logger('error');

export function build(graph: Graph, inputs: ReadonlyMap<string, DecodedTensor>): Uint8Array {
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
    throw CAPABILITY.test(m) ? new CaseUnsupported(`build: ${m}`) : e;
  }
}

/** Runs the plan on one data set; returns why an output differs, or undefined. */
export async function runDataSet(graph: Graph, plan: Uint8Array, inputs: ReadonlyMap<string, DecodedTensor>, expected: ReadonlyMap<string, DecodedTensor>, set: string): Promise<string | undefined> {
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
    if (CAPABILITY.test(m)) throw new CaseUnsupported(`run: ${m}`);
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
