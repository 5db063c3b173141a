// The deconv, rnn, gru and lstm native kernels against the interpreter on random
// shapes (odd sizes leave remainders in every GEMM blocking dim), with constant
// weights (prepacked at load) and weights fed as inputs, and the run-time check of
// sequence lengths.
import { describe, expect, it } from 'vitest';
import { Builder, Network, type NetworkTensor } from '../../src/index.js';
import { mulberry32, randomInt, randomTensor, tensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import { buildPlan, checkAgainstInterpreter, quiet, randomInputs, runPlan } from './helpers.js';

const weights = (rng: Rng, shape: number[], scale = 0.5) => randomTensor('f32', shape, rng, { min: -scale, max: scale });

describe('deconv', () => {
  it('1-D to 3-D with strides, pads, dilations, output padding, groups, bias, activation', async () => {
    const rng = mulberry32(101);
    for (let k = 0; k < 24; k++) {
      const n = [1, 2, 2, 3][k % 4]!;
      const groups = [1, 1, 2, 3][randomInt(rng, 0, 3)]!;
      const cin = groups * randomInt(rng, 1, 3);
      const cout = groups * randomInt(rng, 1, 4);
      const kernel = Array.from({ length: n }, () => randomInt(rng, 1, 4));
      const strides = Array.from({ length: n }, () => randomInt(rng, 1, 3));
      const dilations = Array.from({ length: n }, () => randomInt(rng, 1, 2));
      const padsBegin = kernel.map((q) => randomInt(rng, 0, q - 1));
      const padsEnd = kernel.map((q) => randomInt(rng, 0, q - 1));
      const outputPadding = strides.map((s) => randomInt(rng, 0, s - 1));
      const shape = [randomInt(rng, 1, 2), cin, ...Array.from({ length: n }, () => randomInt(rng, 1, n === 3 ? 4 : 7))];
      // Pads may crop at most the whole uncropped output minus one row.
      kernel.forEach((q, i) => {
        const full = strides[i]! * (shape[2 + i]! - 1) + outputPadding[i]! + dilations[i]! * (q - 1) + 1;
        if (padsBegin[i]! + padsEnd[i]! >= full) padsBegin[i] = padsEnd[i] = 0;
      });
      const net = new Network();
      const y = net.input('x', 'f32', shape).deconv({
        outChannels: cout, kernel, weights: weights(rng, [cin, cout / groups, ...kernel]), bias: rng() < 0.6 ? weights(rng, [cout]) : undefined,
        strides, padsBegin, padsEnd, dilations, outputPadding, groups,
      });
      net.markOutput(rng() < 0.5 ? y.relu() : y, 'y');
      const what = `deconv case ${k} ${JSON.stringify({ shape, kernel, strides, padsBegin, padsEnd, dilations, outputPadding, groups })}`;
      await checkAgainstInterpreter(net, randomInputs(net, rng), what, k % 2 ? 0 : 3);
    }
  });

  it('fuses a following activation into the deconv epilogue', async () => {
    const rng = mulberry32(2);
    const net = new Network();
    const y = net.input('x', 'f32', [1, 3, 4, 4]).deconv({ name: 'up', outChannels: 5, kernel: [3, 3], strides: [2, 2], padding: [1, 1], weights: weights(rng, [3, 5, 3, 3]), bias: weights(rng, [5]) });
    net.markOutput(y.leakyRelu(0.2, 'act'), 'y');
    const builder = new Builder(quiet);
    builder.buildSerializedNetwork(net, builder.createBuilderConfig().setOptLevel(3));
    expect(builder.lastBuild!.optimized.nodes.map((n) => [n.op, n.attrs.activation])).toEqual([['ConvTranspose', 'leakyRelu']]);
    await checkAgainstInterpreter(net, randomInputs(net, rng), 'deconv + leakyRelu', 3);
  });

  it('1x1 stride-1 (a plain GEMM), large channel counts, weights as an input', async () => {
    const rng = mulberry32(5);
    for (const [cin, cout, kk, s] of [[37, 53, 1, 1], [64, 70, 1, 1], [19, 45, 4, 2], [33, 3, 3, 2]] as const) {
      const net = new Network();
      const x = net.input('x', 'f32', [2, cin, 9, 7]);
      const w = net.input('w', 'f32', [cin, cout, kk, kk]);
      const y = net.addLayer('ConvTranspose', 'up', [x, w], { strides: [s, s], padsBegin: [kk >> 1, 0], padsEnd: [0, kk >> 1] });
      net.markOutput(y.sigmoid(), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng), `deconv ${cin}->${cout} k${kk} s${s}`);
      const c = new Network();
      c.markOutput(c.input('x', 'f32', [1, cin, 5, 6]).deconv({ outChannels: cout, kernel: [kk, kk], strides: [s, s], weights: weights(rng, [cin, cout, kk, kk]), bias: weights(rng, [cout]) }), 'y');
      await checkAgainstInterpreter(c, randomInputs(c, rng), `deconv const ${cin}->${cout} k${kk} s${s}`);
    }
  });
});

