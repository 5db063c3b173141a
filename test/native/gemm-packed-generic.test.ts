// gemmPacked on the portable strip kernel, forced through KILN_GEMM_KERNEL before the
// addon loads (each test file runs in its own process), so machines with AVX2 still
// test what other CPUs run.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, kiln, numel, runPlan } from './plan-fixtures.js';
import { matmul } from './references.js';
import { R, check, randomCase } from './gemm-packed-cases.js';

process.env.KILN_GEMM_KERNEL = 'generic';

describe('gemmPacked and gemmBatched on the portable strip kernel', () => {
  it('is the one in use', () => {
    expect(kiln().gemmKernel()).toBe('generic-4x8');
  });

  it('matches the reference at random odd sizes, every activation, bias, residual and transB', async () => {
    for (let trial = 0; trial < 20; trial++) await check(randomCase(trial));
  });

  it('runs gemmBatched (transposed A gathered, B packed per entry) equal to the reference', async () => {
    for (const [e, m, k, n, transA, transB] of [[3, 13, 70, 37, false, true], [2, 40, 9, 17, true, false], [4, 7, 300, 5, true, true]] as const) {
      const as = transA ? [e, k, m] : [e, m, k], bs = transB ? [e, n, k] : [e, k, n];
      const a = R.floats(numel(as)), b = R.floats(numel(bs)), bias = R.floats(n);
      const ref = matmul(a, as, b, bs, transA, transB, bias, { code: 6, alpha: 0, beta: 0 });
      const p = new PlanBuilder();
      const y = p.tensor('y', ref.shape);
      p.layer('gemmBatched', [p.input('a', as), p.input('b', bs), p.weight('bias', [n], bias)], [y], [+transA, +transB, 6, 1], [0, 0]);
      p.output(y);
      const out = await runPlan(p.desc(), { a: { data: a, shape: as }, b: { data: b, shape: bs } }, 2);
      expectClose(out.y.data, ref.out, 2e-4, `gemmBatched ${[e, m, k, n, transA, transB]}`);
    }
  });
});
