// The reduce family's native kernels against the interpreter: every Reduce mode on
// random shapes and axis sets (odd sizes, sizes that take the chunked parallel paths),
// integer and bool reductions compared exactly, ArgMax/ArgMin, TopK, CumSum.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import { REDUCE_MODES, type DType, type ReduceMode } from '../../src/ir/index.js';
import { buildPlan, checkAgainstInterpreter, runPlan } from './helpers.js';

const dims = (rng: Rng, rank: number, max = 7) => Array.from({ length: rank }, () => randomInt(rng, 1, max));
const subset = (rng: Rng, rank: number) => Array.from({ length: rank }, (_, i) => i).filter(() => rng() < 0.5).map((a) => (rng() < 0.3 ? a - rank : a));

/** Value ranges that keep every mode finite and well conditioned. */
const RANGE: Partial<Record<ReduceMode, { min: number; max: number }>> = {
  prod: { min: 0.6, max: 1.4 }, logSum: { min: 0.1, max: 2 }, logSumExp: { min: -30, max: 30 },
};

/** Engine vs interpreter with integer (and bool) outputs compared exactly. */
async function checkExact(net: Network, inputs: Record<string, Tensor>, what: string): Promise<void> {
  const graph = net.graph;
  const expected = interpret(graph, inputs);
  const actual = await runPlan(buildPlan(graph), inputs);
  for (const name of graph.outputs) {
    expect(actual[name]!.dtype, `${what}: ${name} dtype`).toBe(expected[name]!.dtype);
    expect(actual[name]!.shape, `${what}: ${name} shape`).toEqual(expected[name]!.shape);
    expect(Array.from(actual[name]!.data as ArrayLike<number | bigint>), `${what}: ${name}`).toEqual(Array.from(expected[name]!.data as ArrayLike<number | bigint>));
  }
}

function single(dtype: DType, shape: number[], f: (x: ReturnType<Network['input']>) => ReturnType<Network['input']>): Network {
  const net = new Network();
  net.markOutput(f(net.input('x', dtype, shape)), 'y');
  return net;
}

describe('reduce (f32)', () => {
  for (const mode of REDUCE_MODES) {
    it(mode, async () => {
      const rng = mulberry32(101);
      for (let k = 0; k < 8; k++) {
        const shape = dims(rng, randomInt(rng, 1, 4));
        const axes = k === 0 ? [] : subset(rng, shape.length);
        const opts = { axes, keepDims: rng() < 0.5, noopWithEmptyAxes: k === 1 };
        const net = single('f32', shape, (x) => x.reduce(mode, opts));
        const x = randomTensor('f32', shape, rng, RANGE[mode] ?? { min: -2, max: 2 });
        await checkAgainstInterpreter(net, { x }, `${mode} ${JSON.stringify({ shape, ...opts })}`, 3, 2e-4);
      }
    });
  }

  it('large reductions split across threads (few outputs) and many small ones', async () => {
    const rng = mulberry32(7);
    const cases: [number[], number[], ReduceMode][] = [
      [[3, 70001], [1], 'sum'], [[2, 40000, 3], [1], 'mean'], [[50003, 5], [0], 'max'], [[300, 701], [], 'l2'],
      [[3, 20000, 2], [0, 2], 'logSumExp'], [[40000, 3], [1], 'min'], [[5, 7, 9, 11], [1, 3], 'sumSquare'], [[2, 33000], [0], 'prod'],
    ];
    for (const [shape, axes, mode] of cases) {
      const net = single('f32', shape, (x) => x.reduce(mode, { axes }));
      const x = randomTensor('f32', shape, rng, RANGE[mode] ?? { min: -1, max: 1 });
      await checkAgainstInterpreter(net, { x }, `${mode} ${JSON.stringify({ shape, axes })}`, 3, 1e-3);
    }
  });

  it('NaN propagates through max and min', async () => {
    const net = single('f32', [2, 40], (x) => x.reduceMax([1]));
    const x = randomTensor('f32', [2, 40], mulberry32(1));
    (x.data as Float32Array)[17] = NaN;
    const out = await runPlan(buildPlan(net.graph), { x });
    expect(Number.isNaN((out.y!.data as Float32Array)[0])).toBe(true);
    expect(Number.isNaN((out.y!.data as Float32Array)[1])).toBe(false);
  });
});

