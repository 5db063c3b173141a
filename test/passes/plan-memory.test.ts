// planMemory: liveness, reuse, the in-place rule, and brute-force properties on
// random interval sets and random networks: no two values alive at once share a
// byte unless they are a legal in-place pair, offsets are aligned, and the arena
// lies between the live-bytes lower bound and the no-reuse size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
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

/** Brute force: every pair of values alive at a common step either shares no byte or is an in-place pair. */
function checkPlan(graph: Graph, plan: MemoryPlan, alignment: number): void {
  const values = [...plan.intervals.keys()];
  const planned = new Set([...graph.inputs, ...graph.outputs.filter((o) => !(o in graph.constants)), ...graph.nodes.flatMap((n) => n.outputs)]);
  expect(new Set(values)).toEqual(planned);
  const related = (a: string, b: string) => plan.aliasOf.get(a) === b || plan.aliasOf.get(b) === a;
  for (const [i, a] of values.entries()) {
    expect(plan.offsets.get(a)! % alignment).toBe(0);
    for (const b of values.slice(i + 1)) {
      const [ia, ib] = [plan.intervals.get(a)!, plan.intervals.get(b)!];
      const [oa, ob] = [plan.offsets.get(a)!, plan.offsets.get(b)!];
      const bytesOverlap = oa < ob + plan.sizes.get(b)! && ob < oa + plan.sizes.get(a)!;
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
  expect(plan.arenaBytes).toBeGreaterThanOrEqual(plan.lowerBound);
  expect(plan.arenaBytes).toBeLessThanOrEqual(plan.noReuseBytes);
}

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
    fc.assert(fc.property(networkArbitrary(), fc.boolean(), fc.constantFrom(1, 64), (net, inPlace, alignment) => {
      checkPlan(net.graph, planMemory(net.graph, { sizeOf: staticSizeOf, inPlace, alignment }), alignment);
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
