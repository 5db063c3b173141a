// The gemmBatched tactic (attention's batched small products) against the reference
// interpreter's MatMul: random batch dims (broadcast too), M, N, K that leave
// remainders of the 6x16 / 4x8 register tiles, transposes, bias, residual and
// activations, on 1 and 2 threads; and its refusals.
import { describe, expect, it } from 'vitest';
import { ACTIVATION_CODES, type ActivationName } from '../../codegen/plan-desc.js';
import { makeGraph, type Graph } from '../../src/ir/index.js';
import { interpret, type Tensor } from '../../src/interpret/index.js';
import { Network } from '../../dsl/index.js';
import { checkTactics } from '../tuning/harness.js';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';

const R = rng(2024);
const ACTS: ActivationName[] = ['none', 'relu', 'sigmoid', 'gelu', 'clip'];

interface Case {
  as: number[];
  bs: number[];
  transA: boolean;
  transB: boolean;
  bias: boolean;
  residual: boolean;
  act: ActivationName;
}

function outShape(c: Case): number[] {
  const M = c.transA ? c.as.at(-1)! : c.as.at(-2)!, N = c.transB ? c.bs.at(-2)! : c.bs.at(-1)!;
  const ba = c.as.slice(0, -2), bb = c.bs.slice(0, -2), rank = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: rank }, (_, i) => Math.max(ba[i - rank + ba.length] ?? 1, bb[i - rank + bb.length] ?? 1));
  return [...batch, M, N];
}

/** The interpreter's MatMul with the same epilogue: the oracle. */
function oracle(c: Case, feed: Record<string, Float32Array>, ys: number[]): Float32Array {
  const N = ys.at(-1)!;
  const shapes: Record<string, number[]> = { a: c.as, b: c.bs, bias: [N], residual: ys };
  const names = ['a', 'b', ...(c.bias ? ['bias'] : c.residual ? [''] : []), ...(c.residual ? ['residual'] : [])];
  const used = names.filter((n) => n !== '');
  const types: Record<string, { dtype: 'f32'; shape: number[] }> = { y: { dtype: 'f32', shape: ys } };
  for (const n of used) types[n] = { dtype: 'f32', shape: shapes[n]! };
  const graph: Graph = makeGraph({
    inputs: used, outputs: ['y'], types, constants: {},
    nodes: [{ name: 'mm', op: 'MatMul', inputs: names, outputs: ['y'],
      attrs: { transA: c.transA, transB: c.transB, activation: c.act, alpha: 0.1, beta: 2 } }],
  });
  const inputs: Record<string, Tensor> = {};
  for (const n of used) inputs[n] = { dtype: 'f32', shape: shapes[n]!, data: feed[n]! };
  return interpret(graph, inputs).y!.data as Float32Array;
}

async function check(c: Case, threads: number) {
  const ys = outShape(c), N = ys.at(-1)!;
  const feed: Record<string, Float32Array> = { a: R.floats(numel(c.as)), b: R.floats(numel(c.bs)) };
  if (c.bias) feed.bias = R.floats(N);
  if (c.residual) feed.residual = R.floats(numel(ys));
  const p = new PlanBuilder();
  const ins = [p.input('a', c.as), p.input('b', c.bs)];
  if (c.bias) ins.push(p.weight('bias', [N], feed.bias!));
  if (c.residual) ins.push(p.input('residual', ys));
  const yi = p.tensor('y', ys);
  p.layer('gemmBatched', ins, [yi], [+c.transA, +c.transB, ACTIVATION_CODES[c.act], +c.bias, +c.residual], [0.1, 2]);
  p.output(yi);
  const run: Record<string, { data: Float32Array; shape: number[] }> = { a: { data: feed.a!, shape: c.as }, b: { data: feed.b!, shape: c.bs } };
  if (c.residual) run.residual = { data: feed.residual!, shape: ys };
  const out = await runPlan(p.desc(), run, threads);
  expect(out.y.shape).toEqual(ys);
  expectClose(out.y.data, oracle(c, feed, ys), 2e-4, `${JSON.stringify(c)} on ${threads} threads`);
}