describe('reduce (integers and bool, exact)', () => {
  for (const dtype of ['i32', 'i64'] as const) {
    for (const mode of ['sum', 'prod', 'max', 'min'] as const) {
      it(`${dtype} ${mode}`, async () => {
        const rng = mulberry32(33);
        for (let k = 0; k < 5; k++) {
          const shape = k === 4 ? [4, 30000] : dims(rng, randomInt(rng, 1, 4));
          const axes = k === 4 ? [1] : subset(rng, shape.length);
          const net = single(dtype, shape, (x) => x.reduce(mode, { axes, keepDims: k % 2 === 0 }));
          const range = mode === 'prod' ? { min: -3, max: 3 } : { min: -1000, max: 1000 };
          await checkExact(net, { x: randomTensor(dtype, shape, rng, range) }, `${dtype} ${mode} ${shape} ${axes}`);
        }
      });
    }
  }
  it('bool max (any) and min (all)', async () => {
    const rng = mulberry32(4);
    for (const mode of ['max', 'min'] as const) {
      const net = single('bool', [3, 5, 4], (x) => x.reduce(mode, { axes: [1] }));
      await checkExact(net, { x: randomTensor('bool', [3, 5, 4], rng) }, `bool ${mode}`);
    }
  });
});

describe('argMax, argMin', () => {
  it('f32, i32 and i64, every axis, ties, selectLastIndex', async () => {
    const rng = mulberry32(55);
    for (let k = 0; k < 12; k++) {
      const dtype = (['f32', 'i32', 'i64'] as const)[k % 3]!;
      const shape = dims(rng, randomInt(rng, 1, 4), 9);
      const axis = randomInt(rng, -shape.length, shape.length - 1);
      const o = { keepDims: rng() < 0.5, selectLastIndex: rng() < 0.5 };
      const net = single(dtype, shape, (x) => (k % 2 ? x.argMax(axis, o) : x.argMin(axis, o)));
      // Few distinct values, so ties are common.
      const x = randomTensor(dtype, shape, rng, { min: -3, max: 3 });
      if (dtype === 'f32') (x.data as Float32Array).forEach((v, i, a) => (a[i] = Math.round(v)));
      await checkExact(net, { x }, `${k % 2 ? 'argMax' : 'argMin'} ${dtype} ${shape} axis ${axis} ${JSON.stringify(o)}`);
    }
  });
  it('a long row and a wide strided axis', async () => {
    const rng = mulberry32(56);
    await checkExact(single('f32', [3, 5000], (x) => x.argMax(1)), { x: randomTensor('f32', [3, 5000], rng) }, 'long row');
    await checkExact(single('f32', [7, 600], (x) => x.argMin(0)), { x: randomTensor('f32', [7, 600], rng) }, 'strided');
  });
});

describe('topK', () => {
  it('values and indices, largest and smallest, every axis, ties', async () => {
    const rng = mulberry32(77);
    for (let k = 0; k < 10; k++) {
      const dtype = (['f32', 'i32', 'i64'] as const)[k % 3]!;
      const shape = dims(rng, randomInt(rng, 1, 3), 9);
      const axis = randomInt(rng, 0, shape.length - 1);
      const kk = randomInt(rng, 1, shape[axis]!);
      const net = new Network();
      const { values, indices } = net.input('x', dtype, shape).topK(kk, { axis, largest: k % 2 === 0 });
      net.markOutput(values, 'values');
      net.markOutput(indices, 'indices');
      const x = randomTensor(dtype, shape, rng, { min: -4, max: 4 });
      if (dtype === 'f32') (x.data as Float32Array).forEach((v, i, a) => (a[i] = Math.round(v * 2) / 2));
      await checkExact(net, { x }, `topK ${dtype} ${shape} axis ${axis} k ${kk}`);
    }
  });

  it('one output of two in use: the other still gets its own place in the plan', async () => {
    const rng = mulberry32(78);
    for (const keep of ['values', 'indices'] as const) {
      const net = new Network();
      const r = net.input('x', 'f32', [5, 9]).topK(4, { largest: false });
      net.markOutput(keep === 'values' ? r.values.relu() : r.indices, 'y');
      await checkExact(net, { x: randomTensor('f32', [5, 9], rng) }, `topK ${keep} only`);
    }
  });
});

describe('cumSum', () => {
  it('f32, i32, i64, exclusive and reverse, every axis', async () => {
    const rng = mulberry32(88);
    for (let k = 0; k < 12; k++) {
      const dtype = (['f32', 'i32', 'i64'] as const)[k % 3]!;
      const shape = k === 0 ? [3, 2000] : dims(rng, randomInt(rng, 1, 4));
      const axis = randomInt(rng, -shape.length, shape.length - 1);
      const o = { exclusive: rng() < 0.5, reverse: rng() < 0.5 };
      const net = single(dtype, shape, (x) => x.cumSum(axis, o));
      const x = randomTensor(dtype, shape, rng);
      const what = `cumSum ${dtype} ${shape} axis ${axis} ${JSON.stringify(o)}`;
      if (dtype === 'f32') await checkAgainstInterpreter(net, { x }, what);
      else await checkExact(net, { x }, what);
    }
  });
});
