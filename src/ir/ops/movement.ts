// Data movement: Reshape (0 copies a dim, -1 infers one), Transpose, Concat.
import { defineOp } from '../op-registry.js';
import { formatShape, formatType, isStaticShape, normalizeAxis, staticVolume, type Dim, type Shape } from '../shape.js';
import { canonicalDim, dimAdd, dimFloorDiv, dimMul, dimProduct, dimsEqual } from '../dim-expr.js';
import type { Need } from './shape-rules.js';

/** A volume as the user reads it: the dims joined by '*' (`batch*seq*256`). */
const volumeText = (dims: readonly Dim[]) => dims.map((d) => (typeof d === 'string' && /[+-]/.test(d) ? `(${d})` : String(d))).join('*') || '1';

/**
 * Reshape's output shape, or a message. Dims may be expressions; -1 becomes the input
 * volume divided by the rest (`[batch,seq,256]` to `[-1,256]` gives `batch*seq`).
 * Volumes that are equal only for some sizes (`batch*seq*256` vs `batch*128*512`)
 * go to `need`, so the profile check names the sizes that break them.
 */
export function reshapeTarget(input: Shape, target: readonly Dim[], need?: Need): Dim[] | string {
  let out: Dim[];
  try {
    out = target.map((d, i) => (d === 0 ? (input[i] ?? NaN) : typeof d === 'string' ? canonicalDim(d) : d));
  } catch (e) {
    return `shape ${formatShape(target)}: ${(e as Error).message}`;
  }
  if (out.some((d) => Number.isNaN(d))) return `0 in shape ${formatShape(target)} copies a dim the input ${formatShape(input)} does not have`;
  const inferred = out.filter((d) => d === -1).length;
  if (inferred > 1) return `shape ${formatShape(target)} has more than one -1`;
  if (out.some((d) => typeof d === 'number' && (d < -1 || !Number.isInteger(d)))) return `shape ${formatShape(target)} has an invalid dim`;
  const known = out.filter((d) => d !== -1);
  if (isStaticShape(input) && isStaticShape(known)) {
    const [src, dst] = [staticVolume(input), staticVolume(known)];
    if (inferred === 1) {
      if (dst === 0 || src % dst !== 0) return `cannot reshape ${formatShape(input)} (${src} static elements) to ${formatShape(target)}`;
      return out.map((d) => (d === -1 ? src / dst : d));
    }
    if (src !== dst) return `cannot reshape ${formatShape(input)} (${src} static elements) to ${formatShape(target)} (${dst})`;
    return out;
  }
  const src = dimProduct(input);
  const dst = dimProduct(known);
  if (inferred === 1) {
    if (dst === 0) return `cannot reshape ${formatShape(input)} to ${formatShape(target)}: -1 next to a zero-sized dim`;
    const q = dimFloorDiv(src, dst);
    const whole = dimMul(q, dst);
    const eq = dimsEqual(src, whole);
    if (eq === false) return `cannot reshape ${formatShape(input)} to ${formatShape(target)}: ${volumeText(input)} == ${volumeText(out.map((d) => (d === -1 ? q : d)))} never holds`;
    if (eq === undefined) need?.('eq', src, whole, `${volumeText(input)} divisible by ${volumeText(known)}`);
    return out.map((d) => (d === -1 ? q : d));
  }
  const eq = dimsEqual(src, dst);
  const text = () => `${volumeText(input)} == ${volumeText(out)}`;
  if (eq === false) return `cannot reshape ${formatShape(input)} to ${formatShape(target)}: ${text()} never holds`;
  if (eq === undefined) need?.('eq', src, dst, text());
  return out;
}

defineOp({
  name: 'Reshape',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { shape: { kind: 'dims' } },
  infer: ({ inputs, attrs, fail, need }) => {
    const x = inputs[0]!;
    const shape = reshapeTarget(x.shape, attrs.shape as Dim[], need);
    if (typeof shape === 'string') fail(shape, { argument: 'shape', received: formatType(x) });
    return [{ dtype: x.dtype, shape: shape as Dim[] }];
  },
});

defineOp({
  name: 'Transpose',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { perm: { kind: 'ints' } },
  infer: ({ inputs, attrs, fail }) => {
    const x = inputs[0]!;
    const perm = attrs.perm as number[];
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
      fail(`perm [${perm}] is not a permutation of the ${x.shape.length} dims of input 'x' ${formatType(x)}`, { argument: 'perm', received: `[${perm}]` });
    }
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
  },
});

defineOp({
  name: 'Concat',
  group: 'movement',
  inputs: [{ name: 'inputs', variadic: true }],
  attrs: { axis: { kind: 'int' } },
  infer: ({ inputs, attrs, fail, need }) => {
    const first = inputs[0]!;
    const axis = normalizeAxis(attrs.axis as number, first.shape.length);
    if (axis === undefined) fail(`axis ${String(attrs.axis)} is out of range for ${formatType(first)}`, { argument: 'axis' });
    let total: Dim = 0;
    inputs.forEach((t, i) => {
      const ok = t!.dtype === first.dtype && t!.shape.length === first.shape.length && t!.shape.every((d, j) => j === axis || dimsEqual(d, first.shape[j]!) !== false);
      if (!ok) fail(`input ${i} ${formatType(t!)} does not match input 0 ${formatType(first)} outside axis ${axis}`, { argument: `inputs[${i}]`, expected: formatType(first), received: formatType(t!) });
      t!.shape.forEach((d, j) => {
        if (j !== axis && dimsEqual(d, first.shape[j]!) === undefined) need('eq', d, first.shape[j]!, `${d} == ${first.shape[j]} (dim ${j} of input ${i} ${formatType(t!)} and input 0 ${formatType(first)})`);
      });
      total = dimAdd(total, t!.shape[axis!]!);
    });
    return [{ dtype: first.dtype, shape: first.shape.map((d, j) => (j === axis ? total : d)) }];
  },
});
