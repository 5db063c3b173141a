// Pattern steps for the random-network generator: small subgraphs that optimization
// passes look for (a Scale after a Conv, a Mul by 1, Transposes that cancel, Reshape
// chains, SiLU and GELU spelled out, constant expressions), with near misses mixed
// in (a shifted scale before a padded Conv, a constant that varies along a spatial
// axis), plus sibling layers for horizontal fusion, so property tests exercise both the rewrite and the check that refuses it.
import type { Network, NetworkTensor } from '../../dsl/index.js';
import { mulberry32 } from '../../src/interpret/index.js';
import { CORE_BUILDERS, one, shapeOf, values, vol, type Built, type OpBuilder, type Step } from './steps.js';

const fill = (n: number, v: number) => new Float32Array(n).fill(v);

/** The axis per-channel patterns use: channels of [N,C,...], columns of a matrix. */
const channelAxis = (rank: number) => (rank >= 3 ? 1 : rank - 1);

/** A constant that broadcasts per channel (or uniformly, or, for p % 5 == 4, along another axis). */
function channelConstant(net: Network, x: NetworkTensor, p: number, seed: number, offset = 0): NetworkTensor {
  const s = shapeOf(x);
  const axis = channelAxis(s.length);
  const shapes = [[1], s.map((d, i) => (i === axis ? d : 1)), s.slice(axis).map((d, i) => (i === 0 ? d : 1)), s.map((d, i) => (i === s.length - 1 && i !== axis ? d : 1))];
  const shape = shapes[p % shapes.length]!;
  return net.constant('affine.operand', values(vol(shape), seed).map((v) => v + offset), shape.length > 0 ? shape : [1]);
}

function scale(x: NetworkTensor, { p, seed }: Step): Built {
  const s = shapeOf(x);
  const axis = channelAxis(s.length);
  const mode = p[0]! % 3 === 0 ? 'uniform' : 'channel';
  const n = mode === 'uniform' ? 1 : s[axis]!;
  const identity = p[1]! % 4 === 0;
  return one(x.scale({
    mode,
    channelAxis: axis,
    scale: identity ? fill(n, 1) : values(n, seed),
    shift: p[2]! % 2 === 0 ? undefined : identity ? fill(n, 0) : values(n, seed + 1),
    power: p[3]! % 5 === 0 ? fill(n, 1) : undefined,
  }));
}

function affine(x: NetworkTensor, { p, b, seed }: Step, _m: readonly NetworkTensor[], net: Network): Built {
  const op = (['mul', 'add', 'sub', 'div'] as const)[p[0]! % 4]!;
  // Divisors kept away from zero: values in [0.5, 2.5).
  const c = channelConstant(net, x, p[1]!, seed, op === 'div' ? 1.5 : 0);
  return one(op !== 'div' && b % 2 === 1 ? c[op](x) : x[op](c));
}

function identity(x: NetworkTensor, { p }: Step, _m: readonly NetworkTensor[], net: Network): Built {
  const s = shapeOf(x);
  const bcast = s.map((d, i) => ((p[1]! >> i) & 1 ? 1 : d)).slice(p[2]! % s.length);
  const zeros = () => net.constant('zeros', fill(Math.max(1, vol(bcast)), 0), bcast.length > 0 ? bcast : [1]);
  const choices = [
    () => x.mul(1), () => x.add(zeros()), () => zeros().add(x), () => x.sub(0), () => x.div(1),
    () => x.reshape(s), () => x.reshape([...s.slice(0, -1).map(() => 0), -1]),
    () => x.transpose(s.map((_, i) => i)), () => x.scale({ mode: 'uniform' }),
  ];
  return one(choices[p[0]! % choices.length]!());
}

function permutation(rank: number, seed: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  const rnd = mulberry32(seed);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return perm;
}

/**
 * Attention's x * x^T: a Transpose ending in a swap of the last two axes, read by a
 * MatMul as b (p % 3 == 0) or as a (1); near miss (2): it only swaps the leading axes.
 */
function transposeMatMul(x: NetworkTensor, p: number, net: Network, maxVolume: number): Built | undefined {
  const s = shapeOf(x);
  const r = s.length;
  if (p % 3 === 2) {
    if (r < 3) return undefined;
    const c = s[r - 1]!;
    return { t: x.transpose(s.map((_, i) => (i < 2 ? 1 - i : i))).matmul(net.constant('attn.w', values(c * c, p), [c, c])), layers: 2 };
  }
  const n = s[p % 3 === 0 ? r - 2 : r - 1]!;
  // Checked before the Transpose exists: a step that gives up must leave no layer behind.
  if (vol(s.slice(0, -2)) * n * n > maxVolume) return undefined;
  const xt = x.transpose(s.map((_, i) => (i < r - 2 ? i : 2 * r - 3 - i)));
  return { t: p % 3 === 0 ? x.matmul(xt) : xt.matmul(x), layers: 2 };
}

