// ConvTranspose, RNN, GRU and LSTM on inputs small enough to check by hand (the
// recurrent expectations are the ONNX equations written out with Math), the ONNX
// edge cases (reverse and bidirectional runs, sequence lengths down to 0, layout 1,
// clip, activation lists and their alpha/beta), and the error messages of inference,
// the interpreter and the DSL.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, tensor, tensorValues, type Tensor } from '../../src/interpret/index.js';
import { getKernel } from '../../src/interpret/kernel.js';
import { opsInGroup } from '../../src/ir/index.js';
import { buildGraph, expectTensor, runOp, thrown } from './graph-helpers.js';

const f32 = (shape: number[], v: number[]) => tensor('f32', shape, v);
const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('ConvTranspose', () => {
  it('1-D: every input scatters a weighted copy of the kernel', () => {
    expectTensor(runOp('ConvTranspose', [f32([1, 1, 3], [1, 2, 3]), f32([1, 1, 2], [1, 10])]), 'f32', [1, 1, 4], [1, 12, 23, 30]);
  });

  it('stride, pads (crop), output padding, bias and the epilogue', () => {
    const x = f32([1, 1, 2], [1, 2]);
    const w = f32([1, 1, 3], [1, 1, 1]);
    expectTensor(runOp('ConvTranspose', [x, w], { strides: [2] }), 'f32', [1, 1, 5], [1, 1, 3, 2, 2]);
    expectTensor(runOp('ConvTranspose', [x, w], { strides: [2], padsBegin: [1], padsEnd: [1] }), 'f32', [1, 1, 3], [1, 3, 2]);
    expectTensor(runOp('ConvTranspose', [x, w, f32([1], [-1.5])], { strides: [2], outputPadding: [1] }), 'f32', [1, 1, 6], [-0.5, -0.5, 1.5, 0.5, 0.5, -1.5]);
    expectTensor(runOp('ConvTranspose', [x, w, f32([1], [-1.5])], { strides: [2], outputPadding: [1], activation: 'relu' }), 'f32', [1, 1, 6], [0, 0, 1.5, 0.5, 0.5, 0]);
  });

  it('dilation spreads the taps', () => {
    expectTensor(runOp('ConvTranspose', [f32([1, 1, 2], [1, 2]), f32([1, 1, 2], [1, 1])], { dilations: [2] }), 'f32', [1, 1, 4], [1, 2, 1, 2]);
  });

  it('groups: input channel c feeds only the output channels of its group', () => {
    const x = f32([1, 2, 1], [1, 2]);
    expectTensor(runOp('ConvTranspose', [x, f32([2, 1, 1], [3, 5])], { groups: 2 }), 'f32', [1, 2, 1], [3, 10]);
    expectTensor(runOp('ConvTranspose', [x, f32([2, 1, 1], [3, 5])]), 'f32', [1, 1, 1], [13]);
  });

  it('2-D: ONNX test_convtranspose (x = 0..8, all-ones 3x3 kernel, 2 output channels)', () => {
    const y = runOp('ConvTranspose', [f32([1, 1, 3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]), f32([1, 2, 3, 3], new Array(18).fill(1))]);
    const plane = [0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8];
    expectTensor(y, 'f32', [1, 2, 5, 5], [...plane, ...plane]);
  });

  it('inference errors name the argument, expected and received', () => {
    const x = f32([1, 2, 3, 3], new Array(18).fill(0));
    expect(thrown(() => runOp('ConvTranspose', [x, f32([3, 1, 2, 2], new Array(12).fill(0))])).message)
      .toBe("layer 'y' (ConvTranspose): weights 'w' f32[3,1,2,2] expect 3 input channels, input 'x' f32[1,2,3,3] has 2");
    expect(thrown(() => runOp('ConvTranspose', [x, f32([2, 1, 2, 2], new Array(8).fill(0))], { groups: 3 })).message)
      .toBe("layer 'y' (ConvTranspose): groups 3 must divide the 2 input channels of weights 'w' f32[2,1,2,2]");
    expect(thrown(() => runOp('ConvTranspose', [x, f32([2, 1, 2, 2], new Array(8).fill(0))], { padsBegin: [2, 2], padsEnd: [2, 2] })).message)
      .toBe("layer 'y' (ConvTranspose): padding [2,2]+[2,2] leaves no output for input 'x' f32[1,2,3,3] and kernel 2x2 (stride 1x1)");
    expect(thrown(() => runOp('ConvTranspose', [x, f32([2, 3, 2, 2], new Array(24).fill(0)), f32([2], [0, 0])])).message)
      .toBe("layer 'y' (ConvTranspose): bias 'b' must be f32[3], got f32[2]");
    expect(thrown(() => runOp('ConvTranspose', [x, f32([2, 1, 2, 2], new Array(8).fill(0))], { outputPadding: [1] })).message)
      .toBe("layer 'y' (ConvTranspose): 'outputPadding' needs 2 values, got [1]");
  });
});

