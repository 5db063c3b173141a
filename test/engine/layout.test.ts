// The layout kernels (slice, split, gather, gatherElements, expand, tile, pad, resize,
// depthToSpace, spaceToDepth, trilu, fill, range, shape) against the interpreter on
// random shapes with odd sizes, on float and integer dtypes. Moved elements must be
// bit-exact; only linear and cubic resize compute, and get a tolerance.
import { describe, expect, it } from 'vitest';
import { Network, type NetworkTensor } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import { sliceParams, type DType } from '../../src/ir/index.js';
import { PlanBuilder, kiln } from '../native/plan-fixtures.js';
import { buildPlan, expectClose, randomInputs, runPlan } from './helpers.js';

const pickDims = (rng: Rng, rank: number, max = 7) => Array.from({ length: rank }, () => randomInt(rng, 1, max));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[randomInt(rng, 0, items.length - 1)]!;
const MOVED: DType[] = ['f32', 'f16', 'i64', 'i32', 'u8', 'bool'];

/** Engine and interpreter on the same inputs; exact unless a tolerance is given. */
async function check(net: Network, inputs: Record<string, Tensor>, what: string, o: { rtol?: number; optLevel?: number } = {}): Promise<void> {
  const graph = net.graph;
  const expected = interpret(graph, inputs);
  const actual = await runPlan(buildPlan(graph, o.optLevel ?? 3), inputs);
  for (const name of graph.outputs) {
    const [a, e] = [actual[name]!, expected[name]!];
    if (o.rtol !== undefined) {
      expectClose(a, e, `${what}: output '${name}'`, o.rtol);
      continue;
    }
    expect(a.shape, `${what}: output '${name}' shape`).toEqual(e.shape);
    expect(a.dtype, `${what}: output '${name}' dtype`).toBe(e.dtype);
    const [av, ev] = [Array.from(a.data as ArrayLike<number>, String), Array.from(e.data as ArrayLike<number>, String)];
    const i = av.findIndex((v, k) => v !== ev[k]);
    if (i >= 0 || av.length !== ev.length) expect.fail(`${what}: output '${name}' element ${i} is ${av[i]}, the interpreter gives ${ev[i]}`);
  }
}

function inputOf(rng: Rng, dtype: DType, shape: number[]): { net: Network; x: NetworkTensor } {
  const net = new Network();
  return { net, x: net.input('x', dtype, shape) };
}

describe('slice and split', () => {
  it('slice: random bounds, negative steps, clamping, every dtype', async () => {
    const rng = mulberry32(101);
    for (let k = 0; k < 24; k++) {
      const shape = pickDims(rng, randomInt(rng, 1, 4), 9);
      const axes = shape.map((_, i) => i).filter(() => rng() < 0.7);
      if (axes.length === 0) axes.push(0);
      const attrs = {
        starts: axes.map((a) => randomInt(rng, -shape[a]! - 2, shape[a]! + 1)),
        ends: axes.map((a) => (rng() < 0.2 ? (rng() < 0.5 ? 2 ** 62 : -(2 ** 62)) : randomInt(rng, -shape[a]! - 2, shape[a]! + 2))),
        axes: axes.map((a) => (rng() < 0.5 ? a - shape.length : a)),
        steps: axes.map(() => pick(rng, [1, 1, 2, 3, -1, -2])),
      };
      const p = sliceParams(shape, attrs);
      if (typeof p === 'string' || p.some((a) => a.size === 0)) continue;
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, shape);
      net.markOutput(x.slice(attrs), 'y');
      await check(net, randomInputs(net, rng), `slice ${dtype}${JSON.stringify(shape)} ${JSON.stringify(attrs)}`);
    }
  });
  it('slice of a large tensor runs on every thread', async () => {
    const { net, x } = inputOf(mulberry32(1), 'f32', [64, 3, 97, 33]);
    net.markOutput(x.slice({ starts: [1, 90, 2], ends: [3, 1, 33], axes: [1, 2, 3], steps: [1, -3, 5] }), 'y');
    net.markOutput(x.slice({ starts: [-1, 0], ends: [-1000, 1000], axes: [-1, 0], steps: [-1, 1] }), 'reversed');
    await check(net, randomInputs(net, mulberry32(2)), 'large slice');
  });
  it('views that merge into one long row still split across threads', async () => {
    const net = new Network();
    const v = net.input('v', 'i32', [200003]);
    net.markOutput(v.slice({ starts: [1], ends: [200003], steps: [3] }), 'strided');
    net.markOutput(v.slice({ starts: [-1], ends: [-300000], steps: [-1] }), 'reversed');
    net.markOutput(v.unsqueeze([1]).tile([1, 2]), 'pairs');
    net.markOutput(v.slice({ starts: [7], ends: [200000] }), 'contiguous');
    await check(net, randomInputs(net, mulberry32(9)), 'long rows');
  });
  it('split: several outputs, as horizontal fusion splits a merged conv', async () => {
    const rng = mulberry32(7);
    for (let k = 0; k < 10; k++) {
      const shape = pickDims(rng, randomInt(rng, 1, 4), 8);
      const axis = randomInt(rng, 0, shape.length - 1);
      const parts = randomInt(rng, 1, Math.min(4, shape[axis]!));
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, shape);
      const sizes: number[] = [];
      for (let left = shape[axis]!, i = parts; i > 0; i--) {
        const s = i === 1 ? left : randomInt(rng, 1, left - i + 1);
        sizes.push(s);
        left -= s;
      }
      // Equal parts round up, so some counts leave the last part empty: a plan has no empty tensors.
      const equal = Math.ceil(shape[axis]! / parts) * (parts - 1) < shape[axis]! && rng() < 0.5;
      const outs = equal ? x.split({ axis: axis - shape.length, parts }) : x.split({ axis, split: sizes });
      outs.forEach((o, i) => net.markOutput(dtype === 'f32' && i === 0 ? o.relu() : o, `y${i}`));
      await check(net, randomInputs(net, rng), `split ${dtype}${JSON.stringify(shape)} axis ${axis} ${sizes}`);
    }
  });
});

