// Activations: the IR's own (Relu, Sigmoid, Tanh, LeakyRelu, Clip, Gelu, PRelu), and
// ONNX activations that are short compositions of IR ops (ThresholdedRelu, Celu,
// Swish, tanh-approximated Gelu). Clip moved its bounds from attributes to inputs
// in opset 11; integer Clip (opset 12+) becomes Max/Min, which take any dtype.
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';
import { requireFloat, scalarLike } from './helpers.js';

for (const name of ['Relu', 'Sigmoid', 'Tanh']) {
  defineImporter(name, { import: (ctx) => void ctx.emit(name, [ctx.value(0)], {}, 0) });
}

defineImporter('LeakyRelu', {
  import: (ctx) => void ctx.emit('LeakyRelu', [ctx.value(0)], { alpha: ctx.attrs.float('alpha', 0.01) }, 0),
});

function clip(ctx: NodeContext, min: number, max: number): void {
  const x = ctx.value(0);
  const { dtype } = ctx.type(0);
  const isFloat = dtype === 'f32' || dtype === 'f16' || dtype === 'bf16';
  if (isFloat && min <= max) return void ctx.emit('Clip', [x], { min, max }, 0);
  // ONNX: when min > max every element becomes max, which Max-then-Min gives.
  let y = x;
  if (min !== -Infinity) y = ctx.emit('Max', [y, scalarLike(ctx, x, min, 'min')], {}, max === Infinity ? 0 : 'lower');
  if (max !== Infinity) y = ctx.emit('Min', [y, scalarLike(ctx, x, max, 'max')], {}, 0);
  if (y === x) ctx.alias(0, 0);
}

defineImporter('Clip', {
  import: (ctx) => clip(ctx, ctx.attrs.float('min', -3.4028234663852886e38), ctx.attrs.float('max', 3.4028234663852886e38)),
});
defineImporter('Clip', {
  sinceVersion: 11,
  import: (ctx) => {
    const known = (i: number, fallback: number) => {
      if (!ctx.has(i)) return fallback;
      const v = ctx.known(i)?.numbers();
      if (v && v.length !== 1) ctx.fail(`input ${i} must be a scalar, has ${v.length} elements`);
      return v?.[0];
    };
    const [min, max] = [known(1, -Infinity), known(2, Infinity)];
    if (min !== undefined && max !== undefined) return clip(ctx, min, max);
    // Bounds computed at run time: Max then Min layers read them as tensors.
    const lower = ctx.has(1) ? ctx.emit('Max', [ctx.value(0), ctx.value(1)], {}, ctx.has(2) ? 'lower' : 0) : ctx.value(0);
    if (ctx.has(2)) ctx.emit('Min', [lower, ctx.value(2)], {}, 0);
  },
});

defineImporter('Gelu', {
  sinceVersion: 20,
  import: (ctx) => {
    const approximate = ctx.attrs.string('approximate', 'none');
    const x = ctx.value(0);
    if (approximate === 'none') return void ctx.emit('Gelu', [x], {}, 0);
    if (approximate !== 'tanh') ctx.badAttr('approximate', approximate);
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const s = (v: number, tag: string) => scalarLike(ctx, x, v, tag);
    const cube = ctx.emit('Mul', [ctx.emit('Mul', [x, x], {}, 'sq'), x], {}, 'cube');
    const inner = ctx.emit('Add', [x, ctx.emit('Mul', [cube, s(0.044715, 'k')], {}, 'kcube')], {}, 'inner');
    const t = ctx.emit('Tanh', [ctx.emit('Mul', [inner, s(Math.sqrt(2 / Math.PI), 'c')], {}, 'scaled')], {}, 'tanh');
    const half = ctx.emit('Mul', [x, s(0.5, 'half')], {}, 'halfx');
    ctx.emit('Mul', [half, ctx.emit('Add', [t, s(1, 'one')], {}, 'onep')], {}, 0);
  },
});

defineImporter('PRelu', {
  import: (ctx) => {
    requireFloat(ctx, 0);
    ctx.emit('PRelu', [ctx.value(0), ctx.value(1)], {}, 0);
  },
});

defineImporter('ThresholdedRelu', {
  import: (ctx) => {
    const x = ctx.value(0);
    const above = ctx.emit('Greater', [x, scalarLike(ctx, x, ctx.attrs.float('alpha', 1), 'alpha')], {}, 'above');
    ctx.emit('Where', [above, x, scalarLike(ctx, x, 0, 'zero')], {}, 0);
  },
});

/** Celu(x) = alpha * Elu(x / alpha) with Elu's alpha 1. */
defineImporter('Celu', {
  import: (ctx) => {
    const x = ctx.value(0);
    const alpha = ctx.attrs.float('alpha', 1);
    const elu = ctx.emit('Elu', [ctx.emit('Mul', [x, scalarLike(ctx, x, 1 / alpha, 'inv_alpha')], {}, 'scaled')], { alpha: 1 }, 'elu');
    ctx.emit('Mul', [elu, scalarLike(ctx, x, alpha, 'alpha')], {}, 0);
  },
});

/** Swish(x) = x * sigmoid(alpha x); Silu when alpha is 1. */
defineImporter('Swish', {
  import: (ctx) => {
    const x = ctx.value(0);
    const alpha = ctx.attrs.float('alpha', 1);
    if (alpha === 1) return void ctx.emit('Silu', [x], {}, 0);
    const sig = ctx.emit('Sigmoid', [ctx.emit('Mul', [x, scalarLike(ctx, x, alpha, 'alpha')], {}, 'scaled')], {}, 'sigmoid');
    ctx.emit('Mul', [x, sig], {}, 0);
  },
});