/** Runs a recurrent op; returns [Y, Y_h(, Y_c)]. */
function runRecurrent(op: 'RNN' | 'GRU' | 'LSTM', inputs: (Tensor | undefined)[], attrs: Record<string, unknown>): Tensor[] {
  const given: Record<string, Tensor> = {};
  const types: Record<string, { dtype: Tensor['dtype']; shape: number[] }> = {};
  const names = inputs.map((t, i) => {
    if (!t) return '';
    given[`in${i}`] = t;
    types[`in${i}`] = { dtype: t.dtype, shape: t.shape };
    return `in${i}`;
  });
  const outputs = op === 'LSTM' ? ['y', 'yh', 'yc'] : ['y', 'yh'];
  const graph = buildGraph({ inputs: types, nodes: [{ op, inputs: names, outputs, name: 'rec', attrs: attrs as never }] });
  const res = interpret(graph, given);
  return outputs.map((o) => res[o]!);
}

const vals = (t: Tensor) => tensorValues(t);
const close = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(want[i]!, 6));
};

describe('RNN', () => {
  // H = I = 1: h_t = tanh(0.5 x_t + 2 h_{t-1} + 0.1 + 0.2).
  const w = f32([1, 1, 1], [0.5]);
  const r = f32([1, 1, 1], [2]);
  const b = f32([1, 2], [0.1, 0.2]);
  const x = f32([2, 1, 1], [1, -1]);
  const cell = (xt: number, h: number) => Math.tanh(0.5 * xt + 2 * h + 0.3);

  it('forward: Y holds every step, Y_h the last', () => {
    const [y, yh] = runRecurrent('RNN', [x, w, r, b], {});
    const h1 = cell(1, 0);
    const h2 = cell(-1, h1);
    expect(y!.shape).toEqual([2, 1, 1, 1]);
    close(vals(y!), [h1, h2]);
    close(vals(yh!), [h2]);
  });

  it('reverse walks from the last step; bidirectional stacks both in Y', () => {
    const hr1 = cell(-1, 0);
    const hr0 = cell(1, hr1);
    const [y, yh] = runRecurrent('RNN', [x, w, r, b], { direction: 'reverse' });
    close(vals(y!), [hr0, hr1]);
    close(vals(yh!), [hr0]);
    const [yb, yhb] = runRecurrent('RNN', [x, f32([2, 1, 1], [0.5, 0.5]), f32([2, 1, 1], [2, 2]), f32([2, 2], [0.1, 0.2, 0.1, 0.2])], { direction: 'bidirectional' });
    const h1 = cell(1, 0);
    const h2 = cell(-1, h1);
    expect(yb!.shape).toEqual([2, 2, 1, 1]);
    close(vals(yb!), [h1, hr0, h2, hr1]);
    close(vals(yhb!), [h2, hr0]);
  });

  it('sequence lengths: steps past a sequence end are zero, Y_h is its last state, and 0 gives zeros', () => {
    const xb = f32([2, 3, 1], [1, 1, 1, -1, -1, -1]);
    const lens = tensor('i32', [3], [2, 1, 0]);
    const h0 = f32([1, 3, 1], [0.3, 0.3, 0.3]);
    const [y, yh] = runRecurrent('RNN', [xb, w, r, b, lens, h0], {});
    const a1 = cell(1, 0.3);
    close(vals(y!), [a1, a1, 0, cell(-1, a1), 0, 0]);
    close(vals(yh!), [cell(-1, a1), a1, 0]);
    // Reverse: sequence 1 (length 1) runs only t = 0.
    const [yr] = runRecurrent('RNN', [xb, w, r, b, lens, h0], { direction: 'reverse' });
    close(vals(yr!), [cell(1, cell(-1, 0.3)), a1, 0, cell(-1, 0.3), 0, 0]);
  });

  it('layout 1 is batch-major throughout', () => {
    const xt = f32([2, 3, 1], [1, -1, 0.5, 2, 0, -2]);
    const [y0, yh0] = runRecurrent('RNN', [xt, w, r, b], {});
    const xb = f32([3, 2, 1], [1, 2, -1, 0, 0.5, -2]);
    const [y1, yh1] = runRecurrent('RNN', [xb, w, r, b], { layout: 1 });
    expect(y1!.shape).toEqual([3, 2, 1, 1]);
    expect(yh1!.shape).toEqual([3, 1, 1]);
    const v0 = vals(y0!);
    close(vals(y1!), [0, 3, 1, 4, 2, 5].map((i) => v0[i]!));
    close(vals(yh1!), vals(yh0!));
  });

  it('activations, their alpha/beta (consumed by the functions that take them) and clip', () => {
    const x1 = f32([1, 1, 1], [-3]);
    close(vals(runRecurrent('RNN', [x1, w, r], { activations: ['LeakyRelu'] })[1]!), [-0.015]);
    close(vals(runRecurrent('RNN', [x1, w, r], { activations: ['LeakyRelu'], activationAlpha: [0.5] })[1]!), [-0.75]);
    close(vals(runRecurrent('RNN', [x1, w, r], { activations: ['Affine'], activationAlpha: [2], activationBeta: [1] })[1]!), [-2]);
    close(vals(runRecurrent('RNN', [x1, w, r], { activations: ['affine'], activationAlpha: [2], activationBeta: [1], clip: 1 })[1]!), [-1]);
    // One name serves both directions; the alpha list is read in order.
    const wb = f32([2, 1, 1], [0.5, 0.5]);
    const rb = f32([2, 1, 1], [2, 2]);
    close(vals(runRecurrent('RNN', [x1, wb, rb], { direction: 'bidirectional', activations: ['LeakyRelu', 'HardSigmoid'], activationAlpha: [0.1, 0.2] })[1]!), [-0.15, 0.2]);
  });

  it('inference and run-time errors', () => {
    expect(thrown(() => runRecurrent('RNN', [x, f32([1, 2, 1], [1, 1]), r], {})).message)
      .toBe("layer 'rec' (RNN): weights 'w' must be f32[1,1,1] (hiddenSize 1, direction forward), got f32[1,2,1]");
    expect(thrown(() => runRecurrent('RNN', [x, w, r], { direction: 'bidirectional' })).message)
      .toBe("layer 'rec' (RNN): weights 'w' must be f32[2,1,1] (hiddenSize 1, direction bidirectional), got f32[1,1,1]");
    expect(thrown(() => runRecurrent('RNN', [x, w, r], { activations: ['Tanh', 'Tanh', 'Tanh'] })).message)
      .toBe("layer 'rec' (RNN): 'activations' needs 1 names per direction (1 for direction forward), got [Tanh,Tanh,Tanh]");
    expect(thrown(() => runRecurrent('RNN', [x, w, r], { activations: ['Swish'] })).message)
      .toMatch(/^layer 'rec' \(RNN\): unknown activation 'Swish'; known: Relu, Tanh, Sigmoid, /);
    expect(thrown(() => runRecurrent('RNN', [x, w, r, undefined, f32([1], [2])], {})).message)
      .toBe("layer 'rec' (RNN): input 'sequenceLens' must be i32[1] (hiddenSize 1, direction forward), got f32[1]");
    const e = thrown(() => runRecurrent('RNN', [x, w, r, undefined, tensor('i32', [1], [3])], {}));
    expect(e.message).toBe("layer 'rec' (RNN): sequenceLens[0] is 3; expected 0..2 (the sequence length of input 'x')");
    expect(e.code).toBe('KILN_INTERPRET');
  });
});

