// planMemory: liveness, reuse, the in-place rule, and brute-force properties on
// random interval sets and random networks: no two values alive at once share a
// byte unless they are a legal in-place pair, offsets are aligned, and the arena
// lies between the live-bytes lower bound and the no-reuse size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network, type NetworkTensor } from '../../dsl/index.js';
import { getOp, type Graph } from '../../src/ir/index.js';
import { alignUp, assignOffsets, formatMemoryReport, memoryReport, peakLiveBytes, planMemory, staticSizeOf, type Buffer, type MemoryPlan } from '../../passes/index.js';
import { networkArbitrary } from '../../passes/testing/index.js';

const bytes = (v: string, t: Parameters<typeof staticSizeOf>[1]) => staticSizeOf(v, t);

function chain(then: (net: Network, a: ReturnType<Network['input']>) => void): Graph {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 16]);
  then(net, x.relu('a'));
  return net.graph;
}

/** The Concat outputs a value was placed inside (step 2b), innermost first. */
function containers(plan: MemoryPlan, v: string): string[] {
  const out: string[] = [];
  for (let s = plan.sliceOf.get(v); s; s = plan.sliceOf.get(s.of)) out.push(s.of);
  return out;
}

/** Brute force: every pair of values alive at a common step either shares no byte or is an in-place pair or a concat slice. */
function checkPlan(graph: Graph, plan: MemoryPlan, alignment: number): void {
  const values = [...plan.intervals.keys()];
  const planned = new Set([...graph.inputs, ...graph.outputs.filter((o) => !(o in graph.constants)), ...graph.nodes.flatMap((n) => n.outputs)]);
  expect(new Set(values)).toEqual(planned);
  const related = (a: string, b: string) => plan.aliasOf.get(a) === b || plan.aliasOf.get(b) === a || containers(plan, a).includes(b) || containers(plan, b).includes(a);
  for (const [i, a] of values.entries()) {
    if (plan.sliceOf.get(a)?.imageStride === undefined) expect(plan.offsets.get(a)! % alignment).toBe(0);
    for (const b of values.slice(i + 1)) {
      const [ia, ib] = [plan.intervals.get(a)!, plan.intervals.get(b)!];
      const bytesOverlap = pieces(graph, plan, a).some(([sa, ea]) => pieces(graph, plan, b).some(([sb, eb]) => sa < eb && sb < ea));
      const [oa, ob] = [plan.offsets.get(a)!, plan.offsets.get(b)!];
      const alive = ia.first <= ib.last && ib.first <= ia.last;
      if (alive && bytesOverlap && !related(a, b)) throw new Error(`'${a}' [${ia.first},${ia.last}] @${oa} and '${b}' [${ib.first},${ib.last}] @${ob} overlap`);
    }
  }
  // Every in-place pair is legal: the source dies where the output is born, by a Reshape or pointwise layer, away from the interface.
  const io = new Set([...graph.inputs, ...graph.outputs]);
  for (const [out, src] of plan.aliasOf) {
    const step = plan.intervals.get(out)!.first;
    const node = graph.nodes[step]!;
    expect(plan.intervals.get(src)!.last).toBe(step);
    expect(node.inputs).toContain(src);
    // The groups whose CPU kernels declare in-place support; Hardmax's does not.
    expect(node.op === 'Reshape' || (node.op !== 'Hardmax' && ['activation', 'binary', 'scale', 'elementwise', 'softmax', 'normalization'].includes(getOp(node.op).group))).toBe(true);
    expect(io.has(out) || io.has(src)).toBe(false);
    expect(plan.offsets.get(out)).toBe(plan.offsets.get(src));
  }
  // Every slice is legal: a contiguous slice of a Concat output (or one per image, for a view), at its
  // byte offset, read by the Concat alone.
  for (const [v, { of, offset, imageStride }] of plan.sliceOf) {
    const concat = graph.nodes[plan.intervals.get(of)!.first]!;
    expect(concat.op).toBe('Concat');
    expect(graph.nodes.filter((n) => n.inputs.includes(v))).toEqual([concat]);
    const before = concat.inputs.slice(0, concat.inputs.indexOf(v));
    const images = imageStride === undefined ? 1 : graph.types[of]!.shape[0] as number;
    expect(offset).toBe(before.reduce((s, u) => s + (plan.sizes.get(u) ?? staticSizeOf(u, graph.types[u]!)), 0) / images);
    expect(plan.offsets.get(v)).toBe(plan.offsets.get(of)! + offset);
    expect(io.has(v) || io.has(of)).toBe(false);
    const axis = ((concat.attrs.axis as number) + graph.types[of]!.shape.length) % graph.types[of]!.shape.length;
    expect(graph.types[of]!.shape.slice(imageStride === undefined ? 0 : 1, axis).every((d) => d === 1)).toBe(true);
    if (imageStride !== undefined) expect(imageStride).toBe(plan.sizes.get(of)! / images);
  }
  expect(plan.arenaBytes).toBeGreaterThanOrEqual(plan.lowerBound);
  expect(plan.arenaBytes).toBeLessThanOrEqual(plan.noReuseBytes);
}

