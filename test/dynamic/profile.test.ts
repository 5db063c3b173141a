// Optimization profiles on symbolic networks: bindings at min/opt/max, validation that
// names the layer, condition, bound and input dim, and fast-check properties: shapes
// inside a profile run (the interpreter, the oracle, computes exactly the shapes the
// symbolic types predict), shapes outside it are refused naming the bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { specializeShapes } from '../../src/builder/specialize.js';
import { OptimizationProfile, bindProfile, profileBindings, shapeBinding, validateProfile } from '../../src/builder/profile.js';
import { resolveShape, type Graph } from '../../src/ir/index.js';
import { interpret, mulberry32, randomTensor } from '../../src/interpret/index.js';

/** x[batch,seq,16] and y[1,seq,16]: add, concat along seq, slice, flatten, matmul, reshape back. */
function encoderLike(): Graph {
  const n = new Network();
  const x = n.input('x', 'f32', ['batch', 'seq', 16]);
  const y = n.input('y', 'f32', [1, 'seq', 16]);
  const s = x.add(y, 'add');
  const c = n.concat([s, x], { axis: 1, name: 'cat' }); // [batch, 2*seq, 16]
  const t = c.slice({ starts: [1], ends: [2 ** 62], axes: [1], name: 'tail' }); // [batch, 2*seq-1, 16]
  const flat = t.reshape([-1, 16], 'flat'); // [batch*(2*seq-1), 16]
  const w = n.constant('w', Array.from({ length: 16 * 8 }, (_, i) => ((i % 7) - 3) / 8), [16, 8]);
  const m = flat.matmul(w, { name: 'proj' }).relu('act');
  n.markOutput(m.reshape(['batch', -1, 8], 'unflat'), 'out');
  return n.graph;
}

function profile(min: [number, number], opt: [number, number], max: [number, number]): OptimizationProfile {
  return new OptimizationProfile()
    .setDimensions('x', [min[0], min[1], 16], [opt[0], opt[1], 16], [max[0], max[1], 16])
    .setDimensions('y', [1, min[1], 16], [1, opt[1], 16], [1, max[1], 16]);
}

describe('profile bindings', () => {
  const g = encoderLike();
  it('binds each symbol at min, opt and max; the graph types symbolically', () => {
    expect(g.types.out!.shape).toEqual(['batch', '2*seq-1', 8]);
    expect(profileBindings(g, profile([1, 2], [2, 4], [4, 8]))).toEqual({ min: { batch: 1, seq: 2 }, opt: { batch: 2, seq: 4 }, max: { batch: 4, seq: 8 } });
    expect(validateProfile(g, profile([1, 2], [2, 4], [4, 8])).max).toEqual({ batch: 4, seq: 8 });
  });
  it('inputs sharing a symbol must agree, naming input, dim and bound', () => {
    const p = profile([1, 2], [2, 4], [4, 8]).setDimensions('y', [1, 2, 16], [1, 5, 16], [1, 8, 16]);
    expect(() => profileBindings(g, p)).toThrow("optimization profile 0: input 'y' dim 1 (seq) has opt 5, but input 'x' dim 1 sets seq = 4");
  });
  it('names a missing profile, a fixed dim the profile changes, an unknown input', () => {
    expect(() => profileBindings(g, new OptimizationProfile().setDimensions('x', [1, 2, 16], [1, 2, 16], [1, 2, 16]))).toThrow("input 'y' has dynamic shape [1,seq,16]; optimization profile 0 must set its dimensions");
    expect(() => profileBindings(g, profile([1, 2], [2, 4], [4, 8]).setDimensions('x', [1, 2, 16], [2, 4, 32], [4, 8, 32]))).toThrow("optimization profile 0: input 'x' dim 2 is fixed at 16, the profile sets opt 32");
    expect(() => profileBindings(g, profile([1, 2], [2, 4], [4, 8]).setDimensions('z', [1], [1], [1]))).toThrow("optimization profile 0 names input 'z', but the network's inputs are: x, y");
    expect(() => profileBindings(g, profile([0, 2], [2, 4], [4, 8]))).toThrow("optimization profile 0: input 'x' dim 0 (batch) has min 0; symbolic dims are sizes >= 1 (shape inference relies on it)");
  });
  it('bindProfile keeps the static path: opt of a min = opt = max profile, ranges refused', () => {
    expect(bindProfile(g, profile([2, 4], [2, 4], [2, 4]))).toEqual({ batch: 2, seq: 4 });
    expect(() => bindProfile(g, profile([1, 2], [2, 4], [4, 8]))).toThrow("input 'x' dim 0 (batch): range 1..4 is dynamic; this build supports static profiles only (min = opt = max)");
  });
});