describe('GRU', () => {
  // H = I = 1, gates z r h: W = [wz, wr, wh], R = [rz, rr, rh], B = [Wb..., Rb...].
  const [wz, wr, wh, rz, rr, rh] = [0.3, -0.4, 0.8, 0.5, 0.9, -1.2];
  const bs = [0.1, -0.2, 0.3, 0.05, 0.15, -0.25];
  const W = f32([1, 3, 1], [wz, wr, wh]);
  const R = f32([1, 3, 1], [rz, rr, rh]);
  const B = f32([1, 6], bs);
  const step = (x: number, h: number, lbr: boolean) => {
    const z = sig(wz * x + rz * h + bs[0]! + bs[3]!);
    const r = sig(wr * x + rr * h + bs[1]! + bs[4]!);
    const c = lbr ? Math.tanh(wh * x + r * (rh * h + bs[5]!) + bs[2]!) : Math.tanh(wh * x + rh * (r * h) + bs[5]! + bs[2]!);
    return (1 - z) * c + z * h;
  };

  it('default (reset before the product) and linearBeforeReset', () => {
    const x = f32([2, 1, 1], [1.5, -0.5]);
    const h0 = f32([1, 1, 1], [0.4]);
    for (const lbr of [false, true]) {
      const [y, yh] = runRecurrent('GRU', [x, W, R, B, undefined, h0], { linearBeforeReset: lbr });
      const h1 = step(1.5, 0.4, lbr);
      const h2 = step(-0.5, h1, lbr);
      close(vals(y!), [h1, h2]);
      close(vals(yh!), [h2]);
    }
  });
});

