// The blocked SGEMM's column remainders: N = q * NR + r with r <= 6 runs along M
// (one FMA per A panel and k per column) instead of a padded NR-wide tile.
// Odd M (not multiples of the 6- or 4-row tiles), K around and past the KC
// block, constant A (prepacked, as conv weights and the bench) or constant B,
// bias and activations after the last KC block; conv / convWide over batches
// whose column blocks the remainder may cross. Against the JS references.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, numel, rng, runPlan } from './plan-fixtures.js';
import { conv, matmul } from './references.js';

const R = rng(4949);

async function checkGemm(m: number, n: number, k: number, constA: boolean, bias: boolean, act: number, threads: number) {
  const as = [m, k], bs = [k, n];
  const a = R.floats(numel(as)), b = R.floats(numel(bs)), bv = bias ? R.floats(n) : null;
  const ref = matmul(a, as, b, bs, false, false, bv, { code: act, alpha: 0.1, beta: 2 });
  const p = new PlanBuilder();
  const ai = constA ? p.weight('a', as, a) : p.input('a', as);
  const bi = constA ? p.input('b', bs) : p.weight('b', bs, b);
  const ins = [ai, bi];
  if (bv) ins.push(p.weight('bias', [n], bv));
  const yi = p.tensor('y', ref.shape);
  p.layer('gemm', ins, [yi], [0, 0, act, +bias], [0.1, 2]);
  p.output(yi);
  const feed: any = constA ? { b: { data: b, shape: bs } } : { a: { data: a, shape: as } };
  const out = await runPlan(p.desc(), feed, threads);
  expect(out.y.shape).toEqual(ref.shape);
  expectClose(out.y.data, ref.out, 3e-4, JSON.stringify({ m, n, k, constA, bias, act, threads }));
}

async function checkConv(kernel: string, xs: number[], ws: number[], pad: number, bias: boolean, act: number, threads: number) {
  const x = R.floats(numel(xs)), w = R.floats(numel(ws)), b = bias ? R.floats(ws[0]!) : null;
  const params = { groups: 1, strides: [1, 1], padsBegin: [pad, pad], padsEnd: [pad, pad], dilations: [1, 1] };
  const ref = conv(x, xs, w, ws, b, params, { code: act, alpha: 0.2, beta: 1.5 });
  const p = new PlanBuilder();
  const ins = [p.input('x', xs), p.weight('w', ws, w)];
  if (b) ins.push(p.weight('b', [ws[0]!], b));
  const yi = p.tensor('y', ref.shape);
  p.layer(kernel, ins, [yi], [2, 1, act, 1, 1, pad, pad, pad, pad, 1, 1], [0.2, 1.5]);
  p.output(yi);
  const out = await runPlan(p.desc(), { x: { data: x, shape: xs } }, threads);
  expect(out.y.shape).toEqual(ref.shape);
  expectClose(out.y.data, ref.y, 3e-4, `${kernel} ${JSON.stringify({ xs, ws, pad, bias, act, threads })}`);
}

describe('sgemm column remainders', () => {
  it('gemm: N = 16q + r for r in 1..7 and 15, odd M, K around the KC block', async () => {
    let trial = 0;
    for (const r of [1, 2, 3, 4, 5, 6, 7, 15]) {
      for (const q of [0, 1, 3]) {
        const m = [1, 5, 7, 13, 25, 64, 131][trial % 7]!;
        const k = [1, 3, 147, 256, 257, 300, 577][(trial * 3) % 7]!;
        await checkGemm(m, 16 * q + r, k, trial % 2 === 0, trial % 3 !== 0, trial % 8, 1 + (trial % 2));
        trial++;
      }
    }
  });

  it('gemm: a ResNet layer4-like 49-column problem split over threads', async () => {
    await checkGemm(130, 49, 600, true, true, 1, 2);
    await checkGemm(97, 49, 520, false, false, 0, 2);
  });

  it('gemm and conv: 2-thread cuts of N between register tiles (64 x 196 splits at column 98)', async () => {
    await checkGemm(64, 196, 300, true, true, 1, 2);
    await checkGemm(64, 196, 300, false, true, 2, 2);
    await checkGemm(68, 201, 257, true, false, 0, 2);
    await checkConv('conv', [2, 8, 7, 7], [64, 8, 3, 3], 1, true, 1, 2);
    await checkConv('convWide', [2, 8, 7, 7], [64, 8, 3, 3], 1, true, 2, 2);
    await checkConv('conv', [3, 8, 9, 9], [30, 8, 3, 3], 1, false, 0, 2);
  });

  it('conv and convWide: output planes of 49, 25, 81, 100 pixels, batches, 1-pixel planes crossing column blocks', async () => {
    for (const kernel of ['conv', 'convWide']) {
      await checkConv(kernel, [1, 5, 7, 7], [13, 5, 3, 3], 1, true, 1, 2);
      await checkConv(kernel, [2, 4, 7, 7], [8, 4, 3, 3], 1, true, 2, 1);
      await checkConv(kernel, [3, 3, 5, 5], [12, 3, 3, 3], 1, false, 0, 2);
      await checkConv(kernel, [1, 6, 9, 9], [20, 6, 1, 1], 0, true, 1, 1);
      await checkConv(kernel, [1, 30, 10, 10], [7, 30, 3, 3], 1, true, 0, 2);
      // 19 images of one pixel: the 3-column remainder spans three column blocks.
      await checkConv(kernel, [19, 6, 1, 1], [9, 6, 1, 1], 0, true, 1, 1);
      await checkConv(kernel, [21, 5, 1, 1], [8, 5, 1, 1], 0, false, 0, 2);
    }
  });
});
