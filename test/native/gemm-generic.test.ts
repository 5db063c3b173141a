// The portable GEMM micro-kernel, forced through KILN_GEMM_KERNEL before the
// addon loads (each test file runs in its own process), so machines with AVX2
// still test the fallback that other CPUs run.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';
import { conv, matmul } from './references.js';

process.env.KILN_GEMM_KERNEL = 'generic';
const R = rng(42);

describe('generic GEMM micro-kernel', () => {
  it('is the one in use', () => {
    expect(kiln().gemmKernel()).toBe('generic-4x8');
  });

  it('matches the reference for random gemm sizes', async () => {
    for (let trial = 0; trial < 25; trial++) {
      const M = R.int(1, 70), N = R.int(1, 70), K = R.int(1, 300);
      const transA = trial % 2 === 1, transB = trial % 3 === 1;
      const as = transA ? [K, M] : [M, K], bs = transB ? [N, K] : [K, N];
      const a = R.floats(numel(as)), b = R.floats(numel(bs)), bias = R.floats(N);
      const ref = matmul(a, as, b, bs, transA, transB, bias, { code: 1, alpha: 0, beta: 0 });
      const p = new PlanBuilder();
      const ai = p.input('a', as), bi = p.input('b', bs), ci = p.weight('bias', [N], bias), yi = p.tensor('y', ref.shape);
      p.layer('gemm', [ai, bi, ci], [yi], [+transA, +transB, 1, 1], [0, 0]);
      p.output(yi);
      const out = await runPlan(p.desc(), { a: { data: a, shape: as }, b: { data: b, shape: bs } });
      expectClose(out.y.data, ref.out, 2e-4);
    }
  });

  it('matches the reference for a padded, strided conv', async () => {
    const xs = [1, 6, 11, 9], ws = [10, 3, 3, 3];
    const x = R.floats(numel(xs)), w = R.floats(numel(ws)), b = R.floats(10);
    const params = { groups: 2, strides: [2, 1], padsBegin: [1, 2], padsEnd: [0, 1], dilations: [1, 2] };
    const ref = conv(x, xs, w, ws, b, params, { code: 0, alpha: 0, beta: 0 });
    const p = new PlanBuilder();
    const xi = p.input('x', xs), yi = p.tensor('y', ref.shape);
    p.layer('conv', [xi, p.weight('w', ws, w), p.weight('b', [10], b)], [yi], [2, 2, 0, 2, 1, 1, 2, 0, 1, 1, 2], [0, 0]);
    p.output(yi);
    const out = await runPlan(p.desc(), { x: { data: x, shape: xs } });
    expectClose(out.y.data, ref.y, 2e-4);
  });
});