/** The byte ranges a value occupies: one, or one per image for a strided view (step 2b). */
function pieces(graph: Graph, plan: MemoryPlan, v: string): [number, number][] {
  const at = plan.offsets.get(v)!, size = plan.sizes.get(v)!, stride = plan.sliceOf.get(v)?.imageStride;
  if (stride === undefined) return [[at, at + size]];
  const n = graph.types[v]!.shape[0] as number;
  return Array.from({ length: n }, (_, i) => [at + i * stride, at + i * stride + size / n] as [number, number]);
}

/** A fire module (SqueezeNet): squeeze, then 1x1 and 3x3 expands concatenated on channels. */
function fire(batch: number, then: (net: Network, e1: NetworkTensor, e3: NetworkTensor, s: NetworkTensor) => void = (net, e1, e3) => net.markOutput(net.concat([e1, e3], { axis: 1, name: 'cat' }).relu('r').maxPool({ kernel: [2, 2], name: 'out' }))): Graph {
  const net = new Network();
  const s = net.input('x', 'f32', [batch, 4, 6, 6]).relu('s');
  const e1 = s.conv({ name: 'e1', outChannels: 16, kernel: [1, 1], weights: new Float32Array(64) });
  const e3 = s.conv({ name: 'e3', outChannels: 16, kernel: [3, 3], padding: [1, 1], weights: new Float32Array(576) });
  then(net, e1, e3, s);
  return net.graph;
}

