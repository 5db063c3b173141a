// The elementwise family's native kernels (math, compare, where, prelu, cast, and
// binary on integers) against the interpreter on random shapes with odd sizes and
// broadcasting, at optimization levels 0 and 3. Floats compare with a tolerance;
// integers, bools, casts and f16/bf16 bits compare exactly.
import { describe, expect, it } from 'vitest';
import { Network, type NetworkTensor } from '../../src/index.js';
import { COMPARE_OPS, MATH_OPS, type DType } from '../../src/ir/index.js';
import { interpret, mulberry32, randomInt, randomTensor, readFloats, tensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import { PlanBuilder, kiln } from '../native/plan-fixtures.js';
import { buildPlan, expectClose, runPlan } from './helpers.js';

const pickDims = (rng: Rng, rank: number, max = 7) => Array.from({ length: rank }, () => randomInt(rng, 1, max));

/** A shape that broadcasts against `shape`: a suffix of it with some dims set to 1. */
function broadcastable(rng: Rng, shape: number[]): number[] {
  return shape.slice(randomInt(rng, 0, shape.length)).map((d) => (rng() < 0.4 ? 1 : d));
}

function expectExact(actual: Tensor, expected: Tensor, what: string): void {
  expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const [a, e] = [Array.from(actual.data as ArrayLike<number | bigint>), Array.from(expected.data as ArrayLike<number | bigint>)];
  for (let i = 0; i < e.length; i++) {
    const same = Object.is(a[i], e[i]) || (Number.isNaN(a[i]) && Number.isNaN(e[i]));
    if (!same) expect.fail(`${what}: element ${i} is ${a[i]}, the interpreter gives ${e[i]}`);
  }
}

/** Runs engine (levels 0 and 3) and interpreter; floats within rtol unless `exact`. */
async function check(net: Network, inputs: Record<string, Tensor>, what: string, exact = false, rtol = 1e-4): Promise<void> {
  const graph = net.graph;
  const expected = interpret(graph, inputs);
  for (const level of [0, 3]) {
    const actual = await runPlan(buildPlan(graph, level), inputs);
    for (const name of graph.outputs) {
      const label = `${what} (level ${level}) output '${name}'`;
      if (expected[name]!.dtype === 'f32' && !exact) expectClose(actual[name]!, expected[name]!, label, rtol);
      else expectExact(actual[name]!, expected[name]!, label);
    }
  }
}

function unaryNet(dtype: DType, shape: number[], f: (x: NetworkTensor) => NetworkTensor): Network {
  const net = new Network();
  net.markOutput(f(net.input('x', dtype, shape)), 'y');
  return net;
}

/** Input ranges inside each function's domain (and where f32 results stay finite). */
const DOMAIN: Partial<Record<string, [number, number]>> = {
  Sqrt: [0, 9], Log: [0.01, 9], Asin: [-0.99, 0.99], Acos: [-0.99, 0.99], Atanh: [-0.99, 0.99], Acosh: [1, 9], Tan: [-1.4, 1.4],
  Reciprocal: [0.1, 4],
};

describe('math kernel', () => {
  for (const op of Object.keys(MATH_OPS)) {
    it(`${op} on f32`, async () => {
      const rng = mulberry32(op.length * 31 + 7);
      for (let k = 0; k < 3; k++) {
        const shape = pickDims(rng, randomInt(rng, 1, 4), 9);
        const net = unaryNet('f32', shape, (t) => t.network.addLayer(op, 'op', [t], {}));
        const [min, max] = DOMAIN[op] ?? [-4, 4];
        const x = randomTensor('f32', shape, rng, { min, max });
        // Halves and integers make Round, Floor and Ceil meet their edge cases.
        if (k === 1 && !DOMAIN[op]) x.data.forEach((_, i) => ((x.data as Float32Array)[i] = Math.round((x.data[i] as number) * 2) / 2));
        await check(net, { x }, `${op} ${x.shape}`, ['Floor', 'Ceil', 'Round', 'Neg', 'Abs', 'Sign'].includes(op));
      }
    });
  }

  it('Round, Floor, Ceil and Sign exactly at the edges (halves, -0, NaN, infinities, 2^23 and past)', async () => {
    const edges = [0.5, -0.5, 1.5, -1.5, 2.5, -2.5, -0.4, -0, 0, NaN, Infinity, -Infinity, 8388607.5, 8388609, -8388609, 16777218, 1e30, -1e-30, 0.49999997];
    for (const op of ['Round', 'Floor', 'Ceil', 'Sign', 'Abs', 'Neg']) {
      await check(unaryNet('f32', [edges.length], (t) => t.network.addLayer(op, 'op', [t], {})), { x: tensor('f32', [edges.length], edges) }, `${op} edges`, true);
    }
    const near = [NaN, Infinity, -Infinity, -0, -3, 3, -1e-30];
    for (const f of [(t: NetworkTensor) => t.hardSwish(), (t: NetworkTensor) => t.hardSigmoid(), (t: NetworkTensor) => t.prelu(0.25), (t: NetworkTensor) => t.sqrt()]) {
      await check(unaryNet('f32', [near.length], f), { x: tensor('f32', [near.length], near) }, 'NaN and infinities', true);
    }
  });

  it('Elu, Selu and HardSigmoid pass their attributes', async () => {
    const rng = mulberry32(3);
    const shape = [3, 17];
    const x = { x: randomTensor('f32', shape, rng, { min: -3, max: 3 }) };
    await check(unaryNet('f32', shape, (t) => t.elu(0.7)), x, 'elu 0.7');
    await check(unaryNet('f32', shape, (t) => t.selu({ alpha: 1.2, gamma: 0.9 })), x, 'selu');
    await check(unaryNet('f32', shape, (t) => t.hardSigmoid(0.3, 0.4)), x, 'hardSigmoid');
  });

  for (const [op, dtypes] of [['Neg', ['i8', 'i32', 'i64']], ['Abs', ['i8', 'u8', 'i32', 'i64']], ['Sign', ['i8', 'u8', 'i32', 'i64']]] as const) {
    it(`${op} on integers, wrapping at the minimum`, async () => {
      for (const dtype of dtypes) {
        const extreme: Record<string, number | bigint> = { i8: -128, u8: 255, i32: -(2 ** 31), i64: -(2n ** 63n) };
        const values = [extreme[dtype]!, 0, 5, dtype === 'u8' ? 7 : -7, 1];
        const x = tensor(dtype, [5], values as number[]);
        await check(unaryNet(dtype, [5], (t) => t.network.addLayer(op, 'op', [t], {})), { x }, `${op} ${dtype}`);
      }
    });
  }

  it('Not on bool', async () => {
    const rng = mulberry32(4);
    const x = randomTensor('bool', [5, 13], rng);
    await check(unaryNet('bool', [5, 13], (t) => t.not()), { x }, 'not');
  });
});

describe('compare kernel', () => {
  for (const op of Object.keys(COMPARE_OPS)) {
    it(`${op} with broadcasting on every dtype it takes`, async () => {
      const rng = mulberry32(op.length * 13);
      const dtypes = COMPARE_OPS[op as keyof typeof COMPARE_OPS] as readonly DType[];
      for (const dtype of dtypes) {
        const rank = randomInt(rng, 1, 4);
        const a = pickDims(rng, rank);
        const b = broadcastable(rng, a);
        const net = new Network();
        const [x, y] = rng() < 0.5 ? [net.input('a', dtype, a), net.input('b', dtype, b)] : [net.input('b', dtype, b), net.input('a', dtype, a)];
        net.markOutput(net.addLayer(op, 'cmp', [x, y], {}), 'y');
        // Few distinct values, so Equal and the *OrEqual forms see ties.
        const range = dtype === 'bool' ? {} : dtype === 'u8' ? { min: 0, max: 3 } : { min: -2, max: 2 };
        const inputs = Object.fromEntries(['a', 'b'].map((n) => {
          const t = randomTensor(dtype, net.graph.types[n]!.shape as number[], rng, range);
          return [n, dtype === 'f32' || dtype === 'f16' || dtype === 'bf16' ? tensor(dtype, t.shape, Array.from(readFloats(t), Math.round)) : t];
        }));
        await check(net, inputs, `${op} ${dtype} ${JSON.stringify([a, b])}`);
      }
    });
  }

  it('NaN compares false', async () => {
    const net = new Network();
    const [a, b] = [net.input('a', 'f32', [3]), net.input('b', 'f32', [3])];
    net.markOutput(a.equal(b), 'eq');
    net.markOutput(a.lessOrEqual(b), 'le');
    await check(net, { a: tensor('f32', [3], [NaN, 1, NaN]), b: tensor('f32', [3], [NaN, NaN, 2]) }, 'NaN');
  });
});

describe('mod kernel', () => {
  for (const dtype of ['f32', 'i8', 'u8', 'i32', 'i64'] as const) {
    it(`${dtype} with broadcasting, both signs conventions`, async () => {
      const rng = mulberry32(dtype.length * 17 + dtype.charCodeAt(1));
      for (const fmod of dtype === 'f32' ? [1] : [0, 1]) {
        const a = pickDims(rng, randomInt(rng, 1, 4));
        const b = broadcastable(rng, a);
        const net = new Network();
        net.markOutput(net.addLayer('Mod', 'mod', [net.input('a', dtype, a), net.input('b', dtype, b)], { fmod }), 'y');
        const ta = randomTensor(dtype, a, rng, dtype === 'f32' ? { min: -9, max: 9 } : {});
        const tb = randomTensor(dtype, b, rng, dtype === 'u8' ? { min: 1, max: 255 } : dtype === 'f32' ? { min: 0.5, max: 4 } : { min: 1, max: 9 });
        if (dtype !== 'u8') tb.data.forEach((v, i) => { if (rng() < 0.5) tb.data[i] = (typeof v === 'bigint' ? -v : -(v as number)) as never; });
        await check(net, { a: ta, b: tb }, `mod ${dtype} fmod ${fmod} ${JSON.stringify([a, b])}`);
      }
    });
  }
});

describe('where kernel', () => {
  for (const dtype of ['f32', 'i64', 'i32', 'u8', 'bool', 'f16'] as const) {
    it(`${dtype} with three-way broadcasting`, async () => {
      const rng = mulberry32(dtype.length * 101);
      for (let k = 0; k < 4; k++) {
        const out = pickDims(rng, randomInt(rng, 1, 4));
        const net = new Network();
        const c = net.input('c', 'bool', broadcastable(rng, out));
        const x = net.input('x', dtype, k === 0 ? out : broadcastable(rng, out));
        const y = net.input('y', dtype, broadcastable(rng, out));
        net.markOutput(c.where(x, y), 'out');
        const inputs = Object.fromEntries(['c', 'x', 'y'].map((n) => [n, randomTensor(net.graph.types[n]!.dtype, net.graph.types[n]!.shape as number[], rng)]));
        await check(net, inputs, `where ${dtype} case ${k}`, true);
      }
    });
  }
});

describe('prelu kernel', () => {
  it('per-channel, scalar and full slopes on odd shapes', async () => {
    const rng = mulberry32(8);
    for (let k = 0; k < 6; k++) {
      const shape = pickDims(rng, randomInt(rng, 2, 4), 9);
      const net = new Network();
      const x = net.input('x', 'f32', shape);
      const slope = k % 3 === 0 ? Array.from({ length: shape[1]! }, () => rng() - 0.5) : k % 3 === 1 ? 0.25 : net.input('s', 'f32', broadcastable(rng, shape));
      net.markOutput(x.prelu(slope), 'y');
      await check(net, Object.fromEntries(net.graph.inputs.map((n) => [n, randomTensor('f32', net.graph.types[n]!.shape as number[], rng, { min: -2, max: 2 })])), `prelu ${shape} case ${k}`);
    }
  });
});

describe('cast kernel', () => {
  const DTYPES: DType[] = ['f32', 'f16', 'bf16', 'i8', 'u8', 'i32', 'i64', 'bool'];
  /** Values with every edge: halves, NaN, infinities, out-of-range, wrap-around. */
  function source(dtype: DType, rng: Rng): Tensor {
    const special: Partial<Record<DType, (number | bigint)[]>> = {
      f32: [NaN, Infinity, -Infinity, -0, 0.5, -1.5, 2.5, 1e10, -1e10, 300, -300, 65520, 1 + 2 ** -11, 3.0000002, 2 ** 31, -(2 ** 31)],
      f16: [NaN, Infinity, -0, 0.5, -1.5, 65504, 300, -300, 2 ** -24],
      bf16: [NaN, -Infinity, 1e30, -1e30, 300, -0.5, 2 ** 40],
      i8: [-128, 127, 0, -1], u8: [0, 255, 128], i32: [-(2 ** 31), 2 ** 31 - 1, 200, -129, 16777217, 2049],
      i64: [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 60n + 2n ** 36n + 1n, 4294967301n, -1n], bool: [0, 1],
    };
    const narrow = dtype === 'i8' || dtype === 'u8' || dtype === 'bool';
    // Random f32 values for the half types too: tensor() rounds them to f16/bf16.
    const random = randomTensor(dtype === 'f16' || dtype === 'bf16' ? 'f32' : dtype, [23], rng, narrow ? {} : { min: -400, max: 400 });
    const values = [...special[dtype]!, ...Array.from(random.data as ArrayLike<number | bigint>)];
    return tensor(dtype, [values.length], values as number[]);
  }
  for (const from of DTYPES) {
    it(`from ${from} to every dtype, exactly`, async () => {
      const rng = mulberry32(from.length * 7 + from.charCodeAt(0));
      const x = source(from, rng);
      const net = new Network();
      const input = net.input('x', from, x.shape);
      for (const to of DTYPES) net.markOutput(input.cast(to, `to_${to}`), `y_${to}`);
      await check(net, { x }, `cast ${from}`, true);
    });
  }
});

describe('binary kernel on integers', () => {
  for (const dtype of ['i8', 'u8', 'i32', 'i64'] as const) {
    it(`${dtype}: add, sub, mul, div, max, min, pow with broadcasting and wrap-around`, async () => {
      const rng = mulberry32(dtype.length * 57 + dtype.charCodeAt(1));
      for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow']) {
        const a = pickDims(rng, randomInt(rng, 1, 4));
        const b = broadcastable(rng, a);
        const net = new Network();
        const [x, y] = [net.input('a', dtype, a), net.input('b', dtype, b)];
        net.markOutput(net.addLayer(op, 'op', [x, y], {}), 'y');
        const big = dtype === 'i8' || dtype === 'u8' ? {} : { min: -(2 ** 20), max: 2 ** 20 };
        const ta = randomTensor(dtype, a, rng, op === 'Pow' ? { min: dtype === 'u8' ? 0 : -5, max: 5 } : big);
        const tb = randomTensor(dtype, b, rng, op === 'Pow' ? { min: 0, max: 9 } : op === 'Div' ? { min: 1, max: dtype === 'u8' ? 255 : 100 } : big);
        if (op === 'Div' && dtype !== 'u8') tb.data.forEach((v, i) => { if (rng() < 0.5) tb.data[i] = (typeof v === 'bigint' ? -v : -(v as number)) as never; });
        await check(net, { a: ta, b: tb }, `${op} ${dtype} ${JSON.stringify([a, b])}`);
      }
    });
  }

  it('wraps the minimum divided by -1 and multiplies past the range', async () => {
    const net = new Network();
    const [a, b] = [net.input('a', 'i32', [3]), net.input('b', 'i32', [3])];
    net.markOutput(a.div(b), 'q');
    net.markOutput(a.mul(b), 'p');
    net.markOutput(a.sub(b), 'd');
    await check(net, { a: tensor('i32', [3], [-(2 ** 31), 2 ** 30, -7]), b: tensor('i32', [3], [-1, 4, 2]) }, 'i32 edges');
    const n64 = new Network();
    const [c, d] = [n64.input('a', 'i64', [2]), n64.input('b', 'i64', [2])];
    n64.markOutput(c.div(d), 'q');
    await check(n64, { a: tensor('i64', [2], [-(2n ** 63n), -7n]), b: tensor('i64', [2], [-1n, 2n]) }, 'i64 edges');
  });

  it('fails the run on an integer division by zero, naming the layer', async () => {
    const net = new Network();
    net.markOutput(net.input('a', 'i32', [2]).div(net.input('b', 'i32', [2]), 'quotient'), 'q');
    const run = runPlan(buildPlan(net.graph), { a: tensor('i32', [2], [5, 6]), b: tensor('i32', [2], [1, 0]) });
    await expect(run).rejects.toThrow("layer 'quotient': integer Div of 6 by 0 has no result (division by zero)");
  });
});

