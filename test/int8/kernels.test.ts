// The int8 kernels (quantize, dequantize, qconv, qgemm) against the interpreter's
// exact integer simulation: random shapes with K not a multiple of 16 and channel
// counts not a multiple of 4 (the AVX2 remainders), padding, strides, dilation,
// activations, f32 and requantized i8 outputs. i8 results must match exactly; f32
// results within an ulp or two (FMA contraction in the epilogue).
import { describe, expect, it } from 'vitest';
import { interpret, mulberry32, randomInt, randomTensor, tensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, expectClose, runPlan } from '../engine/helpers.js';

const i8Weights = (rng: Rng, shape: number[]) => Int8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => randomInt(rng, -127, 127));
const f32 = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());

function expectSame(actual: Tensor, expected: Tensor, what: string): void {
  expect(actual.dtype, what).toBe(expected.dtype);
  const [a, e] = [Array.from(actual.data as Int8Array), Array.from(expected.data as Int8Array)];
  const bad = e.findIndex((v, i) => v !== a[i]);
  if (bad >= 0) expect.fail(`${what}: element ${bad} is ${a[bad]}, the interpreter gives ${e[bad]}`);
}

async function check(d: GraphDraft, inputs: Record<string, Tensor>, what: string): Promise<void> {
  const net: Graph = d.graph();
  const expected = interpret(net, inputs);
  for (const level of [0, 3]) {
    const actual = await runPlan(buildPlan(net, level), inputs);
    for (const name of net.outputs) {
      const e = expected[name]!;
      if (e.dtype === 'f32') expectClose(actual[name]!, e, `${what} O${level} '${name}'`, 1e-6, 1e-6);
      else expectSame(actual[name]!, e, `${what} O${level} '${name}'`);
    }
  }
}

function quantized(d: GraphDraft, x: string, scale: number, name = 'q'): string {
  return d.node('QuantizeLinear', name, [x, d.constant(`${name}.scale`, 'f32', [1], Float32Array.of(scale))], {});
}

