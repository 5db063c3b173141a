// Normalizations and the softmax relatives of the reduce family (ONNX semantics):
// LayerNormalization (opset 17, output 0 only), InstanceNormalization,
// BatchNormalization in its inference form (the importer folds it into Scale when the
// parameters are constant; the op stays for the non-constant case and BN folding),
// LogSoftmax and Hardmax along one axis.
import { defineOp, type InferContext } from '../op-registry.js';
import { formatShape, formatType, type Shape, type TensorType } from '../shape.js';
import { singleAxis } from './reduce.js';

function requireFloat(ctx: InferContext, x: TensorType): void {
  if (x.dtype !== 'f32' && x.dtype !== 'f16' && x.dtype !== 'bf16') {
    ctx.fail(`input 'x' must be a float tensor, got ${formatType(x)}`, { argument: 'x', expected: 'f32|f16|bf16', received: formatType(x) });
  }
}

/** True when `p` broadcasts onto `target` without changing it (numpy, right-aligned). */
export function broadcastsOnto(p: Shape, target: Shape): boolean {
  if (p.length > target.length) return false;
  return p.every((d, i) => d === 1 || d === target[target.length - p.length + i]);
}

/** A parameter of the input's dtype whose shape must broadcast onto `target`. */
function checkParam(ctx: InferContext, x: TensorType, index: number, name: string, target: Shape, exact: boolean): void {
  const p = ctx.inputs[index];
  if (!p) return;
  const ok = p.dtype === x.dtype && (exact ? p.shape.length === target.length && p.shape.every((d, i) => d === target[i]) : broadcastsOnto(p.shape, target));
  if (!ok) {
    const want = `${x.dtype}${formatShape(target)}`;
    ctx.fail(`'${name}' must be ${want}${exact ? '' : ' (or broadcast onto it)'} for input 'x' ${formatType(x)}, got ${formatType(p)}`, { argument: name, expected: want, received: formatType(p) });
  }
}

defineOp({
  name: 'LayerNormalization',
  group: 'normalization',
  inputs: [{ name: 'x' }, { name: 'scale' }, { name: 'bias', optional: true }],
  attrs: { axis: { kind: 'int', default: -1 }, epsilon: { kind: 'float', default: 1e-5 } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    requireFloat(ctx, x);
    const axis = singleAxis(ctx, x);
    const normalized = x.shape.slice(axis);
    checkParam(ctx, x, 1, 'scale', normalized, false);
    checkParam(ctx, x, 2, 'bias', normalized, false);
    return [x];
  },
});

/** The channel dim of an [N, C, ...] input, failing when the rank is below `minRank`. */
function channels(ctx: InferContext, x: TensorType, minRank: number): Shape {
  if (x.shape.length < minRank) {
    ctx.fail(`input 'x' must be [N,C${',D'.repeat(minRank - 2)}...] (rank >= ${minRank}), got ${formatType(x)}`, { argument: 'x', received: formatType(x) });
  }
  return [x.shape[1]!];
}

defineOp({
  name: 'InstanceNormalization',
  group: 'normalization',
  inputs: [{ name: 'x' }, { name: 'scale' }, { name: 'bias' }],
  attrs: { epsilon: { kind: 'float', default: 1e-5 } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    requireFloat(ctx, x);
    const c = channels(ctx, x, 3);
    checkParam(ctx, x, 1, 'scale', c, true);
    checkParam(ctx, x, 2, 'bias', c, true);
    return [x];
  },
});

defineOp({
  name: 'BatchNormalization',
  group: 'normalization',
  inputs: [{ name: 'x' }, { name: 'scale' }, { name: 'bias' }, { name: 'mean' }, { name: 'var' }],
  attrs: { epsilon: { kind: 'float', default: 1e-5 } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    requireFloat(ctx, x);
    const c = channels(ctx, x, 2);
    ['scale', 'bias', 'mean', 'var'].forEach((name, i) => checkParam(ctx, x, i + 1, name, c, true));
    return [x];
  },
});

for (const name of ['LogSoftmax', 'Hardmax']) {
  defineOp({
    name,
    group: 'softmax',
    inputs: [{ name: 'x' }],
    attrs: { axis: { kind: 'int', default: -1 } },
    infer: (ctx) => {
      const x = ctx.inputs[0]!;
      requireFloat(ctx, x);
      singleAxis(ctx, x);
      return [x];
    },
  });
}
