// poolI8 (max pools of i8 codes, and u8 ones, kernel-pool-i8.cc) against the
// interpreter's Pool on them, exactly: ResNet's 3x3 / 2 pad 1, 2x2 / 2, 3x3 / 1 pad 1 (the vector paths) and
// strides 3 / asymmetric pads / 1-D windows (the scalar path), on rows narrower than a
// vector, with a tail, and of 112 columns, codes that include -128 and 127 (padding is
// -128, not 0: planes of negative codes tell them apart), 1 and 2 threads, a canary
// right after the output; a network x(i8) -> Pool -> y(i8) and a quantize -> pool ->
// dequantize chain through Builder and Runtime; the kernels lowering and tactics offer
// per dtype; and the refusals: avg on i8 (Pool's inference, naming the layer), f32 for
// poolI8, i8 for pool2d and pool.
import { describe, expect, it } from 'vitest';
import { makeGraph } from '../../src/ir/index.js';
import { interpret, tensor } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { Runtime } from '../../src/index.js';
import { lowerToPlan } from '../../codegen/index.js';
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import { buildPlan, quiet, runPlan as runBuilt } from '../engine/helpers.js';
import { PlanBuilder, kiln, numel, rng, runPlan } from './plan-fixtures.js';

const R = rng(808);

interface Win {
  kernel: number[];
  strides: number[];
  padsBegin: number[];
  padsEnd: number[];
}

type Codes = 'i8' | 'u8';

function poolGraph(shape: number[], w: Win, dtype: Codes) {
  const n = w.kernel.length;
  const out = shape.slice(0, 2);
  for (let i = 0; i < n; i++) out.push(Math.floor((shape[2 + i]! + w.padsBegin[i]! + w.padsEnd[i]! - w.kernel[i]!) / w.strides[i]!) + 1);
  return makeGraph({
    inputs: ['x'], outputs: ['y'], constants: {},
    types: { x: { dtype, shape }, y: { dtype, shape: out } },
    nodes: [{ name: 'pool', op: 'Pool', inputs: ['x'], outputs: ['y'], attrs: { mode: 'max', ...w } }],
  });
}

/** Random codes over the whole range, with -128 and 127 present; every third plane all negative. */
function codes(shape: number[]): Int8Array {
  const x = Int8Array.from({ length: numel(shape) }, () => R.int(-128, 127));
  const plane = numel(shape.slice(2));
  for (let p = 0; p < numel(shape.slice(0, 2)); p++) {
    const at = p * plane;
    x[at] = -128;
    x[at + plane - 1] = 127;
    if (p % 3 === 1) for (let i = at; i < at + plane; i++) x[i] = -1 - (x[i]! & 0x7f);
    if (p % 5 === 4) x.fill(-128, at, at + plane);
  }
  return x;
}

/** The same codes as u8 (+128: -128 becomes 0, u8's minimum and so its padding). */
const asU8 = (x: Int8Array) => Uint8Array.from(x, (v) => v + 128);

async function check(shape: number[], w: Win, threads: number, dtype: Codes = 'i8'): Promise<void> {
  const x = dtype === 'i8' ? codes(shape) : asU8(codes(shape));
  const want = interpret(poolGraph(shape, w, dtype), { x: tensor(dtype, shape, x) }).y!;
  const n = w.kernel.length;
  const p = new PlanBuilder();
  const xi = p.input('x', shape, dtype);
  const yi = p.tensor('y', want.shape, dtype);
  // A canary right after y's last byte: a store past the output overwrites it.
  const c = p.tensorAt('canary', [64], p.tensors[yi]!.offset + numel(want.shape), 'i8');
  p.inputs.push(c);
  const co = p.tensor('canary_out', [64], 'i8');
  p.layer('poolI8', [xi], [yi], [n, 0, 0, ...w.kernel, ...w.strides, ...w.padsBegin, ...w.padsEnd], [], 'pool');
  p.layer('copy', [c], [co], [], [], 'copy');
  p.output(yi);
  p.output(co);
  const canary = Int8Array.from({ length: 64 }, (_, i) => 50 - i);
  const out = await runPlan(p.desc(), { x: { data: x, shape }, canary: { data: canary, shape: [64] } }, threads);
  const label = JSON.stringify({ dtype, shape, ...w, threads });
  expect(out.y.shape, label).toEqual(want.shape);
  const [a, e] = [out.y.data as ArrayLike<number>, want.data as ArrayLike<number>];
  expect(out.y.data.constructor, label).toBe(want.data.constructor);
  const bad = Array.from(e).findIndex((v, i) => v !== a[i]);
  if (bad >= 0) expect.fail(`${label}: element ${bad} is ${a[bad]}, the interpreter gives ${e[bad]}`);
  expect(Array.from(out.canary_out.data as Int8Array), `canary after ${label}`).toEqual(Array.from(canary));
}

