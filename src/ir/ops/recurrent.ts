// Recurrent layers: RNN, GRU and LSTM with ONNX semantics, each ONE layer over all
// time steps (as TensorRT runs them fused in time), forward, reverse or both ways.
// Every node has all of its outputs (Y, Y_h and, for LSTM, Y_c); one nobody reads
// costs a buffer, not a kernel. The activation list and its alpha/beta are resolved
// here once, so the interpreter and codegen read the same functions.
import type { Attrs } from '../graph.js';
import { defineOp, type AttrSpec, type InferContext } from '../op-registry.js';
import { formatType, type Dim, type TensorType } from '../shape.js';
import { dimsEqual } from '../dim-expr.js';

export type RecurrentOp = 'RNN' | 'GRU' | 'LSTM';

interface RecurrentKind {
  /** Gate blocks stacked in W, R and each half of B (ONNX order: GRU zrh, LSTM iofc). */
  gates: number;
  defaults: readonly string[];
}

export const RECURRENT_KINDS: Readonly<Record<RecurrentOp, RecurrentKind>> = {
  RNN: { gates: 1, defaults: ['Tanh'] },
  GRU: { gates: 3, defaults: ['Sigmoid', 'Tanh'] },
  LSTM: { gates: 4, defaults: ['Sigmoid', 'Tanh', 'Tanh'] },
};

/** ONNX's recurrent activation functions with their default alpha and beta (those of the ONNX ops). */
export const RNN_ACTIVATIONS = {
  Relu: { alpha: undefined, beta: undefined },
  Tanh: { alpha: undefined, beta: undefined },
  Sigmoid: { alpha: undefined, beta: undefined },
  Affine: { alpha: 1, beta: 0 },
  LeakyRelu: { alpha: 0.01, beta: undefined },
  ThresholdedRelu: { alpha: 1, beta: undefined },
  ScaledTanh: { alpha: 1, beta: 1 },
  HardSigmoid: { alpha: 0.2, beta: 0.5 },
  Elu: { alpha: 1, beta: undefined },
  Softsign: { alpha: undefined, beta: undefined },
  Softplus: { alpha: undefined, beta: undefined },
} as const;
export type RnnActivationName = keyof typeof RNN_ACTIVATIONS;

export interface RnnActivation {
  name: RnnActivationName;
  alpha: number;
  beta: number;
}

export const numDirections = (attrs: Attrs): number => (attrs.direction === 'bidirectional' ? 2 : 1);

/**
 * The activations of every direction, per direction in order (f, g[, h]). A list of one
 * direction's length is used for both directions; activationAlpha/Beta are consumed in
 * order by the functions that take that parameter (as ONNX Runtime reads them), the
 * rest take the ONNX op's default.
 */
export function rnnActivations(op: RecurrentOp, attrs: Attrs): RnnActivation[] | string {
  const kind = RECURRENT_KINDS[op];
  const dirs = numDirections(attrs);
  const given = attrs.activations as readonly string[];
  let names = given.length === 0 ? kind.defaults : given;
  if (names.length === kind.defaults.length && dirs === 2) names = [...names, ...names];
  if (names.length !== kind.defaults.length * dirs) {
    return `'activations' needs ${kind.defaults.length} names per direction (${kind.defaults.length * dirs} for direction ${String(attrs.direction)}), got [${given.join(',')}]`;
  }
  const alphas = [...(attrs.activationAlpha as readonly number[])];
  const betas = [...(attrs.activationBeta as readonly number[])];
  const out: RnnActivation[] = [];
  for (const raw of names) {
    const name = (Object.keys(RNN_ACTIVATIONS) as RnnActivationName[]).find((k) => k.toLowerCase() === raw.toLowerCase());
    if (!name) return `unknown activation '${raw}'; known: ${Object.keys(RNN_ACTIVATIONS).join(', ')}`;
    const d = RNN_ACTIVATIONS[name];
    const alpha = d.alpha === undefined ? 0 : alphas.length ? alphas.shift()! : d.alpha;
    const beta = d.beta === undefined ? 0 : betas.length ? betas.shift()! : d.beta;
    out.push({ name, alpha, beta });
  }
  return out;
}

const COMMON_ATTRS: Record<string, AttrSpec> = {
  direction: { kind: 'string', default: 'forward', oneOf: ['forward', 'reverse', 'bidirectional'] },
  /** 0 takes the hidden size from R. */
  hiddenSize: { kind: 'int', default: 0 },
  activations: { kind: 'strings', default: [] },
  activationAlpha: { kind: 'floats', default: [] },
  activationBeta: { kind: 'floats', default: [] },
  /** Bound on the inputs of the activations; Infinity = none. */
  clip: { kind: 'float', default: Infinity },
  /** 0: X [seq,batch,input], states [dirs,batch,hidden]; 1: batch first. */
  layout: { kind: 'int', default: 0 },
};


