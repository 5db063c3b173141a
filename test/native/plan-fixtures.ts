// Test helpers for the native runtime: a tiny PlanDesc builder that lays out
// arena tensors and a 64-byte aligned weight blob, a seeded random source,
// and helpers to run a plan and compare float results.
import { createRequire } from 'node:module';
import type { PlanDesc, PlanDType, PlanLayer, PlanTensor } from '../../codegen/plan-desc.js';

export type TypedArray = Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;

// Loaded on first use so a test file can set KILN_* environment first.
let loaded: any;
export function kiln(): any {
  loaded ??= createRequire(import.meta.url)('../../build/Release/kiln.node');
  return loaded;
}

const SIZES: Record<PlanDType, number> = { f32: 4, f16: 2, bf16: 2, i8: 1, u8: 1, i32: 4, i64: 8, bool: 1 };

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class PlanBuilder {
  readonly tensors: PlanTensor[] = [];
  readonly layers: PlanLayer[] = [];
  readonly inputs: number[] = [];
  readonly outputs: number[] = [];
  private arenaBytes = 0;
  private weightBytes = 0;
  private readonly chunks: { offset: number; bytes: Uint8Array }[] = [];

  /** An arena tensor; each gets its own 64-byte aligned range. */
  tensor(name: string, shape: number[], dtype: PlanDType = 'f32'): number {
    const offset = align(this.arenaBytes, 64);
    this.arenaBytes = offset + numel(shape) * SIZES[dtype];
    this.tensors.push({ name, dtype, shape, location: 'arena', offset });
    return this.tensors.length - 1;
  }

  /** An arena tensor at an explicit offset (aliasing tests). */
  tensorAt(name: string, shape: number[], offset: number, dtype: PlanDType = 'f32'): number {
    this.arenaBytes = Math.max(this.arenaBytes, offset + numel(shape) * SIZES[dtype]);
    this.tensors.push({ name, dtype, shape, location: 'arena', offset });
    return this.tensors.length - 1;
  }

  input(name: string, shape: number[], dtype: PlanDType = 'f32'): number {
    const t = this.tensor(name, shape, dtype);
    this.inputs.push(t);
    return t;
  }

  /** A constant in the weight blob. */
  weight(name: string, shape: number[], data: TypedArray, dtype: PlanDType = 'f32'): number {
    const offset = align(this.weightBytes, 64);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.chunks.push({ offset, bytes });
    this.weightBytes = offset + bytes.length;
    this.tensors.push({ name, dtype, shape, location: 'weights', offset });
    return this.tensors.length - 1;
  }

  layer(kernel: string, inputs: number[], outputs: number[], ints: number[] = [], floats: number[] = [], name?: string) {
    this.layers.push({ name: name ?? `${kernel}${this.layers.length}`, kernel, inputs, outputs, ints, floats, info: '{}' });
  }

  output(t: number) {
    this.outputs.push(t);
  }

  desc(overrides: Partial<PlanDesc> = {}): PlanDesc {
    const weights = new Uint8Array(this.weightBytes);
    for (const c of this.chunks) weights.set(c.bytes, c.offset);
    const digest = new Uint8Array(32).map((_, i) => i * 7 + 1);
    return {
      kilnVersion: '0.1.0-test',
      buildDigest: digest,
      targetIsa: [],
      arenaBytes: align(this.arenaBytes, 64),
      weights,
      tensors: this.tensors.map((t) => ({ ...t, shape: [...t.shape] })),
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      layers: this.layers.map((l) => ({ ...l })),
      ...overrides,
    };
  }
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Deterministic uniform random numbers in [lo, hi) (mulberry32). */
export function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    floats: (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * next()),
  };
}

export type Feed = Record<string, { data: TypedArray; shape: number[] }>;

/** Serializes, loads and runs a plan once; returns outputs by name. */
export async function runPlan(desc: PlanDesc, feed: Feed, threads = 2): Promise<Record<string, any>> {
  const k = kiln();
  const engine = new k.Engine(k.serializePlan(desc));
  const ctx = new k.Context(engine, threads);
  const inputs = Object.entries(feed).map(([name, v]) => ({ name, data: v.data, shape: v.shape }));
  const outs = await ctx.run(inputs);
  return Object.fromEntries(outs.map((o: any) => [o.name, o]));
}

/** |actual - expected| <= tol * max(1, |expected|) everywhere, with the first miss reported. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4, label = '') {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)) || a === e;
    if (!ok) throw new Error(`${label}: element ${i}: got ${a}, expected ${e}`);
  }
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1]!;
  return s;
}

/** Index -> coordinates, row-major. */
export function unravel(index: number, shape: readonly number[]): number[] {
  const c = new Array(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    c[i] = index % shape[i]!;
    index = Math.floor(index / shape[i]!);
  }
  return c;
}

/** FNV-1a-64 as the plan format defines it (for crafting files with a valid checksum). */
export function fnv1a64(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** Rewrites the header checksum after a test patched the body. */
export function fixChecksum(plan: Uint8Array): Uint8Array {
  const view = new DataView(plan.buffer, plan.byteOffset, plan.byteLength);
  const headerBytes = view.getUint32(12, true);
  view.setBigUint64(64, fnv1a64(plan.subarray(headerBytes)), true);
  return plan;
}
