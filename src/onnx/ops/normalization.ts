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

defineImporter('LayerNormalization', {
  sinceVersion: 17,
  import: (ctx) => {
    const inputs = [ctx.value(0), ctx.value(1), ...(ctx.has(2) ? [ctx.value(2)] : [])];
    ctx.emit('LayerNormalization', inputs, { axis: ctx.attrs.int('axis', -1), epsilon: ctx.attrs.float('epsilon', 1e-5) }, 0);
  },
});

/** y = x / sqrt(mean(x^2 over axis..end) + eps) * scale */
defineImporter('RMSNormalization', {
  sinceVersion: 23,
  import: (ctx) => {
    requireFloat(ctx, 0);
    const x = ctx.value(0);
    const rank = ctx.rank(0);
    const axis = axisOf(ctx, ctx.attrs.int('axis', -1), rank);
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const ms = ctx.emit('Reduce', [ctx.emit('Mul', [x, x], {}, 'square')], { mode: 'mean', axes, keepDims: true }, 'mean_square');
    const rms = ctx.emit('Sqrt', [ctx.emit('Add', [ms, scalarLike(ctx, x, ctx.attrs.float('epsilon', 1e-5), 'eps')], {}, 'plus_eps')], {}, 'rms');
    ctx.emit('Mul', [ctx.emit('Div', [x, rms], {}, 'normalized'), ctx.value(1)], {}, 0);
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
