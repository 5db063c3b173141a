// The transposeTiled tactic (8x8 register tiles) against the reference
// interpreter's Transpose: random ranks 2-5 and perms that move the innermost dim,
// sizes that leave edge tiles in both swapped dims, attention's K^T, f32 and i32,
// i8 (an int8 network's NCHW -> NHWC reformat), 1 and 2 threads, through lowering as a
// timed tactic; and its refusals.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { makeGraph } from '../../src/ir/index.js';
import { interpret } from '../../src/interpret/index.js';
import { checkTactics } from '../tuning/harness.js';
import { PlanBuilder, kiln, numel, rng, runPlan } from './plan-fixtures.js';

const R = rng(31);

type Dt = 'f32' | 'i32' | 'i8';

function oracle(x: Float32Array | Int32Array | Int8Array, shape: number[], perm: number[], dtype: Dt) {
  const yShape = perm.map((p) => shape[p]!);
  const graph = makeGraph({
    inputs: ['x'], outputs: ['y'], constants: {},
    types: { x: { dtype, shape }, y: { dtype, shape: yShape } },
    nodes: [{ name: 't', op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm } }],
  });
  return { data: interpret(graph, { x: { dtype, shape, data: x } }).y!.data, shape: yShape };
}

async function check(shape: number[], perm: number[], threads: number, dtype: Dt = 'f32') {
  const n = numel(shape);
  const x = dtype === 'f32' ? R.floats(n) : dtype === 'i8' ? Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128) : Int32Array.from({ length: n }, (_, i) => i * 7 - 3);
  const want = oracle(x, shape, perm, dtype);
  const p = new PlanBuilder();
  const xi = p.input('x', shape, dtype), yi = p.tensor('y', want.shape, dtype);
  p.layer('transposeTiled', [xi], [yi], perm, []);
  p.output(yi);
  const out = await runPlan(p.desc(), { x: { data: x, shape } }, threads);
  expect(out.y.shape).toEqual(want.shape);
  expect(Array.from(out.y.data as ArrayLike<number>), `${shape} perm ${perm}`).toEqual(Array.from(want.data as ArrayLike<number>));
}

function randomPerm(rank: number): number[] {
  for (;;) {
    const perm = Array.from({ length: rank }, (_, i) => i);
    for (let i = rank - 1; i > 0; i--) {
      const j = R.int(0, i);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    if (perm[rank - 1] !== rank - 1) return perm;
  }
}

describe('transposeTiled', () => {
  it('matches the interpreter for random perms moving the innermost dim, edge tiles included, 1 and 2 threads', async () => {
    for (let trial = 0; trial < 40; trial++) {
      const rank = R.int(2, 5);
      const shape = Array.from({ length: rank }, () => R.int(1, rank <= 3 ? 29 : 9));
      await check(shape, randomPerm(rank), 1 + (trial % 2), trial % 5 === 0 ? 'i32' : trial % 3 === 0 ? 'i8' : 'f32');
    }
  });

  it("matches on attention's K^T ([seq, heads, d] -> [heads, d, seq])", async () => {
    for (const [seq, threads] of [[16, 1], [37, 2], [128, 2]] as const) await check([seq, 4, 64], [1, 2, 0], threads);
  });

  it('moves i8 codes NCHW -> NHWC (the reformat after an int8 stem), edge tiles included', async () => {
    for (const [shape, threads] of [[[2, 32, 16, 16], 2], [[1, 5, 9, 11], 1], [[3, 24, 7, 13], 2]] as const) await check([...shape], [0, 2, 3, 1], threads, 'i8');
  });

  it('is a transpose tactic where the innermost dim moves, equal to the interpreter through lowering', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [19, 3, 24]);
    net.markOutput(x.transpose([1, 2, 0]).relu(), 'y');
    expect(await checkTactics(net, 'transpose tiled')).toEqual(['transpose-8x8', 'transpose']);
  });

  it('refuses a perm that keeps the innermost dim, and 2-byte elements', () => {
    const refuse = (shape: number[], perm: number[], dtype: 'f32' | 'f16', message: string) => {
      const p = new PlanBuilder();
      const xi = p.input('x', shape, dtype), yi = p.tensor('y', perm.map((i) => shape[i]!), dtype);
      p.layer('transposeTiled', [xi], [yi], perm, [], 'kt');
      p.output(yi);
      expect(() => kiln().serializePlan(p.desc())).toThrow(message);
    };
    refuse([2, 3, 4], [1, 0, 2], 'f32', "layer 'kt': kernel transposeTiled needs the innermost dim to move, got perm of rank 3 ending in 2");
    refuse([2, 3], [1, 0], 'f16', "layer 'kt': kernel transposeTiled moves 4-byte or 1-byte elements of one type, got 'x' f16[2,3] -> 'y' f16[3,2]");
  });
});