describe('LSTM', () => {
  // H = I = 1, gates i o f c; peepholes i o f.
  const [wi, wo, wf, wc] = [0.5, -0.3, 0.8, 1.1];
  const [ri, ro, rf, rc] = [0.2, 0.7, -0.6, 0.4];
  const [pi, po, pf] = [0.3, -0.2, 0.5];
  const W = f32([1, 4, 1], [wi, wo, wf, wc]);
  const R = f32([1, 4, 1], [ri, ro, rf, rc]);
  const P = f32([1, 3], [pi, po, pf]);
  const step = (x: number, h: number, c: number, coupled: boolean) => {
    const i = sig(wi * x + ri * h + pi * c);
    const f = coupled ? 1 - i : sig(wf * x + rf * h + pf * c);
    const cc = Math.tanh(wc * x + rc * h);
    const cn = f * c + i * cc;
    const o = sig(wo * x + ro * h + po * cn);
    return [o * Math.tanh(cn), cn] as const;
  };

  it('peepholes, initial states, inputForget; Y_c is the last cell state', () => {
    const x = f32([2, 1, 1], [1, -2]);
    for (const coupled of [false, true]) {
      const [y, yh, yc] = runRecurrent('LSTM', [x, W, R, undefined, undefined, f32([1, 1, 1], [0.1]), f32([1, 1, 1], [-0.5]), P], { inputForget: coupled });
      const [h1, c1] = step(1, 0.1, -0.5, coupled);
      const [h2, c2] = step(-2, h1, c1, coupled);
      close(vals(y!), [h1, h2]);
      close(vals(yh!), [h2]);
      close(vals(yc!), [c2]);
    }
  });

  it('every recurrent op has an interpreter kernel', () => {
    expect(opsInGroup('recurrent').map((d) => d.name).filter((n) => !getKernel(n))).toEqual([]);
    expect(getKernel('ConvTranspose')).toBeDefined();
  });
});

describe('DSL', () => {
  it('recurrent layers return every output, named after the layer', () => {
    const net = new Network();
    const x = net.input('x', 'f32', ['seq', 2, 3]);
    const { y, yH, yC } = x.lstm({ name: 'enc', hiddenSize: 4, direction: 'bidirectional', weights: new Float32Array(2 * 16 * 3), recurrence: new Float32Array(2 * 16 * 4) });
    expect([y.toString(), yH.toString(), yC.toString()]).toEqual(['enc: f32[seq,2,2,4]', 'enc.Y_h: f32[2,2,4]', 'enc.Y_c: f32[2,2,4]']);
    const xb = net.input('xb', 'f32', [2, 'seq', 3]);
    const g = xb.gru({ name: 'dec', hiddenSize: 5, batchFirst: true, weights: new Float32Array(45), recurrence: new Float32Array(75), linearBeforeReset: true });
    expect([g.y.toString(), g.yH.toString()]).toEqual(['dec: f32[2,seq,1,5]', 'dec.Y_h: f32[2,1,5]']);
    net.markOutput(yH, 'h');
    expect(net.graph.nodes.map((n) => n.outputs)).toEqual([['enc', 'h', 'enc.Y_c'], ['dec', 'dec.Y_h']]);
  });

  it('deconv records ConvTranspose with weights [C, Cout/groups, k...]', () => {
    const net = new Network();
    const up = net.input('x', 'f32', [1, 4, 5, 5]).deconv({ name: 'up', outChannels: 6, kernel: [2, 2], strides: [2, 2], groups: 2, weights: new Float32Array(4 * 3 * 4) });
    expect(up.toString()).toBe('up: f32[1,6,10,10]');
  });

  it('errors name the layer and argument', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [3, 2, 'features']);
    expect(thrown(() => x.rnn({ name: 'r', hiddenSize: 2, weights: [], recurrence: [] })).message)
      .toBe("layer 'r': input x: f32[3,2,features] must be [seq,batch,input] with a static input size");
    const x2 = net.input('x2', 'f32', [3, 2, 4]);
    expect(thrown(() => x2.rnn({ name: 'r2', hiddenSize: 2, weights: new Float32Array(7), recurrence: new Float32Array(4) })).message)
      .toBe("layer 'r2': argument 'weights': expected 8 values (f32[1,2,4]), received 7");
    const img = net.input('img', 'f32', [1, 3, 4, 4]);
    expect(thrown(() => img.deconv({ name: 'd', outChannels: 4, kernel: [2, 2], groups: 3, weights: [] })).message)
      .toBe("layer 'd': groups 3 must divide the 3 input channels of img: f32[1,3,4,4] and the 4 output channels");
  });
});