describe('planMemory: concat inputs in their slice (concat elimination)', () => {
  it('places both expands of a batch-1 fire module in their channel slices of the concat', () => {
    const g = fire(1);
    const plan = planMemory(g, { sizeOf: bytes, inPlace: true });
    const slice = 16 * 36 * 4;
    expect(Object.fromEntries(plan.sliceOf)).toEqual({ e1: { of: 'cat', offset: 0 }, e3: { of: 'cat', offset: slice } });
    expect(plan.offsets.get('e3')).toBe(plan.offsets.get('cat')! + slice);
    checkPlan(g, plan, 64);
    // Without it the concat needs its inputs and its output alive at once.
    const copy = planMemory(g, { sizeOf: bytes, inPlace: true, concatInPlace: false });
    expect(copy.sliceOf.size).toBe(0);
    expect(plan.lowerBound).toBeLessThan(copy.lowerBound);
    expect(plan.arenaBytes).toBeLessThan(copy.arenaBytes);
  });

  it('nests: a concat of a concat places the inner inputs in the outer output', () => {
    const g = fire(1, (net, e1, e3, s) => {
      const inner = net.concat([e1, e3], { axis: 1, name: 'inner' });
      net.markOutput(net.concat([s.relu('t'), inner], { axis: 1, name: 'outer' }).relu('out'));
    });
    const plan = planMemory(g, { sizeOf: bytes, inPlace: true });
    expect(containers(plan, 'e3')).toEqual(['inner', 'outer']);
    expect(plan.offsets.get('e3')).toBe(plan.offsets.get('outer')! + 4 * 36 * 4 + 16 * 36 * 4);
    checkPlan(g, plan, 64);
  });

  it('places the expands of a batch-2 fire module as strided views when their producers can write them', () => {
    const g = fire(2);
    const plan = planMemory(g, { sizeOf: bytes, inPlace: true, stridedOutput: (n) => n.op === 'Conv' });
    // Image i of e3 starts 16 channels into image i of cat; cat's images are 32 channels of 6x6 apart.
    const image = 32 * 36 * 4;
    expect(Object.fromEntries(plan.sliceOf)).toEqual({ e1: { of: 'cat', offset: 0, imageStride: image }, e3: { of: 'cat', offset: 16 * 36 * 4, imageStride: image } });
    expect(plan.offsets.get('e3')).toBe(plan.offsets.get('cat')! + 16 * 36 * 4);
    checkPlan(g, plan, 64);
    expect(plan.lowerBound).toBeLessThan(planMemory(g, { sizeOf: bytes, inPlace: true }).lowerBound);
  });

  describe('must not change', () => {
    it('a batch-2 channel concat whose producers cannot write a view (each slice is two pieces)', () => {
      expect(planMemory(fire(2), { sizeOf: bytes, inPlace: true }).sliceOf.size).toBe(0);
      expect(planMemory(fire(2), { sizeOf: bytes, inPlace: true, stridedOutput: (n) => n.op === 'Relu' }).sliceOf.size).toBe(0);
    });

    it('a batch-2 view whose buffer another value shares (an in-place relu) or that is itself a concat', () => {
      // e1's relu runs in place: the conv would have to write the view and the relu read it.
      const relu = fire(2, (net, e1, e3) => net.markOutput(net.concat([e1.relu('r1'), e3], { axis: 1, name: 'cat' }).relu('out')));
      const plan = planMemory(relu, { sizeOf: bytes, inPlace: true, stridedOutput: () => true });
      expect(Object.fromEntries(plan.sliceOf)).toEqual({ e3: { of: 'cat', offset: 16 * 36 * 4, imageStride: 32 * 36 * 4 } });
      checkPlan(relu, plan, 64);
      const nested = fire(2, (net, e1, e3, s) => {
        const inner = net.concat([e1, e3], { axis: 1, name: 'inner' });
        net.markOutput(net.concat([s.relu('t'), inner], { axis: 1, name: 'outer' }).relu('out'));
      });
      const both = planMemory(nested, { sizeOf: bytes, inPlace: true, stridedOutput: () => true });
      // inner holds views itself, so it stays dense in outer (t runs in place of s: not alone either).
      expect([...both.sliceOf.keys()].sort()).toEqual(['e1', 'e3']);
      expect(both.sliceOf.get('e3')).toEqual({ of: 'inner', offset: 16 * 36 * 4, imageStride: 32 * 36 * 4 });
      checkPlan(nested, both, 64);
    });

    it('an input read by another layer, a network input, a network output, an input listed twice', () => {
      const shared = fire(1, (net, e1, e3) => net.markOutput(net.concat([e1, e3], { axis: 1, name: 'cat' }).add(net.concat([e3, e1], { axis: 1 })), 'y'));
      expect(planMemory(shared, { sizeOf: bytes, inPlace: true }).sliceOf.size).toBe(0);
      const net = new Network();
      const x = net.input('x', 'f32', [1, 16]);
      const a = x.relu('a');
      net.markOutput(net.concat([x, a], { axis: 1, name: 'c1' }).relu(), 'y1');
      net.markOutput(net.concat([a.sigmoid('b'), a], { axis: 1, name: 'c2' }), 'y2');
      net.markOutput(net.concat([a.tanh('t'), a.tanh('u')], { axis: 0, name: 'c3' }).relu(), 'y3');
      net.markOutput(a.tanh('out'), 'y4');
      const plan = planMemory(net.graph, { sizeOf: bytes, inPlace: true });
      // x is a network input, a has several readers, c2 is a network output; c3 (axis 0) is fine.
      expect(Object.fromEntries(plan.sliceOf)).toEqual({ t: { of: 'c3', offset: 0 }, u: { of: 'c3', offset: 64 } });
      checkPlan(net.graph, plan, 64);
    });

    it('a slice that would start off the alignment', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [1, 3]);
      net.markOutput(net.concat([x.relu('a'), x.tanh('b'), x.sigmoid('c')], { axis: 1, name: 'cat' }).relu(), 'y');
      // 12-byte slices: only the first starts on a 64-byte boundary; with alignment 4 all do.
      expect([...planMemory(net.graph, { sizeOf: bytes, inPlace: true }).sliceOf.keys()]).toEqual(['a']);
      expect([...planMemory(net.graph, { sizeOf: bytes, inPlace: true, alignment: 4 }).sliceOf.keys()]).toEqual(['a', 'b', 'c']);
    });
  });
});

