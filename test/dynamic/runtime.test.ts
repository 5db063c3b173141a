// Dynamic shapes at run time: engines built from networks with symbolic input dims
// and optimization profiles with ranges. The contract as properties: for random
// shapes inside a profile the engine equals the interpreter (the oracle); for shapes
// outside it the error names the input, the dim, the bound and the profile. Plus
// several profiles per engine, the prepared-shape cache, output shapes before a
// run, and the build-time refusals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { Builder, Logger, Runtime, type Engine } from '../../src/index.js';
import { interpret, mulberry32, randomTensor, type Tensor } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { expectClose } from '../engine/helpers.js';
import { errorOf } from './runtime-helpers.js';

const quiet = new Logger('error');
const runs = Number(process.env.KILN_PROPERTY_RUNS ?? 25);
const r = mulberry32(7);
const weights = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);

type Profile = Record<string, [number[], number[], number[]]>;

function build(net: Network | Graph, profiles: Profile[], optLevel = 3): Uint8Array {
  const b = new Builder(quiet);
  const config = b.createBuilderConfig().setOptLevel(optLevel);
  for (const p of profiles) {
    const profile = b.createOptimizationProfile();
    for (const [name, [min, opt, max]] of Object.entries(p)) profile.setDimensions(name, min, opt, max);
    config.addOptimizationProfile(profile);
  }
  return b.buildSerializedNetwork(net, config);
}

/** x[batch,3,10,10] -> conv 3x3 pad 1 + relu -> max pool 2 -> fully connected -> softmax. */
function cnn(): Network {
  const net = new Network({ name: 'cnn' });
  const x = net.input('x', 'f32', ['batch', 3, 10, 10]);
  const y = x.conv({ outChannels: 6, kernel: [3, 3], weights: weights(6 * 27), bias: weights(6), padding: [1, 1] }).relu()
    .maxPool({ kernel: [2, 2], strides: [2, 2] }).fullyConnected({ outputs: 7, weights: weights(7 * 150), bias: weights(7) }).softmax();
  net.markOutput(y, 'y');
  return net;
}

/** Two symbols: x[batch,seq,8] and mask[batch,seq,8] -> matmul, gelu, layer norm, transpose, softmax over seq. */
function sequence(): Network {
  const net = new Network({ name: 'sequence' });
  const x = net.input('x', 'f32', ['batch', 'seq', 8]);
  const m = net.input('mask', 'f32', ['batch', 'seq', 8]);
  const w = net.constant('w', weights(8 * 12), [8, 12]);
  const h = x.add(m).matmul(w).add(net.constant('b', weights(12), [12])).gelu()
    .layerNorm({ scale: weights(12), bias: weights(12) });
  const y = h.transpose([0, 2, 1]).softmax(-1);
  net.markOutput(y, 'y');
  net.markOutput(h.reduceMean([1], { keepDims: false }), 'pooled');
  return net;
}

function randomInputs(graph: Graph, binding: Record<string, number>): Record<string, Tensor> {
  return Object.fromEntries(graph.inputs.map((name) => {
    const shape = graph.types[name]!.shape.map((d) => (typeof d === 'number' ? d : binding[d]!));
    return [name, randomTensor('f32', shape, r)];
  }));
}

async function checkRun(engine: Engine, graph: Graph, binding: Record<string, number>, profile = 0): Promise<void> {
  const ctx = engine.createExecutionContext({ threads: 2 });
  if (profile) ctx.setOptimizationProfile(profile);
  const inputs = randomInputs(graph, binding);
  const expected = interpret(graph, inputs);
  const out = await ctx.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { data: t.data, shape: t.shape }])));
  for (const name of graph.outputs) {
    expectClose({ dtype: out[name]!.dtype, shape: out[name]!.shape, data: out[name]!.data }, expected[name]!, `${name} at ${JSON.stringify(binding)}`);
  }
}

