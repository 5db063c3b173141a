// CPU lowerings of the recurrent and deconvolution family: ConvTranspose to the
// `deconv` kernel, RNN / GRU / LSTM to `rnn` / `gru` / `lstm`. Layouts of the
// ints and floats: native/PLAN_FORMAT.md, "Recurrent and deconvolution kernels".
import { deconvParams, rnnActivations, type RecurrentOp, type RnnActivationName } from '../../src/ir/index.js';
import { ACTIVATION_CODES, type ActivationName } from '../plan-desc.js';
import { lowering } from './kernel-table.js';

/** Recurrent activation codes, shared with native/cpu/rnn-activation.h. */
export const RNN_ACTIVATION_CODES: Readonly<Record<RnnActivationName, number>> = {
  Relu: 0, Tanh: 1, Sigmoid: 2, Affine: 3, LeakyRelu: 4, ThresholdedRelu: 5,
  ScaledTanh: 6, HardSigmoid: 7, Elu: 8, Softsign: 9, Softplus: 10,
};

const DIRECTION_CODES: Readonly<Record<string, number>> = { forward: 0, reverse: 1, bidirectional: 2 };

lowering(['ConvTranspose'], ({ node, attrs, inputs }) => {
  const kernel = inputs[1]!.shape.slice(2) as number[];
  const p = deconvParams(attrs, kernel);
  if (typeof p === 'string') throw new Error(`layer '${node.name}': ${p}`);
  return {
    kernel: 'deconv',
    ints: [kernel.length, attrs.groups as number, ACTIVATION_CODES[attrs.activation as ActivationName], ...p.strides, ...p.padsBegin, ...p.padsEnd, ...p.dilations, ...p.outputPadding],
    floats: [attrs.alpha as number, attrs.beta as number],
  };
});

lowering(['RNN', 'GRU', 'LSTM'], ({ node, attrs, inputs, outputs }) => {
  const op = node.op as RecurrentOp;
  const acts = rnnActivations(op, attrs);
  if (typeof acts === 'string') throw new Error(`layer '${node.name}': ${acts}`);
  // Bit i marks optional input 3 + i (b, sequenceLens, initialH, initialC, p) as present.
  const mask = inputs.slice(3).reduce((m, t, i) => (t ? m | (1 << i) : m), 0);
  const flag = op === 'GRU' ? attrs.linearBeforeReset : op === 'LSTM' ? attrs.inputForget : false;
  const hidden = outputs[1]!.shape[2] as number;
  return {
    kernel: op.toLowerCase(),
    ints: [DIRECTION_CODES[attrs.direction as string]!, hidden, attrs.layout as number, mask, flag ? 1 : 0, ...acts.map((a) => RNN_ACTIVATION_CODES[a.name])],
    floats: [attrs.clip as number, ...acts.flatMap((a) => [a.alpha, a.beta])],
  };
});