describe('validateProfile', () => {
  it('names the layer, the condition as written, the bound and the input dim', () => {
    const n = new Network();
    const x = n.input('ids', 'f32', ['batch', 'seq', 256]);
    n.markOutput(x.reshape(['batch', 128, 512], 'Reshape_552'), 'y');
    const ok = new OptimizationProfile().setDimensions('ids', [1, 256, 256], [4, 256, 256], [8, 256, 256]);
    expect(validateProfile(n.graph, ok).opt).toEqual({ batch: 4, seq: 256 });
    const bad = new OptimizationProfile().setDimensions('ids', [1, 16, 256], [4, 64, 256], [8, 256, 256]);
    expect(() => validateProfile(n.graph, bad)).toThrow(
      "reshape 'Reshape_552' needs batch*seq*256 == batch*128*512, false at opt batch=4 (input 'ids' dim 0), seq=64 (input 'ids' dim 1) (optimization profile 0)",
    );
  });
  it('a broadcast of two symbols needs them equal at every bound', () => {
    const n = new Network();
    const a = n.input('a', 'f32', ['len', 4]);
    const b = n.input('b', 'f32', ['seq', 4]);
    n.markOutput(a.add(b, 'mix'), 'y');
    const p = new OptimizationProfile().setDimensions('a', [1, 4], [8, 4], [16, 4]).setDimensions('b', [1, 4], [8, 4], [32, 4]);
    expect(() => validateProfile(n.graph, p)).toThrow("add 'mix' needs len == seq to broadcast [len,4] with [seq,4], false at max len=16 (input 'a' dim 0), seq=32 (input 'b' dim 0)");
  });
  it('a window that does not fit at min is reported with the bound', () => {
    const n = new Network();
    const x = n.input('img', 'f32', ['n', 1, 'h', 'h']);
    n.markOutput(x.conv({ outChannels: 2, kernel: [5, 5], weights: new Float32Array(50), name: 'c1' }), 'y');
    const p = new OptimizationProfile().setDimensions('img', [1, 1, 3, 3], [1, 1, 28, 28], [4, 1, 64, 64]);
    expect(() => validateProfile(n.graph, p)).toThrow("conv 'c1' needs h >= 5 (window 5, dilation 1), false at min h=3 (input 'img' dim 2) (optimization profile 0)");
  });
});

describe('property: inside the profile the shapes hold, outside the bound is named', () => {
  const g = encoderLike();
  const range = fc.record({ bMin: fc.integer({ min: 1, max: 3 }), bSpan: fc.integer({ min: 0, max: 3 }), sMin: fc.integer({ min: 1, max: 4 }), sSpan: fc.integer({ min: 0, max: 6 }) });

  it('random shapes inside a profile bind, specialize, and run to the predicted shapes', () => {
    fc.assert(
      fc.property(range, fc.nat(), fc.nat(), fc.integer(), (r, bPick, sPick, seed) => {
        const [bMax, sMax] = [r.bMin + r.bSpan, r.sMin + r.sSpan];
        const p = profile([r.bMin, r.sMin], [r.bMin, r.sMin], [bMax, sMax]);
        validateProfile(g, p);
        const batch = r.bMin + (bPick % (r.bSpan + 1));
        const seq = r.sMin + (sPick % (r.sSpan + 1));
        const binding = shapeBinding(g, p, { x: [batch, seq, 16], y: [1, seq, 16] });
        expect(binding).toEqual({ batch, seq });
        const rng = mulberry32(seed);
        const inputs = { x: randomTensor('f32', [batch, seq, 16], rng), y: randomTensor('f32', [1, seq, 16], rng) };
        const want = resolveShape(g.types.out!.shape, binding);
        // The oracle runs the symbolic graph and the specialized one alike.
        expect(interpret(g, inputs).out!.shape).toEqual(want);
        const s = specializeShapes(g, binding);
        expect(s.types.out!.shape).toEqual(want);
        expect(interpret(s, inputs).out!.data).toEqual(interpret(g, inputs).out!.data);
      }),
      { numRuns: 40 },
    );
  });

  it('random shapes outside a profile are refused naming the input, the dim and the bound', () => {
    fc.assert(
      fc.property(range, fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 5 }), (r, onBatch, above, by) => {
        const [bMax, sMax] = [r.bMin + r.bSpan, r.sMin + r.sSpan];
        const p = profile([r.bMin, r.sMin], [r.bMin, r.sMin], [bMax, sMax]);
        const [lo, hi] = onBatch ? [r.bMin, bMax] : [r.sMin, sMax];
        const v = above ? hi + by : lo - by;
        fc.pre(v >= 0);
        const [batch, seq] = onBatch ? [v, r.sMin] : [r.bMin, v];
        const dim = onBatch ? "dim 0 (batch)" : 'dim 1 (seq)';
        const bound = above ? `above the profile's max ${hi}` : `below the profile's min ${lo}`;
        expect(() => shapeBinding(g, p, { x: [batch, seq, 16], y: [1, seq, 16] })).toThrow(`input 'x' ${dim} is ${v}, ${bound}`);
      }),
      { numRuns: 100 },
    );
  });

  it('a profile is valid exactly when each bound satisfies the reshape: seq divisible by 3', () => {
    const n = new Network();
    const x = n.input('x', 'f32', ['batch', 'seq', 4]);
    n.markOutput(x.reshape(['batch', 3, -1], 'r3'), 'y');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), (min, a, b) => {
        const [opt, max] = [min + a, min + a + b];
        const p = new OptimizationProfile().setDimensions('x', [1, min, 4], [2, opt, 4], [3, max, 4]);
        const firstBad = ([['opt', opt], ['min', min], ['max', max]] as const).find(([, s]) => s % 3 !== 0);
        if (!firstBad) return void expect(validateProfile(n.graph, p).opt.seq).toBe(opt);
        expect(() => validateProfile(n.graph, p)).toThrow(new RegExp(`^reshape 'r3' needs batch\\*seq\\*4 divisible by batch\\*3, false at ${firstBad[0]} .*seq=${firstBad[1]} \\(input 'x' dim 1\\)`));
      }),
      { numRuns: 100 },
    );
  });
});