describe('engine equals interpreter inside a profile', () => {
  it('cnn, batch 1..6: random batches', async () => {
    const net = cnn();
    const engine = new Runtime(quiet).deserializeEngine(build(net, [{ x: [[1, 3, 10, 10], [3, 3, 10, 10], [6, 3, 10, 10]] }]));
    expect(engine.inputs[0]!.dims).toEqual(['batch', 3, 10, 10]);
    expect(engine.outputs[0]!.dims).toEqual(['batch', 7]);
    expect(engine.profiles).toEqual([{ x: { min: [1, 3, 10, 10], opt: [3, 3, 10, 10], max: [6, 3, 10, 10] } }]);
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), (batch) => checkRun(engine, net.graph, { batch })), { numRuns: runs });
  });

  for (const optLevel of [0, 3]) {
    it(`two symbols shared by two inputs (level ${optLevel}): random batch and seq`, async () => {
      const net = sequence();
      const profile = { x: [[1, 1, 8], [2, 8, 8], [4, 20, 8]], mask: [[1, 1, 8], [2, 8, 8], [4, 20, 8]] } as Profile;
      const engine = new Runtime(quiet).deserializeEngine(build(net, [profile], optLevel));
      const shapes = fc.record({ batch: fc.integer({ min: 1, max: 4 }), seq: fc.integer({ min: 1, max: 20 }) });
      await fc.assert(fc.asyncProperty(shapes, (b) => checkRun(engine, net.graph, b)), { numRuns: runs });
    });
  }
});

