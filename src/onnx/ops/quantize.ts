// QuantizeLinear and DequantizeLinear as float arithmetic, so QAT models import and run
// exactly (y = (x - zp) * scale; q = saturate(round_half_even(x / scale) + zp)) until a
// precision pass folds Q/DQ pairs into int8 layers. Scales may be per tensor, per axis
// (a 1-D [C]) or blocked (block_size, opset 21), each broadcast onto x here.
import type { DType } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { kilnDType, onnxDTypeName } from '../proto/dtypes.js';
import { defineImporter } from '../import/registry.js';
import { axisOf, reshape } from './helpers.js';

const RANGES: Partial<Record<DType, [number, number]>> = { u8: [0, 255], i8: [-128, 127], i32: [-(2 ** 31), 2 ** 31 - 1] };

/** Scale or zero point input i, shaped to broadcast onto x (rank r) along `axis`. */
function broadcastParam(ctx: NodeContext, i: number, value: string, axisAttr: number, blockSize: number): string {
  const xShape = ctx.shape(0);
  const shape = ctx.typeOf(value).shape;
  const rank = xShape.length;
  if (shape.length === 0 || (shape.length === 1 && shape[0] === 1)) return value;
  // The axis matters only for per-axis and blocked parameters (a rank-1 x keeps the default 1).
  const axis = axisOf(ctx, axisAttr, rank);
  if (blockSize > 0) {
    if (shape.length !== rank) ctx.fail(`blocked input ${i} must have the rank of x (${rank})`);
    const blocks = shape[axis]!;
    const split = [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)];
    const unsq = reshape(ctx, value, split, `param${i}_unsq`);
    const target = split.map((_, d) => (d === axis + 1 ? blockSize : 1));
    const expanded = ctx.emit('Expand', [unsq], { shape: target }, `param${i}_blocks`);
    const full = xShape.map((d, k) => (k === axis ? (typeof blocks === 'number' ? blocks * blockSize : d) : shape[k]!));
    return reshape(ctx, expanded, full, `param${i}_full`);
  }
  if (shape.length !== 1) ctx.fail(`input ${i} must be a scalar or 1-D along axis ${axis}, got rank ${shape.length}`);
  return reshape(ctx, value, xShape.map((_, d) => (d === axis ? shape[0]! : 1)), `param${i}_axis`);
}

function params(ctx: NodeContext): { axis: number; blockSize: number } {
  return { axis: ctx.attrs.int('axis', 1), blockSize: ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0 };
}

/** The IR op's axis: read only for a per-axis scale (a per-tensor one may keep ONNX's default 1 on a rank-1 x). */
const irAxis = (ctx: NodeContext, axis: number) => (ctx.rank(1) === 0 || ctx.shape(1)[0] === 1 ? 0 : axisOf(ctx, axis, ctx.rank(0)));

defineImporter('DequantizeLinear', {
  sinceVersion: 10,
  import: (ctx) => {
    const { axis, blockSize } = params(ctx);
    const floatType = ctx.type(1).dtype;
    // One DequantizeLinear layer where the IR op fits (f32 per-tensor / per-axis scale; i32 only as a constant, a bias), so FoldQdq can fold it.
    const q = ctx.type(0).dtype;
    if (blockSize === 0 && floatType === 'f32' && ctx.rank(1) <= 1 && (q === 'i8' || q === 'u8' || (q === 'i32' && ctx.known(0))) && (!ctx.has(2) || ctx.type(2).dtype === q)) {
      // Not folded into an f32 constant even when x is one: FoldQdq needs the codes of DQ(weights).
      const g = ctx.state.graph;
      const name = g.claim(ctx.node.output[0]!);
      const [type] = g.addNode('DequantizeLinear', ctx.layer, [ctx.value(0), ctx.value(1), ...(ctx.has(2) ? [ctx.value(2)] : [])], { axis: irAxis(ctx, axis) }, [name], false);
      return ctx.bindValue(0, name, type!);
    }
    const toFloat = (i: number, tag: string) => (ctx.type(i).dtype === floatType ? ctx.value(i) : ctx.emit('Cast', [ctx.value(i)], { to: floatType }, tag));
    let x = toFloat(0, 'x_float');
    if (ctx.has(2)) x = ctx.emit('Sub', [x, broadcastParam(ctx, 2, toFloat(2, 'zp_float'), axis, blockSize)], {}, 'centered');
    ctx.emit('Mul', [x, broadcastParam(ctx, 1, ctx.value(1), axis, blockSize)], {}, 0);
  },
});

defineImporter('QuantizeLinear', {
  sinceVersion: 10,
  import: (ctx) => {
    const { axis, blockSize } = params(ctx);
    const code = ctx.has(2) ? ctx.dataType(2) : ctx.attrs.int('output_dtype', 0) || 2;
    const out = kilnDType(code);
    const range = out && RANGES[out];
    if (!range) return ctx.unsupported('dtype unsupported', `quantizing to ${onnxDTypeName(code)}`);
    const floatType = ctx.type(0).dtype;
    if (blockSize === 0 && floatType === 'f32' && ctx.rank(1) <= 1 && (out === 'i8' || out === 'u8')) {
      return void ctx.emit('QuantizeLinear', [ctx.value(0), ctx.value(1), ...(ctx.has(2) ? [ctx.value(2)] : [])], { axis: irAxis(ctx, axis), dtype: out }, 0);
    }
    const scale = broadcastParam(ctx, 1, ctx.value(1), axis, blockSize);
    let q = ctx.emit('Round', [ctx.emit('Div', [ctx.value(0), scale], {}, 'scaled')], {}, 'rounded');
    if (ctx.has(2)) {
      const zp = ctx.emit('Cast', [ctx.value(2)], { to: floatType }, 'zp_float');
      q = ctx.emit('Add', [q, broadcastParam(ctx, 2, zp, axis, blockSize)], {}, 'shifted');
    }
    ctx.emit('Cast', [ctx.emit('Clip', [q], { min: range[0], max: range[1] }, 'saturated')], { to: out! }, 0);
  },
});