describe('DSL', () => {
  it('turns numbers into scalars of the tensor dtype and shows types', () => {
    const net = new Network();
    const ids = net.input('ids', 'i64', ['batch', 5]);
    expect(ids.equal(0).type).toEqual({ dtype: 'bool', shape: ['batch', 5] });
    const mask = ids.greater(3, 'big');
    expect(mask.where(ids, -1).toString()).toBe('where_5: i64[batch,5]');
    expect(net.input('x', 'f32', [2, 3, 4]).prelu([0.1, 0.2, 0.3]).type.shape).toEqual([2, 3, 4]);
    expect(ids.cast('f16').type).toEqual({ dtype: 'f16', shape: ['batch', 5] });
    const fmodOf = (t: NetworkTensor) => {
      net.markOutput(t);
      return net.graph.nodes.find((n) => n.outputs.includes(t.name))!.attrs.fmod;
    };
    expect(fmodOf(ids.mod(3))).toBe(0);
    expect(fmodOf(ids.fmod(3))).toBe(1);
    expect(fmodOf(net.input('f', 'f32', [2]).mod(1.5))).toBe(1);
  });
  it('errors name the layer, the argument and the types', () => {
    const net = new Network();
    const ids = net.input('ids', 'i32', [4]);
    expect(() => ids.equal(0.5, 'eq')).toThrow("layer 'eq': argument 'b': 0.5 is not a i32 value this DSL can make (integers up to 2^24); pass a tensor");
    expect(() => ids.sqrt('root')).toThrow("layer 'root' (Sqrt): Sqrt is defined on f32, f16, bf16; input 'x' is i32[4]");
    expect(() => ids.where(ids, ids, 'w')).toThrow("layer 'w' (Where): Where is defined on bool; input 'cond' is i32[4]");
    expect(() => net.input('x', 'f32', [2, 3]).prelu([1, 2], 'p')).toThrow("layer 'p': argument 'slope': expected 3 values (f32[3]), received 2");
    expect(() => ids.cast('f64' as DType, 'c')).toThrow("layer 'c' (Cast): attribute 'to' must be one of f32, f16, bf16, i8, u8, i32, i64, bool, got 'f64'");
  });
});

