// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, as the layers of ONNX's
// function bodies: gather each target class's score (ignored targets read class 0 and
// are zeroed), weight it, then reduce (none, sum, or mean over the weights). Training
// ops, but cheap, and evaluation graphs sometimes keep them.
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';
import { constOf, reshape, scalarLike } from './helpers.js';

/** The loss over log-probabilities `logp` [N,C,d...] for targets (input 1) and optional weights (input 2). */
function nll(ctx: NodeContext, logp: string): void {
  const reduction = ctx.attrs.string('reduction', 'mean');
  if (!['none', 'sum', 'mean'].includes(reduction)) ctx.badAttr('reduction', reduction);
  const ignore = ctx.attrs.int('ignore_index');
  const targetShape = ctx.shape(1);
  const { dtype: targetType } = ctx.type(1);
  const unsq = [targetShape[0]!, 1, ...targetShape.slice(1)];
  let target = reshape(ctx, ctx.value(1), unsq, 'target');
  let mask: string | undefined;
  if (ignore !== undefined) {
    mask = ctx.emit('Equal', [target, constOf(ctx, 'ignore_index', targetType, [], [ignore])], {}, 'ignored');
    target = ctx.emit('Where', [mask, constOf(ctx, 'class0', targetType, [], [0]), target], {}, 'safe_target');
  }
  let picked = ctx.emit('GatherElements', [logp, target], { axis: 1 }, 'picked');
  const zero = () => scalarLike(ctx, logp, 0, 'zero');
  if (mask) picked = ctx.emit('Where', [mask, zero(), picked], {}, 'picked_kept');
  let loss = reshape(ctx, ctx.emit('Neg', [picked], {}, 'neg'), targetShape, 'loss_unweighted');
  let weight: string | undefined;
  if (ctx.has(2)) {
    weight = ctx.emit('Gather', [ctx.value(2), target], { axis: 0 }, 'weight_picked');
    if (mask) weight = ctx.emit('Where', [mask, zero(), weight], {}, 'weight_kept');
  } else if (mask) {
    weight = ctx.emit('Where', [mask, zero(), scalarLike(ctx, logp, 1, 'one')], {}, 'weight_kept');
  }
  if (weight) {
    weight = reshape(ctx, weight, targetShape, 'weight');
    loss = ctx.emit('Mul', [loss, weight], {}, reduction === 'none' ? 0 : 'loss_weighted');
  }
  const all = { axes: [], keepDims: false };
  if (reduction === 'none') return weight ? undefined : ctx.output(0, loss);
  if (reduction === 'sum' || !weight) return void ctx.emit('Reduce', [loss], { mode: reduction, ...all }, 0);
  const total = ctx.emit('Reduce', [loss], { mode: 'sum', ...all }, 'loss_sum');
  ctx.emit('Div', [total, ctx.emit('Reduce', [weight], { mode: 'sum', ...all }, 'weight_sum')], {}, 0);
}

defineImporter('NegativeLogLikelihoodLoss', { sinceVersion: 12, import: (ctx) => nll(ctx, ctx.value(0)) });

defineImporter('SoftmaxCrossEntropyLoss', {
  sinceVersion: 12,
  import: (ctx) => {
    const logp = ctx.emit('LogSoftmax', [ctx.value(0)], { axis: 1 }, ctx.node.output[1] ? 1 : 'log_prob');
    nll(ctx, logp);
  },
});
