// Data movement: Reshape (0 copies a dim, -1 infers one), Transpose, Concat.
import { defineOp } from '../op-registry.js';
import { formatShape, formatType, normalizeAxis, type Dim, type Shape } from '../shape.js';

/** Symbols (with multiplicity) and the static product of a shape. */
function factor(shape: Shape): { symbols: string[]; product: number } {
  const symbols: string[] = [];
  let product = 1;
  for (const d of shape) {
    if (typeof d === 'string') symbols.push(d);
    else product *= d;
  }
  return { symbols: symbols.sort(), product };
}

/** Reshape's output shape, or a message. Symbolic volumes must match symbol for symbol. */
export function reshapeTarget(input: Shape, target: readonly Dim[]): Dim[] | string {
  const out: Dim[] = target.map((d, i) => (d === 0 ? (input[i] ?? NaN) : d));
  if (out.some((d) => Number.isNaN(d))) return `0 in shape ${formatShape(target)} copies a dim the input ${formatShape(input)} does not have`;
  const inferred = out.filter((d) => d === -1).length;
  if (inferred > 1) return `shape ${formatShape(target)} has more than one -1`;
  if (out.some((d) => typeof d === 'number' && (d < -1 || !Number.isInteger(d)))) return `shape ${formatShape(target)} has an invalid dim`;
  const src = factor(input);
  const dst = factor(out.filter((d) => d !== -1));
  if (src.symbols.join('*') !== dst.symbols.join('*')) {
    return `cannot reshape ${formatShape(input)} to ${formatShape(target)}: symbolic dims ${src.symbols.join('*') || 'none'} vs ${dst.symbols.join('*') || 'none'}`;
  }
  if (inferred === 1) {
    if (dst.product === 0 || src.product % dst.product !== 0) return `cannot reshape ${formatShape(input)} (${src.product} static elements) to ${formatShape(target)}`;
    return out.map((d) => (d === -1 ? src.product / dst.product : d));
  }
  if (src.product !== dst.product) return `cannot reshape ${formatShape(input)} (${src.product} static elements) to ${formatShape(target)} (${dst.product})`;
  return out;
}

defineOp({
  name: 'Reshape',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { shape: { kind: 'dims' } },
  infer: ({ inputs, attrs, fail }) => {
    const x = inputs[0]!;
    const shape = reshapeTarget(x.shape, attrs.shape as Dim[]);
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
  infer: ({ inputs, attrs, fail }) => {
    const first = inputs[0]!;
    const axis = normalizeAxis(attrs.axis as number, first.shape.length);
    if (axis === undefined) fail(`axis ${String(attrs.axis)} is out of range for ${formatType(first)}`, { argument: 'axis' });
    let total: Dim = 0;
    inputs.forEach((t, i) => {
      const ok = t!.dtype === first.dtype && t!.shape.length === first.shape.length && t!.shape.every((d, j) => j === axis || d === first.shape[j]);
      if (!ok) fail(`input ${i} ${formatType(t!)} does not match input 0 ${formatType(first)} outside axis ${axis}`, { argument: `inputs[${i}]`, expected: formatType(first), received: formatType(t!) });
      const d = t!.shape[axis!]!;
      total = typeof total === 'number' && typeof d === 'number' ? total + d : `${total}+${d}`;
    });
    if (typeof total === 'string') fail(`concatenation along symbolic dim ${axis} is not supported yet`, { argument: 'axis' });
    return [{ dtype: first.dtype, shape: first.shape.map((d, j) => (j === axis ? total : d)) }];
  },
});
