// The softmaxRows tactic (AVX2 + FMA rows) against the reference interpreter's
// Softmax: row lengths that leave every remainder of the 8- and 16-wide loops,
// large and tiny logits, rows holding NaN or infinities (the careful path), 1 and
// 2 threads, through lowering as a timed tactic; and its refusal of a strided axis.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { makeGraph } from '../../src/ir/index.js';
import { interpret } from '../../src/interpret/index.js';
import { checkTactics } from '../tuning/harness.js';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';

const R = rng(77);

function oracle(x: Float32Array, shape: number[]): Float32Array {
  const graph = makeGraph({
    inputs: ['x'], outputs: ['y'], constants: {},
    types: { x: { dtype: 'f32', shape }, y: { dtype: 'f32', shape } },
    nodes: [{ name: 'sm', op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: -1 } }],
  });
  return interpret(graph, { x: { dtype: 'f32', shape, data: x } }).y!.data as Float32Array;
}

async function check(x: Float32Array, shape: number[], threads: number) {
  const p = new PlanBuilder();
  const xi = p.input('x', shape), yi = p.tensor('y', shape);
  p.layer('softmaxRows', [xi], [yi], [shape.length - 1], []);
  p.output(yi);
  const out = await runPlan(p.desc(), { x: { data: x, shape } }, threads);
  const want = oracle(x, shape);
  for (let i = 0; i < want.length; i++) if (Number.isNaN(want[i])) expect(out.y.data[i], `element ${i} of ${shape}`).toBeNaN();
  expectClose(out.y.data.map((v: number, i: number) => (Number.isNaN(want[i]) ? 0 : v)), want.map((v) => (Number.isNaN(v) ? 0 : v)),
    1e-5, `softmaxRows ${shape} on ${threads} threads`);
}

describe('softmaxRows', () => {
  it('matches the interpreter for every row length 1..40 and long rows, 1 and 2 threads', async () => {
    for (let len = 1; len <= 40; len++) await check(R.floats(3 * len, -10, 10), [3, len], 1 + (len % 2));
    for (const shape of [[4, 128, 128], [2, 3, 257], [1, 1000]]) {
      for (const threads of [1, 2]) await check(R.floats(numel(shape), -30, 30), shape, threads);
    }
  });

  it('keeps the interpreter results for huge spreads, NaN and infinities', async () => {
    const rows = [
      [1e30, -1e30, 0, 5, ...Array.from({ length: 20 }, (_, i) => i - 10)],
      [NaN, ...Array.from({ length: 23 }, (_, i) => i)],
      [...Array.from({ length: 17 }, (_, i) => i), Infinity, 0, 0, 0, 0, 0, 0],
      [...Array.from({ length: 23 }, (_, i) => -i), -Infinity],
      Array.from({ length: 24 }, () => -Infinity),
      Array.from({ length: 24 }, (_, i) => -80 - i),
    ];
    for (const threads of [1, 2]) await check(Float32Array.from(rows.flat()), [rows.length, 24], threads);
  });

  it('is a softmax tactic for the last axis, equal to the interpreter through lowering', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [4, 19, 37]);
    net.markOutput(x.softmax(-1), 'y');
    expect(await checkTactics(net, 'softmax rows')).toEqual(['softmax-rows-avx2', 'softmax']);
  });

  it('refuses a strided axis', () => {
    const p = new PlanBuilder();
    const xi = p.input('x', [2, 3, 4]), yi = p.tensor('y', [2, 3, 4]);
    p.layer('softmaxRows', [xi], [yi], [1], [], 'sm');
    p.output(yi);
    expect(() => kiln().serializePlan(p.desc())).toThrow(
      "layer 'sm': kernel softmaxRows needs contiguous rows (every dim after the axis 1), got axis 1 of 'x' f32[2,3,4]");
  });
});
