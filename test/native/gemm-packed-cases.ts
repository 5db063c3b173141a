// The random cases of the gemmPacked tests (kernels-gemm-packed.test.ts on this CPU's
// kernel, gemm-packed-generic.test.ts on the portable one): the kernel against the
// reference for one shape, with bias, residual, transB and an activation.
import { PlanBuilder, expectClose, numel, rng, runPlan } from './plan-fixtures.js';
import { activate, matmul } from './references.js';

export const R = rng(7077);
const NONE = { code: 0, alpha: 0, beta: 0 };

export interface Case { as: number[]; k: number; n: number; transB: boolean; bias: boolean; residual: boolean; act: number; threads: number }

export async function check(c: Case) {
  const rows = numel(c.as.slice(0, -1));
  const bs = c.transB ? [c.n, c.k] : [c.k, c.n];
  const a = R.floats(numel(c.as)), b = R.floats(numel(bs)), bias = c.bias ? R.floats(c.n) : null;
  const ref = matmul(a, [rows, c.k], b, bs, false, c.transB, bias, NONE);
  const ys = [...c.as.slice(0, -1), c.n];
  const r = c.residual ? R.floats(ref.out.length) : null;
  const p = new PlanBuilder();
  const ins = [p.input('a', c.as), p.weight('b', bs, b)];
  if (bias) ins.push(p.weight('bias', [c.n], bias));
  if (r) ins.push(p.input('r', ys));
  const y = p.tensor('y', ys);
  p.layer('gemmPacked', ins, [y], [0, +c.transB, c.act, +c.bias, +c.residual], [0.1, 0.5]);
  p.output(y);
  const feed: Record<string, { data: Float32Array; shape: number[] }> = { a: { data: a, shape: c.as } };
  if (r) feed.r = { data: r, shape: ys };
  const out = await runPlan(p.desc(), feed, c.threads);
  const expected = ref.out.map((v, i) => activate(v + (r ? r[i]! : 0), { code: c.act, alpha: 0.1, beta: 0.5 }));
  expectClose(out.y.data, expected, 2e-4, `gemmPacked ${JSON.stringify(c)}`);
}

/** A random case: K past one 256-row block every fifth trial, N past several panels every fourth. */
export function randomCase(trial: number): Case {
  const k = trial % 5 === 0 ? R.int(257, 700) : R.int(1, 90);
  const m = R.int(1, 50);
  const as = trial % 3 === 0 ? [R.int(1, 3), m, k] : [m, k];
  return {
    as, k, n: trial % 4 === 0 ? R.int(100, 300) : R.int(1, 40), transB: R.next() < 0.5, bias: R.next() < 0.5,
    residual: R.next() < 0.4, act: trial % 9, threads: trial % 2 === 0 ? 2 : 1,
  };
}