function inferRecurrent(op: RecurrentOp, ctx: InferContext): TensorType[] {
  const { attrs, fail } = ctx;
  const [x, w, r, b, lens, h0, c0, p] = ctx.inputs;
  const G = RECURRENT_KINDS[op].gates;
  const dirs = numDirections(attrs);
  const layout = attrs.layout as number;
  if (layout !== 0 && layout !== 1) fail(`attribute 'layout' must be 0 or 1, got ${layout}`, { argument: 'layout' });
  if (!x || x.shape.length !== 3) fail(`input 'x' must be ${layout ? '[batch,seq,input]' : '[seq,batch,input]'}, got ${x ? formatType(x) : 'nothing'}`, { argument: 'x' });
  if (x!.dtype !== 'f32' && x!.dtype !== 'f16' && x!.dtype !== 'bf16') fail(`input 'x' must be a float tensor, got ${formatType(x!)}`, { argument: 'x' });
  const [seq, batch, input] = layout ? [x!.shape[1]!, x!.shape[0]!, x!.shape[2]!] : [x!.shape[0]!, x!.shape[1]!, x!.shape[2]!];
  if (!r || r.shape.length !== 3 || typeof r.shape[2] !== 'number') fail(`recurrence weights 'r' must be static [${dirs},${G}*hidden,hidden], got ${r ? formatType(r) : 'nothing'}`, { argument: 'r' });
  const given = attrs.hiddenSize as number;
  const H = given > 0 ? given : (r!.shape[2] as number);
  if (given < 0 || H < 1) fail(`attribute 'hiddenSize' must be >= 1, got ${given || H}`, { argument: 'hiddenSize' });
  const expect = (t: TensorType | undefined, arg: string, shape: Dim[], dtype = x!.dtype) => {
    if (!t) return;
    const want = formatType({ dtype, shape });
    if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => dimsEqual(d, shape[i]!) === false)) {
      fail(`${arg} must be ${want} (hiddenSize ${H}, direction ${String(attrs.direction)}), got ${formatType(t)}`, { argument: arg.split("'")[1], expected: want, received: formatType(t) });
    }
    // Dims not known equal (`b2` vs `batch`) must be equal at run time.
    t.shape.forEach((d, i) => dimsEqual(d, shape[i]!) === undefined && ctx.need('eq', d, shape[i]!, `${d} == ${shape[i]} (dim ${i} of ${arg} ${formatType(t)}, expected ${want})`));
  };
  expect(w, "weights 'w'", [dirs, G * H, input]);
  expect(r, "recurrence weights 'r'", [dirs, G * H, H]);
  expect(b, "bias 'b'", [dirs, 2 * G * H]);
  expect(lens, "input 'sequenceLens'", [batch], 'i32');
  const state: Dim[] = layout ? [batch, dirs, H] : [dirs, batch, H];
  expect(h0, "input 'initialH'", state);
  expect(c0, "input 'initialC'", state);
  expect(p, "peepholes 'p'", [dirs, 3 * H]);
  if (typeof w!.shape[2] !== 'number') fail(`weights 'w' must be static, got ${formatType(w!)}`, { argument: 'w' });
  const acts = rnnActivations(op, attrs);
  if (typeof acts === 'string') fail(acts, { argument: 'activations' });
  if (!((attrs.clip as number) > 0)) fail(`attribute 'clip' must be > 0 (Infinity for none), got ${attrs.clip}`, { argument: 'clip' });
  const y: TensorType = { dtype: x!.dtype, shape: layout ? [batch, seq, dirs, H] : [seq, dirs, batch, H] };
  const yh: TensorType = { dtype: x!.dtype, shape: state };
  return op === 'LSTM' ? [y, yh, yh] : [y, yh];
}

const baseInputs = [{ name: 'x' }, { name: 'w' }, { name: 'r' }, { name: 'b', optional: true }, { name: 'sequenceLens', optional: true }, { name: 'initialH', optional: true }];

defineOp({ name: 'RNN', group: 'recurrent', inputs: baseInputs, attrs: COMMON_ATTRS, infer: (ctx) => inferRecurrent('RNN', ctx) });

defineOp({
  name: 'GRU',
  group: 'recurrent',
  inputs: baseInputs,
  /** linearBeforeReset applies the reset gate after the recurrence product (cuDNN's form). */
  attrs: { ...COMMON_ATTRS, linearBeforeReset: { kind: 'bool', default: false } },
  infer: (ctx) => inferRecurrent('GRU', ctx),
});

defineOp({
  name: 'LSTM',
  group: 'recurrent',
  inputs: [...baseInputs, { name: 'initialC', optional: true }, { name: 'p', optional: true }],
  /** inputForget couples the forget gate to the input gate: f = 1 - i. */
  attrs: { ...COMMON_ATTRS, inputForget: { kind: 'bool', default: false } },
  infer: (ctx) => inferRecurrent('LSTM', ctx),
});
