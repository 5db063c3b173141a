// bf16 / fp16 kernels against the interpreter's simulated rounding: conv (every
// tactic the library wraps: im2col, 1x1, wide tile, Winograd, depthwise), matmul
// (blocked, batched rows, gemv, and the weight-streaming gemvBf16) and the cast
// kernel's conversions bit for bit, at shapes with remainders (K odd, N not a
// multiple of 16, rows not a multiple of 4); and what the kernels refuse.
import { describe, expect, it } from 'vitest';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { interpret, mulberry32, randomInt, randomTensor, writeFloats, type Rng, type Tensor } from '../../src/interpret/index.js';
import { checkEveryTactic, expectUlp, kiln, lower, runDesc } from './harness.js';

type Lowp = 'bf16' | 'f16';
const weights = (d: GraphDraft, rng: Rng, name: string, dt: Lowp, shape: number[]) =>
  d.constant(name, dt, shape, writeFloats(dt, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1)) as Uint16Array);

function convCase(dt: Lowp, seed: number) {
  const rng = mulberry32(seed);
  const depthwise = seed % 3 === 0;
  const cin = depthwise ? randomInt(rng, 2, 9) : randomInt(rng, 1, 7);
  const cout = depthwise ? cin : randomInt(rng, 1, 13);
  const k = seed % 4 === 1 ? 1 : 3;
  const pad = k === 1 && seed % 2 ? 0 : randomInt(rng, 0, 1);
  const stride = seed % 5 === 4 ? 2 : 1;
  const [h, w] = [randomInt(rng, 4, 12), randomInt(rng, 4, 15)];
  const d = new GraphDraft();
  const x = d.input('x', { dtype: dt, shape: [2, cin, h, w] });
  const attrs = {
    strides: [stride, stride], padsBegin: [pad, pad], padsEnd: [pad, pad], groups: depthwise ? cin : 1,
    activation: seed % 2 ? 'relu' : 'none',
  };
  const y = d.node('Conv', 'conv', [x, weights(d, rng, 'w', dt, [cout, depthwise ? 1 : cin, k, k]), weights(d, rng, 'b', dt, [cout])], attrs);
  d.outputs.push(y);
  return { graph: d.graph(), inputs: { x: randomTensor(dt, [2, cin, h, w], rng, { min: -1, max: 1 }) } };
}

function fcCase(dt: Lowp, rows: number, seed: number) {
  const rng = mulberry32(seed);
  const [k, n] = [37 + randomInt(rng, 0, 40), 21 + randomInt(rng, 0, 30)];
  const d = new GraphDraft();
  const x = d.input('x', { dtype: dt, shape: [rows, k] });
  const y = d.node('MatMul', 'fc', [x, weights(d, rng, 'w', dt, [n, k]), weights(d, rng, 'b', dt, [n])], { transB: true, activation: seed % 2 ? 'relu' : 'none' });
  d.outputs.push(y);
  return { graph: d.graph(), inputs: { x: randomTensor(dt, [rows, k], rng, { min: -1, max: 1 }) } };
}

describe.each(['bf16', 'f16'] as const)('%s kernels against the interpreter', (dt) => {
  it('conv: every wrapped tactic, random shapes, depthwise, 1x1, strides, relu', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const { graph, inputs } = convCase(dt, seed);
      for (const t of await checkEveryTactic(graph, inputs, `${dt} conv case ${seed}`)) seen.add(t);
    }
    expect([...seen]).toEqual(expect.arrayContaining([`im2col-gemm.${dt}`, `gemm-1x1.${dt}`, `im2col-gemm-4x24.${dt}`, `winograd-2x2.${dt}`, `depthwise.${dt}`]));
  });

  it('fully connected: gemv (streamed 16-bit weights), blocked and batched rows, bias and relu', async () => {
    const seen = new Set<string>();
    for (const [rows, seed] of [[1, 1], [3, 2], [5, 3], [70, 4]] as const) {
      const { graph, inputs } = fcCase(dt, rows, seed);
      for (const t of await checkEveryTactic(graph, inputs, `${dt} fc rows ${rows}`)) seen.add(t);
    }
    expect([...seen]).toEqual(expect.arrayContaining([`gemv-stream-${dt}`, `gemv.${dt}`, `gemm-blocked.${dt}`]));
  });

  it('matmul of two activations with batch dims', async () => {
    const rng = mulberry32(9);
    const d = new GraphDraft();
    const a = d.input('a', { dtype: dt, shape: [3, 5, 19] });
    const b = d.input('b', { dtype: dt, shape: [3, 19, 7] });
    d.outputs.push(d.node('MatMul', 'mm', [a, b], {}));
    const inputs = { a: randomTensor(dt, [3, 5, 19], rng), b: randomTensor(dt, [3, 19, 7], rng) };
    const out = await runDesc(lower(d.graph()), inputs, 2);
    expectUlp(out.mm!, interpret(d.graph(), inputs).mm!, `${dt} batched matmul`);
  });

  it('cast f32 <-> 16 bits rounds to nearest even, bit for bit, with ties, NaN, infinities and subnormals', async () => {
    const special = [0, -0, 1, -2, 65504, 65520, 1e-8, 2 ** -24, 3 * 2 ** -26, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -11, 3.4e38, Infinity, -Infinity, NaN];
    const rng = mulberry32(4);
    const values = [...special, ...Array.from({ length: 1000 }, () => (rng() * 2 - 1) * 2 ** randomInt(rng, -30, 30))];
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [values.length] });
    const h = d.node('Cast', 'down', [x], { to: dt });
    d.outputs.push(h, d.node('Cast', 'up', [h], { to: 'f32' }));
    const inputs: Record<string, Tensor> = { x: { dtype: 'f32', shape: [values.length], data: Float32Array.from(values) } };
    const expected = interpret(d.graph(), inputs);
    const out = await runDesc(lower(d.graph()), inputs, 2);
    expect(Array.from(out.down!.data as Uint16Array)).toEqual(Array.from(expected.down!.data as Uint16Array));
    expect(Array.from(out.up!.data as Float32Array)).toEqual(Array.from(expected.up!.data as Float32Array));
  });
});

describe('16-bit kernels refuse what they cannot run', () => {
  it('mixed formats name the operands', () => {
    const { graph } = convCase('bf16', 2);
    const plan = lower(graph);
    plan.tensors[plan.layers[0]!.inputs[1]!]!.dtype = 'f16';
    expect(() => new kiln.Engine(kiln.serializePlan(plan))).toThrow(/kernel lowpConv expects every operand in one 16-bit format \(bf16 or f16\), got 'x' bf16\[2,\d+,\d+,\d+\] and 'w' f16/);
  });

  it('the wrapped tactic\'s own checks still apply (a bad weight shape)', () => {
    const { graph } = fcCase('f16', 2, 1);
    const plan = lower(graph);
    const w = plan.tensors[plan.layers[0]!.inputs[1]!]!;
    w.shape = [w.shape[0]!, w.shape[1]! - 1];
    expect(() => new kiln.Engine(kiln.serializePlan(plan))).toThrow(/layer 'fc'/);
  });
});