type Cell = 'rnn' | 'gru' | 'lstm';
const GATES: Record<Cell, number> = { rnn: 1, gru: 3, lstm: 4 };
const ACTS: Record<Cell, number> = { rnn: 1, gru: 2, lstm: 3 };
const NAMES = ['Relu', 'Tanh', 'Sigmoid', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu', 'Softsign', 'Softplus'];

interface Case {
  cell: Cell;
  seq: number;
  batch: number;
  input: number;
  hidden: number;
  direction: 'forward' | 'reverse' | 'bidirectional';
  batchFirst: boolean;
  lens?: number[];
  constWeights: boolean;
  options: Record<string, unknown>;
}

function randomCase(rng: Rng, cell: Cell, big = false): Case {
  const direction = (['forward', 'reverse', 'bidirectional'] as const)[randomInt(rng, 0, 2)]!;
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const c: Case = {
    cell, direction, batchFirst: rng() < 0.3, constWeights: rng() < 0.6, options: {},
    seq: randomInt(rng, 1, big ? 24 : 6), batch: randomInt(rng, 1, big ? 9 : 4), input: randomInt(rng, 1, big ? 70 : 7), hidden: randomInt(rng, 1, big ? 75 : 9),
  };
  if (rng() < 0.4) c.lens = Array.from({ length: c.batch }, () => randomInt(rng, 0, c.seq));
  if (rng() < 0.3) c.options.clip = 0.5 + rng();
  if (cell === 'gru') c.options.linearBeforeReset = rng() < 0.5;
  if (cell === 'lstm') c.options.inputForget = rng() < 0.3;
  if (rng() < 0.3) {
    c.options.activations = Array.from({ length: ACTS[cell] * dirs }, () => NAMES[randomInt(rng, 0, NAMES.length - 1)]!);
    if (rng() < 0.5) c.options.activationAlpha = Array.from({ length: 3 }, () => Math.fround(rng() * 2 - 1));
  }
  return c;
}

async function checkCase(rng: Rng, c: Case, what: string): Promise<void> {
  const dirs = c.direction === 'bidirectional' ? 2 : 1;
  const GH = GATES[c.cell] * c.hidden;
  const net = new Network();
  const x = net.input('x', 'f32', c.batchFirst ? [c.batch, c.seq, c.input] : [c.seq, c.batch, c.input]);
  const inputs: Record<string, Tensor> = {};
  const operand = (name: string, shape: number[], scale: number) => {
    const t = weights(rng, shape, scale);
    if (c.constWeights) return t;
    inputs[name] = t;
    return net.input(name, 'f32', shape);
  };
  const state = c.batchFirst ? [c.batch, dirs, c.hidden] : [dirs, c.batch, c.hidden];
  const stateInput = (name: string) => (rng() < 0.5 ? undefined : net.input(name, 'f32', state));
  const scale = 1 / Math.sqrt(c.hidden);
  const w = operand('W', [dirs, GH, c.input], 1 / Math.sqrt(c.input));
  const r = operand('R', [dirs, GH, c.hidden], scale);
  const o: Record<string, unknown> = {
    ...c.options, hiddenSize: c.hidden, direction: c.direction, batchFirst: c.batchFirst,
    weights: w, recurrence: r, bias: rng() < 0.7 ? weights(rng, [dirs, 2 * GH]) : undefined,
    sequenceLens: c.lens ? net.input('lens', 'i32', [c.batch]) : undefined,
    initialH: stateInput('h0'),
  };
  if (c.cell === 'lstm') Object.assign(o, { initialC: stateInput('c0'), peepholes: rng() < 0.5 ? weights(rng, [dirs, 3 * c.hidden]) : undefined });
  const makeLayer = x[c.cell].bind(x) as unknown as (o: unknown) => Record<string, NetworkTensor>;
  const outs = makeLayer(o);
  for (const [k, t] of Object.entries(outs)) net.markOutput(t, k);
  const feeds = { ...randomInputs(net, rng), ...inputs };
  if (c.lens) feeds.lens = tensor('i32', [c.batch], c.lens);
  await checkAgainstInterpreter(net, feeds, what, 3, 2e-4);
}

describe('rnn, gru, lstm', () => {
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    it(`${cell}: directions, layouts, lengths, initial states, clip, activations`, async () => {
      const rng = mulberry32(cell.length * 31);
      for (let k = 0; k < 16; k++) {
        const c = randomCase(rng, cell);
        await checkCase(rng, c, `${cell} case ${k} ${JSON.stringify(c)}`);
      }
    });
    it(`${cell}: large odd sizes (threaded GEMMs)`, async () => {
      const rng = mulberry32(cell.length * 7);
      for (let k = 0; k < 3; k++) {
        const c = randomCase(rng, cell, true);
        c.options = cell === 'gru' ? { linearBeforeReset: k === 1 } : {};
        await checkCase(rng, c, `${cell} big case ${k} ${JSON.stringify(c)}`);
      }
    });
  }

  it('stacked: a bidirectional LSTM feeds a GRU; only the last state is read', async () => {
    const rng = mulberry32(3);
    const [S, B, I, H] = [7, 3, 5, 6];
    const net = new Network();
    const x = net.input('x', 'f32', [S, B, I]);
    const l1 = x.lstm({ name: 'l1', hiddenSize: H, direction: 'bidirectional', weights: weights(rng, [2, 4 * H, I]), recurrence: weights(rng, [2, 4 * H, H]), bias: weights(rng, [2, 8 * H]) });
    const seq = l1.y.transpose([0, 2, 1, 3]).reshape([S, B, 2 * H]);
    const l2 = seq.gru({ name: 'l2', hiddenSize: H, weights: weights(rng, [1, 3 * H, 2 * H]), recurrence: weights(rng, [1, 3 * H, H]) });
    net.markOutput(l2.yH, 'h');
    await checkAgainstInterpreter(net, randomInputs(net, rng), 'stacked lstm -> gru', 0);
    await checkAgainstInterpreter(net, randomInputs(net, rng), 'stacked lstm -> gru', 3);
  });

  it('refuses sequence lengths outside 0..seq at run time, naming the layer', async () => {
    const rng = mulberry32(1);
    const net = new Network();
    const x = net.input('x', 'f32', [3, 2, 4]);
    const lens = net.input('lens', 'i32', [2]);
    const { yH } = x.gru({ name: 'enc', hiddenSize: 5, weights: weights(rng, [1, 15, 4]), recurrence: weights(rng, [1, 15, 5]), sequenceLens: lens });
    net.markOutput(yH, 'h');
    const plan = buildPlan(net);
    const feeds = { x: randomTensor('f32', [3, 2, 4], rng), lens: tensor('i32', [2], [3, 4]) };
    await expect(runPlan(plan, feeds)).rejects.toThrow("layer 'enc': sequenceLens[1] is 4; expected 0..3 (the sequence length of input 'x')");
  });
});
