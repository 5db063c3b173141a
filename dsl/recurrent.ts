// Fluent methods of the recurrent and deconvolution family, added to NetworkTensor
// by module augmentation: x.deconv({...}) (TensorRT's IDeconvolutionLayer, ONNX
// ConvTranspose) and x.rnn / x.gru / x.lstm, each one layer over the whole
// sequence (TensorRT's IRNNv2Layer) returning all of its outputs. Weights use
// ONNX's layouts, so weights exported from PyTorch/ONNX load as they are.
import { KilnError, RECURRENT_KINDS, type RecurrentOp } from '../src/ir/index.js';
import { NetworkTensor } from './tensor.js';
import type { WeightsArg } from './weights.js';

export interface DeconvOptions {
  name?: string;
  outChannels: number;
  kernel: readonly number[];
  /** [inChannels, outChannels/groups, ...kernel], as ONNX ConvTranspose and PyTorch store them. */
  weights: WeightsArg | NetworkTensor;
  bias?: WeightsArg | NetworkTensor;
  strides?: readonly number[];
  /** Symmetric cropping per spatial dim; or give padsBegin / padsEnd. */
  padding?: readonly number[];
  padsBegin?: readonly number[];
  padsEnd?: readonly number[];
  dilations?: readonly number[];
  /** Extra rows added at the end of each spatial dim. */
  outputPadding?: readonly number[];
  groups?: number;
}

export interface RecurrentOptions {
  name?: string;
  hiddenSize: number;
  /** W: [directions, gates*hiddenSize, inputSize] (gate order: GRU z r h, LSTM i o f c). A tensor feeds them at run time. */
  weights: WeightsArg | NetworkTensor;
  /** R: [directions, gates*hiddenSize, hiddenSize]. */
  recurrence: WeightsArg | NetworkTensor;
  /** [directions, 2*gates*hiddenSize]: W's bias then R's. */
  bias?: WeightsArg | NetworkTensor;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  /** x [batch, seq, input] and batch-major outputs (ONNX layout 1). */
  batchFirst?: boolean;
  /** i32 [batch]: the valid length of each sequence. */
  sequenceLens?: NetworkTensor;
  /** [directions, batch, hidden] ([batch, directions, hidden] when batchFirst). */
  initialH?: NetworkTensor;
  /** ONNX names (Tanh, Sigmoid, Relu, ...), per direction in f, g, h order. */
  activations?: readonly string[];
  activationAlpha?: readonly number[];
  activationBeta?: readonly number[];
  /** Bounds the inputs of the activations to [-clip, clip]. */
  clip?: number;
}

export interface GruOptions extends RecurrentOptions {
  linearBeforeReset?: boolean;
}

export interface LstmOptions extends RecurrentOptions {
  initialC?: NetworkTensor;
  /** [directions, 3*hiddenSize], gates i o f. */
  peepholes?: WeightsArg | NetworkTensor;
  inputForget?: boolean;
}

/** Y [seq, directions, batch, hidden] (batchFirst: [batch, seq, directions, hidden]); yH the last state. */
export interface RecurrentOutputs {
  y: NetworkTensor;
  yH: NetworkTensor;
}

export interface LstmOutputs extends RecurrentOutputs {
  yC: NetworkTensor;
}

declare module './tensor.js' {
  interface NetworkTensor {
    /** Transposed convolution (deconvolution), N-d, grouped. */
    deconv(o: DeconvOptions): NetworkTensor;
    rnn(o: RecurrentOptions): RecurrentOutputs;
    gru(o: GruOptions): RecurrentOutputs;
    lstm(o: LstmOptions): LstmOutputs;
  }
}

/** A weight operand: a tensor of the network as it is (inference checks its shape), else constant weights of `shape`. */
function operand(x: NetworkTensor, layer: string, argument: string, arg: WeightsArg | NetworkTensor | undefined, shape: number[]): NetworkTensor | string | undefined {
  if (arg === undefined || arg instanceof NetworkTensor) return arg;
  return x.network.weights(layer, argument, arg, shape);
}

