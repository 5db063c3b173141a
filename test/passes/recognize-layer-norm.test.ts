// RecognizeLayerNorm: layer normalization spelled out in primitive ops becomes one
// LayerNormalization layer (interpreter-checked), with or without gamma and beta, in the
// spellings exporters use; near misses stay as they are.
import { describe, expect, it } from 'vitest';
import { Network, type NetworkTensor } from '../../dsl/index.js';
import { verify } from '../../src/ir/index.js';
import { RecognizeLayerNorm, applyPass, buildPipeline, runPipeline } from '../../passes/index.js';
import { expectSameOutputs, expectUnchanged, weights } from './helpers.js';

const G = weights(8, 3);
const B = weights(8, 4);

function net(body: (x: NetworkTensor, n: Network) => NetworkTensor, shape = [2, 3, 8]) {
  const n = new Network();
  const x = n.input('x', 'f32', shape).relu('x1');
  n.markOutput(body(x, n).sigmoid('out'), 'y');
  return n.graph;
}

/** The spelled-out form; o picks the spelling and the near misses. */
function spelled(x: NetworkTensor, n: Network, o: { pow?: boolean; affine?: boolean; axes?: number[]; varAxes?: number[]; eps?: number } = {}) {
  const axes = o.axes ?? [-1];
  const d = x.sub(x.reduceMean(axes, { name: 'mean' }), 'd');
  const sq = o.pow ? d.pow(2, 'sq') : d.mul(d, 'sq');
  const norm = d.div(sq.reduceMean(o.varAxes ?? axes, { name: 'var' }).add(o.eps ?? 1e-5, 'eps').sqrt('std'), 'norm');
  return o.affine === false ? norm : norm.mul(n.constant('gamma', G, [8]), 'scale').add(n.constant('beta', B, [8]), 'shift');
}

describe('RecognizeLayerNorm', () => {
  it('turns the nine layers (d*d, gamma, beta) into one LayerNormalization named after them', () => {
    const input = net((x, n) => spelled(x, n));
    const out = applyPass(RecognizeLayerNorm, input);
    expect(out.nodes.map((n) => n.op)).toEqual(['Relu', 'LayerNormalization', 'Sigmoid']);
    expect(out.nodes[1]).toMatchObject({ name: 'mean + d + sq + var + eps + std + norm + scale + shift', inputs: ['x1', 'gamma', 'beta'], outputs: ['shift'] });
    expect(out.nodes[1]!.attrs).toEqual({ axis: 2, epsilon: expect.closeTo(1e-5, 12) });
    verify(out);
    expectSameOutputs(input, out, { atol: 1e-5, rtol: 1e-4 });
  });

  it('Pow(d, 2), no gamma and beta (a ones scale is made), two trailing axes', () => {
    const plain = net((x, n) => spelled(x, n, { pow: true, affine: false }));
    const out = applyPass(RecognizeLayerNorm, plain);
    expect(out.nodes.map((n) => n.op)).toEqual(['Relu', 'LayerNormalization', 'Sigmoid']);
    expect(out.constants[out.nodes[1]!.inputs[1]!]!.type.shape).toEqual([8]);
    expectSameOutputs(plain, out, { atol: 1e-5, rtol: 1e-4 });
    const two = net((x, n) => spelled(x, n, { axes: [1, 2], affine: false }));
    const out2 = applyPass(RecognizeLayerNorm, two);
    expect(out2.nodes[1]).toMatchObject({ op: 'LayerNormalization', attrs: { axis: 1 } });
    expectSameOutputs(two, out2, { atol: 1e-5, rtol: 1e-4 });
  });

  it('runs at level 3 and ahead of scale folding', () => {
    const input = net((x, n) => spelled(x, n));
    expect(runPipeline(input, buildPipeline({ optLevel: 3 })).graph.nodes.map((n) => n.op)).toEqual(['Relu', 'LayerNormalization', 'Sigmoid']);
  });

  describe('must not change', () => {
    it('variance over other axes than the mean, a leading axis, a non-constant epsilon', () => {
      expectUnchanged(RecognizeLayerNorm, net((x, n) => spelled(x, n, { varAxes: [1] })));
      expectUnchanged(RecognizeLayerNorm, net((x, n) => spelled(x, n, { axes: [0, 1], affine: false })));
      expectUnchanged(RecognizeLayerNorm, net((x) => {
        const d = x.sub(x.reduceMean([-1]));
        return d.div(d.mul(d).reduceMean([-1]).add(x.reduceMax([-1])).sqrt());
      }));
    });

    it('a centred value read outside the chain, and the mean of another tensor', () => {
      expectUnchanged(RecognizeLayerNorm, net((x) => {
        const d = x.sub(x.reduceMean([-1]));
        return d.div(d.mul(d).reduceMean([-1]).add(1e-5).sqrt()).add(d, 'leak');
      }));
      expectUnchanged(RecognizeLayerNorm, net((x) => {
        const d = x.sub(x.tanh().reduceMean([-1]));
        return d.div(d.mul(d).reduceMean([-1]).add(1e-5).sqrt());
      }));
    });

    it('a gamma that does not broadcast onto the normalized dims leaves it without gamma', () => {
      const input = net((x, n) => spelled(x, n, { affine: false }).mul(n.constant('perRow', weights(3, 9), [3, 1]), 'rowScale'));
      const out = applyPass(RecognizeLayerNorm, input);
      expect(out.nodes.map((n) => n.op)).toEqual(['Relu', 'LayerNormalization', 'Mul', 'Sigmoid']);
      expectSameOutputs(input, out, { atol: 1e-5, rtol: 1e-4 });
    });
  });
});