describe('gather and gatherElements', () => {
  it('gather: any data dtype, i32/i64 indices of rank 0..2, negative indices', async () => {
    const rng = mulberry32(31);
    for (let k = 0; k < 14; k++) {
      const shape = pickDims(rng, randomInt(rng, 1, 4), 6);
      const axis = randomInt(rng, 0, shape.length - 1);
      const dim = shape[axis]!;
      const [dtype, idt] = [pick(rng, MOVED), pick(rng, ['i32', 'i64'] as const)];
      const ishape = pickDims(rng, randomInt(rng, 0, 2), 5);
      const net = new Network();
      const y = net.input('x', dtype, shape).gather(net.input('i', idt, ishape), { axis: rng() < 0.5 ? axis : axis - shape.length });
      net.markOutput(y, 'y');
      const inputs = { x: randomTensor(dtype, shape, rng), i: randomTensor(idt, ishape, rng, { min: -dim, max: dim - 1 }) };
      await check(net, inputs, `gather ${dtype}${JSON.stringify(shape)} axis ${axis} ${idt}${JSON.stringify(ishape)}`);
    }
  });
  it('gather refuses an index out of range at run time', async () => {
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [4, 3]).gather(net.input('i', 'i64', [2]), { axis: 0, name: 'g' }), 'y');
    const plan = buildPlan(net);
    const bad = { x: randomTensor('f32', [4, 3], mulberry32(1)), i: { dtype: 'i64' as const, shape: [2], data: BigInt64Array.from([1n, -5n]) } };
    await expect(runPlan(plan, bad)).rejects.toMatchObject({
      code: 'KILN_INPUT', message: "layer 'g': indices[1] = -5 is out of range for axis 0 of data 'x' f32[4,3] (valid: -4..3)",
    });
  });
  it('gatherElements on every axis', async () => {
    const rng = mulberry32(37);
    for (let k = 0; k < 10; k++) {
      const shape = pickDims(rng, randomInt(rng, 1, 4), 6);
      const axis = randomInt(rng, 0, shape.length - 1);
      const ishape = shape.map((d, i) => (i === axis ? randomInt(rng, 1, 7) : randomInt(rng, 1, d)));
      const dtype = pick(rng, MOVED);
      const idt = pick(rng, ['i32', 'i64'] as const);
      const net = new Network();
      net.markOutput(net.input('x', dtype, shape).gatherElements(net.input('i', idt, ishape), { axis }), 'y');
      const inputs = { x: randomTensor(dtype, shape, rng), i: randomTensor(idt, ishape, rng, { min: -shape[axis]!, max: shape[axis]! - 1 }) };
      await check(net, inputs, `gatherElements ${dtype}${JSON.stringify(shape)} axis ${axis} ${JSON.stringify(ishape)}`);
    }
  });
});

