// The RNN, GRU and LSTM kernels: ONNX's equations written out one batch entry and
// one time step at a time, in f64. Gate order in W, R and B is ONNX's (GRU z r h,
// LSTM i o f c; peepholes i o f). A reverse direction walks each sequence from its
// own last valid step back to 0; steps past a sequence's length leave Y at zero and
// the state where it was, so Y_h/Y_c hold the state after the last valid step.
import { rnnActivations, RECURRENT_KINDS, numDirections, type RecurrentOp, type RnnActivation } from '../../ir/index.js';
import { defineKernel, floatInput, floatOutput, optionalFloatInput, type KernelContext, type KernelDef } from '../kernel.js';

const SCALAR: Record<RnnActivation['name'], (x: number, a: number, b: number) => number> = {
  Relu: (x) => Math.max(0, x),
  Tanh: (x) => Math.tanh(x),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Affine: (x, a, b) => a * x + b,
  LeakyRelu: (x, a) => (x >= 0 ? x : a * x),
  ThresholdedRelu: (x, a) => (x > a ? x : 0),
  ScaledTanh: (x, a, b) => a * Math.tanh(b * x),
  HardSigmoid: (x, a, b) => Math.max(0, Math.min(1, a * x + b)),
  Elu: (x, a) => (x >= 0 ? x : a * (Math.exp(x) - 1)),
  Softsign: (x) => x / (1 + Math.abs(x)),
  // log(1 + e^x), written so that large x neither overflows nor loses the x.
  Softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
};

type Fn = (x: number) => number;