NetworkTensor.prototype.deconv = function (this: NetworkTensor, o: DeconvOptions): NetworkTensor {
  const layer = this.network.layerName(o.name, 'ConvTranspose');
  const groups = o.groups ?? 1;
  const cin = this.shape[1];
  if (typeof cin !== 'number') throw new KilnError('KILN_DSL', `layer '${layer}': input ${this.toString()} needs a static channel dim`, { layer, argument: 'input' });
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || o.outChannels % groups !== 0) {
    throw new KilnError('KILN_DSL', `layer '${layer}': groups ${groups} must divide the ${cin} input channels of ${this.toString()} and the ${o.outChannels} output channels`, { layer, argument: 'groups' });
  }
  const w = operand(this, layer, 'weights', o.weights, [cin, o.outChannels / groups, ...o.kernel]);
  const b = operand(this, layer, 'bias', o.bias, [o.outChannels]);
  return this.network.addLayer('ConvTranspose', layer, [this, w, b], {
    strides: [...(o.strides ?? [])],
    padsBegin: [...(o.padsBegin ?? o.padding ?? [])],
    padsEnd: [...(o.padsEnd ?? o.padding ?? [])],
    dilations: [...(o.dilations ?? [])],
    outputPadding: [...(o.outputPadding ?? [])],
    groups,
  });
};

function recurrent(x: NetworkTensor, op: RecurrentOp, o: LstmOptions & GruOptions): NetworkTensor[] {
  const net = x.network;
  const layer = net.layerName(o.name, op);
  const input = x.shape[2];
  if (x.shape.length !== 3 || typeof input !== 'number') {
    throw new KilnError('KILN_DSL', `layer '${layer}': input ${x.toString()} must be ${o.batchFirst ? '[batch,seq,input]' : '[seq,batch,input]'} with a static input size`, { layer, argument: 'input' });
  }
  const H = o.hiddenSize;
  if (!Number.isInteger(H) || H < 1) throw new KilnError('KILN_DSL', `layer '${layer}': hiddenSize must be a positive integer, received ${H}`, { layer, argument: 'hiddenSize' });
  const dirs = o.direction === 'bidirectional' ? 2 : 1;
  const GH = RECURRENT_KINDS[op].gates * H;
  const weights = (arg: WeightsArg | NetworkTensor | undefined, argument: string, shape: number[]) => operand(x, layer, argument, arg, shape);
  const inputs = [
    x,
    weights(o.weights, 'weights', [dirs, GH, input]),
    weights(o.recurrence, 'recurrence', [dirs, GH, H]),
    weights(o.bias, 'bias', [dirs, 2 * GH]),
    o.sequenceLens,
    o.initialH,
  ];
  const attrs: Record<string, number | string | boolean | number[] | string[]> = {
    hiddenSize: H,
    direction: o.direction ?? 'forward',
    layout: o.batchFirst ? 1 : 0,
    activations: [...(o.activations ?? [])],
    activationAlpha: [...(o.activationAlpha ?? [])],
    activationBeta: [...(o.activationBeta ?? [])],
    clip: o.clip ?? Infinity,
  };
  if (op === 'GRU') attrs.linearBeforeReset = o.linearBeforeReset ?? false;
  if (op === 'LSTM') {
    inputs.push(o.initialC, weights(o.peepholes, 'peepholes', [dirs, 3 * H]));
    attrs.inputForget = o.inputForget ?? false;
  }
  return net.addMultiOutputLayer(op, layer, inputs, attrs, ['Y', 'Y_h', 'Y_c']);
}

NetworkTensor.prototype.rnn = function (this: NetworkTensor, o: RecurrentOptions): RecurrentOutputs {
  const [y, yH] = recurrent(this, 'RNN', o);
  return { y: y!, yH: yH! };
};

NetworkTensor.prototype.gru = function (this: NetworkTensor, o: GruOptions): RecurrentOutputs {
  const [y, yH] = recurrent(this, 'GRU', o);
  return { y: y!, yH: yH! };
};

NetworkTensor.prototype.lstm = function (this: NetworkTensor, o: LstmOptions): LstmOutputs {
  const [y, yH, yC] = recurrent(this, 'LSTM', o);
  return { y: y!, yH: yH!, yC: yC! };
};
