// IR: printer, structural hash and equality, verifier, registry.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { GraphError, defineOp, edit, getOp, makeGraph, printGraph, structuralEqual, structuralHash, verify } from '../../src/ir/index.js';

function small(name = 'r') {
  const n = new Network();
  const x = n.input('x', 'f32', ['batch', 4]);
  n.markOutput(x.relu(name).mul(2, `${name}_m`), 'y');
  return n.graph;
}

describe('printer', () => {
  it('prints types the one kiln way', () => {
    const text = printGraph(small());
    expect(text).toContain('graph(%x: f32[batch,4]) {');
    expect(text).toContain('%y: f32[batch,4] = Mul(%r, %r_m.b)  # r_m');
    expect(text).toContain('return %y');
  });
});

describe('structural hash and equality', () => {
  it('ignores internal names, sees ops, attrs and constants', () => {
    expect(structuralEqual(small('a'), small('b'))).toBe(true);
    expect(structuralHash(small('a'))).toBe(structuralHash(small('b')));
    const n = new Network();
    const x = n.input('x', 'f32', ['batch', 4]);
    n.markOutput(x.relu().mul(3), 'y');
    expect(structuralEqual(small(), n.graph)).toBe(false);
    const m = new Network();
    m.markOutput(m.input('x', 'f32', ['batch', 4]).sigmoid().mul(2), 'y');
    expect(structuralHash(small())).not.toBe(structuralHash(m.graph));
  });
});

describe('verifier', () => {
  it('accepts DSL graphs and rejects broken ones, naming the layer', () => {
    const g = small();
    expect(() => verify(g)).not.toThrow();
    const useBeforeDef = edit(g, (d) => { d.nodes.reverse(); });
    expect(() => verify(useBeforeDef)).toThrow("layer 'r_m' (Mul): input 'r' is not defined before the layer");
    const badType = edit(g, (d) => { d.types.r = { dtype: 'f32', shape: [1, 4] }; });
    expect(() => verify(badType)).toThrow("layer 'r' (Relu): output 'r' is typed f32[1,4] but infers to f32[batch,4]");
    const noOut = edit(g, (d) => { d.outputs = ['nope']; });
    expect(() => verify(noOut)).toThrow(GraphError);
    const badConst = makeGraph({ ...g, constants: { ...g.constants, 'r_m.b': { type: { dtype: 'f32', shape: [1] }, data: new Float32Array(2) } } });
    expect(() => verify(badConst)).toThrow("constant 'r_m.b' f32[1] holds 2 elements of Float32Array");
  });
  it('graphs are frozen: a pass cannot mutate its input', () => {
    const g = small();
    expect(() => { (g.nodes as unknown[]).push(1); }).toThrow();
  });
});

describe('registry', () => {
  it('rejects duplicates and unknown ops', () => {
    expect(() => defineOp({ ...getOp('Relu') })).toThrow("op 'Relu' is registered twice");
    expect(() => getOp('Nope')).toThrow("unknown op 'Nope'");
  });
});
