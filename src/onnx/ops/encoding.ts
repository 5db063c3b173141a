// OneHot and EyeLike. EyeLike needs only its input's (static) shape, so it is a known
// constant. OneHot compares the indices, unsqueezed at `axis`, with a constant range of
// depth, and selects on/off values: three IR layers, with ONNX's negative indices
// (counted from depth) wrapped first.
import { kilnDType, onnxDTypeName } from '../proto/dtypes.js';
import { Known } from '../import/known.js';
import { defineImporter } from '../import/registry.js';
import { axisOf, constOf, reshape } from './helpers.js';

defineImporter('EyeLike', {
  import: (ctx) => {
    const shape = ctx.shape(0);
    if (shape.length !== 2 || shape.some((d) => typeof d !== 'number')) ctx.unsupported('shape unsupported', `EyeLike needs a static 2-D input, got [${shape.join(',')}]`);
    const [rows, cols] = shape as number[];
    const k = ctx.attrs.int('k', 0);
    const dataType = ctx.attrs.int('dtype', ctx.dataType(0));
    const elems = Array.from({ length: rows! * cols! }, (_, i) => (Math.floor(i / cols!) + k === i % cols! ? 1 : 0));
    ctx.setKnown(0, Known.fromElems(dataType, [rows!, cols!], elems));
  },
});

defineImporter('OneHot', {
  import: (ctx) => {
    const depth = ctx.numbers(1, 'depth');
    if (depth.length !== 1) ctx.fail(`depth must hold one value, has ${depth.length}`);
    const n = Math.trunc(depth[0]!);
    const values = ctx.numbers(2, 'values');
    if (values.length !== 2) ctx.fail(`values must be [off, on], has ${values.length} elements`);
    const valueType = kilnDType(ctx.dataType(2)) ?? ctx.unsupported('dtype unsupported', `values are ${onnxDTypeName(ctx.dataType(2))}`);
    const shape = ctx.shape(0);
    const axis = axisOf(ctx, ctx.attrs.int('axis', -1), shape.length + 1);
    const { dtype } = ctx.type(0);
    let idx = ctx.value(0);
    const scalar = (v: number, tag: string) => constOf(ctx, tag, dtype, [], [v]);
    const negative = ctx.emit('Less', [idx, scalar(0, 'zero')], {}, 'negative');
    idx = ctx.emit('Where', [negative, ctx.emit('Add', [idx, scalar(n, 'depth')], {}, 'wrapped'), idx], {}, 'index');
    const expanded = reshape(ctx, idx, [...shape.slice(0, axis), 1, ...shape.slice(axis)], 'unsqueezed');
    const rangeShape = Array.from({ length: shape.length + 1 }, (_, i) => (i === axis ? n : 1));
    const range = constOf(ctx, 'range', dtype, rangeShape, Array.from({ length: n }, (_, i) => i));
    const hot = ctx.emit('Equal', [expanded, range], {}, 'hot');
    ctx.emit('Where', [hot, constOf(ctx, 'on', valueType, [], [values[1]!]), constOf(ctx, 'off', valueType, [], [values[0]!])], {}, 0);
  },
});