function randomCase(batchA: number[], batchB: number[]): Case {
  const M = R.int(1, 40), N = R.int(1, 45), K = R.int(1, 70);
  const transA = R.next() < 0.3, transB = R.next() < 0.5;
  return {
    as: [...batchA, ...(transA ? [K, M] : [M, K])], bs: [...batchB, ...(transB ? [N, K] : [K, N])], transA, transB,
    bias: R.next() < 0.4, residual: R.next() < 0.3, act: ACTS[R.int(0, ACTS.length - 1)]!,
  };
}

describe('gemmBatched', () => {
  it('matches the interpreter on random shapes with remainders, transposes and epilogues, 1 and 2 threads', async () => {
    for (let trial = 0; trial < 40; trial++) {
      const batch = [R.int(1, 9)];
      await check(randomCase(batch, batch), 1 + (trial % 2));
    }
  });

  it('matches on attention shapes ([batch*heads, seq, d] x [.., d, seq], then x [.., seq, d])', async () => {
    for (const [seq, threads] of [[16, 1], [16, 2], [37, 2], [128, 2]] as const) {
      await check({ as: [4, seq, 64], bs: [4, seq, 64], transA: false, transB: true, bias: false, residual: false, act: 'none' }, threads);
      await check({ as: [4, 64, seq], bs: [4, 64, seq], transA: true, transB: false, bias: false, residual: false, act: 'none' }, threads);
      await check({ as: [4, seq, seq], bs: [4, seq, 64], transA: false, transB: false, bias: false, residual: false, act: 'none' }, threads);
    }
  });

  it('broadcasts batch dims and runs a single entry', async () => {
    const cases: [number[], number[]][] = [[[2, 1], [3]], [[1], [4]], [[], [2, 3]], [[5], []], [[], []], [[3, 2], [3, 2]]];
    for (const [ba, bb] of cases) for (const threads of [1, 2]) await check(randomCase(ba, bb), threads);
  });

  it('is a gemm tactic for per-entry b, and the lowered network equals the interpreter with it', async () => {
    for (const [seq, transB] of [[16, true], [23, false]] as const) {
      const net = new Network();
      const q = net.input('q', 'f32', [4, seq, 64]), k = net.input('k', 'f32', transB ? [4, seq, 64] : [4, 64, seq]);
      const v = net.input('v', 'f32', [4, seq, 64]);
      net.markOutput(q.matmul(k, { transB }).softmax(-1).matmul(v), 'y');
      const seen = await checkTactics(net, `attention seq ${seq}`, seq);
      expect(seen.filter((t) => t === 'gemm-batched')).toHaveLength(2);
    }
  });

  it('refuses mismatched inner dims, a b too large to pack whole, and a wrong output', () => {
    const refuse = (as: number[], bs: number[], ys: number[], message: string) => {
      const p = new PlanBuilder();
      const ai = p.input('a', as), bi = p.input('b', bs), yi = p.tensor('y', ys);
      p.layer('gemmBatched', [ai, bi], [yi], [0, 0, 0, 0], [0, 0], 'scores');
      p.output(yi);
      expect(() => kiln().serializePlan(p.desc())).toThrow(message);
    };
    refuse([2, 4, 5], [2, 6, 7], [2, 4, 7],
      "layer 'scores': kernel gemmBatched: inner dims differ: a 'a' f32[2,4,5] (transA 0) has K=5, b 'b' f32[2,6,7] (transB 0) has K=6");
    refuse([2, 4, 1024], [2, 1024, 512], [2, 4, 512],
      "layer 'scores': kernel gemmBatched packs one entry of b whole, at most 262144 elements; b 'b' f32[2,1024,512] has K*N = 524288");
    refuse([2, 4, 5], [2, 5, 7], [2, 4, 8], "layer 'scores': kernel gemmBatched expects output f32[2,4,7], got 'y' f32[2,4,8]");
  });
});
