// checkPass catches each way a pass can break the contract, and says which; the
// generator's options (ops, dtypes, shapes) do what they say.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { edit, makeGraph } from '../../src/ir/index.js';
import { definePass } from '../../passes/index.js';
import { checkPass, checkPassOn, networkArbitrary, networkSpecArbitrary, PassCheckError } from '../../passes/testing/index.js';

const opts = { numRuns: 30, ops: ['relu', 'tanh', 'mul'] as const };
const failure = (pass: Parameters<typeof checkPass>[0]) => {
  try {
    checkPass(pass, { ...opts, ops: [...opts.ops] });
  } catch (e) {
    return (e as Error).message;
  }
  return 'no failure';
};

describe('checkPass', () => {
  it('accepts a pass that keeps the contract, and counts what it changed', () => {
    const report = checkPass(definePass({ name: 'Nothing', run: (g) => g }), { ...opts, ops: [...opts.ops] });
    expect(report).toMatchObject({ runs: 30, changed: 0 });
    expect(report.layersAfter).toBe(report.layersBefore);
  });

  it('names each broken rule: mutation, invalid graph, equal copy, idempotence', () => {
    // Graphs are frozen, but a constant's typed array is not: exactly the mutation to catch.
    const Mutate = definePass({ name: 'Mutate', run: (g) => {
      const c = Object.values(g.constants)[0];
      if (c) (c.data as Float32Array)[0]! += 1;
      return g;
    } });
    expect(failure(Mutate)).toContain('Mutate: the pass mutated its input graph');
    const Invalid = definePass({ name: 'Invalid', run: (g) => edit(g, (d) => { d.nodes[0]!.inputs[0] = 'nowhere'; }) });
    expect(failure(Invalid)).toContain("Invalid: the pass produced a graph the verifier rejects: layer '");
    const Copy = definePass({ name: 'Copy', run: (g) => makeGraph({ ...g }) });
    expect(failure(Copy)).toContain('Copy: the pass returned a new graph equal to its input; return the input itself when nothing changes');
    let flip = 0;
    const Flapping = definePass({ name: 'Flapping', run: (g) => (flip++ % 2 === 0 ? g : edit(g, (d) => { d.nodes[0]!.name = `n${flip}`; })) });
    expect(failure(Flapping)).toMatch(/Flapping: (not idempotent|the pass returned a new graph equal)/);
    expect(failure(Flapping)).toContain('Counterexample');
  });

  it('checkPassOn throws a PassCheckError carrying the graph after the pass', () => {
    const [net] = fc.sample(networkArbitrary({ ops: ['relu'] }), { numRuns: 1, seed: 1 });
    const Rename = definePass({ name: 'RenameOutputLayer', run: (g) => edit(g, (d) => { d.nodes[0]!.op = 'Sigmoid'; }) });
    try {
      checkPassOn(Rename, net!);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PassCheckError);
      expect((e as PassCheckError).after.nodes[0]!.op).toBe('Sigmoid');
      expect((e as PassCheckError).message).toContain('outputs differ from the input network');
    }
  });
});

describe('networkArbitrary options', () => {
  it('draws f16 and bf16 networks, and input shapes of one kind', () => {
    const nets = fc.sample(networkArbitrary({ dtypes: ['f16', 'bf16'], inputShapes: fc.tuple(fc.constant(2), fc.integer({ min: 2, max: 4 })) }), { numRuns: 40, seed: 2 });
    expect(new Set(nets.map((n) => n.graph.types.in0!.dtype))).toEqual(new Set(['f16', 'bf16']));
    for (const n of nets) {
      expect(Object.values(n.graph.types).every((t) => t.dtype === n.spec.dtype)).toBe(true);
      expect(n.graph.types.in0!.shape[0]).toBe(2);
    }
    // An f32 spec carries no dtype, so older printed specs still replay.
    expect(fc.sample(networkSpecArbitrary(), { numRuns: 5, seed: 3 }).every((s) => s.dtype === undefined)).toBe(true);
  });

  it('draws the pattern steps the passes look for', () => {
    const ops = new Set(fc.sample(networkArbitrary({ ops: ['scale', 'silu2', 'transposePair', 'siblings', 'constExpr'] }), { numRuns: 100, seed: 4 }).flatMap((n) => n.graph.nodes.map((x) => x.op)));
    for (const op of ['Scale', 'Sigmoid', 'Mul', 'Transpose', 'Concat', 'Tanh']) expect(ops).toContain(op);
  });
});