/** Two transposes: inverse permutations (they cancel) or any two (they compose); for odd p[1], a transpose into a MatMul. */
function transposePair(x: NetworkTensor, { p, seed }: Step, _m: readonly NetworkTensor[], net: Network, maxVolume: number): Built | undefined {
  if (p[1]! % 2 === 1 && x.shape.length >= 2) return transposeMatMul(x, p[2]!, net, maxVolume);
  const first = permutation(x.shape.length, seed);
  const inverse = first.map((_, i) => first.indexOf(i));
  const second = p[0]! % 2 === 0 ? inverse : permutation(x.shape.length, seed + 1);
  return { t: x.transpose(first).transpose(second), layers: 2 };
}

function reshapeChain(x: NetworkTensor, { p }: Step): Built {
  const s = shapeOf(x);
  const flat = p[0]! % 2 === 0 ? [vol(s)] : [s[0]!, -1];
  const back = p[1]! % 3 === 0 ? [1, vol(s)] : s;
  return { t: x.reshape(flat).reshape(back), layers: 2 };
}

function silu(x: NetworkTensor, { p }: Step): Built {
  const s = x.sigmoid();
  return { t: p[0]! % 2 === 0 ? x.mul(s) : s.mul(x), layers: 2 };
}

/** 0.5 * x * (1 + erf(x / √2)) in one of the groupings exporters write; needs an Erf op. */
function geluErf(x: NetworkTensor, { p }: Step, _m: readonly NetworkTensor[], net: Network): Built {
  const scaled = p[0]! % 2 === 0 ? x.div(Math.SQRT2) : x.mul(Math.SQRT1_2);
  const onePlus = net.addLayer('Erf', undefined, [scaled], {}).add(1);
  const t = p[1]! % 2 === 0 ? x.mul(onePlus).mul(0.5) : x.mul(0.5).mul(onePlus);
  return { t, layers: 5 };
}

/** 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), GELU's tanh form, in two groupings; p[2] % 5 == 4 misses (k = 0.05). */
function geluTanh(x: NetworkTensor, { p }: Step): Built {
  const cube = p[0]! % 2 === 0 ? x.mul(x).mul(x) : x.pow(3);
  const t = x.add(cube.mul(p[2]! % 5 === 4 ? 0.05 : 0.044715)).mul(Math.sqrt(2 / Math.PI)).tanh().add(1);
  return { t: p[1]! % 2 === 0 ? x.mul(0.5).mul(t) : x.mul(t).mul(0.5), layers: 9 };
}

/** A spatial zero Pad before a Conv; near misses pad with 1 (p[0] % 8 == 6) or reflect (p[0] % 8 == 7). */
function padConv(x: NetworkTensor, step: Step, made: readonly NetworkTensor[], net: Network, maxVolume: number): Built | undefined {
  if (x.shape.length !== 4) return undefined;
  const [t, l] = [step.p[1]! % 2, step.p[2]! % 3];
  const kind = step.p[0]! % 8;
  const padded = x.pad([t, l, 1 - t, l], { axes: [2, 3], ...(kind === 6 ? { value: 1 } : kind === 7 ? { mode: 'reflect' as const } : {}) });
  const conv = CORE_BUILDERS.conv(padded, step, made, net, maxVolume);
  return conv && { t: conv.t, layers: conv.layers + 1 };
}

/**
 * Layer normalization over the last dim spelled out (ReduceMean, Sub, d*d or Pow, ReduceMean,
 * Add eps, Sqrt, Div, then * gamma + beta when p[1] is even). Near miss (p[0] % 6 == 5): the
 * variance is taken over another axis than the mean.
 */
function layerNorm(x: NetworkTensor, { p, seed }: Step, _m: readonly NetworkTensor[], net: Network): Built {
  const last = x.shape.length - 1;
  const miss = p[0]! % 6 === 5 && last > 0;
  const d = x.sub(x.reduceMean([last]));
  const sq = p[0]! % 2 === 0 ? d.mul(d) : d.pow(2);
  // eps 0.05, not the 1e-5 models use: rows after a Relu are often near-constant, and a tiny eps
  // would turn the last-bit differences between two correct evaluation orders into large ones.
  const n = d.div(sq.reduceMean([miss ? last - 1 : last]).add(0.05).sqrt());
  if (p[1]! % 2 === 1) return { t: n, layers: 7 };
  const c = shapeOf(x)[last]!;
  return { t: n.mul(net.constant('ln.gamma', values(c, seed), [c])).add(net.constant('ln.beta', values(c, seed + 1), [c])), layers: 9 };
}