describe('planMemory', () => {
  it('runs elementwise, softmax and Pointwise layers in place, never Hardmax', () => {
    const g = chain((net, a) => net.markOutput(net.addLayer('Exp', 'e', [a.softmax(1, 's')], {}).relu('r')));
    const plan = planMemory(g, { sizeOf: bytes, inPlace: true });
    expect(Object.fromEntries(plan.aliasOf)).toEqual({ s: 'a', e: 's' });
    const h = chain((net, a) => net.markOutput(net.addLayer('Hardmax', 'h', [a], { axis: 1 }).relu('r')));
    expect(planMemory(h, { sizeOf: bytes, inPlace: true }).aliasOf.has('h')).toBe(false);
    checkPlan(g, plan, 64);
  });

  it('reuses the bytes of dead values', () => {
    const g = chain((net, a) => net.markOutput(a.relu('b').relu('c')));
    const plan = planMemory(g, { sizeOf: bytes });
    expect(Object.fromEntries(plan.intervals)).toEqual({ x: { first: -1, last: 0 }, a: { first: 0, last: 1 }, b: { first: 1, last: 2 }, c: { first: 2, last: 3 } });
    expect(Object.fromEntries(plan.offsets)).toEqual({ x: 0, a: 64, b: 0, c: 64 });
    expect(plan).toMatchObject({ arenaBytes: 128, lowerBound: 128, noReuseBytes: 256 });
    checkPlan(g, plan, 64);
  });

  it('writes pointwise layers over a dying input, but never over graph inputs or outputs', () => {
    const g = chain((net, a) => net.markOutput(a.relu('b').relu('c')));
    const plan = planMemory(g, { sizeOf: bytes, inPlace: true });
    expect(Object.fromEntries(plan.aliasOf)).toEqual({ b: 'a' });
    expect(plan.offsets.get('b')).toBe(plan.offsets.get('a'));
    expect(plan.offsets.get('x')).not.toBe(plan.offsets.get('a'));
    checkPlan(g, plan, 64);
  });

  it('aliases a Reshape to its dying input and chains in-place layers into one buffer', () => {
    const g = chain((net, a) => net.markOutput(a.reshape([4, 4], 'r').sigmoid('s').mul(2, 'm').tanh('out')));
    const plan = planMemory(g, { sizeOf: bytes, inPlace: true });
    expect(Object.fromEntries(plan.aliasOf)).toEqual({ r: 'a', s: 'r', m: 's' });
    expect(new Set(['a', 'r', 's', 'm'].map((v) => plan.offsets.get(v))).size).toBe(1);
    checkPlan(g, plan, 64);
  });

  it('does not overwrite a value that a later layer still reads, nor the smaller operand of a broadcast', () => {
    const g = chain((net, a) => {
      const b = a.relu('b');
      const wide = a.reshape([1, 1, 16], 'wide');
      net.markOutput(b.add(a, 'sum').add(wide, 'bcast').sigmoid('out'));
    });
    const plan = planMemory(g, { sizeOf: bytes, inPlace: true });
    // 'b' may not take 'a' (read again later); 'bcast' is [1,1,16], so only 'wide' fits it.
    expect(plan.aliasOf.get('b')).toBeUndefined();
    expect(plan.aliasOf.get('bcast')).toBe('wide');
    checkPlan(g, plan, 64);
  });

  it('honours the alignment and checks its arguments', () => {
    const g = chain((net, a) => net.markOutput(a.relu('b')));
    const plan = planMemory(g, { sizeOf: () => 10, alignment: 16 });
    expect([...plan.offsets.values()].every((o) => o % 16 === 0)).toBe(true);
    expect(plan.noReuseBytes).toBe(48);
    expect(() => planMemory(g, { sizeOf: () => 1, alignment: 0 })).toThrow('alignment must be a positive integer, got 0');
    expect(() => planMemory(g, { sizeOf: () => -1 })).toThrow("sizeOf('x') must be a non-negative integer byte count, got -1");
    const sym = new Network();
    sym.markOutput(sym.input('x', 'f32', ['batch', 4]).relu());
    expect(() => planMemory(sym.graph, { sizeOf: staticSizeOf })).toThrow("value 'x' has symbolic shape [batch,4]; specialize shapes before planning");
  });

  it('property: random buffers never overlap while alive; arena between lower bound and no-reuse size', () => {
    const buffer = fc.record({ first: fc.integer({ min: -1, max: 20 }), len: fc.nat({ max: 10 }), size: fc.nat({ max: 5000 }) });
    fc.assert(fc.property(fc.array(buffer, { maxLength: 40 }), fc.constantFrom(1, 4, 64, 256), (raw, alignment) => {
      const buffers: Buffer[] = raw.map((b, i) => ({ id: `v${i}`, first: b.first, last: b.first + b.len, size: b.size }));
      const offsets = assignOffsets(buffers, alignment);
      let end = 0;
      for (const [i, a] of buffers.entries()) {
        const oa = offsets.get(a.id)!;
        expect(oa % alignment).toBe(0);
        end = Math.max(end, oa + a.size);
        for (const b of buffers.slice(i + 1)) {
          const ob = offsets.get(b.id)!;
          const alive = a.first <= b.last && b.first <= a.last;
          expect(alive && oa < ob + b.size && ob < oa + a.size).toBe(false);
        }
      }
      expect(end).toBeGreaterThanOrEqual(peakLiveBytes(buffers));
      expect(alignUp(end, alignment)).toBeLessThanOrEqual(buffers.reduce((s, b) => s + alignUp(b.size, alignment), 0));
    }), { numRuns: 300 });
  });

  it('property: plans of random networks are sound, with and without in-place', () => {
    fc.assert(fc.property(networkArbitrary(), fc.boolean(), fc.constantFrom(1, 64), fc.boolean(), (net, inPlace, alignment, views) => {
      checkPlan(net.graph, planMemory(net.graph, { sizeOf: staticSizeOf, inPlace, alignment, ...(views ? { stridedOutput: () => true } : {}) }), alignment);
    }), { numRuns: 200 });
  });
});