describe('shapes outside the profile', () => {
  const net = sequence();
  const profile = { x: [[1, 2, 8], [2, 8, 8], [4, 20, 8]], mask: [[1, 2, 8], [2, 8, 8], [4, 20, 8]] } as Profile;
  const engine = new Runtime(quiet).deserializeEngine(build(net, [profile]));

  it('the error names the input, the dim and its symbol, the bound and the profile', async () => {
    const ctx = engine.createExecutionContext();
    const outside = fc.record({
      dim: fc.constantFrom(0, 1, 2),
      value: fc.oneof(fc.integer({ min: 0, max: 40 })),
    }).filter(({ dim, value }) => value < profile.x![0]![dim]! || value > profile.x![2]![dim]!);
    fc.assert(fc.property(outside, ({ dim, value }) => {
      const shape = [2, 8, 8];
      shape[dim] = value;
      const e = errorOf(() => ctx.setInputShape('x', shape));
      expect(e.code).toBe('KILN_INPUT');
      const [lo, hi] = [profile.x![0]![dim]!, profile.x![2]![dim]!];
      const name = ['batch', 'seq', '8'][dim]!;
      const label = `input 'x' [batch,seq,8] dim ${dim}${dim < 2 ? ` (${name})` : ''} is ${value}`;
      const bound = lo === hi ? `but optimization profile 0 fixes it at ${lo}` : value < lo ? `below the minimum ${lo} of optimization profile 0` : `above the maximum ${hi} of optimization profile 0`;
      expect(e.message).toBe(`${label}, ${bound} (min [1,2,8], opt [2,8,8], max [4,20,8]); received ${JSON.stringify(shape).replace(/ /g, '')}`);
    }), { numRuns: runs });
  });

  it('run() checks the same way, and inputs that disagree on a symbol name both sides', async () => {
    const ctx = engine.createExecutionContext();
    const t = (shape: number[]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
    await expect(ctx.run({ x: t([5, 8, 8]), mask: t([5, 8, 8]) })).rejects.toThrow("input 'x' [batch,seq,8] dim 0 (batch) is 5, above the maximum 4 of optimization profile 0");
    await expect(ctx.run({ x: t([2, 8, 8]), mask: t([2, 9, 8]) })).rejects.toThrow("input 'mask' dim 1 (seq) is 9, but input 'x' dim 1 sets seq = 8");
    expect(errorOf(() => ctx.setInputShape('x', [2, 8])).message).toBe("input 'x' [batch,seq,8] has rank 3, received shape [2,8] of rank 2");
    expect(errorOf(() => ctx.setInputShape('y', [2, 8, 8])).message).toBe("setInputShape: unknown input 'y'; the engine's inputs are: x, mask");
  });

  it('output shapes are computed natively from the input shapes set', () => {
    const ctx = engine.createExecutionContext();
    expect(errorOf(() => ctx.getTensorShape('y')).message).toBe("the shape of 'y' depends on the input shapes; set input 'x' [batch,seq,8] with setInputShape first");
    ctx.setInputShape('x', [3, 11, 8]);
    ctx.setInputShape('mask', [3, 11, 8]);
    expect(ctx.getTensorShape('y')).toEqual([3, 12, 11]);
    expect(ctx.getTensorShape('pooled')).toEqual([3, 12]);
  });
});

describe('several profiles, one context, many shapes', () => {
  it('each profile checks its own ranges; switching profiles runs the other range', async () => {
    const net = cnn();
    const engine = new Runtime(quiet).deserializeEngine(build(net, [
      { x: [[1, 3, 10, 10], [1, 3, 10, 10], [2, 3, 10, 10]] },
      { x: [[3, 3, 10, 10], [8, 3, 10, 10], [9, 3, 10, 10]] },
    ]));
    expect(engine.profiles.length).toBe(2);
    const ctx = engine.createExecutionContext();
    expect(errorOf(() => ctx.setInputShape('x', [5, 3, 10, 10])).message).toMatch(/^input 'x' \[batch,3,10,10\] dim 0 \(batch\) is 5, above the maximum 2 of optimization profile 0/);
    ctx.setOptimizationProfile(1);
    expect(ctx.optimizationProfile).toBe(1);
    ctx.setInputShape('x', [5, 3, 10, 10]);
    expect(errorOf(() => ctx.setInputShape('x', [2, 3, 10, 10])).message).toMatch(/dim 0 \(batch\) is 2, below the minimum 3 of optimization profile 1/);
    expect(errorOf(() => ctx.setOptimizationProfile(2)).message).toBe('setOptimizationProfile: profile 2 does not exist; the engine has 2 profiles (0..1)');
    for (const batch of [9, 3, 5]) await checkRun(engine, net.graph, { batch }, 1);
    for (const batch of [1, 2]) await checkRun(engine, net.graph, { batch });
  });

  it('alternating shapes reuses the prepared layers instead of preparing them again', async () => {
    const net = cnn();
    const engine = new Runtime(quiet).deserializeEngine(build(net, [{ x: [[1, 3, 10, 10], [2, 3, 10, 10], [4, 3, 10, 10]] }]));
    const ctx = engine.createExecutionContext();
    const x = (b: number) => ({ data: new Float32Array(b * 300).fill(0.5), shape: [b, 3, 10, 10] });
    const first: Record<number, Float32Array> = {};
    for (let i = 0; i < 6; i++) {
      for (const b of [1, 4]) {
        const out = await ctx.run({ x: x(b) });
        expect(out.y!.shape).toEqual([b, 7]);
        first[b] ??= out.y!.data as Float32Array;
        expect(Array.from(out.y!.data as Float32Array)).toEqual(Array.from(first[b]!));
      }
    }
    expect(engine.handle!.shapeSetsPrepared()).toBe(2);
  });
});

describe('contexts and builds', () => {
  it('contexts of one engine run different shapes at once; each gets its own shapes', async () => {
    const net = cnn();
    const engine = new Runtime(quiet).deserializeEngine(build(net, [{ x: [[1, 3, 10, 10], [2, 3, 10, 10], [6, 3, 10, 10]] }]));
    const batches = [1, 6, 3, 6, 2, 1];
    const inputs = batches.map((b) => randomTensor('f32', [b, 3, 10, 10], r));
    const outs = await Promise.all(inputs.map((x) => engine.createExecutionContext({ threads: 1 }).run({ x: { data: x.data, shape: x.shape } })));
    outs.forEach((out, i) => expectClose({ dtype: 'f32', shape: out.y!.shape, data: out.y!.data }, interpret(net.graph, { x: inputs[i]! }).y!, `context ${i} batch ${batches[i]}`));
  });

  it('per-layer profiling runs the layers prepared for the given shapes', async () => {
    const net = cnn();
    const engine = new Runtime(quiet).deserializeEngine(build(net, [{ x: [[1, 3, 10, 10], [2, 3, 10, 10], [6, 3, 10, 10]] }]));
    const ctx = engine.createExecutionContext({ threads: 1 });
    const x = randomTensor('f32', [5, 3, 10, 10], r);
    const p = await ctx.profile({ x: { data: x.data, shape: x.shape } }, { iterations: 3 });
    expect(p.layers.map((l) => l.name)).toEqual(engine.layers.map((l) => l.name));
    const out = await ctx.run({ x: { data: x.data, shape: x.shape } });
    expectClose({ dtype: 'f32', shape: out.y!.shape, data: out.y!.data }, interpret(net.graph, { x }).y!, 'after profiling');
  });

  it('the same dynamic network and profiles give byte-identical plans', () => {
    const profile = { x: [[1, 1, 8], [2, 8, 8], [4, 20, 8]], mask: [[1, 1, 8], [2, 8, 8], [4, 20, 8]] } as Profile;
    const net = sequence();
    expect(Buffer.from(build(net, [profile])).equals(Buffer.from(build(net, [profile])))).toBe(true);
  });
});

describe('run-time dims inside the network', () => {
  it('a Shape layer outputs the dims of the run, not of the plan', async () => {
    const net = new Network({ name: 'shape' });
    const x = net.input('x', 'f32', ['batch', 'seq', 4]);
    net.markOutput(x.relu().shapeTensor(), 'dims');
    net.markOutput(x.shapeTensor({ start: 1 }), 'tail');
    const engine = new Runtime(quiet).deserializeEngine(build(net, [{ x: [[1, 1, 4], [2, 3, 4], [5, 9, 4]] }]));
    const ctx = engine.createExecutionContext();
    for (const [b, s] of [[1, 1], [5, 9], [3, 2]]) {
      const out = await ctx.run({ x: { data: new Float32Array(b! * s! * 4), shape: [b!, s!, 4] } });
      expect(Array.from(out.dims!.data as BigInt64Array, Number)).toEqual([b, s, 4]);
      expect(Array.from(out.tail!.data as BigInt64Array, Number)).toEqual([s, 4]);
    }
  });
});

describe('build-time refusals', () => {
  it('a dynamic input without a profile, a fixed dim given a range, inputs that disagree on a symbol', () => {
    const net = sequence();
    const b = new Builder(quiet);
    expect(errorOf(() => build(net, [{ x: [[1, 1, 8], [2, 2, 8], [4, 4, 8]] }])).message).toBe("input 'mask' has dynamic shape [batch,seq,8]; optimization profile 0 must set its dimensions (profile.setDimensions('mask', min, opt, max))");
    expect(errorOf(() => build(net, [{ x: [[1, 1, 8], [2, 2, 8], [4, 4, 9]], mask: [[1, 1, 8], [2, 2, 8], [4, 4, 8]] }])).message).toBe("optimization profile 0: input 'x' dim 2 is fixed at 8, the profile sets max 9");
    expect(errorOf(() => build(net, [{ x: [[1, 1, 8], [2, 2, 8], [4, 4, 8]], mask: [[1, 1, 8], [2, 2, 8], [4, 6, 8]] }])).message).toBe("optimization profile 0: input 'mask' dim 1 (seq) has max 6, but input 'x' dim 1 sets seq = 4");
    const config = b.createBuilderConfig();
    config.target = 'cuda';
    config.addOptimizationProfile(b.createOptimizationProfile().setDimensions('x', [1, 1, 8], [2, 2, 8], [4, 4, 8]).setDimensions('mask', [1, 1, 8], [2, 2, 8], [4, 4, 8]));
    expect(errorOf(() => b.buildSerializedNetwork(net, config)).message).toMatch(/^CUDA plans are static/);
  });

  it('a reshape whose volume holds only for some shapes of the range names the layer and the bound', () => {
    const net = new Network({ name: 'reshape' });
    const x = net.input('x', 'f32', ['batch', 'seq', 4]);
    net.markOutput(x.reshape(['batch', 16], 'r'), 'y');
    expect(build(net, [{ x: [[1, 4, 4], [2, 4, 4], [3, 4, 4]] }]).byteLength).toBeGreaterThan(0);
    expect(errorOf(() => build(net, [{ x: [[1, 2, 4], [2, 4, 4], [3, 8, 4]] }])).message).toMatch(/^reshape 'r' needs .*, false at min .*seq=2 \(input 'x' dim 1\).*\(optimization profile 0\)$/);
  });

  it('a layer whose output size is not a function of the input shapes', () => {
    const net = new Network({ name: 'free' });
    const x = net.input('x', 'f32', ['batch', 2]);
    const fill = net.addLayer('ConstantOfShape', 'fill', [], { shape: ['k', 2], value: 1 });
    net.markOutput(x.relu(), 'y');
    net.markOutput(fill, 'z');
    expect(errorOf(() => build(net, [{ x: [[1, 2], [2, 2], [4, 2]] }])).message).toBe(
      "layer 'fill' (ConstantOfShape): output 'z' has shape [k,2], but 'k' is not a dim of any input, so the shape cannot be computed from the input shapes (a size that depends on tensor values); a dynamic-shape engine cannot plan it");
  });

  it('a static profile keeps the static path: no dynamic section, same bytes as before', () => {
    const net = cnn();
    const fixed = build(net, [{ x: [[2, 3, 10, 10], [2, 3, 10, 10], [2, 3, 10, 10]] }]);
    const engine = new Runtime(quiet).deserializeEngine(fixed);
    expect(engine.profiles).toEqual([]);
    expect(engine.inputs[0]).toEqual({ name: 'x', dtype: 'f32', shape: [2, 3, 10, 10] });
    expect(Buffer.from(fixed).includes(Buffer.from('DYNS'))).toBe(false);
  });
});
