// Reshape-like ops and Transpose/Concat. Reshape, Flatten, Squeeze and Unsqueeze all
// become one IR Reshape (or nothing, when the shape does not change); each also works
// on known values, which is how shape vectors get unsqueezed and concatenated at import.
import { dimFloorDiv, dimMul, dimProduct, dimsEqual, shapesEqual, type Dim } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { Known } from '../import/known.js';
import { concatElems, transposeElems } from '../import/known-ops.js';
import { defineImporter } from '../import/registry.js';
import { axisOf, elemsOf, flattenShape, intsInputOrAttr, reshape } from './helpers.js';

/** Output 0 is input 0 with a new shape: a known value, an alias, or a Reshape layer. */
function reshapeTo(ctx: NodeContext, shape: readonly Dim[]): void {
  const k = ctx.known(0);
  if (k && shape.every((d) => typeof d === 'number')) {
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    if (n !== k.size) ctx.fail(`cannot reshape ${k.size} elements to [${shape.join(',')}]`);
    const e = k.elems();
    return ctx.setKnown(0, e ? Known.fromElems(k.dataType, shape as number[], e) : Known.fromArray(k.dataType, shape as number[], k.array()));
  }
  if (shapesEqual(shape, ctx.shape(0))) return ctx.alias(0, 0);
  reshape(ctx, ctx.value(0), shape, 0);
}

/** Resolves 0 (copy) and -1 (infer) in a Reshape target against the input shape where it can. */
function resolveTarget(ctx: NodeContext, input: readonly Dim[], target: readonly Dim[], allowZero: boolean): Dim[] {
  const out = target.map((d, i) => {
    if (d !== 0 || allowZero) return d;
    if (i >= input.length) ctx.fail(`shape [${target.join(',')}] copies dim ${i} (0), which input of rank ${input.length} lacks`);
    return input[i]!;
  });
  if (allowZero && out.includes(0) && out.includes(-1)) ctx.fail(`shape [${target.join(',')}] has both 0 (allowzero) and -1`);
  const inferred = out.indexOf(-1);
  if (inferred < 0 || out.indexOf(-1, inferred + 1) >= 0) return out;
  // -1 takes what the other dims leave (`batch*seq` of [batch,seq,256] to [-1,256]) when that divides exactly.
  const whole = dimProduct(input);
  const rest = dimProduct(out.filter((_, i) => i !== inferred));
  if (rest === 0) return out;
  const q = dimFloorDiv(whole, rest);
  if (dimsEqual(dimMul(q, rest), whole) === true) out[inferred] = q;
  return out;
}

defineImporter('Reshape', {
  import: (ctx) => {
    const allowZero = ctx.opset >= 14 && ctx.attrs.int('allowzero', 0) !== 0;
    reshapeTo(ctx, resolveTarget(ctx, ctx.shape(0), ctx.dims(1, 'shape'), allowZero));
  },
});

defineImporter('Flatten', {
  import: (ctx) => {
    const shape = ctx.shape(0);
    const axis = ctx.attrs.int('axis', 1);
    const a = axis === shape.length ? axis : axisOf(ctx, axis, shape.length);
    reshapeTo(ctx, flattenShape(shape, a));
  },
});

defineImporter('Squeeze', {
  import: (ctx) => {
    const shape = ctx.shape(0);
    const given = intsInputOrAttr(ctx, 1, 'axes', 13);
    const axes = given ? given.map((a) => axisOf(ctx, a, shape.length)) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of axes) if (typeof shape[a] === 'number' && shape[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of size ${shape[a]}`);
    reshapeTo(ctx, shape.filter((_, i) => !axes.includes(i)));
  },
});

defineImporter('Unsqueeze', {
  import: (ctx) => {
    const shape = ctx.shape(0);
    const given = intsInputOrAttr(ctx, 1, 'axes', 13) ?? ctx.fail('axes are required');
    const rank = shape.length + given.length;
    const axes = given.map((a) => axisOf(ctx, a, rank));
    if (new Set(axes).size !== axes.length) ctx.fail(`axes [${given}] repeat an axis`);
    const out: Dim[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : shape[next++]!);
    reshapeTo(ctx, out);
  },
});

defineImporter('Transpose', {
  import: (ctx) => {
    const rank = ctx.rank(0);
    const perm = ctx.attrs.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const e = elemsOf(ctx, 0);
    if (e && perm.length === rank) {
      const t = transposeElems(e, perm);
      return ctx.setKnown(0, Known.fromElems(ctx.dataType(0), t.shape, t.elems));
    }
    if (perm.every((p, i) => p === i)) return ctx.alias(0, 0);
    ctx.emit('Transpose', [ctx.value(0)], { perm }, 0);
  },
});

defineImporter('Concat', {
  import: (ctx) => {
    const rank = ctx.rank(0);
    const axis = axisOf(ctx, ctx.attrs.int('axis') ?? ctx.fail("attribute 'axis' is required"), rank);
    const parts = Array.from({ length: ctx.inputCount }, (_, i) => (ctx.has(i) ? elemsOf(ctx, i) : undefined));
    if (parts.every((p) => p !== undefined)) {
      const r = concatElems(parts, axis);
      return ctx.setKnown(0, Known.fromElems(ctx.dataType(0), r.shape, r.elems));
    }
    const inputs = Array.from({ length: ctx.inputCount }, (_, i) => i).filter((i) => ctx.has(i) && ctx.shape(i)[axis] !== 0);
    if (inputs.length === 1) return ctx.alias(0, inputs[0]!);
    ctx.emit('Concat', inputs.map((i) => ctx.value(i)), { axis }, 0);
  },
});
