// Shape-computing ops and constants: Constant, Shape, Size, ConstantOfShape, Range,
// Cast, CastLike, Identity, Dropout. Where their inputs are known they evaluate at
// import (symbolic dims included) and emit no layer; that is what turns torch.onnx's
// shape arithmetic into static Reshape targets.
import { kilnDType, onnxDTypeName, ONNX_DTYPES } from '../proto/dtypes.js';
import type { TensorProto } from '../proto/messages.js';
import { decodeTensorData, tensorDims } from '../proto/tensor-data.js';
import { defineImporter } from '../import/registry.js';
import type { NodeContext } from '../import/context.js';
import { dimBinary } from '../import/dim-math.js';
import { castElem, Known, T } from '../import/known.js';
import { dimCeilDiv, dimSub, shapeBounds, type Dim } from '../../ir/index.js';
import { symbolicRange } from './helpers.js';

function tensorKnown(ctx: NodeContext, t: TensorProto): Known {
  return Known.lazy(t.data_type, tensorDims(t), () => decodeTensorData(t, ctx.state.source).data);
}

defineImporter('Constant', {
  import: (ctx) => {
    const a = ctx.attrs;
    const t = a.tensor('value');
    if (t) return ctx.setKnown(0, tensorKnown(ctx, t));
    const f = a.float('value_float');
    if (f !== undefined) return ctx.setKnown(0, Known.fromElems(T.FLOAT, [], [f]));
    const fs = a.floats('value_floats');
    if (fs) return ctx.setKnown(0, Known.fromElems(T.FLOAT, [fs.length], fs));
    const i = a.int('value_int');
    if (i !== undefined) return ctx.setKnown(0, Known.fromElems(T.INT64, [], [i]));
    const is = a.ints('value_ints');
    if (is) return ctx.setKnown(0, Known.fromElems(T.INT64, [is.length], is));
    const s = a.string('value_string');
    if (s !== undefined) return ctx.setKnown(0, Known.fromArray(T.STRING, [], [s]));
    const ss = a.strings('value_strings');
    if (ss) return ctx.setKnown(0, Known.fromArray(T.STRING, [ss.length], ss));
    if (a.has('sparse_value')) ctx.badAttr('sparse_value', 'sparse tensor');
    ctx.fail('Constant has no value attribute');
  },
});

defineImporter('Shape', {
  import: (ctx) => {
    const shape = ctx.shape(0);
    const [s, e] = shapeBounds(shape.length, ctx.attrs.int('start', 0), ctx.attrs.int('end', Number.MAX_SAFE_INTEGER));
    ctx.setKnown(0, Known.fromElems(T.INT64, [e - s], shape.slice(s, e)));
  },
});

defineImporter('Size', {
  import: (ctx) => {
    let size: Dim = 1;
    for (const d of ctx.shape(0)) size = dimBinary('Mul', size, d, true)!;
    ctx.setKnown(0, Known.fromElems(T.INT64, [], [size]));
  },
});

/** The fill value of ConstantOfShape / EyeLike-style attributes as (dtype, first element). */
function fillValue(ctx: NodeContext): { dataType: number; value: number | bigint } {
  const t = ctx.attrs.tensor('value');
  if (!t) return { dataType: T.FLOAT, value: 0 };
  const d = decodeTensorData(t, ctx.state.source);
  if (d.data.length !== 1) ctx.fail(`attribute 'value' must hold one element, has ${d.data.length}`);
  return { dataType: d.dataType, value: d.data[0] as number | bigint };
}

defineImporter('ConstantOfShape', {
  import: (ctx) => {
    const dims = ctx.dims(0, 'shape');
    const { dataType, value } = fillValue(ctx);
    const info = ONNX_DTYPES[dataType];
    if (!info?.array) return ctx.unsupported('dtype unsupported', `value is ${onnxDTypeName(dataType)}`);
    if (dims.some((d) => typeof d === 'string')) {
      // A symbolic shape is known only at run time: a layer fills it there.
      const dtype = kilnDType(dataType);
      if (!dtype) return ctx.unsupported('dtype unsupported', `value is ${onnxDTypeName(dataType)}`);
      return void ctx.emit('ConstantOfShape', [], { shape: dims, value: Number(value), dtype }, 0);
    }
    const shape = dims as number[];
    const data = new info.array(shape.reduce((a, b) => a * b, 1));
    (data as { fill(v: unknown): void }).fill(value);
    ctx.setKnown(0, Known.fromArray(dataType, shape, data));
  },
});