describe('kernel checks at load', () => {
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return { code: (e as { code?: string }).code, message: (e as Error).message };
    }
    return undefined;
  };
  it('refuses dtypes and shapes a kernel cannot run, naming the layer', () => {
    const b = new PlanBuilder();
    const x = b.input('x', [4], 'i32');
    const y = b.tensor('y', [4], 'i32');
    b.layer('math', [x], [y], [0], [0, 0], 'root');
    b.output(y);
    expect(codeOf(() => kiln().serializePlan(b.desc()))).toEqual({ code: 'KILN_KERNEL', message: "layer 'root': kernel math computes sqrt on f32; input 'x' i32[4]" });

    const c = new PlanBuilder();
    const [p, q] = [c.input('p', [4], 'f16'), c.input('q', [4], 'f16')];
    const r = c.tensor('r', [4], 'bool');
    c.layer('compare', [p, q], [r], [5], [], 'lt');
    c.output(r);
    expect(codeOf(() => kiln().serializePlan(c.desc()))?.message).toBe("layer 'lt': kernel compare supports bool for and/or/xor; input 'p' f16[4]");

    const d = new PlanBuilder();
    const [cd, xd, yd] = [d.input('c', [3], 'bool'), d.input('x', [2, 1]), d.input('y', [3])];
    const od = d.tensor('o', [2, 2]);
    d.layer('where', [cd, xd, yd], [od], [], [], 'w');
    d.output(od);
    expect(codeOf(() => kiln().serializePlan(d.desc()))?.message).toBe("layer 'w': kernel where expects output f32[2,3], got f32[2,2]");

    const e = new PlanBuilder();
    const [ae, be] = [e.input('a', [2], 'f16'), e.input('b', [2], 'f16')];
    const ye = e.tensor('y', [2], 'f16');
    e.layer('binary', [ae, be], [ye], [0], [], 'add');
    e.output(ye);
    expect(codeOf(() => kiln().serializePlan(e.desc()))?.message).toBe("layer 'add': kernel binary supports f32, i8, u8, i32 and i64; input 'a' f16[2]");
  });
});
