// EliminateDeadLayers: dead layers and unread constants go, inputs stay (with a
// warning), and a graph with nothing dead comes back as the very same object.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { structuralEqual, structuralHash, verify } from '../../src/ir/index.js';
import { EliminateDeadLayers, applyPass } from '../../passes/index.js';
import { collectingLogger, weights } from './helpers.js';

describe('EliminateDeadLayers', () => {
  it('removes layers that reach no output, and their constants', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    const y = x.relu('keep');
    y.conv({ name: 'dead_conv', outChannels: 2, kernel: [3, 3], weights: weights(36), bias: weights(2, 2) }).sigmoid('dead_sigmoid');
    net.markOutput(y.tanh('out'));
    const input = net.graph;

    const expected = new Network();
    expected.markOutput(expected.input('x', 'f32', [1, 2, 5, 5]).relu('keep').tanh('out'));

    const out = applyPass(EliminateDeadLayers, input);
    expect(structuralEqual(out, expected.graph)).toBe(true);
    expect(out.nodes.map((n) => n.name)).toEqual(['keep', 'out']);
    expect(Object.keys(out.constants)).toEqual([]);
    expect(Object.keys(out.types).sort()).toEqual(['keep', 'out', 'x']);
    verify(out);
  });

  it('keeps constants still read and drops only the unread one', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3]);
    const c = net.constant('shared', weights(3), [3]);
    net.constant('orphan', weights(3), [3]);
    x.add(c, 'dead_add');
    net.markOutput(x.mul(c, 'live_mul'));
    const out = applyPass(EliminateDeadLayers, net.graph);
    expect(Object.keys(out.constants)).toEqual(['shared']);
    expect(out.nodes.map((n) => n.name)).toEqual(['live_mul']);
  });

  it('keeps an unused network input and warns about it', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3]);
    net.input('unused', 'f32', [4]);
    net.markOutput(x.relu());
    const input = net.graph;
    const { logger, messages } = collectingLogger();
    const out = applyPass(EliminateDeadLayers, input, { logger });
    expect(out).toBe(input);
    expect(out.inputs).toEqual(['x', 'unused']);
    expect(messages).toEqual([{ severity: 'warning', message: expect.stringContaining("network input 'unused' reaches no output") }]);
  });

  it('returns the same object when nothing is dead, and never mutates its input', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3]);
    net.markOutput(x.relu().add(x.sigmoid()));
    const live = net.graph;
    expect(applyPass(EliminateDeadLayers, live)).toBe(live);

    x.tanh('dead');
    const withDead = net.graph;
    const before = structuralHash(withDead);
    const out = applyPass(EliminateDeadLayers, withDead);
    expect(out).not.toBe(withDead);
    expect(structuralHash(withDead)).toBe(before);
    expect(withDead.nodes.map((n) => n.name)).toContain('dead');
    expect(applyPass(EliminateDeadLayers, out)).toBe(out);
  });
});