const win = (k: number[], s: number[], pb: number[], pe = pb): Win => ({ kernel: k, strides: s, padsBegin: pb, padsEnd: pe });
const S2P1 = win([3, 3], [2, 2], [1, 1]);
const K2S2 = win([2, 2], [2, 2], [0, 0]);
const S1P1 = win([3, 3], [1, 1], [1, 1]);

describe('poolI8 against the interpreter', () => {
  it("3x3 / 2 pad 1 (ResNet's stem pool): odd sizes, narrow and wide rows, 112x112, batch and planes, 1 and 2 threads", async () => {
    for (const threads of [1, 2]) {
      for (const shape of [[2, 3, 7, 9], [1, 2, 13, 13], [1, 1, 112, 112], [2, 5, 12, 70], [1, 3, 9, 63], [1, 2, 5, 64], [3, 1, 4, 33]]) {
        await check(shape, S2P1, threads);
      }
    }
  });

  it('2x2 / 2 and 3x3 / 1 pad 1: odd and even sizes, 112x112, 1 and 2 threads', async () => {
    for (const threads of [1, 2]) {
      for (const shape of [[2, 3, 7, 9], [1, 4, 13, 13], [1, 1, 112, 112], [2, 2, 6, 65], [1, 2, 3, 31]]) {
        await check(shape, K2S2, threads);
        await check(shape, S1P1, threads);
      }
    }
  });

  it('u8 codes (ONNX uint8 MaxPool; 0 is the padding): the vector paths and the scalar one', async () => {
    for (const threads of [1, 2]) {
      for (const w of [S2P1, K2S2, S1P1, win([5, 5], [1, 1], [2, 2]), win([3, 3], [3, 3], [1, 1])]) {
        await check([2, 3, 13, 70], w, threads, 'u8');
        await check([1, 1, 5, 5], w, threads, 'u8');
      }
    }
  });

  it('other windows on the scalar path: stride 3, asymmetric pads, 1x1, wide kernels, 1-D', async () => {
    await check([2, 3, 11, 40], win([3, 3], [3, 3], [1, 0], [2, 2]), 2);
    await check([1, 2, 9, 37], win([2, 4], [1, 2], [1, 3], [0, 1]), 1);
    await check([1, 2, 9, 37], win([5, 5], [2, 1], [2, 2]), 2);
    await check([2, 2, 6, 8], win([1, 1], [1, 1], [0, 0]), 1);
    await check([2, 3, 50], win([3], [2], [1]), 2);
    for (let trial = 0; trial < 16; trial++) {
      const k = [R.int(1, 4), R.int(1, 4)];
      const s = [R.int(1, 3), R.int(1, 3)];
      const pb = k.map((v) => R.int(0, v - 1)), pe = k.map((v) => R.int(0, v - 1));
      await check([R.int(1, 2), R.int(1, 4), R.int(4, 20), R.int(4, 80)], win(k, s, pb, pe), 1 + (trial % 2));
    }
  });
});

describe('max pools of i8 through the Builder and Runtime', () => {
  it('x(i8) -> Pool max -> y(i8) equals the interpreter at levels 0 and 3, on poolI8', async () => {
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'i8', shape: [2, 6, 23, 41] });
    d.outputs.push(d.node('Pool', 'pool', [x], { mode: 'max', ...S2P1 }));
    const net = d.graph();
    const input = tensor('i8', [2, 6, 23, 41], codes([2, 6, 23, 41]));
    const want = interpret(net, { x: input });
    for (const level of [0, 3]) {
      const plan = buildPlan(net, level);
      expect(new Runtime(quiet).deserializeEngine(plan).layers.map((l) => l.kernel)).toEqual(['poolI8']);
      const got = (await runBuilt(plan, { x: input }))[net.outputs[0]!]!;
      expect(got.dtype).toBe('i8');
      expect(Array.from(got.data as Int8Array), `level ${level}`).toEqual(Array.from(want[net.outputs[0]!]!.data as Int8Array));
    }
  });

  it('quantize -> max pool on codes -> dequantize equals the interpreter (the stem-to-pool chain)', async () => {
    const d = new GraphDraft();
    const shape = [2, 4, 16, 40];
    const x = d.input('x', { dtype: 'f32', shape });
    const scale = () => d.constant('s', 'f32', [1], Float32Array.of(0.05));
    const q = d.node('QuantizeLinear', 'q', [x, scale()], {});
    const pooled = d.node('Pool', 'pool', [q], { mode: 'max', ...S2P1 });
    d.outputs.push(d.node('DequantizeLinear', 'dq', [pooled, scale()], {}));
    const net = d.graph();
    const input = tensor('f32', shape, Array.from(R.floats(numel(shape), -8, 8)));
    const want = interpret(net, { x: input })[net.outputs[0]!]!;
    const plan = buildPlan(net, 3);
    expect(new Runtime(quiet).deserializeEngine(plan).layers.map((l) => l.kernel)).toContain('poolI8');
    const got = (await runBuilt(plan, { x: input }))[net.outputs[0]!]!;
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
  });
});

