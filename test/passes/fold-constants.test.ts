// FoldConstants: Input vs Expected for constant chains, the size cap, and the
// layers that must stay (graph outputs, layers reading an input, failing layers).
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { makeGraph, verify } from '../../src/ir/index.js';
import { FoldConstants, applyPass, foldConstants } from '../../passes/index.js';
import { collectingLogger, expectGraph, expectSameOutputs, expectUnchanged } from './helpers.js';

describe('FoldConstants', () => {
  it('folds a chain of constant layers into one constant, front to back, and drops the unread inputs', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3]);
    const c = net.constant('c', [1, -2, 3, -4, 5, -6], [3, 2]);
    const t = c.transpose([1, 0], 't').relu('r').mul(2, 'm');
    net.markOutput(x.add(t, 'sum'), 'y');
    const input = net.graph;

    const expected = new Network();
    const folded = expected.constant('m', [2, 6, 10, 0, 0, 0], [2, 3]);
    expected.markOutput(expected.input('x', 'f32', [2, 3]).add(folded, 'sum'), 'y');

    const out = applyPass(FoldConstants, input);
    expectGraph(out, expected.graph);
    expect(out.nodes.map((n) => n.name)).toEqual(['sum']);
    // The folded value keeps the name of the layer output it replaces, so readers stay wired.
    expect(Object.keys(out.constants)).toEqual(['m']);
    expect(Array.from(out.constants.m!.data as Float32Array)).toEqual([2, 6, 10, 0, 0, 0]);
    expectSameOutputs(input, out);
    verify(out);
  });

  it('folds integer arithmetic and keeps a constant still read by another layer', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [3]);
    const c = net.constant('c', [1, 2, 3], [3]);
    net.markOutput(x.mul(c.add(c, 'twice'), 'scaled').add(c, 'shifted'), 'y');
    const out = applyPass(FoldConstants, net.graph);
    expect(out.nodes.map((n) => n.name)).toEqual(['scaled', 'shifted']);
    expect(Object.keys(out.constants).sort()).toEqual(['c', 'twice']);
    expectSameOutputs(net.graph, out);
  });

  it('respects the size cap, but always folds what does not grow the weights', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [64, 64]);
    const big = net.constant('one', [1], [1]).add(net.constant('zeros', new Float32Array(64 * 64), [64, 64]), 'bcast');
    const w = net.constant('w', new Float32Array(64 * 64).fill(0.5), [64, 64]).transpose([1, 0], 'wT');
    net.markOutput(x.add(big, 'a').matmul(w, { name: 'mm' }), 'y');
    const small = applyPass(foldConstants({ maxElements: 16 }), net.graph);
    // 'bcast' reads 4097 elements and makes 4096; the transpose makes as many as it reads.
    // 'outer' makes 64 from 65; 'grid' would make 4096 from 128, past a cap of 100.
    expect(small.nodes.map((n) => n.name)).toEqual(['a', 'mm']);
    const growing = new Network();
    const g = growing.input('x', 'f32', [64, 64]);
    growing.markOutput(g.add(growing.constant('s', [3], [1]).add(growing.constant('row', new Float32Array(64), [64, 1]), 'outer').mul(growing.constant('col', new Float32Array(64), [1, 64]), 'grid'), 'y'));
    expect(applyPass(foldConstants({ maxElements: 100 }), growing.graph).nodes.map((n) => n.name)).toEqual(['grid', 'y']);
    expect(applyPass(FoldConstants, growing.graph).nodes.map((n) => n.name)).toEqual(['y']);
  });

  describe('must not change', () => {
    it('layers that read a network input, and a graph with no constant layer', () => {
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [2, 2]).mul(3).relu(), 'y');
      expectUnchanged(FoldConstants, net.graph);
    });

    it('a constant layer whose result is a network output', () => {
      const net = new Network();
      net.input('x', 'f32', [1]);
      net.markOutput(net.constant('c', [1, -1], [2]).relu('r'), 'y');
      expectUnchanged(FoldConstants, net.graph);
    });

    it('a layer the interpreter cannot compute (integer division by zero), logged and kept', () => {
      const t = { dtype: 'i32', shape: [2] } as const;
      const graph = makeGraph({
        inputs: ['x'],
        outputs: ['y'],
        nodes: [{ name: 'q', op: 'Div', inputs: ['a', 'z'], outputs: ['q'], attrs: {} }, { name: 'y', op: 'Add', inputs: ['x', 'q'], outputs: ['y'], attrs: {} }],
        types: { x: t, a: t, z: t, q: t, y: t },
        constants: { a: { type: t, data: Int32Array.from([4, 2]) }, z: { type: t, data: Int32Array.from([1, 0]) } },
      });
      verify(graph);
      const { logger, messages } = collectingLogger();
      expect(FoldConstants.run(graph, { logger, options: {} })).toBe(graph);
      expect(messages[0]!.message).toContain("FoldConstants: layer 'q' (Div) is kept: layer 'q' (Div): integer Div of 2 by 0 has no result");
    });
  });
});
