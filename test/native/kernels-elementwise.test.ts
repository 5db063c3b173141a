// Elementwise and data-movement kernels (unary, binary, scale, softmax, copy,
// transpose, concat) against the JS references, on random shapes.
import { describe, expect, it } from 'vitest';
import { ACTIVATION_CODES, BINARY_CODES, SCALE_MODE_CODES } from '../../codegen/plan-desc.js';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';
import { activate, binary, softmax, transpose } from './references.js';

const R = rng(1234);

function randomShape(rank: number, max = 6): number[] {
  return Array.from({ length: rank }, () => R.int(1, max));
}

describe('unary', () => {
  for (const [name, code] of Object.entries(ACTIVATION_CODES)) {
    it(`computes ${name}`, async () => {
      const shape = [3, 37];
      const x = R.floats(numel(shape), -4, 4);
      const [alpha, beta] = name === 'clip' ? [-0.5, 1.5] : [0.1, 0];
      const b = new PlanBuilder();
      const xi = b.input('x', shape);
      const yi = b.tensor('y', shape);
      b.layer('unary', [xi], [yi], [code], [alpha, beta]);
      b.output(yi);
      const out = await runPlan(b.desc(), { x: { data: x, shape } });
      expectClose(out.y.data, Array.from(x, (v) => activate(v, { code, alpha, beta })), 1e-5, name);
    });
  }

  it('runs in place when input and output share their bytes', async () => {
    const b = new PlanBuilder();
    const xi = b.input('x', [100]);
    const yi = b.tensorAt('y', [100], b.tensors[xi]!.offset);
    b.layer('unary', [xi], [yi], [ACTIVATION_CODES.relu], [0, 0]);
    b.output(yi);
    const x = R.floats(100);
    const out = await runPlan(b.desc(), { x: { data: x, shape: [100] } });
    expectClose(out.y.data, Array.from(x, (v) => Math.max(v, 0)));
  });
});

describe('binary', () => {
  const cases: [number[], number[]][] = [
    [[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4]], [[2, 3, 4], [3, 1]], [[1], [5, 7]], [[4, 1, 5], [1, 3, 1]],
    [[2, 1, 3, 1], [7, 1, 5]], [[33, 65], [33, 1]], [[1, 1], [1]], [[6, 1, 1, 9], [6, 8, 9, 1]],
  ];
  for (const [name, op] of Object.entries(BINARY_CODES)) {
    it(`computes ${name} with broadcasting`, async () => {
      for (const [as, bs] of cases) {
        const a = R.floats(numel(as), name === 'pow' ? 0.1 : -2, 2);
        const bv = R.floats(numel(bs), name === 'div' ? 0.5 : -2, 2);
        const { out, shape } = binary(op, a, as, bv, bs);
        const b = new PlanBuilder();
        const ai = b.input('a', as), bi = b.input('b', bs), yi = b.tensor('y', shape);
        b.layer('binary', [ai, bi], [yi], [op]);
        b.output(yi);
        const res = await runPlan(b.desc(), { a: { data: a, shape: as }, b: { data: bv, shape: bs } });
        expect(res.y.shape).toEqual(shape);
        expectClose(res.y.data, out, 1e-5, `${name} ${as} ${bs}`);
      }
    });
  }

  it('refuses shapes that do not broadcast', () => {
    const b = new PlanBuilder();
    const ai = b.input('a', [2, 3]), bi = b.input('b', [4]), yi = b.tensor('y', [2, 3]);
    b.layer('binary', [ai, bi], [yi], [0], [], 'add1');
    b.output(yi);
    expect(() => kiln().serializePlan(b.desc())).toThrow(/layer 'add1': kernel binary cannot broadcast 'a' f32\[2,3\] with 'b' f32\[4\]/);
  });
});

describe('scale', () => {
  it('applies uniform, channel and elementwise parameters', async () => {
    for (let trial = 0; trial < 12; trial++) {
      const shape = randomShape(R.int(1, 4));
      const mode = trial % 3;
      const axis = R.int(0, shape.length - 1);
      const count = mode === SCALE_MODE_CODES.uniform ? 1 : mode === SCALE_MODE_CODES.channel ? shape[axis] : numel(shape);
      const sizes = [count, R.next() < 0.5 ? 1 : count, trial % 2 ? count : 1];
      const shift = R.floats(sizes[0]!), scale = R.floats(sizes[1]!);
      const power = trial % 4 === 0 ? Float32Array.from({ length: sizes[2]! }, () => 1) : Float32Array.from({ length: sizes[2]! }, () => R.int(1, 3));
      const x = R.floats(numel(shape), 0.1, 2);
      const inner = numel(shape.slice(axis + 1));
      const expected = Array.from(x, (v, i) => {
        const c = mode === 0 ? 0 : mode === 1 ? Math.floor(i / inner) % shape[axis]! : i;
        const pick = (arr: Float32Array) => arr[arr.length === 1 ? 0 : c]!;
        return Math.pow(v * pick(scale) + pick(shift), pick(power));
      });
      const b = new PlanBuilder();
      const xi = b.input('x', shape);
      const ti = b.weight('shift', [sizes[0]!], shift), si = b.weight('scale', [sizes[1]!], scale), pi = b.weight('power', [sizes[2]!], power);
      const yi = b.tensor('y', shape);
      b.layer('scale', [xi, ti, si, pi], [yi], [mode, axis]);
      b.output(yi);
      const out = await runPlan(b.desc(), { x: { data: x, shape } });
      expectClose(out.y.data, expected, 1e-5, `scale mode ${mode} ${shape}`);
    }
  });
});

