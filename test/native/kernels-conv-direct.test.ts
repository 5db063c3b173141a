// convDirect and convWinogradFused at the plan level: a bias that arrives at run time
// (packed with the weights on every run instead of once at load) against the
// interpreter, and the refusals of layers the tactics cannot run.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { interpret } from '../../src/interpret/index.js';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';

const R = rng(6061);

function convPlan(kernel: string, xs: number[], ws: number[], w: Float32Array, pads: number, biasInput: boolean, groups = 1) {
  const plan = new PlanBuilder();
  const xi = plan.input('x', xs);
  const wi = plan.weight('w', ws, w);
  const ins = [xi, wi];
  if (biasInput) ins.push(plan.input('b', [ws[0]!]));
  const out = [xs[0]!, ws[0]!, xs[2]! + 2 * pads - ws[2]! + 1, xs[3]! + 2 * pads - ws[3]! + 1];
  const yi = plan.tensor('y', out);
  plan.layer(kernel, ins, [yi], [2, groups, 1, 1, 1, pads, pads, pads, pads, 1, 1], [0, 0], 'c');
  plan.output(yi);
  return plan;
}

describe('convDirect and convWinogradFused', () => {
  it('pack a bias given at run time on every run', async () => {
    for (const kernel of ['convDirect', 'convWinogradFused']) {
      for (const [xs, co] of [[[2, 5, 9, 13], 7], [[1, 3, 6, 6], 13]] as const) {
        const ws = [co, xs[1], 3, 3];
        const w = R.floats(numel(ws)), b = R.floats(co), x = R.floats(numel([...xs]));
        const net = new Network();
        net.markOutput(net.input('x', 'f32', [...xs]).conv({ outChannels: co, kernel: [3, 3], padding: [1, 1], weights: w, bias: b }).relu(), 'y');
        const ref = interpret(net.graph, { x: { dtype: 'f32', shape: [...xs], data: x } }).y!;
        const out = await runPlan(convPlan(kernel, [...xs], ws, w, 1, true).desc(), { x: { data: x, shape: [...xs] }, b: { data: b, shape: [co] } });
        expectClose(out.y.data, ref.data as Float32Array, 2e-4, `${kernel} ${xs}`);
      }
    }
  });

  it('refuse grouped convs, runtime weights and, for Winograd, other kernels', () => {
    const w = R.floats(4 * 2 * 9);
    expect(() => kiln().serializePlan(convPlan('convDirect', [1, 4, 8, 8], [4, 2, 3, 3], w, 0, false, 2).desc())).toThrow(
      "layer 'c': kernel convDirect needs groups 1 and 1 or 2 spatial dims, got groups 2 and 2 spatial dims");
    const runtime = new PlanBuilder();
    const xi = runtime.input('x', [1, 2, 8, 8]);
    const wi = runtime.input('w', [4, 2, 3, 3]);
    const yi = runtime.tensor('y', [1, 4, 6, 6]);
    runtime.layer('convDirect', [xi, wi], [yi], [2, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], [0, 0], 'c');
    runtime.output(yi);
    expect(() => kiln().serializePlan(runtime.desc())).toThrow("layer 'c': kernel convDirect needs constant weights (packed once at load)");
    const five = new PlanBuilder();
    const fx = five.input('x', [1, 2, 8, 8]);
    const fw = five.weight('w', [4, 2, 5, 5], R.floats(200));
    const fy = five.tensor('y', [1, 4, 4, 4]);
    five.layer('convWinogradFused', [fx, fw], [fy], [2, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], [0, 0], 'c');
    five.output(fy);
    expect(() => kiln().serializePlan(five.desc())).toThrow(
      "layer 'c': kernel convWinogradFused needs a 2-D 3x3 convolution with stride 1, dilation 1 and groups 1");
  });
});
