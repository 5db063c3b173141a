// The random-network generator itself: well-typed, within its layer budget, limited
// to the ops asked for, deterministic, and printable for failure reports.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interpret/index.js';
import { printGraph, structuralHash, verify } from '../../src/ir/index.js';
import { buildRandomNetwork, networkArbitrary, networkSpecArbitrary } from '../../passes/testing/index.js';

describe('networkArbitrary', () => {
  it('builds verified networks of 2..maxLayers layers that the interpreter runs', () => {
    fc.assert(fc.property(networkArbitrary({ maxLayers: 30 }), (net) => {
      verify(net.graph);
      expect(net.graph.nodes.length).toBeGreaterThanOrEqual(2);
      expect(net.graph.nodes.length).toBeLessThanOrEqual(30);
      expect(Object.keys(interpret(net.graph, net.inputs))).toEqual([...net.graph.outputs]);
    }), { numRuns: 200 });
  });

  it('draws only the ops allowed (a step that does not fit degrades to Relu)', () => {
    fc.assert(fc.property(networkArbitrary({ ops: ['conv', 'tanh'], maxLayers: 8 }), (net) => {
      for (const n of net.graph.nodes) expect(['Conv', 'Tanh', 'Relu']).toContain(n.op);
      expect(net.graph.nodes.length).toBeLessThanOrEqual(8);
    }), { numRuns: 100 });
  });

  it('covers every op family over a sample', () => {
    const ops = new Set(fc.sample(networkArbitrary(), { numRuns: 200, seed: 7 }).flatMap((n) => n.graph.nodes.map((x) => x.op)));
    for (const op of ['Conv', 'Pool', 'MatMul', 'Add', 'Mul', 'Reshape', 'Transpose', 'Concat', 'Softmax', 'Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Clip', 'Gelu', 'Silu']) {
      expect(ops).toContain(op);
    }
  });

  it('rebuilds the same network from a spec, and prints the graph and spec', () => {
    const [spec] = fc.sample(networkSpecArbitrary(), { numRuns: 1, seed: 3 });
    const a = buildRandomNetwork(spec!);
    const b = buildRandomNetwork(JSON.parse(JSON.stringify(spec)));
    expect(structuralHash(a.graph)).toBe(structuralHash(b.graph));
    const text = fc.stringify(a);
    expect(text).toContain(printGraph(a.graph));
    expect(text).toContain(`spec: ${JSON.stringify(spec)}`);
  });
});