describe('expand, tile, depthToSpace, spaceToDepth, trilu', () => {
  it('expand broadcasts both ways', async () => {
    const rng = mulberry32(41);
    for (let k = 0; k < 10; k++) {
      const out = pickDims(rng, randomInt(rng, 1, 4), 6);
      const xs = out.slice(randomInt(rng, 0, out.length - 1)).map((d) => (rng() < 0.5 ? 1 : d));
      const target = out.map((d, i) => (i >= out.length - xs.length && xs[i - out.length + xs.length] === d && rng() < 0.3 ? 1 : d));
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, xs);
      net.markOutput(x.expand(target), 'y');
      await check(net, randomInputs(net, rng), `expand ${dtype}${JSON.stringify(xs)} to ${target}`);
    }
  });
  it('tile', async () => {
    const rng = mulberry32(43);
    for (let k = 0; k < 10; k++) {
      const shape = pickDims(rng, randomInt(rng, 1, 4), 5);
      const repeats = shape.map(() => randomInt(rng, 1, 3));
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, shape);
      net.markOutput(x.tile(repeats), 'y');
      await check(net, randomInputs(net, rng), `tile ${dtype}${JSON.stringify(shape)} ${repeats}`);
    }
  });
  it('depthToSpace (DCR, CRD) and spaceToDepth', async () => {
    const rng = mulberry32(47);
    for (let k = 0; k < 8; k++) {
      const b = randomInt(rng, 1, 3);
      const shape = [randomInt(rng, 1, 2), b * b * randomInt(rng, 1, 3), randomInt(rng, 1, 5), randomInt(rng, 1, 5)];
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, shape);
      const d = x.depthToSpace(b, { mode: k % 2 ? 'CRD' : 'DCR' });
      net.markOutput(d, 'd');
      net.markOutput(d.spaceToDepth(b), 's');
      await check(net, randomInputs(net, rng), `depthToSpace ${dtype}${JSON.stringify(shape)} b ${b}`);
    }
  });
  it('trilu', async () => {
    const rng = mulberry32(53);
    for (let k = 0; k < 10; k++) {
      const shape = pickDims(rng, randomInt(rng, 2, 4), 9);
      const kk = randomInt(rng, -10, 10);
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, shape);
      net.markOutput(k % 2 ? x.triu(kk) : x.tril(kk), 'y');
      await check(net, randomInputs(net, rng), `trilu ${dtype}${JSON.stringify(shape)} k ${kk}`);
    }
  });
});

describe('pad', () => {
  it('every mode, negative pads, every dtype', async () => {
    const rng = mulberry32(59);
    for (let k = 0; k < 24; k++) {
      const shape = pickDims(rng, randomInt(rng, 1, 4), 6);
      const mode = pick(rng, ['constant', 'reflect', 'edge', 'wrap'] as const);
      const pads = [...shape, ...shape].map((d) => randomInt(rng, -Math.floor((d - 1) / 2), 7));
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, shape);
      net.markOutput(x.pad(pads, { mode, value: dtype === 'bool' ? 1 : -3 }), 'y');
      await check(net, randomInputs(net, rng), `pad ${mode} ${dtype}${JSON.stringify(shape)} ${pads}`);
    }
  });
});

describe('resize', () => {
  const COORDS = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'] as const;
  it('nearest on every dim, every coordinate and rounding mode, any dtype', async () => {
    const rng = mulberry32(61);
    for (let k = 0; k < 20; k++) {
      const shape = pickDims(rng, randomInt(rng, 1, 4), 6);
      const dtype = pick(rng, MOVED);
      const { net, x } = inputOf(rng, dtype, shape);
      const byScale = rng() < 0.5;
      const scales = shape.map((d) => pick(rng, [0.5, 0.75, 1, 1.5, 2, 2.6]));
      const opts = byScale
        ? { scales: shape.map((d, i) => (Math.floor(d * scales[i]!) >= 1 ? scales[i]! : 1)) }
        : { sizes: shape.map(() => randomInt(rng, 1, 9)) };
      net.markOutput(x.resize({ ...opts, coordinateTransformationMode: pick(rng, COORDS), nearestMode: pick(rng, ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const) }), 'y');
      await check(net, randomInputs(net, rng), `resize nearest ${dtype}${JSON.stringify(shape)} ${JSON.stringify(opts)}`);
    }
  });
  it('linear and cubic on the last two dims of NCHW, and on 1-D and 3-D tensors', async () => {
    const rng = mulberry32(67);
    for (let k = 0; k < 24; k++) {
      const rank = pick(rng, [4, 4, 3, 1]);
      const shape = pickDims(rng, rank, 8);
      const spatial = Math.min(2, rank);
      const sizes = shape.map((d, i) => (i < rank - spatial ? d : randomInt(rng, 1, 13)));
      const { net, x } = inputOf(rng, 'f32', shape);
      const mode = pick(rng, ['linear', 'cubic'] as const);
      const opts = rng() < 0.5
        ? { sizes: sizes.slice(rank - spatial), axes: Array.from({ length: spatial }, (_, i) => rank - spatial + i) }
        : { scales: shape.map((d, i) => {
          const s = pick(rng, [0.3, 0.6, 1, 1.7, 2, 3]);
          return i < rank - spatial || Math.floor(d * s) < 1 ? 1 : s;
        }) };
      net.markOutput(x.resize({ ...opts, mode, coordinateTransformationMode: pick(rng, COORDS.slice(0, 5)), excludeOutside: rng() < 0.3, antialias: rng() < 0.4, cubicCoeffA: pick(rng, [-0.75, -0.5]) }), 'y');
      await check(net, randomInputs(net, rng), `resize ${mode} ${JSON.stringify(shape)} ${JSON.stringify(opts)}`, { rtol: 1e-4 });
    }
  });
  it('an upsampling of a real image size runs on every thread', async () => {
    const { net, x } = inputOf(mulberry32(3), 'f32', [1, 16, 40, 56]);
    net.markOutput(x.resize({ scales: [1, 1, 2, 2], mode: 'linear' }), 'l');
    net.markOutput(x.resize({ scales: [1, 1, 2, 2] }), 'n');
    net.markOutput(x.resize({ scales: [1, 1, 0.75, 1.5], mode: 'cubic' }), 'c');
    await check(net, randomInputs(net, mulberry32(4)), 'resize 2x', { rtol: 1e-4 });
  });
});

