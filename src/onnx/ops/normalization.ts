// Normalizations and the softmax family. BatchNormalization with constant parameters
// folds at import into one per-channel Scale (y = x*s + t, s = gamma/sqrt(var+eps),
// t = beta - mean*s). Softmax, LogSoftmax and Hardmax before opset 13 work on the
// input flattened to 2-D at `axis`, so they import as Reshape, op, Reshape back.
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';
import { axisOf, constOf, flattenShape, requireFloat, reshape, scalarLike } from './helpers.js';

defineImporter('BatchNormalization', {
  import: (ctx) => {
    if (ctx.opset < 9 && ctx.attrs.int('spatial', 1) === 0) ctx.badAttr('spatial', 0);
    if (ctx.opset >= 14 && ctx.attrs.int('training_mode', 0) !== 0) ctx.badAttr('training_mode', 1, 'is not supported (inference only)');
    requireFloat(ctx, 0);
    const eps = ctx.attrs.float('epsilon', 1e-5);
    const params = [1, 2, 3, 4].map((i) => ctx.known(i)?.numbers());
    if (params.every((p) => p !== undefined) && ctx.rank(0) >= 2) {
      const [gamma, beta, mean, variance] = params as number[][];
      const scale = gamma!.map((g, c) => g / Math.sqrt(variance![c]! + eps));
      const shift = beta!.map((b, c) => b - mean![c]! * scale[c]!);
      const { dtype } = ctx.type(0);
      const c = [scale.length];
      const inputs = [ctx.value(0), constOf(ctx, 'shift', dtype, c, shift), constOf(ctx, 'scale', dtype, c, scale)];
      return void ctx.emit('Scale', inputs, { mode: 'channel', channelAxis: 1 }, 0);
    }
    ctx.emit('BatchNormalization', [0, 1, 2, 3, 4].map((i) => ctx.value(i)), { epsilon: eps }, 0);
  },
});

defineImporter('InstanceNormalization', {
  import: (ctx) => void ctx.emit('InstanceNormalization', [0, 1, 2].map((i) => ctx.value(i)), { epsilon: ctx.attrs.float('epsilon', 1e-5) }, 0),
});

/** The axes axis..rank-1 that LayerNormalization-style ops normalize over. */
function trailingAxes(ctx: NodeContext, axisAttr: number): number[] {
  const rank = ctx.rank(0);
  const axis = axisOf(ctx, axisAttr, rank);
  return Array.from({ length: rank - axis }, (_, i) => axis + i);
}

defineImporter('LayerNormalization', {
  sinceVersion: 17,
  import: (ctx) => {
    const axis = ctx.attrs.int('axis', -1);
    const epsilon = ctx.attrs.float('epsilon', 1e-5);
    const x = ctx.value(0);
    ctx.emit('LayerNormalization', [x, ctx.value(1), ...(ctx.has(2) ? [ctx.value(2)] : [])], { axis, epsilon }, 0);
    // Mean and InvStdDev (training outputs) only when the model reads them.
    if (!ctx.node.output[1] && !ctx.node.output[2]) return;
    const axes = trailingAxes(ctx, axis);
    const mean = ctx.emit('Reduce', [x], { mode: 'mean', axes, keepDims: true }, ctx.node.output[1] ? 1 : 'mean');
    if (!ctx.node.output[2]) return;
    const d = ctx.emit('Sub', [x, mean], {}, 'centered');
    const variance = ctx.emit('Reduce', [ctx.emit('Mul', [d, d], {}, 'square')], { mode: 'mean', axes, keepDims: true }, 'variance');
    const std = ctx.emit('Sqrt', [ctx.emit('Add', [variance, scalarLike(ctx, x, epsilon, 'eps')], {}, 'plus_eps')], {}, 'std');
    ctx.emit('Reciprocal', [std], {}, 2);
  },
});

