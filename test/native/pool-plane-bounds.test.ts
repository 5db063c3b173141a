// pool2d's stride-2 plane path keeps two rows of parity-split columns in scratch and
// stores whole vectors past a row's end: it once needed 8 floats more scratch than the
// kernel gave it (a heap overwrite that glibc reported as "double free or corruption"
// when the process exited) on planes like 9x11. Every stride-2 shape here runs against
// the interpreter with a canary tensor placed right after the output in the arena, on 1
// and 2 threads; an overwrite of the canary fails the test, one of the heap fails the
// test process.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { interpret } from '../../src/interpret/index.js';
import { PlanBuilder, expectClose, numel, rng, runPlan } from './plan-fixtures.js';

const R = rng(4242);

async function check(shape: number[], k: number, pads: number[], isMax: boolean, threads: number): Promise<void> {
  const x = R.floats(numel(shape));
  const net = new Network();
  const o = { kernel: [k, k], strides: [2, 2], padsBegin: pads.slice(0, 2), padsEnd: pads.slice(2) };
  const xi = net.input('x', 'f32', shape);
  net.markOutput(isMax ? xi.maxPool(o) : xi.avgPool(o), 'y');
  const ref = interpret(net.graph, { x: { dtype: 'f32', shape, data: x } }).y!;
  const plan = new PlanBuilder();
  const xin = plan.input('x', shape);
  const y = plan.tensor('y', ref.shape as number[]);
  const canaryAt = plan.tensors[y]!.offset + numel(ref.shape as number[]) * 4;
  const c = plan.tensorAt('canary', [64], canaryAt);
  plan.inputs.push(c);
  const out = plan.tensor('canary_out', [64]);
  plan.layer('pool2d', [xin], [y], [2, isMax ? 0 : 1, 0, k, k, 2, 2, ...pads], [], 'pool');
  plan.layer('copy', [c], [out], [], [], 'copy');
  plan.output(y);
  plan.output(out);
  const canary = Float32Array.from({ length: 64 }, (_, i) => 1000 + i);
  const res = await runPlan(plan.desc(), { x: { data: x, shape }, canary: { data: canary, shape: [64] } }, threads);
  const label = JSON.stringify({ shape, k, pads, isMax, threads });
  expectClose(res.y.data as Float32Array, ref.data as Float32Array, 1e-5, label);
  expect(Array.from(res.canary_out.data as Float32Array), `canary after the output of ${label}`).toEqual(Array.from(canary));
}

describe('pool2d stride 2 stays inside its buffers', () => {
  it('matches the interpreter and leaves the next tensor alone', async () => {
    await check([2, 10, 7, 9], 2, [0, 0, 0, 0], true, 1);
    await check([1, 3, 9, 11], 3, [0, 0, 0, 0], true, 2);
    for (let trial = 0; trial < 24; trial++) {
      const k = R.int(2, 3);
      const pads = [R.int(0, k - 1), R.int(0, k - 1), R.int(0, k - 1), R.int(0, k - 1)];
      await check([R.int(1, 2), R.int(1, 5), R.int(k, 19), R.int(k, 37)], k, pads, trial % 3 !== 0, 1 + (trial % 2));
    }
  });
});