describe('memoryReport', () => {
  it('reports arena, lower bound and no-reuse size, and their ratios', () => {
    const g = chain((net, a) => net.markOutput(a.relu('b').relu('c')));
    const r = memoryReport(g, { inPlace: false });
    expect(r).toMatchObject({ arenaBytes: 128, lowerBound: 128, noReuseBytes: 256, arenaOverBound: 1, noReuseOverArena: 2, values: 4, inPlace: 0 });
    expect(formatMemoryReport(r)).toBe('arena 128 B = 1.00x lower bound 128 B; no reuse 256 B (2.00x arena); 0 of 4 values in place');
    expect(memoryReport(g).inPlace).toBe(1);
  });

  it('on random networks the arena is within 5% of the lower bound for nearly all, and never far', () => {
    // The bound (peak live bytes) is not always reachable: placement is a packing problem.
    const ratios = fc.sample(networkArbitrary(), { numRuns: 300, seed: 5 }).map((n) => memoryReport(n.graph, { alignment: 1 }).arenaOverBound);
    expect(ratios.every((r) => r >= 1)).toBe(true);
    expect(ratios.filter((r) => r > 1.05).length).toBeLessThan(ratios.length * 0.06);
    expect(Math.max(...ratios)).toBeLessThanOrEqual(1.3);
  });
});