/** y = x / sqrt(mean(x^2 over axis..end) + eps) * scale */
defineImporter('RMSNormalization', {
  sinceVersion: 23,
  import: (ctx) => {
    requireFloat(ctx, 0);
    const x = ctx.value(0);
    const axes = trailingAxes(ctx, ctx.attrs.int('axis', -1));
    const ms = ctx.emit('Reduce', [ctx.emit('Mul', [x, x], {}, 'square')], { mode: 'mean', axes, keepDims: true }, 'mean_square');
    const rms = ctx.emit('Sqrt', [ctx.emit('Add', [ms, scalarLike(ctx, x, ctx.attrs.float('epsilon', 1e-5), 'eps')], {}, 'plus_eps')], {}, 'rms');
    ctx.emit('Mul', [ctx.emit('Div', [x, rms], {}, 'normalized'), ctx.value(1)], {}, 0);
  },
});

/** y = x / ||x||_p along one axis (p = 1 or 2). */
defineImporter('LpNormalization', {
  import: (ctx) => {
    const p = ctx.attrs.int('p', 2);
    if (p !== 1 && p !== 2) ctx.badAttr('p', p);
    const x = ctx.value(0);
    const norm = ctx.emit('Reduce', [x], { mode: p === 1 ? 'l1' : 'l2', axes: [ctx.attrs.int('axis', -1)], keepDims: true }, 'norm');
    // A zero norm means an all-zero slice, which stays zero (ONNX's reference), not 0/0.
    const zero = ctx.emit('Equal', [norm, scalarLike(ctx, x, 0, 'zero')], {}, 'is_zero');
    const safe = ctx.emit('Where', [zero, scalarLike(ctx, x, 1, 'one'), norm], {}, 'safe_norm');
    ctx.emit('Div', [x, safe], {}, 0);
  },
});

/**
 * Normalizes each of num_groups channel groups over the group's channels and spatial
 * dims, then applies a per-channel (opset 21) or per-group (opset 18) scale and bias.
 */
defineImporter('GroupNormalization', {
  sinceVersion: 18,
  import: (ctx) => {
    requireFloat(ctx, 0);
    const shape = ctx.shape(0);
    const groups = ctx.attrs.int('num_groups') ?? ctx.fail("attribute 'num_groups' is required");
    if (shape.length < 3) ctx.fail(`input must be [N,C,spatial...], got rank ${shape.length}`);
    const x = ctx.value(0);
    const grouped = reshape(ctx, x, [shape[0]!, groups, -1], 'grouped');
    const mean = ctx.emit('Reduce', [grouped], { mode: 'mean', axes: [2], keepDims: true }, 'mean');
    const d = ctx.emit('Sub', [grouped, mean], {}, 'centered');
    const variance = ctx.emit('Reduce', [ctx.emit('Mul', [d, d], {}, 'square')], { mode: 'mean', axes: [2], keepDims: true }, 'variance');
    const eps = scalarLike(ctx, x, ctx.attrs.float('epsilon', 1e-5), 'eps');
    let y = ctx.emit('Div', [d, ctx.emit('Sqrt', [ctx.emit('Add', [variance, eps], {}, 'plus_eps')], {}, 'std')], {}, 'normalized');
    const ones = new Array<number>(shape.length - 2).fill(1);
    const perChannel = ctx.opset >= 21;
    if (!perChannel) {
      const param = (i: number, tag: string) => reshape(ctx, ctx.value(i), [groups, 1], tag);
      y = ctx.emit('Add', [ctx.emit('Mul', [y, param(1, 'scale_g')], {}, 'scaled'), param(2, 'bias_g')], {}, 'shifted');
    }
    y = reshape(ctx, y, shape, perChannel ? 'restored' : 0);
    if (!perChannel) return;
    const c = shape[1]!;
    const param = (i: number, tag: string) => reshape(ctx, ctx.value(i), [c, ...ones], tag);
    ctx.emit('Add', [ctx.emit('Mul', [y, param(1, 'scale_c')], {}, 'scaled'), param(2, 'bias_c')], {}, 0);
  },
});

