// RecognizeActivations: SiLU and GELU written in primitive ops become one layer, in
// the groupings exporters write, and near-misses stay as they are.
import { describe, expect, it } from 'vitest';
import { Network, type NetworkTensor } from '../../dsl/index.js';
import { hasOp, verify } from '../../src/ir/index.js';
import { RecognizeActivations, applyPass } from '../../passes/index.js';
import { expectGraph, expectSameOutputs, expectUnchanged, layer } from './helpers.js';

function net(body: (x: NetworkTensor, n: Network) => NetworkTensor) {
  const n = new Network();
  const x = n.input('x', 'f32', [2, 8]).relu('x1');
  n.markOutput(body(x, n).tanh('out'), 'y');
  return n.graph;
}

const erf = (t: NetworkTensor, name: string) => layer(t.network, 'Erf', name, [t], {});

describe('RecognizeActivations', () => {
  it('turns x * sigmoid(x) (either order) into Silu, named after both layers', () => {
    const input = net((x) => x.sigmoid('sig').mul(x, 'swish'));
    const out = applyPass(RecognizeActivations, input);
    expectGraph(out, net((x) => x.silu('silu')));
    expect(out.nodes[1]).toMatchObject({ name: 'sig + swish', op: 'Silu', fused: ['sig', 'swish'], inputs: ['x1'], outputs: ['swish'] });
    expectSameOutputs(input, out);
    verify(out);
  });

  describe.skipIf(!hasOp('Erf'))('GELU, erf form', () => {
    it('0.5 * x * (1 + erf(x / sqrt 2)), as torch exports it', () => {
      const input = net((x) => x.mul(erf(x.div(1.4142135381698608, 'div'), 'erf').add(1, 'add'), 'mul').mul(0.5, 'half'));
      const out = applyPass(RecognizeActivations, input);
      expectGraph(out, net((x) => x.gelu()));
      expect(out.nodes[1]!.name).toBe('div + erf + add + mul + half');
      expect(Object.keys(out.constants)).toEqual([]);
      expectSameOutputs(input, out);
    });

    it('other groupings: (x * 0.5) * (1 + erf(x * 0.7071)), and x * ((erf + 1) * 0.5)', () => {
      const a = net((x) => x.mul(0.5, 'h').mul(erf(x.mul(0.70710677, 'k'), 'e').add(1, 'p'), 'g'));
      expectGraph(applyPass(RecognizeActivations, a), net((x) => x.gelu()));
      const b = net((x, n) => x.mul(n.constant('one', [1], [1]).add(erf(x.div(Math.SQRT2, 'd'), 'e'), 'p').mul(0.5, 'h'), 'g'));
      expectGraph(applyPass(RecognizeActivations, b), net((x) => x.gelu()));
      expectSameOutputs(a, applyPass(RecognizeActivations, a));
    });

    it('must not change: a wrong constant, an inner value read elsewhere, or erf of another tensor', () => {
      expectUnchanged(RecognizeActivations, net((x) => x.mul(erf(x.div(1.5, 'div'), 'erf').add(1, 'add'), 'mul').mul(0.5, 'half')));
      expectUnchanged(RecognizeActivations, net((x) => x.mul(erf(x.div(Math.SQRT2), 'erf').add(1), 'mul').mul(0.6)));
      expectUnchanged(RecognizeActivations, net((x) => {
        const e = erf(x.div(Math.SQRT2), 'erf');
        return x.mul(e.add(1), 'mul').mul(0.5).add(e, 'leak');
      }));
      expectUnchanged(RecognizeActivations, net((x) => x.mul(erf(x.sigmoid().div(Math.SQRT2), 'erf').add(1), 'mul').mul(0.5)));
    });
  });

  describe('must not change', () => {
    it('sigmoid of another tensor, a sigmoid read elsewhere or marked as a network output', () => {
      expectUnchanged(RecognizeActivations, net((x) => x.relu('other').sigmoid('sig').mul(x)));
      expectUnchanged(RecognizeActivations, net((x) => {
        const s = x.sigmoid('sig');
        return x.mul(s).add(s);
      }));
      const n = new Network();
      const x = n.input('x', 'f32', [1, 8]);
      const sig = x.sigmoid('sig');
      n.markOutput(sig, 'gate');
      n.markOutput(x.mul(sig), 'y');
      expectUnchanged(RecognizeActivations, n.graph);
    });
  });
});
