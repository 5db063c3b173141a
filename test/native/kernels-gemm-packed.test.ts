// gemmPacked (native/cpu/kernel-gemm-packed.cc, gemm-packed.{h,cc}, gemm-packed-avx2.cc):
// a against constant 2-D weights on a B packed once and the epilogue in registers.
// Checked against the reference at random odd sizes that leave remainders in every
// blocking dim (rows past a 6-row tile, columns past a 16-column panel, K past the
// 256-row block, tasks split unevenly), every activation, bias, residual, transB, on
// one and two threads; special values against the gemm kernel (the portable
// activations' NaN and infinity rules); refusals by name.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, kiln, numel, runPlan } from './plan-fixtures.js';
import { R, check, randomCase } from './gemm-packed-cases.js';
import { activate } from './references.js';

describe('gemmPacked', () => {
  it('matches the reference at random odd sizes, every activation, bias, residual and transB', async () => {
    for (let trial = 0; trial < 40; trial++) await check(randomCase(trial));
  });

  it('splits many rows into tasks (rows past the 240-row task, K past one block)', async () => {
    await check({ as: [500, 300], k: 300, n: 37, transB: false, bias: true, residual: true, act: 6, threads: 2 });
    await check({ as: [4, 131, 64], k: 64, n: 129, transB: true, bias: true, residual: false, act: 1, threads: 2 });
  });

  it('packs each new set of weights of one shape (engines freed and loaded again, ops alive side by side)', async () => {
    for (let i = 0; i < 6; i++) await check({ as: [7, 33], k: 33, n: 20, transB: i % 2 === 1, bias: true, residual: false, act: 0, threads: 2 });
  });

  it('applies the activations to special values as the gemm kernel does (NaN, infinities, signed zero)', async () => {
    const specials = [Infinity, -Infinity, NaN, 0, -0, 1e-30, -1e-30, 5, -5, 20, -20, 1e30, -1e30, 0.5, -0.5, 3];
    const b = Float32Array.from({ length: 17 }, (_, j) => (j % 2 ? 1 : -1) * (j + 1) / 4);
    // gemm with b an input runs the blocked GEMM and the portable activations.
    const run = async (kernel: string, act: number) => {
      const p = new PlanBuilder();
      const ai = p.input('a', [specials.length, 1]);
      const bi = kernel === 'gemm' ? p.input('b', [1, 17]) : p.weight('b', [1, 17], b);
      const y = p.tensor('y', [specials.length, 17]);
      p.layer(kernel, [ai, bi], [y], [0, 0, act, 0], [0.1, 0.5]);
      p.output(y);
      const feed = { a: { data: Float32Array.from(specials), shape: [specials.length, 1] }, b: { data: b, shape: [1, 17] } };
      if (kernel !== 'gemm') delete (feed as Partial<typeof feed>).b;
      return (await runPlan(p.desc(), feed)).y.data as Float32Array;
    };
    for (let act = 0; act <= 8; act++) {
      const want = await run('gemm', act), got = await run('gemmPacked', act);
      for (let i = 0; i < want.length; i++) {
        const w = want[i]!, g = got[i]!;
        const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= 2e-6 * Math.max(1, Math.abs(w));
        if (!ok) throw new Error(`act ${act}: element ${i} (${specials[Math.floor(i / 17)]}): gemmPacked ${g}, gemm ${w}`);
      }
    }
  });

  it('computes GELU in registers within 1e-6 of the exact erf form over [-10, 10]', async () => {
    const n = 4001;
    const xs = Float32Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    const p = new PlanBuilder();
    const y = p.tensor('y', [n, 1]);
    p.layer('gemmPacked', [p.input('a', [n, 1]), p.weight('b', [1, 1], Float32Array.of(1))], [y], [0, 0, 6, 0], [0, 0]);
    p.output(y);
    const out = (await runPlan(p.desc(), { a: { data: xs, shape: [n, 1] } })).y.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(out[i]! - activate(xs[i]!, { code: 6, alpha: 0, beta: 0 })));
    expect(worst).toBeLessThan(1e-6);
  });

  it('refuses a b computed at run time, transA and a mismatched inner dim by name', () => {
    const refusal = (weightsB: boolean, ints: number[], bs = [5, 7]) => {
      const p = new PlanBuilder();
      const a = p.input('a', [3, 5]);
      const b = weightsB ? p.weight('b', bs, R.floats(numel(bs))) : p.input('b', bs);
      const y = p.tensor('y', [3, 7]);
      p.layer('gemmPacked', [a, b], [y], ints, [0, 0], 'fc');
      p.output(y);
      return () => kiln().serializePlan(p.desc());
    };
    expect(refusal(false, [0, 0, 0, 0])).toThrow("layer 'fc': kernel gemmPacked needs transA 0, a of rank >= 2 and constant 2-D weights b, got a 'a' f32[3,5] (transA 0) and b 'b' f32[5,7]");
    expect(refusal(true, [1, 0, 0, 0])).toThrow(/kernel gemmPacked needs transA 0.*\(transA 1\)/);
    expect(refusal(true, [0, 0, 0, 0], [6, 7])).toThrow("layer 'fc': kernel gemmPacked: inner dims differ: a has K=5, b 'b' f32[6,7] has K=6");
  });
});