/** ONNX's function body: (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) over `axes`. */
defineImporter('MeanVarianceNormalization', {
  import: (ctx) => {
    requireFloat(ctx, 0);
    const x = ctx.value(0);
    const axes = ctx.attrs.ints('axes', [0, 2, 3]);
    const mean = (v: string, tag: string) => ctx.emit('Reduce', [v], { mode: 'mean', axes, keepDims: true }, tag);
    const ex = mean(x, 'mean');
    const variance = ctx.emit('Sub', [mean(ctx.emit('Mul', [x, x], {}, 'square'), 'mean_square'), ctx.emit('Mul', [ex, ex], {}, 'mean_sq')], {}, 'variance');
    const std = ctx.emit('Add', [ctx.emit('Sqrt', [variance], {}, 'std'), scalarLike(ctx, x, 1e-9, 'eps')], {}, 'std_eps');
    ctx.emit('Div', [ctx.emit('Sub', [x, ex], {}, 'centered'), std], {}, 0);
  },
});

function importSoftmaxLike(ctx: NodeContext, op: string): void {
  requireFloat(ctx, 0);
  const rank = ctx.rank(0);
  const x = ctx.value(0);
  if (ctx.opset >= 13) return void ctx.emit(op, [x], { axis: ctx.attrs.int('axis', -1) }, 0);
  const axis = axisOf(ctx, ctx.attrs.int('axis', 1), rank);
  if (axis === rank - 1) return void ctx.emit(op, [x], { axis }, 0);
  const shape = ctx.shape(0);
  const flat = reshape(ctx, x, flattenShape(shape, axis), 'flat');
  reshape(ctx, ctx.emit(op, [flat], { axis: 1 }, op.toLowerCase()), shape, 0);
}

for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
  defineImporter(op, { import: (ctx) => importSoftmaxLike(ctx, op) });
}

/**
 * LRN: y = x / (bias + alpha/size * sum of x^2 over `size` neighbouring channels)^beta.
 * The channel-window sum is an average pool (padding counted) over [N,1,C,rest] times size.
 */
defineImporter('LRN', {
  import: (ctx) => {
    requireFloat(ctx, 0);
    const size = ctx.attrs.int('size') ?? ctx.fail("attribute 'size' is required");
    const shape = ctx.shape(0);
    if (shape.length < 3 || shape.slice(1).some((d) => typeof d !== 'number')) ctx.unsupported('shape unsupported', `LRN needs [N,C,spatial...] with static C and spatial dims, got [${shape.join(',')}]`);
    const [n, c, ...spatial] = shape;
    const rest = (spatial as number[]).reduce((a, b) => a * b, 1);
    const x = ctx.value(0);
    const sq = reshape(ctx, ctx.emit('Mul', [x, x], {}, 'square'), [n!, 1, c!, rest], 'square_4d');
    const before = Math.floor((size - 1) / 2);
    const pooled = ctx.emit('Pool', [sq], { mode: 'avg', kernel: [size, 1], padsBegin: [before, 0], padsEnd: [size - 1 - before, 0], countIncludePad: true }, 'window_mean');
    const sum = reshape(ctx, pooled, shape, 'window_mean_nd');
    const alpha = ctx.attrs.float('alpha', 1e-4);
    const scaled = ctx.emit('Mul', [sum, scalarLike(ctx, x, alpha, 'alpha')], {}, 'scaled');
    const base = ctx.emit('Add', [scaled, scalarLike(ctx, x, ctx.attrs.float('bias', 1), 'bias')], {}, 'base');
    const denom = ctx.emit('Pow', [base, scalarLike(ctx, x, ctx.attrs.float('beta', 0.75), 'beta')], {}, 'denominator');
    ctx.emit('Div', [x, denom], {}, 0);
  },
});