describe('int8 kernels against the interpreter', () => {
  it('quantize / dequantize: per tensor i8, per axis u8 with zero points, saturation and ties', async () => {
    const net = new GraphDraft();
    const x = net.input('x', { dtype: 'f32', shape: [2, 3, 5] });
    const q = quantized(net, x, 0.5);
    net.outputs.push(q, net.node('DequantizeLinear', 'dq', [q, net.constant('dq.scale', 'f32', [1], Float32Array.of(0.5))], {}));
    const zp = net.constant('zp', 'u8', [3], Uint8Array.from([0, 128, 255]));
    const qu = net.node('QuantizeLinear', 'qu', [x, net.constant('qu.scale', 'f32', [3], Float32Array.of(0.1, 0.25, 1)), zp], { axis: 1 });
    net.outputs.push(qu, net.node('DequantizeLinear', 'dqu', [qu, net.constant('dqu.scale', 'f32', [3], Float32Array.of(0.1, 0.25, 1)), zp], { axis: 1 }));
    // Ties (x.25 / 0.5 = .5) round to even; +-100 saturate.
    const values = [0.25, 0.75, -0.25, -0.75, 1.25, 100, -100, 0, 3.3, -7.7, ...Array.from(f32(mulberry32(1), 20, -40, 40))];
    await check(net, { x: tensor('f32', [2, 3, 5], values) }, 'qdq');
    const q0 = interpret(net.graph(), { x: tensor('f32', [2, 3, 5], values) }).q!.data as Int8Array;
    expect(Array.from(q0.slice(0, 7))).toEqual([0, 2, 0, -2, 2, 127, -128]);
  });

  it('quantize / dequantize in vector rows: per-axis runs longer than a vector, i8 and u8 zero points, ties', async () => {
    // 37 values per channel: each run of one scale covers four vectors of 8 and a tail.
    const net = new GraphDraft();
    const x = net.input('x', { dtype: 'f32', shape: [2, 3, 37] });
    const scales = Float32Array.of(0.125, 0.5, 0.3);
    const zi = net.constant('zi', 'i8', [3], Int8Array.from([-3, 0, 5]));
    const qi = net.node('QuantizeLinear', 'qi', [x, net.constant('qi.scale', 'f32', [3], scales), zi], { axis: 1 });
    net.outputs.push(qi, net.node('DequantizeLinear', 'dqi', [qi, net.constant('dqi.scale', 'f32', [3], scales), zi], { axis: 1 }));
    const zu = net.constant('zu', 'u8', [1], Uint8Array.of(100));
    const qu = net.node('QuantizeLinear', 'qu', [x, net.constant('qu.scale', 'f32', [1], Float32Array.of(0.25)), zu], {});
    net.outputs.push(qu, net.node('DequantizeLinear', 'dqu', [qu, net.constant('dqu.scale', 'f32', [1], Float32Array.of(0.25)), zu], {}));
    const rng = mulberry32(7);
    // Multiples of 1/16 make ties (x / scale = k + 0.5) common; +-100 saturate both ways.
    const values = Array.from({ length: 2 * 3 * 37 }, (_, i) => (i % 17 === 0 ? (i % 2 ? 100 : -100) : Math.round((rng() * 80 - 40) * 16) / 16));
    await check(net, { x: tensor('f32', [2, 3, 37], values) }, 'qdq rows');
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`qconv, random case ${seed}`, async () => {
      const rng = mulberry32(seed);
      const [cin, cout, kh, kw] = [randomInt(rng, 1, 6), randomInt(rng, 1, 11), randomInt(rng, 1, 5), randomInt(rng, 1, 5)];
      const [h, w] = [kh + randomInt(rng, 0, 9), kw + randomInt(rng, 0, 9)];
      const pads = [randomInt(rng, 0, 2), randomInt(rng, 0, 2), randomInt(rng, 0, 2), randomInt(rng, 0, 2)];
      const attrs = {
        strides: [randomInt(rng, 1, 2), randomInt(rng, 1, 2)], padsBegin: pads.slice(0, 2), padsEnd: pads.slice(2), dilations: [1, randomInt(rng, 1, 2)],
        xScale: 0.05, outScale: seed % 2 ? 0.3 : 0, activation: seed % 3 ? 'relu' : 'none',
      };
      if ((w + pads[1]! + pads[3]! - (kw - 1) * attrs.dilations[1]! - 1) < 0) attrs.dilations = [1, 1];
      const net = new GraphDraft();
      const x = quantized(net, net.input('x', { dtype: 'f32', shape: [2, cin, h, w] }), 0.05);
      const wq = net.constant('w', 'i8', [cout, cin, kh, kw], i8Weights(rng, [cout, cin, kh, kw]));
      const ws = net.constant('ws', 'f32', [cout], f32(rng, cout, 0.001, 0.01));
      const b = net.constant('b', 'f32', [cout], f32(rng, cout, -1, 1));
      net.outputs.push(net.node('QConv', 'qconv', [x, wq, ws, ...(seed % 4 ? [b] : [])], attrs));
      await check(net, { x: randomTensor('f32', [2, cin, h, w], rng, { min: -8, max: 8 }) }, `qconv ${seed}`);
    });
  }

  // The tiled path's cases (batch 2: small planes run both images as one GEMM, whose
  // tiles straddle the images): pixel counts past one 24-pixel tile with a remainder,
  // channel counts across several 4-row blocks, 7-bit weights (one plane) and full
  // 8-bit ones (two planes), a 1x1 window read in place, clip, and inputs at -128.
  const tiled = [
    { name: '3x3 pad 1, 7-bit weights, requantized relu', cin: 5, cout: 13, k: 3, hw: 9, stride: 1, pad: 1, wmax: 63, outScale: 0.2, activation: 'relu' },
    { name: '3x3 stride 2, 8-bit weights, f32 out', cin: 7, cout: 6, k: 3, hw: 11, stride: 2, pad: 1, wmax: 127, outScale: 0, activation: 'none' },
    { name: '1x1 in place, 7-bit weights, clip', cin: 9, cout: 10, k: 1, hw: 7, stride: 1, pad: 0, wmax: 63, outScale: 0.05, activation: 'clip' },
    { name: '1x1 in place, 8-bit weights at the pair limit', cin: 16, cout: 4, k: 1, hw: 5, stride: 1, pad: 0, wmax: 127, outScale: 0, activation: 'relu' },
    // 3x3 stride 1 with 4+ input channels runs Winograd F(2x2, 3x3) in exact integers:
    // odd output sizes (a last half tile), odd channel counts, 8-bit weights, pads 0 and 2.
    { name: 'Winograd, 8-bit weights, odd channels, no pad', cin: 7, cout: 9, k: 3, hw: 12, stride: 1, pad: 0, wmax: 127, outScale: 0.3, activation: 'relu' },
    { name: 'Winograd, pad 2, f32 out', cin: 12, cout: 6, k: 3, hw: 7, stride: 1, pad: 2, wmax: 63, outScale: 0, activation: 'none' },
    { name: 'Winograd, rows of 8+ tiles (the vector output path)', cin: 6, cout: 5, k: 3, hw: 21, stride: 1, pad: 1, wmax: 127, outScale: 0.4, activation: 'clip' },
    { name: '7x7 stride 2 on a 40x40 plane (16-wide stride-2 copies)', cin: 3, cout: 6, k: 7, hw: 40, stride: 2, pad: 3, wmax: 63, outScale: 0, activation: 'relu' },
    // 289 pixels: past the joint-batch limit (256), one GEMM per image.
    { name: '3x3 on a 17x17 plane, per image', cin: 3, cout: 9, k: 3, hw: 17, stride: 1, pad: 1, wmax: 63, outScale: 0.2, activation: 'relu' },
  ];
  for (const t of tiled) {
    it(`qconv tiles: ${t.name}`, async () => {
      const rng = mulberry32(t.cin * 31 + t.cout);
      const net = new GraphDraft();
      const x = quantized(net, net.input('x', { dtype: 'f32', shape: [2, t.cin, t.hw, t.hw] }), 0.05);
      const weights = Int8Array.from({ length: t.cout * t.cin * t.k * t.k }, () => randomInt(rng, -t.wmax, t.wmax));
      if (t.wmax === 127) weights.fill(127, 0, 4).fill(-127, 4, 8);
      const wq = net.constant('w', 'i8', [t.cout, t.cin, t.k, t.k], weights);
      const ws = net.constant('ws', 'f32', [t.cout], f32(rng, t.cout, 0.001, 0.01));
      const b = net.constant('b', 'f32', [t.cout], f32(rng, t.cout, -1, 1));
      const attrs = {
        strides: [t.stride, t.stride], padsBegin: [t.pad, t.pad], padsEnd: [t.pad, t.pad], xScale: 0.05, outScale: t.outScale,
        activation: t.activation, alpha: t.activation === 'clip' ? -0.5 : 0, beta: t.activation === 'clip' ? 0.75 : 0,
      };
      net.outputs.push(net.node('QConv', 'qconv', [x, wq, ws, b], attrs));
      const input = randomTensor('f32', [2, t.cin, t.hw, t.hw], rng, { min: -8, max: 8 });
      (input.data as Float32Array).fill(-1000, 0, 30);
      await check(net, { x: input }, `qconv ${t.name}`);
    });
  }

  for (const seed of [1, 2, 3, 4]) {
    it(`qgemm, random case ${seed}`, async () => {
      const rng = mulberry32(100 + seed);
      const [m, k, n] = [randomInt(rng, 1, 4), randomInt(rng, 1, 300), randomInt(rng, 1, 140)];
      const net = new GraphDraft();
      const x = quantized(net, net.input('x', { dtype: 'f32', shape: [m, k] }), 0.02);
      const attrs = { xScale: 0.02, outScale: seed % 2 ? 0.5 : 0, activation: seed < 3 ? 'relu' : 'none' };
      const inputs = [x, net.constant('w', 'i8', [n, k], i8Weights(rng, [n, k])), net.constant('ws', 'f32', [n], f32(rng, n, 0.001, 0.01)), net.constant('b', 'f32', [n], f32(rng, n, -1, 1))];
      net.outputs.push(net.node('QGemm', 'fc', inputs, attrs));
      await check(net, { x: randomTensor('f32', [m, k], rng, { min: -3, max: 3 }) }, `qgemm ${seed}`);
    });
  }
});