defineImporter('Range', {
  import: (ctx) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => {
      const v = ctx.dims(i, ['start', 'limit', 'delta'][i]!);
      if (v.length !== 1) ctx.fail(`input ${i} must be a scalar`);
      return v[0]!;
    });
    if (delta === 0) ctx.fail('delta is 0');
    if (typeof limit === 'string' && typeof start === 'number' && typeof delta === 'number' && Number.isInteger(start) && Number.isInteger(delta)) {
      // A symbolic limit: the count is an expression, the values are computed at run time.
      const count = delta > 0 ? dimCeilDiv(dimSub(limit, start), delta) : dimCeilDiv(dimSub(start, limit), -delta);
      return void symbolicRange(ctx, start, count, delta, ctx.dataType(0), 0);
    }
    if (typeof start !== 'number' || typeof limit !== 'number' || typeof delta !== 'number') {
      return ctx.unsupported('data-dependent shape', `Range(${start}, ${limit}, ${delta}) needs a numeric start and delta`);
    }
    const n = Math.max(Math.ceil((limit! - start!) / delta!), 0);
    const dataType = ctx.dataType(0);
    const elems = Array.from({ length: n }, (_, i) => castElem(start! + i * delta!, dataType));
    ctx.setKnown(0, Known.fromElems(dataType, [n], elems));
  },
});

function importCast(ctx: NodeContext, to: number): void {
  const from = ctx.dataType(0);
  const k = ctx.known(0);
  const elems = k?.elems();
  if (k && elems && !k.isString && to !== T.STRING) {
    // A float holding a symbolic dim still holds that dim; integers truncate numbers only.
    return ctx.setKnown(0, Known.fromElems(to, [...k.shape], elems.map((v) => castElem(v, to))));
  }
  if (from === to) return ctx.alias(0, 0);
  const dtype = kilnDType(to);
  if (!dtype) ctx.unsupported('dtype unsupported', `cast to ${onnxDTypeName(to)}`, 'to', onnxDTypeName(to));
  ctx.emit('Cast', [ctx.value(0)], { to: dtype }, 0);
}

defineImporter('Cast', { import: (ctx) => importCast(ctx, ctx.attrs.int('to') ?? ctx.fail("attribute 'to' is required")) });
defineImporter('CastLike', { import: (ctx) => importCast(ctx, ctx.dataType(1)) });

defineImporter('Identity', { import: (ctx) => ctx.alias(0, 0) });

/** Inference Dropout is the identity; its mask (when asked for) is all true. */
function importDropout(ctx: NodeContext, training: boolean, ratio: () => number): void {
  if (training && ratio() !== 0) ctx.badAttr('training_mode', 1, 'is not supported (inference only)');
  ctx.alias(0, 0);
  if (ctx.outputCount > 1 && ctx.node.output[1]) {
    const shape = ctx.shape(0);
    if (shape.some((d) => typeof d === 'string')) ctx.unsupported('output unsupported', `mask of a symbolic shape [${shape.join(',')}]`);
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    ctx.setKnown(1, Known.fromArray(T.BOOL, shape as number[], new Uint8Array(n).fill(1)));
  }
}

defineImporter('Dropout', {
  import: (ctx) => importDropout(ctx, ctx.opset < 7 && ctx.attrs.int('is_test', 0) === 0, () => ctx.attrs.float('ratio', 0.5)),
});
defineImporter('Dropout', {
  sinceVersion: 12,
  import: (ctx) => {
    const training = ctx.has(2) ? ctx.numbers(2, 'training_mode')[0] !== 0 : false;
    importDropout(ctx, training, () => (ctx.has(1) ? ctx.numbers(1, 'ratio')[0]! : 0.5));
  },
});