describe('the kernels offered', () => {
  it('a Pool on i8 lowers to poolI8 with the one tactic pool-i8; one on f32 is offered pool2d and pool, never poolI8', () => {
    const offered = (dtype: Codes | 'f32') => {
      const d = new GraphDraft();
      d.outputs.push(d.node('Pool', 'pool', [d.input('x', { dtype, shape: [2, 4, 9, 9] })], { mode: 'max', ...S2P1 }));
      const plan = lowerToPlan(d.graph(), { kilnVersion: '0.0.0-test', buildDigest: new Uint8Array(32) }).plan;
      const layer = plan.layers.find((l) => l.name === 'pool')!;
      return [layer.kernel, cpuTactics(layer, plan.tensors).map((t) => t.kernel)];
    };
    expect(offered('i8')).toEqual(['poolI8', ['poolI8']]);
    expect(offered('u8')).toEqual(['poolI8', ['poolI8']]);
    expect(offered('f32')).toEqual(['pool', ['pool2d', 'pool']]);
  });
});

describe('refusals', () => {
  it("Pool's inference refuses avg on i8 codes, and integer codes other than i8, naming the layer", () => {
    const infer = (dtype: Codes | 'i32', mode: string) => {
      const d = new GraphDraft();
      d.node('Pool', 'pool', [d.input('x', { dtype, shape: [1, 2, 8, 8] })], { mode, ...S2P1 });
    };
    expect(() => infer('i8', 'avg')).toThrow(
      "layer 'pool' (Pool): mode 'avg' does not run on i8 codes (an average of codes is not exact); input 'x' i8[1,2,8,8] takes mode 'max' only",
    );
    expect(() => infer('u8', 'avg')).toThrow("layer 'pool' (Pool): mode 'avg' does not run on u8 codes");
    expect(() => infer('i32', 'max')).toThrow("layer 'pool' (Pool): input 'x' must be f32, f16, bf16, or i8 / u8 codes (mode 'max'), got i32[1,2,8,8]");
    expect(() => infer('i8', 'max')).not.toThrow();
    expect(() => infer('u8', 'max')).not.toThrow();
  });

  it('poolI8 takes max pools of i8 or u8 codes, y of x\'s dtype; pool2d and pool refuse i8', () => {
    const refuse = (kernel: string, dtype: Codes | 'f32', mode: number, message: string, yType = dtype) => {
      const p = new PlanBuilder();
      const xi = p.input('x', [1, 2, 8, 8], dtype), yi = p.tensor('y', [1, 2, 4, 4], yType);
      p.layer(kernel, [xi], [yi], [2, mode, 0, 3, 3, 2, 2, 1, 1, 0, 0], [], 'mp');
      p.output(yi);
      expect(() => kiln().serializePlan(p.desc())).toThrow(message);
    };
    refuse('poolI8', 'i8', 1, "layer 'mp': kernel poolI8 runs max pools only (an average of codes is not the code of the average), got mode code 1");
    refuse('poolI8', 'f32', 0, "layer 'mp': kernel poolI8 pools i8 or u8 codes; input 'x' f32[1,2,8,8]");
    refuse('poolI8', 'u8', 0, "layer 'mp': kernel poolI8 supports u8 only; output 'y' i8[1,2,4,4]", 'i8');
    refuse('pool2d', 'i8', 0, "layer 'mp': kernel pool2d supports f32 only; input 'x' i8[1,2,8,8]");
    refuse('pool', 'i8', 0, "layer 'mp': kernel pool supports f32 only; input 'x' i8[1,2,8,8]");
  });
});
