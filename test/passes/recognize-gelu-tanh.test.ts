// RecognizeActivations, GELU's tanh form: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
// in the groupings exporters write becomes one GeluTanh layer (interpreter-checked);
// near misses stay as they are.
import { describe, expect, it } from 'vitest';
import { Network, type NetworkTensor } from '../../dsl/index.js';
import { verify } from '../../src/ir/index.js';
import { RecognizeActivations, applyPass, buildPipeline, runPipeline } from '../../passes/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { DT, io, model, node } from '../onnx/onnx-builder.js';
import { expectGraph, expectSameOutputs, expectUnchanged, layer } from './helpers.js';

const C = Math.sqrt(2 / Math.PI);

function net(body: (x: NetworkTensor, n: Network) => NetworkTensor) {
  const n = new Network();
  const x = n.input('x', 'f32', [2, 8]).relu('x1');
  n.markOutput(body(x, n).sigmoid('out'), 'y');
  return n.graph;
}

const geluTanh = (x: NetworkTensor) => layer(x.network, 'GeluTanh', 'g', [x], {});

/** The form with every knob: cube as x*x*x or Pow, operand orders, where the 0.5 sits, f32 constants. */
function spelled(x: NetworkTensor, o: { pow?: boolean; swap?: boolean; halfLast?: boolean; k?: number; c?: number; one?: number } = {}) {
  const cube = o.pow ? x.pow(3, 'cube') : x.mul(x, 'sq').mul(x, 'cube');
  const inner = o.swap ? cube.mul(o.k ?? 0.044715, 'kc').add(x, 'inner') : x.add(cube.mul(o.k ?? 0.044715, 'kc'), 'inner');
  const t = inner.mul(o.c ?? Math.fround(C), 'scaled').tanh('tanh');
  const onePlus = o.swap ? t.add(o.one ?? 1, 'onep') : t.add(o.one ?? 1, 'onep');
  return o.halfLast ? x.mul(onePlus, 'm').mul(0.5, 'half') : x.mul(0.5, 'half').mul(onePlus, 'm');
}

describe('RecognizeActivations: GELU, tanh form', () => {
  it('as ONNX Gelu(approximate=tanh) decomposes: one GeluTanh named after the layers it replaces', () => {
    const input = net((x) => spelled(x));
    const out = applyPass(RecognizeActivations, input);
    expectGraph(out, net((x) => geluTanh(x)));
    expect(out.nodes[1]).toMatchObject({ op: 'GeluTanh', inputs: ['x1'], fused: ['sq', 'cube', 'kc', 'inner', 'scaled', 'tanh', 'onep', 'half', 'm'] });
    expect(Object.keys(out.constants)).toEqual([]);
    expectSameOutputs(input, out);
    verify(out);
  });

  it('other groupings: Pow(x, 3), swapped operands, the 0.5 applied last', () => {
    for (const o of [{ pow: true }, { swap: true }, { halfLast: true }, { pow: true, swap: true, halfLast: true }]) {
      const input = net((x) => spelled(x, o));
      const out = applyPass(RecognizeActivations, input);
      expect(out.nodes.map((n) => n.op), JSON.stringify(o)).toEqual(['Relu', 'GeluTanh', 'Sigmoid']);
      expectSameOutputs(input, out);
    }
  });

  it('must not change: wrong constants, an inner value read elsewhere, a square instead of a cube', () => {
    for (const o of [{ k: 0.05 }, { c: 0.8 }, { one: 2 }]) expectUnchanged(RecognizeActivations, net((x) => spelled(x, o)));
    expectUnchanged(RecognizeActivations, net((x) => {
      const t = x.add(x.mul(x, 'sq').mul(x).mul(0.044715)).mul(C).tanh('tanh');
      return x.mul(0.5).mul(t.add(1)).add(t, 'leak');
    }));
    expectUnchanged(RecognizeActivations, net((x) => x.mul(0.5).mul(x.add(x.mul(x).mul(0.044715)).mul(C).tanh().add(1))));
  });

  it('an ONNX-imported tanh GELU runs as one layer through the pipeline', () => {
    const onnx = model({
      nodes: [node('Gelu', ['x'], ['y'], { approximate: 'tanh' })], opset: 20,
      inputs: [io('x', DT.FLOAT, [2, 8])], outputs: [io('y', DT.FLOAT, [2, 8])],
    });
    const g = importOnnx(onnx, {}).graph;
    expect(g.nodes.length).toBeGreaterThan(5);
    const out = runPipeline(g, buildPipeline({ optLevel: 3 })).graph;
    expect(out.nodes.map((n) => n.op)).toEqual(['GeluTanh']);
    expectSameOutputs(g, out, { atol: 1e-6, rtol: 1e-5 });
  });
});

