// Helpers the op importers share: axes, constants of a dtype, reshapes with symbolic
// dims, the known-value fast path for elementwise ops, and the ONNX inputs that older
// opsets gave as attributes.
import { dimProduct, normalizeAxis, type DType, type Dim, type TypedArray } from '../../ir/index.js';
import { kilnDType, onnxDTypeName } from '../proto/dtypes.js';
import { tensor } from '../../interpret/index.js';
import type { NodeContext } from '../import/context.js';
import { castElem, Known } from '../import/known.js';
import { mapBroadcast, type Elems } from '../import/known-ops.js';

export function axisOf(ctx: NodeContext, axis: number, rank: number, what = 'axis'): number {
  const a = normalizeAxis(axis, rank);
  if (a === undefined) ctx.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** An IR constant of a kiln dtype from plain numbers. */
export function constOf(ctx: NodeContext, hint: string, dtype: DType, shape: number[], values: readonly number[]): string {
  const t = tensor(dtype, shape, values);
  return ctx.constant(hint, { dtype, shape }, t.data as TypedArray);
}

/** A scalar of the dtype of IR value `like`, broadcastable against anything. */
export function scalarLike(ctx: NodeContext, like: string, v: number, hint = 'scalar'): string {
  return constOf(ctx, hint, ctx.typeOf(like).dtype, [], [v]);
}

/** The known elements of input i, if all of it is known and listable. */
export function elemsOf(ctx: NodeContext, i: number): Elems | undefined {
  const k = ctx.known(i);
  const elems = k?.elems();
  return k && elems ? { shape: [...k.shape], elems } : undefined;
}

/** Evaluates an elementwise op on known inputs at import; false when some input is unknown. */
export function knownElementwise(ctx: NodeContext, outType: number, fn: (...xs: Dim[]) => Dim | undefined): boolean {
  const inputs: Elems[] = [];
  for (let i = 0; i < ctx.inputCount; i++) {
    const e = elemsOf(ctx, i);
    if (!e) return false;
    inputs.push(e);
  }
  const r = mapBroadcast(inputs, fn);
  if (!r) return false;
  ctx.setKnown(0, Known.fromElems(outType, r.shape, r.elems.map((v) => castElem(v, outType))));
  return true;
}

/** Ints from input i (newer opsets) or from an attribute (older ones); undefined when neither is given. */
export function intsInputOrAttr(ctx: NodeContext, i: number, attr: string, inputSince: number): number[] | undefined {
  if (ctx.opset >= inputSince) return ctx.has(i) ? ctx.numbers(i, attr) : undefined;
  return ctx.attrs.ints(attr);
}

/** Emits a Reshape of `x` to `shape`: numbers, -1 and dim expressions (`batch*seq`) alike. */
export function reshape(ctx: NodeContext, x: string, shape: readonly Dim[], out?: number | string): string {
  if (shape.filter((d) => d === -1).length > 1) ctx.unsupported('shape unsupported', `reshape to [${shape.join(',')}] needs more than one inferred dim`);
  return ctx.emit('Reshape', [x], { shape: [...shape] }, out);
}

/** [prod(dims before axis), prod(dims from axis)] with symbolic dims folded into expressions. */
export function flattenShape(shape: readonly Dim[], axis: number): Dim[] {
  return [dimProduct(shape.slice(0, axis)), dimProduct(shape.slice(axis))];
}

/**
 * start, start+delta, ... (`count` values, a symbolic dim) as layers: a run of
 * `delta`s (ConstantOfShape), its exclusive prefix sum, plus `start`. This is Range
 * with a size known only at run time (position ids of [batch, seq] inputs).
 */
export function symbolicRange(ctx: NodeContext, start: number, count: Dim, delta: number, dataType: number, out?: number): string {
  const dtype = kilnDType(dataType);
  if (!dtype) return ctx.unsupported('dtype unsupported', `a range of ${onnxDTypeName(dataType)}`);
  const steps = ctx.emit('ConstantOfShape', [], { shape: [count], value: delta, dtype }, 'steps');
  if (start === 0) return ctx.emit('CumSum', [steps], { axis: 0, exclusive: true }, out);
  const offsets = ctx.emit('CumSum', [steps], { axis: 0, exclusive: true }, 'offsets');
  return ctx.emit('Add', [offsets, constOf(ctx, 'start', dtype, [], [start])], {}, out);
}

/** A dtype-checked float input: activations and normalizations are float-only in ONNX and kiln. */
export function requireFloat(ctx: NodeContext, i: number): void {
  const { dtype } = ctx.type(i);
  if (dtype !== 'f32' && dtype !== 'f16' && dtype !== 'bf16') ctx.unsupported('dtype unsupported', `input ${i} '${ctx.inputName(i)}' is ${dtype}; ${ctx.opType} needs a float tensor`);
}

/** Per-spatial-dim list attribute, defaulting to `fill`. */
export function spatialAttr(ctx: NodeContext, name: string, n: number, fill: number): number[] {
  const v = ctx.attrs.ints(name, []);
  if (v.length === 0) return new Array<number>(n).fill(fill);
  if (v.length !== n) ctx.fail(`attribute '${name}' has ${v.length} values for ${n} spatial dims`);
  return v;
}