function recurrent(op: RecurrentOp) {
  return (ctx: KernelContext) => {
    const { attrs } = ctx;
    const x = ctx.inputs[0]!;
    const [xs, ws, rs] = [floatInput(ctx, 0), floatInput(ctx, 1), floatInput(ctx, 2)];
    const bs = optionalFloatInput(ctx, 3);
    const h0 = optionalFloatInput(ctx, 5);
    const c0 = op === 'LSTM' ? optionalFloatInput(ctx, 6) : undefined;
    const ps = op === 'LSTM' ? optionalFloatInput(ctx, 7) : undefined;
    const layout = attrs.layout as number;
    const [seq, batch, I] = layout ? [x.shape[1]!, x.shape[0]!, x.shape[2]!] : [x.shape[0]!, x.shape[1]!, x.shape[2]!];
    const dirs = numDirections(attrs);
    const H = ctx.outputs[1]!.shape[2]!;
    const G = RECURRENT_KINDS[op].gates;
    const acts = rnnActivations(op, attrs);
    if (typeof acts === 'string') return ctx.fail(acts, 'activations');
    const clip = attrs.clip as number;
    const clamp: Fn = Number.isFinite(clip) ? (v) => Math.min(clip, Math.max(-clip, v)) : (v) => v;
    const lensIn = ctx.inputs[4];
    const lens = Array.from({ length: batch }, (_, b) => (lensIn ? Number(lensIn.data[b]) : seq));
    lens.forEach((l, b) => {
      if (!(l >= 0 && l <= seq)) ctx.fail(`sequenceLens[${b}] is ${l}; expected 0..${seq} (the sequence length of input 'x')`, 'sequenceLens');
    });

    const xAt = (t: number, b: number, i: number) => xs[(layout ? b * seq + t : t * batch + b) * I + i]!;
    const yIdx = (t: number, d: number, b: number) => (layout ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * H;
    const sIdx = (d: number, b: number) => (layout ? b * dirs + d : d * batch + b) * H;
    const y = new Float64Array(seq * dirs * batch * H);
    const yh = new Float64Array(dirs * batch * H);
    const yc = new Float64Array(dirs * batch * H);

    for (let d = 0; d < dirs; d++) {
      const reverse = attrs.direction === 'reverse' || d === 1;
      const fn = acts.slice(d * RECURRENT_KINDS[op].defaults.length).map((a): Fn => (v) => SCALAR[a.name](v, a.alpha, a.beta));
      const [f, g, hAct] = [fn[0]!, fn[1]!, fn[2]!];
      const wb = (row: number) => (bs ? bs[d * 2 * G * H + row]! : 0);
      const rb = (row: number) => (bs ? bs[d * 2 * G * H + G * H + row]! : 0);
      /** Gate block `gate`, unit j: W x_t + Wb. */
      const gx = (gate: number, j: number, t: number, b: number) => {
        const row = gate * H + j;
        let acc = wb(row);
        for (let i = 0; i < I; i++) acc += ws[(d * G * H + row) * I + i]! * xAt(t, b, i);
        return acc;
      };
      /** Gate block `gate`, unit j: R v + Rb. */
      const gh = (gate: number, j: number, v: Float64Array) => {
        const row = gate * H + j;
        let acc = rb(row);
        for (let k = 0; k < H; k++) acc += rs[(d * G * H + row) * H + k]! * v[k]!;
        return acc;
      };
      const peep = (k: number, j: number) => (ps ? ps[d * 3 * H + k * H + j]! : 0);

      for (let b = 0; b < batch; b++) {
        let h = Float64Array.from({ length: H }, (_, j) => (h0 ? h0[sIdx(d, b) + j]! : 0));
        let c = Float64Array.from({ length: H }, (_, j) => (c0 ? c0[sIdx(d, b) + j]! : 0));
        for (let s = 0; s < lens[b]!; s++) {
          const t = reverse ? lens[b]! - 1 - s : s;
          const hn = new Float64Array(H);
          const cn = new Float64Array(H);
          if (op === 'RNN') {
            for (let j = 0; j < H; j++) hn[j] = f(clamp(gx(0, j, t, b) + gh(0, j, h)));
          } else if (op === 'GRU') {
            const z = Float64Array.from({ length: H }, (_, j) => f(clamp(gx(0, j, t, b) + gh(0, j, h))));
            const r = Float64Array.from({ length: H }, (_, j) => f(clamp(gx(1, j, t, b) + gh(1, j, h))));
            const rh = h.map((v, j) => r[j]! * v);
            for (let j = 0; j < H; j++) {
              const cand = attrs.linearBeforeReset ? gx(2, j, t, b) + r[j]! * gh(2, j, h) : gx(2, j, t, b) + gh(2, j, rh);
              hn[j] = (1 - z[j]!) * g(clamp(cand)) + z[j]! * h[j]!;
            }
          } else {
            for (let j = 0; j < H; j++) {
              const i = f(clamp(gx(0, j, t, b) + gh(0, j, h) + peep(0, j) * c[j]!));
              const fg = attrs.inputForget ? 1 - i : f(clamp(gx(2, j, t, b) + gh(2, j, h) + peep(2, j) * c[j]!));
              const cand = g(clamp(gx(3, j, t, b) + gh(3, j, h)));
              cn[j] = fg * c[j]! + i * cand;
              const o = f(clamp(gx(1, j, t, b) + gh(1, j, h) + peep(1, j) * cn[j]!));
              hn[j] = o * hAct(cn[j]!);
            }
            c = cn;
          }
          h = hn;
          y.set(h, yIdx(t, d, b));
        }
        // A sequence of length 0 has no last step: its Y_h and Y_c are zero (as ONNX Runtime gives).
        if (lens[b]! > 0) {
          yh.set(h, sIdx(d, b));
          yc.set(c, sIdx(d, b));
        }
      }
    }
    const outs = [floatOutput(ctx, y, 0), floatOutput(ctx, yh, 1)];
    return op === 'LSTM' ? [...outs, floatOutput(ctx, yc, 2)] : outs;
  };
}

export const recurrentKernels: readonly KernelDef[] = (['RNN', 'GRU', 'LSTM'] as const).map((op) => defineKernel(op, recurrent(op)));
