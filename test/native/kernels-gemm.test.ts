// The gemm kernel and the blocked SGEMM under it: random M, N, K in 1..70
// (remainders in every blocking dimension), transposes, bias, activations,
// broadcast batch dims, and sizes that cross the MC/KC cache blocks.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';
import { matmul } from './references.js';

const R = rng(99);

interface GemmCase {
  as: number[];
  bs: number[];
  transA: boolean;
  transB: boolean;
  bias: boolean;
  act: number;
  weightsB?: boolean;
}

async function checkGemm(c: GemmCase, threads: number) {
  const a = R.floats(numel(c.as)), bv = R.floats(numel(c.bs));
  const N = c.transB ? c.bs[c.bs.length - 2]! : c.bs[c.bs.length - 1]!;
  const bias = c.bias ? R.floats(N) : null;
  const act = { code: c.act, alpha: 0.1, beta: 2 };
  const ref = matmul(a, c.as, bv, c.bs, c.transA, c.transB, bias, act);
  const p = new PlanBuilder();
  const ai = p.input('a', c.as);
  const bi = c.weightsB ? p.weight('b', c.bs, bv) : p.input('b', c.bs);
  const ins = [ai, bi];
  if (bias) ins.push(p.weight('bias', [N], bias));
  const yi = p.tensor('y', ref.shape);
  p.layer('gemm', ins, [yi], [+c.transA, +c.transB, c.act, +c.bias], [0.1, 2]);
  p.output(yi);
  const feed: any = { a: { data: a, shape: c.as } };
  if (!c.weightsB) feed.b = { data: bv, shape: c.bs };
  const out = await runPlan(p.desc(), feed, threads);
  expect(out.y.shape).toEqual(ref.shape);
  expectClose(out.y.data, ref.out, 2e-4, JSON.stringify(c));
}

describe('gemm', () => {
  it(`uses a packed micro-kernel (${kiln().gemmKernel()})`, () => {
    expect(kiln().gemmKernel()).toMatch(/^(avx512-12x32|avx2-6x16|generic-4x8)$/);
  });

  it('matches the reference for random sizes 1..70 with transposes, bias and activations', async () => {
    for (let trial = 0; trial < 60; trial++) {
      const M = R.int(1, 70), N = R.int(1, 70), K = R.int(1, 70);
      const transA = R.next() < 0.5, transB = R.next() < 0.5;
      await checkGemm({
        as: transA ? [K, M] : [M, K], bs: transB ? [N, K] : [K, N], transA, transB,
        bias: R.next() < 0.5, act: R.int(0, 7), weightsB: R.next() < 0.5,
      }, 1 + (trial % 2));
    }
  });

  it('broadcasts batch dims', async () => {
    const cases: [number[], number[]][] = [[[3], [3]], [[2, 1], [3]], [[1], [4]], [[], [2, 3]], [[5], []]];
    for (const [ba, bb] of cases) {
      const M = R.int(1, 20), N = R.int(1, 40), K = R.int(1, 30);
      const transB = R.next() < 0.5;
      await checkGemm({ as: [...ba, M, K], bs: transB ? [...bb, N, K] : [...bb, K, N], transA: false, transB, bias: true, act: 1 }, 2);
    }
  });

  it('crosses the cache blocks (M > MC, K > KC, several threads)', async () => {
    await checkGemm({ as: [157, 300], bs: [300, 203], transA: false, transB: false, bias: true, act: 0 }, 2);
    await checkGemm({ as: [130, 600], bs: [77, 600], transA: false, transB: true, bias: true, act: 0, weightsB: true }, 2);
    await checkGemm({ as: [3, 1, 600], bs: [600, 50], transA: false, transB: false, bias: false, act: 1, weightsB: true }, 2);
    await checkGemm({ as: [520, 131], bs: [67, 520], transA: true, transB: true, bias: false, act: 1 }, 2);
    await checkGemm({ as: [1, 600], bs: [600, 777], transA: false, transB: false, bias: true, act: 0 }, 3);
    // b per entry past gemmBatched's 65536 elements: the blocked GEMM per entry (smaller ones run as gemmBatched)
    await checkGemm({ as: [2, 9, 300], bs: [2, 300, 250], transA: false, transB: false, bias: true, act: 1 }, 2);
  });

  it('refuses mismatched inner dims', () => {
    const p = new PlanBuilder();
    const ai = p.input('a', [4, 5]), bi = p.input('b', [6, 7]), yi = p.tensor('y', [4, 7]);
    p.layer('gemm', [ai, bi], [yi], [0, 0, 0, 0], [0, 0], 'fc');
    p.output(yi);
    expect(() => kiln().serializePlan(p.desc())).toThrow(
      "layer 'fc': kernel gemm: inner dims differ: a 'a' f32[4,5] (transA 0) has K=5, b 'b' f32[6,7] (transB 0) has K=6");
  });
});
