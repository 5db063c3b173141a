// poolNhwc (max / average pooling on NHWC tensors) against the interpreter's Pool on
// the same values in NCHW: windows with strides, padding on every side, countIncludePad,
// channel counts that leave a scalar tail after the 8-channel vectors, batch, global
// pools (split into 64-channel items), threads 1 and 2; and its refusals.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { interpret } from '../../src/interpret/index.js';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';
import { transpose } from './references.js';

const R = rng(5150);
const f32 = (n: number) => new Float32Array(n);

async function check(shape: number[], kernel: number[], strides: number[], pb: number[], pe: number[], isMax: boolean, includePad: boolean, threads: number) {
  const [n, c, h, w] = shape as [number, number, number, number];
  const x = R.floats(numel(shape));
  const net = new Network();
  const o = { kernel, strides, padsBegin: pb, padsEnd: pe, countIncludePad: includePad };
  const xi = net.input('x', 'f32', shape);
  net.markOutput(isMax ? xi.maxPool(o) : xi.avgPool(o), 'y');
  const ref = interpret(net.graph, { x: { dtype: 'f32', shape, data: x } }).y!;
  const [, , oh, ow] = ref.shape as number[];
  const plan = new PlanBuilder();
  const xin = plan.input('x', [n, h, w, c]);
  const yi = plan.tensor('y', [n, oh!, ow!, c]);
  plan.layer('poolNhwc', [xin], [yi], [2, isMax ? 0 : 1, includePad ? 1 : 0, ...kernel, ...strides, ...pb, ...pe], []);
  plan.output(yi);
  const xNhwc = transpose(x, shape, [0, 2, 3, 1], f32).y;
  const out = await runPlan(plan.desc(), { x: { data: xNhwc, shape: [n, h, w, c] } }, threads);
  expectClose(transpose(out.y.data as Float32Array, [n, oh!, ow!, c], [0, 3, 1, 2], f32).y, ref.data as Float32Array, 1e-5,
    JSON.stringify({ shape, kernel, strides, pb, pe, isMax, includePad }));
}

describe('poolNhwc', () => {
  it('matches the interpreter on random pools', async () => {
    for (let trial = 0; trial < 30; trial++) {
      const k = [R.int(1, 4), R.int(1, 4)], s = [R.int(1, 3), R.int(1, 3)];
      const pb = [R.int(0, k[0]! - 1), R.int(0, k[1]! - 1)], pe = [R.int(0, k[0]! - 1), R.int(0, k[1]! - 1)];
      const shape = [R.int(1, 2), R.int(1, 21), R.int(k[0]!, 13), R.int(k[1]!, 14)];
      await check(shape, k, s, pb, pe, trial % 2 === 0, trial % 3 === 0, 1 + (trial % 2));
    }
  });

  it('handles global pools over many channels', async () => {
    for (const [shape, isMax] of [[[2, 131, 7, 7], false], [[1, 1280, 7, 7], false], [[3, 67, 5, 3], true]] as const) {
      await check([...shape], [shape[2], shape[3]], [1, 1], [0, 0], [0, 0], isMax, false, 2);
    }
  });

  it('refuses an input that is not NHWC rank 4 and an output of the wrong shape', () => {
    const plan = new PlanBuilder();
    const xi = plan.input('x', [1, 8, 8, 4]);
    const yi = plan.tensor('y', [1, 4, 4, 5]);
    plan.layer('poolNhwc', [xi], [yi], [2, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0], [], 'p');
    plan.output(yi);
    expect(() => kiln().serializePlan(plan.desc())).toThrow("layer 'p': kernel poolNhwc expects output f32[1,4,4,4] for input f32[1,8,8,4], kernel [2,2], strides [2,2], pads [0,0]+[0,0]; got f32[1,4,4,5]");
    const bad = new PlanBuilder();
    const bx = bad.input('x', [8, 8, 4]);
    const by = bad.tensor('y', [4, 4, 4]);
    bad.layer('poolNhwc', [bx], [by], [2, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0], [], 'q');
    bad.output(by);
    expect(() => kiln().serializePlan(bad.desc())).toThrow("layer 'q': kernel poolNhwc with 2 spatial dims expects an input of rank 4 [N, spatial..., C], got 'x' f32[8,8,4]");
  });
});