describe('fill, range, shape', () => {
  it('unfolded (level 0) and feeding other layers (level 3)', async () => {
    for (const optLevel of [0, 3]) {
      const net = new Network();
      const x = net.input('x', 'f32', [2, 3, 5]);
      net.markOutput(net.range(0.5, 4, 0.75), 'rf');
      net.markOutput(net.range(10, -3, -4, { dtype: 'i64' }), 'ri');
      net.markOutput(net.range(1, 6, 2, { dtype: 'i32' }), 'r32');
      net.markOutput(net.constantOfShape([3, 2], { value: 7.5, dtype: 'f16' }), 'cf');
      net.markOutput(net.constantOfShape([4], { value: -2.7, dtype: 'i64' }), 'ci');
      net.markOutput(x.shapeTensor({ start: 1 }), 's');
      net.markOutput(x.add(net.constantOfShape([5], { value: 2 })), 'sum');
      await check(net, randomInputs(net, mulberry32(5)), `generators at level ${optLevel}`, { optLevel });
    }
  });
});

describe('load-time checks of the layout kernels', () => {
  const refuse = (build: (p: PlanBuilder) => void) => {
    const p = new PlanBuilder();
    build(p);
    return thrownBy(() => kiln().serializePlan(p.desc()));
  };
  it('name the layer, the parameter and the shapes', () => {
    expect(refuse((p) => {
      const x = p.input('x', [4]);
      const y = p.tensor('y', [2]);
      p.layer('slice', [x], [y], [3, 1], [], 's');
      p.output(y);
    })).toMatchObject({ code: 'KILN_KERNEL', message: "layer 's': kernel slice: dim 0 with start 3 and step 1 reads 2 elements, which leaves 0..3 of input 'x' f32[4]" });
    expect(refuse((p) => {
      const x = p.input('x', [2, 3]);
      const y = p.tensor('y', [2, 4]);
      p.layer('pad', [x], [y], [0, 0, 1, 0], [0], 'p');
      p.output(y);
    })).toMatchObject({ code: 'KILN_KERNEL', message: "layer 'p': kernel pad expects 5 ints [mode, begin[rank], end[rank]], got 4 [0,0,1,0]" });
    expect(refuse((p) => {
      const x = p.input('x', [1, 3, 4, 4]);
      const y = p.tensor('y', [1, 6, 8, 8]);
      p.layer('resize', [x], [y], [1, 0, 0, 0, 0], [-0.75, 1, 2, 2, 2], 'r');
      p.output(y);
    })).toMatchObject({ message: "layer 'r': kernel resize interpolates only the last two dims; dim 1 (3 -> 6, scale 2) of input 'x' f32[1,3,4,4] would need interpolation" });
    expect(refuse((p) => {
      const x = p.input('x', [3, 2]);
      const i = p.input('i', [2]);
      const y = p.tensor('y', [2, 2]);
      p.layer('gather', [x, i], [y], [0], [], 'g');
      p.output(y);
    })).toMatchObject({ message: "layer 'g': kernel gather takes i32 or i64 indices, got 'i' f32[2]" });
    expect(refuse((p) => {
      const x = p.input('x', [5, 2]);
      const a = p.tensor('a', [2, 2]);
      const b = p.tensor('b', [2, 2]);
      p.layer('split', [x], [a, b], [0], [], 'sp');
      p.output(a);
      p.output(b);
    })).toMatchObject({ message: "layer 'sp': kernel split: the outputs' extents on axis 0 sum to 4, but input 'x' f32[5,2] has 5" });
  });
});

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}
