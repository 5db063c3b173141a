// Reductions: ReduceXxx (one IR Reduce with the mode), ArgMax/ArgMin, TopK and
// CumSum. Axes moved from an attribute to an input (ReduceSum at opset 13, the others
// at 18), as did TopK's K (opset 10); inputs must be known at import.
import { ONNX_REDUCE_OPS } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';
import { intsInputOrAttr } from './helpers.js';

for (const [name, mode] of Object.entries(ONNX_REDUCE_OPS)) {
  const axesInputSince = name === 'ReduceSum' ? 13 : 18;
  defineImporter(name, {
    import: (ctx) => {
      const axes = intsInputOrAttr(ctx, 1, 'axes', axesInputSince) ?? [];
      const keepDims = ctx.attrs.int('keepdims', 1) !== 0;
      const noopWithEmptyAxes = ctx.attrs.int('noop_with_empty_axes', 0) !== 0;
      if (axes.length === 0 && noopWithEmptyAxes) return ctx.alias(0, 0);
      ctx.emit('Reduce', [ctx.value(0)], { mode, axes, keepDims, noopWithEmptyAxes }, 0);
    },
  });
}

for (const name of ['ArgMax', 'ArgMin']) {
  defineImporter(name, {
    import: (ctx) => {
      const attrs = { axis: ctx.attrs.int('axis', 0), keepDims: ctx.attrs.int('keepdims', 1) !== 0, selectLastIndex: ctx.attrs.int('select_last_index', 0) !== 0 };
      ctx.emit(name, [ctx.value(0)], attrs, 0);
    },
  });
}

function importTopK(ctx: NodeContext, k: number): void {
  const attrs = { k, axis: ctx.attrs.int('axis', -1), largest: ctx.attrs.int('largest', 1) !== 0, sorted: ctx.attrs.int('sorted', 1) !== 0 };
  ctx.emitMulti('TopK', [ctx.value(0)], attrs, 2);
}

defineImporter('TopK', { import: (ctx) => importTopK(ctx, ctx.attrs.int('k') ?? ctx.fail("attribute 'k' is required")) });
defineImporter('TopK', {
  sinceVersion: 10,
  import: (ctx) => {
    const k = ctx.numbers(1, 'K');
    if (k.length !== 1) ctx.fail(`K must hold one value, has ${k.length}`);
    importTopK(ctx, k[0]!);
  },
});

defineImporter('CumSum', {
  import: (ctx) => {
    const axis = ctx.numbers(1, 'axis');
    if (axis.length !== 1) ctx.fail(`axis must be a scalar, has ${axis.length} values`);
    const attrs = { axis: axis[0]!, exclusive: ctx.attrs.int('exclusive', 0) !== 0, reverse: ctx.attrs.int('reverse', 0) !== 0 };
    ctx.emit('CumSum', [ctx.value(0)], attrs, 0);
  },
});
