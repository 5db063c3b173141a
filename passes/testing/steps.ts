// The op builders of the random-network generator: each turns one step of a spec
// (small integers, read modulo what the op allows) into DSL calls on the tensor it
// picked, or returns undefined when the op does not fit that tensor (a conv on a
// matrix), in which case the generator records a Relu instead.
import { Network, type NetworkTensor } from '../../dsl/index.js';
import { mulberry32, randomTensor } from '../../src/interpret/index.js';

export interface Step {
  op: string;
  /** Picks the operand: even extends the latest tensor, odd picks any made so far. */
  a: number;
  /** Picks a second operand (add, mul, concat). */
  b: number;
  /** Op parameters, read modulo what each op allows. */
  p: readonly number[];
  seed: number;
  /** Also mark this step's result as a network output. */
  output: boolean;
}

/** n weights in [-1, 1) from a seed: a step carries its seed, not its weights, so specs stay small and shrinkable. */
export function values(n: number, seed: number): Float32Array {
  return randomTensor('f32', [n], mulberry32(seed)).data as Float32Array;
}

export const vol = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export interface Built {
  t: NetworkTensor;
  layers: number;
}

export type OpBuilder = (x: NetworkTensor, step: Step, pool: readonly NetworkTensor[], net: Network, maxVolume: number) => Built | undefined;

export const shapeOf = (t: NetworkTensor) => t.shape as number[];
export const one = (t: NetworkTensor): Built => ({ t, layers: 1 });

function conv(x: NetworkTensor, { p, b, seed }: Step, _pool: readonly NetworkTensor[], _net: Network, maxVolume: number): Built | undefined {
  const s = shapeOf(x);
  if (s.length !== 4) return undefined;
  const [n, c, h, w] = s as [number, number, number, number];
  const pad = p[2]! % 2;
  let k = 1 + (p[1]! % 3);
  if (h + 2 * pad < k || w + 2 * pad < k) k = 1;
  const stride = 1 + (p[3]! % 2);
  const ho = Math.floor((h + 2 * pad - k) / stride) + 1;
  const wo = Math.floor((w + 2 * pad - k) / stride) + 1;
  let out = 1 + (p[0]! % 4);
  if (n * out * ho * wo > maxVolume) out = 1;
  if (n * out * ho * wo > maxVolume) return undefined;
  const groups = c % 2 === 0 && out % 2 === 0 && b % 3 === 0 ? 2 : 1;
  const weights = values(out * (c / groups) * k * k, seed);
  const bias = b % 4 !== 0 ? values(out, seed + 1) : undefined;
  return one(x.conv({ outChannels: out, kernel: [k, k], weights, bias, padding: [pad, pad], strides: [stride, stride], groups }));
}

function pool(mode: 'max' | 'avg'): OpBuilder {
  return (x, { p }) => {
    const s = shapeOf(x);
    if (s.length !== 4) return undefined;
    const k = Math.min(1 + (p[0]! % 2), s[2]!, s[3]!);
    return one(mode === 'max' ? x.maxPool({ kernel: [k, k] }) : x.avgPool({ kernel: [k, k] }));
  };
}

function fullyConnected(x: NetworkTensor, { p, b, seed }: Step): Built | undefined {
  const s = shapeOf(x);
  if (s.length < 2) return undefined;
  const outputs = 1 + (p[0]! % 6);
  const inner = vol(s) / s[0]!;
  const bias = b % 4 !== 0 ? values(outputs, seed + 1) : undefined;
  const t = x.fullyConnected({ outputs, weights: values(outputs * inner, seed), bias });
  return { t, layers: 1 + (s.length > 2 ? 1 : 0) + (bias ? 1 : 0) };
}

/** add/mul with a same-shaped tensor, a broadcast constant, or a scalar; sometimes operands swapped. */
function binary(op: 'add' | 'mul'): OpBuilder {
  return (x, { b, p, seed }, made, net) => {
    const s = shapeOf(x);
    let other: NetworkTensor | number;
    const peer = made.find((t, i) => i >= b % made.length && t !== x && t.shape.join() === x.shape.join());
    if (b % 3 === 0 && peer) other = peer;
    else if (b % 3 === 2) other = Math.round((values(1, seed)[0]! + 1.5) * 100) / 100;
    else {
      const dims = s.map((d, j) => ((p[0]! >> j) & 1 ? 1 : d)).slice(p[1]! % s.length);
      const shape = dims.length > 0 ? dims : [1];
      other = net.constant(`${op}.operand`, values(vol(shape), seed), shape);
    }
    if (typeof other !== 'number' && p[2]! % 2 === 1) [x, other] = [other, x];
    return one(x[op](other));
  };
}

function reshape(x: NetworkTensor, { p }: Step): Built | undefined {
  const s = shapeOf(x);
  const last = s[s.length - 1]!;
  const f = [2, 3, 5].find((d) => last % d === 0 && last > d);
  const choices: number[][] = [[0, -1], [1, vol(s)]];
  if (s.length < 4 && f) choices.push([...s.slice(0, -1), f, last / f]);
  if (s.length >= 3) choices.push([s[0]!, s[1]!, -1]);
  return one(x.reshape(choices[p[0]! % choices.length]!));
}

function transpose(x: NetworkTensor, { seed }: Step): Built {
  const perm = shapeOf(x).map((_, i) => i);
  const rnd = mulberry32(seed);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return one(x.transpose(perm));
}

function concat(x: NetworkTensor, { b, p }: Step, made: readonly NetworkTensor[], net: Network, maxVolume: number): Built | undefined {
  const s = shapeOf(x);
  const axis = p[0]! % s.length;
  const fits = (t: NetworkTensor) => t.shape.length === s.length && t.shape.every((d, j) => j === axis || d === s[j]);
  const other = made.find((t, i) => i >= b % made.length && fits(t)) ?? x;
  if (vol(s) + vol(shapeOf(other)) > maxVolume) return undefined;
  return one(net.concat(p[1]! % 2 ? [other, x] : [x, other], { axis }));
}

export const CORE_BUILDERS = {
  relu: (x) => one(x.relu()),
  sigmoid: (x) => one(x.sigmoid()),
  tanh: (x) => one(x.tanh()),
  gelu: (x) => one(x.gelu()),
  silu: (x) => one(x.silu()),
  leakyRelu: (x, { p }) => one(x.leakyRelu([0.01, 0.1, 0.3][p[0]! % 3]!)),
  clip: (x, { p }) => one(x.clip(-0.5 - (p[0]! % 3) * 0.25, 0.25 + (p[1]! % 3) * 0.25)),
  conv,
  maxPool: pool('max'),
  avgPool: pool('avg'),
  fullyConnected,
  add: binary('add'),
  mul: binary('mul'),
  softmax: (x, { p }) => one(x.softmax((p[0]! % (2 * x.shape.length)) - x.shape.length)),
  reshape,
  transpose,
  concat,
} satisfies Record<string, OpBuilder>;