/** A chain of layers on constants only, added to x: what constant folding computes at build time. */
function constExpr(x: NetworkTensor, { p, seed }: Step, _m: readonly NetworkTensor[], net: Network): Built {
  const s = shapeOf(x);
  const last = s[s.length - 1]!;
  const c = net.constant('const.operand', values(last, seed), [last]);
  const expr = p[0]! % 2 === 0 ? c.tanh().mul(c).relu() : c.reshape([last, 1]).transpose([1, 0]).relu();
  return { t: x.add(expr), layers: 4 };
}

/** A Conv followed by a scale or affine layer (the Conv + BatchNorm shape). */
function convThenScale(x: NetworkTensor, step: Step, made: readonly NetworkTensor[], net: Network, maxVolume: number): Built | undefined {
  const conv = CORE_BUILDERS.conv(x, step, made, net, maxVolume);
  if (!conv) return undefined;
  const then = step.b % 2 === 0 ? scale(conv.t, step) : affine(conv.t, step, made, net);
  return { t: then.t, layers: conv.layers + 1 };
}

/** A scale or affine layer feeding a Conv (padded or not: a shift makes padding illegal to fold). */
function scaleThenConv(x: NetworkTensor, step: Step, made: readonly NetworkTensor[], net: Network, maxVolume: number): Built | undefined {
  if (x.shape.length !== 4) return undefined;
  const pre = step.b % 2 === 0 ? scale(x, step) : affine(x, step, made, net);
  const conv = CORE_BUILDERS.conv(pre.t, step, made, net, maxVolume);
  return conv && { t: conv.t, layers: conv.layers + 1 };
}

/** Two Convs (or fully connected layers) of one input and one shape, concatenated: horizontal fusion's pattern. */
function siblings(x: NetworkTensor, step: Step, made: readonly NetworkTensor[], net: Network, maxVolume: number): Built | undefined {
  const build = x.shape.length === 4 ? CORE_BUILDERS.conv : x.shape.length === 2 ? CORE_BUILDERS.fullyConnected : undefined;
  // b = 1 keeps groups 1 and adds a bias; the second member has a bias only sometimes.
  const first = build?.(x, { ...step, b: 1 }, made, net, maxVolume);
  const second = build?.(x, { ...step, b: step.b % 2 === 0 ? 4 : 5, seed: step.seed + 7, p: [step.p[0]! + 1, ...step.p.slice(1)] }, made, net, maxVolume);
  if (!first || !second) return undefined;
  return { t: net.concat([first.t, second.t], { axis: 1 }), layers: first.layers + second.layers + 1 };
}

/**
 * A residual block's tail: Conv (or fully connected) + Add(skip) + Relu, the skip a
 * same-shaped tensor. Near misses: the skip broadcasts (p[1] % 6 == 5), the Conv
 * output has a second reader (b % 5 == 4), no Relu after the Add (p[2] % 3 == 2).
 * The fully connected layer has no bias, so the pass meets MatMul + Add unfused.
 */
function residual(x: NetworkTensor, step: Step, made: readonly NetworkTensor[], net: Network, maxVolume: number): Built | undefined {
  const build = x.shape.length === 4 ? CORE_BUILDERS.conv : x.shape.length === 2 ? CORE_BUILDERS.fullyConnected : undefined;
  const body = build?.(x, { ...step, b: x.shape.length === 2 ? 4 : step.b | 1 }, made, net, maxVolume);
  if (!body) return undefined;
  const s = shapeOf(body.t);
  const broadcast = step.p[1]! % 6 === 5;
  const skipShape = broadcast ? s.map((d, i) => (i === 1 ? d : 1)) : s;
  // An earlier tensor of the right shape (the block's input, as in ResNet), else a computed one.
  const earlier = broadcast ? undefined : made.find((t) => t !== body.t && shapeOf(t).join() === s.join());
  const skip = earlier ?? net.constant('residual.skip', values(vol(skipShape), step.seed + 3), skipShape).relu();
  const sum = step.p[0]! % 2 === 0 ? body.t.add(skip) : skip.add(body.t);
  const tail = step.p[2]! % 3 === 2 ? sum : sum.relu();
  const t = step.b % 5 === 4 ? tail.add(body.t.sigmoid()) : tail;
  return { t, layers: body.layers + (earlier ? 1 : 2) + (tail === sum ? 0 : 1) + (t === tail ? 0 : 2) };
}

export const PATTERN_BUILDERS = {
  residual, geluTanh, padConv, layerNorm,
  scale, affine, identity, transposePair, reshapeChain, silu2: silu, constExpr, convThenScale, scaleThenConv, siblings, geluErf,
} satisfies Record<string, OpBuilder>;

/** The most layers each step may add, so the generator stays within its layer budget. */
export const STEP_COST: Readonly<Record<string, number>> = {
  fullyConnected: 3, residual: 8, geluTanh: 9, padConv: 2, layerNorm: 9, siblings: 5, transposePair: 2, reshapeChain: 2, silu2: 2, geluErf: 5, constExpr: 4, convThenScale: 2, scaleThenConv: 2,
};