describe('softmax', () => {
  it('normalizes along every axis, stably', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const shape = randomShape(R.int(1, 4), 9);
      if (trial === 0) shape.splice(0, shape.length, 2, 300, 3);
      const axis = R.int(0, shape.length - 1);
      const x = R.floats(numel(shape), -50, 50);
      const b = new PlanBuilder();
      const xi = b.input('x', shape), yi = b.tensor('y', shape);
      b.layer('softmax', [xi], [yi], [axis]);
      b.output(yi);
      const out = await runPlan(b.desc(), { x: { data: x, shape } });
      expectClose(out.y.data, softmax(x, shape, axis), 1e-5, `softmax ${shape} axis ${axis}`);
    }
  });
});

describe('copy, transpose, concat', () => {
  it('copies any dtype (reshape)', async () => {
    const b = new PlanBuilder();
    const xi = b.input('x', [2, 3], 'i64'), yi = b.tensor('y', [6], 'i64');
    b.layer('copy', [xi], [yi]);
    b.output(yi);
    const x = BigInt64Array.from([1n, -2n, 3n, 1n << 40n, 5n, -6n]);
    const out = await runPlan(b.desc(), { x: { data: x, shape: [2, 3] } });
    expect(out.y.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(out.y.data)).toEqual(Array.from(x));
  });

  it('transposes random permutations for every element size', async () => {
    const dtypes = [['f32', Float32Array], ['u8', Uint8Array], ['f16', Uint16Array], ['i64', BigInt64Array]] as const;
    for (let trial = 0; trial < 16; trial++) {
      const rank = R.int(1, 5);
      const shape = randomShape(rank, 7);
      const perm = [...Array(rank).keys()].sort(() => R.next() - 0.5);
      const [dtype, Ctor] = dtypes[trial % dtypes.length]!;
      const x: any = new (Ctor as any)(numel(shape));
      for (let i = 0; i < x.length; i++) x[i] = dtype === 'i64' ? BigInt(i * 3 - 7) : (i * 7) % 251;
      const ref = transpose(x, shape, perm, (n) => new (Ctor as any)(n));
      const b = new PlanBuilder();
      const xi = b.input('x', shape, dtype), yi = b.tensor('y', ref.shape, dtype);
      b.layer('transpose', [xi], [yi], perm);
      b.output(yi);
      const out = await runPlan(b.desc(), { x: { data: x, shape } });
      expect(out.y.shape).toEqual(ref.shape);
      expect(Array.from(out.y.data)).toEqual(Array.from(ref.y as any));
    }
  });

  it('concatenates along any axis', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const rank = R.int(1, 4);
      const axis = R.int(0, rank - 1);
      const base = randomShape(rank, 5);
      const parts = Array.from({ length: R.int(1, 4) }, () => {
        const s = [...base];
        s[axis] = R.int(1, 4);
        return s;
      });
      const outShape = [...base];
      outShape[axis] = parts.reduce((a, s) => a + s[axis]!, 0);
      const datas = parts.map((s) => Int32Array.from({ length: numel(s) }, () => R.int(-1000, 1000)));
      const b = new PlanBuilder();
      const ins = parts.map((s, i) => b.input(`x${i}`, s, 'i32'));
      const yi = b.tensor('y', outShape, 'i32');
      b.layer('concat', ins, [yi], [axis]);
      b.output(yi);
      const feed = Object.fromEntries(parts.map((s, i) => [`x${i}`, { data: datas[i]!, shape: s }]));
      const out = await runPlan(b.desc(), feed);
      // Reference: walk output coordinates and pick the source part.
      const outer = numel(outShape.slice(0, axis)), inner = numel(outShape.slice(axis + 1));
      const expected: number[] = [];
      for (let o = 0; o < outer; o++)
        parts.forEach((s, i) => {
          const chunk = s[axis]! * inner;
          expected.push(...datas[i]!.subarray(o * chunk, (o + 1) * chunk));
        });
      expect(out.y.data).toBeInstanceOf(Int32Array);
      expect(Array.from(out.y.data)).toEqual(expected);
    }
  });
});
