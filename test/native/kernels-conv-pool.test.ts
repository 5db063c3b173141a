// conv (1-3 spatial dims, stride, padding, dilation, groups, bias, fused
// activation; im2col and pointwise paths) and pool (max/avg, padding,
// countIncludePad) against the JS references.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';
import { conv, pool, type ConvParams } from './references.js';

const R = rng(7);

async function checkConv(xs: number[], ws: number[], p: ConvParams, bias: boolean, act: number, threads = 2) {
  const n = xs.length - 2;
  const x = R.floats(numel(xs)), w = R.floats(numel(ws));
  const b = bias ? R.floats(ws[0]!) : null;
  const actP = { code: act, alpha: 0.2, beta: 1.5 };
  const ref = conv(x, xs, w, ws, b, p, actP);
  const plan = new PlanBuilder();
  const xi = plan.input('x', xs);
  const ins = [xi, plan.weight('w', ws, w)];
  if (b) ins.push(plan.weight('b', [ws[0]!], b));
  const yi = plan.tensor('y', ref.shape);
  plan.layer('conv', ins, [yi], [n, p.groups, act, ...p.strides, ...p.padsBegin, ...p.padsEnd, ...p.dilations], [0.2, 1.5]);
  plan.output(yi);
  const out = await runPlan(plan.desc(), { x: { data: x, shape: xs } }, threads);
  expect(out.y.shape).toEqual(ref.shape);
  expectClose(out.y.data, ref.y, 2e-4, JSON.stringify({ xs, ws, p }));
}

describe('conv', () => {
  it('matches the reference for random 2-D convs', async () => {
    for (let trial = 0; trial < 30; trial++) {
      const groups = [1, 1, 2, 3][R.int(0, 3)]!;
      const cg = R.int(1, 4), og = R.int(1, 5);
      const k = [R.int(1, 4), R.int(1, 4)];
      const dil = [R.int(1, 2), R.int(1, 2)];
      const ins = [R.int(k[0]! * dil[0]!, 14), R.int(k[1]! * dil[1]!, 14)];
      const p: ConvParams = {
        groups, strides: [R.int(1, 3), R.int(1, 3)], padsBegin: [R.int(0, 2), R.int(0, 2)],
        padsEnd: [R.int(0, 2), R.int(0, 2)], dilations: dil,
      };
      await checkConv([R.int(1, 2), cg * groups, ...ins], [og * groups, cg, ...k], p, R.next() < 0.6, R.int(0, 7), 1 + (trial % 2));
    }
  });

  it('handles 1-D and 3-D convs', async () => {
    for (let trial = 0; trial < 6; trial++) {
      await checkConv([2, 3, R.int(5, 20)], [4, 3, R.int(1, 5)],
        { groups: 1, strides: [R.int(1, 2)], padsBegin: [R.int(0, 2)], padsEnd: [R.int(0, 1)], dilations: [R.int(1, 2)] }, true, 1);
      await checkConv([1, 2, R.int(3, 6), R.int(3, 6), R.int(3, 6)], [4, 1, 2, 3, 2],
        { groups: 2, strides: [1, 2, 1], padsBegin: [1, 0, 1], padsEnd: [0, 1, 1], dilations: [1, 1, 2] }, trial % 2 === 0, 0);
    }
  });

  it('handles pointwise, depthwise and larger convs', async () => {
    const one = { strides: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], dilations: [1, 1] };
    await checkConv([2, 19, 9, 11], [23, 19, 1, 1], { groups: 1, ...one }, true, 1);
    await checkConv([1, 16, 13, 13], [16, 1, 3, 3], { groups: 16, strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1] }, true, 5);
    // K = 40 * 9 = 360 > KC and M = 130 > MC: crosses the cache blocks.
    await checkConv([1, 40, 12, 12], [130, 40, 3, 3], { groups: 1, strides: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], dilations: [1, 1] }, true, 1, 2);
  });

  it('refuses weights that do not fit the input', () => {
    const plan = new PlanBuilder();
    const xi = plan.input('x', [1, 1, 28, 28]);
    const wi = plan.weight('w', [20, 2, 5, 5], new Float32Array(20 * 2 * 25));
    const yi = plan.tensor('y', [1, 20, 24, 24]);
    plan.layer('conv', [xi, wi], [yi], [2, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], [0, 0], 'conv1');
    plan.output(yi);
    expect(() => kiln().serializePlan(plan.desc())).toThrow(
      "layer 'conv1': kernel conv expects weights f32[20,1,5,5] for input f32[1,1,28,28] with groups 1, got f32[20,2,5,5]");
  });

  it('refuses a wrong output shape and a bad parameter count', () => {
    const plan = new PlanBuilder();
    const xi = plan.input('x', [1, 1, 8, 8]);
    const wi = plan.weight('w', [2, 1, 3, 3], new Float32Array(18));
    const yi = plan.tensor('y', [1, 2, 8, 8]);
    plan.layer('conv', [xi, wi], [yi], [2, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], [0, 0], 'c');
    plan.output(yi);
    expect(() => kiln().serializePlan(plan.desc())).toThrow(/layer 'c': kernel conv expects output f32\[1,2,6,6\]/);
    plan.layers[0]!.ints = [2, 1, 0];
    expect(() => kiln().serializePlan(plan.desc())).toThrow(/layer 'c': kernel conv expects 11 ints/);
  });
});

describe('pool', () => {
  it('matches the reference for max and avg with padding', async () => {
    for (let trial = 0; trial < 30; trial++) {
      const n = trial < 20 ? 2 : trial % 2 ? 1 : 3;
      const kernel = Array.from({ length: n }, () => R.int(1, 4));
      const strd = Array.from({ length: n }, () => R.int(1, 3));
      const pb = kernel.map((k) => R.int(0, k - 1)), pe = kernel.map((k) => R.int(0, k - 1));
      const ins = kernel.map((k) => R.int(k, n === 3 ? 7 : 15));
      const xs = [R.int(1, 2), R.int(1, 4), ...ins];
      const isMax = trial % 2 === 0, includePad = trial % 4 === 1;
      const x = R.floats(numel(xs), -3, 3);
      const ref = pool(x, xs, isMax, includePad, kernel, strd, pb, pe);
      const plan = new PlanBuilder();
      const xi = plan.input('x', xs), yi = plan.tensor('y', ref.shape);
      plan.layer('pool', [xi], [yi], [n, isMax ? 0 : 1, +includePad, ...kernel, ...strd, ...pb, ...pe]);
      plan.output(yi);
      const out = await runPlan(plan.desc(), { x: { data: x, shape: xs } });
      expectClose(out.y.data, ref.y, 1e-5, JSON.stringify({ xs, kernel, strd, pb, pe, isMax, includePad }));
    }
  });
});
