// Einsum (opset 12+), lowered onto IR Transpose, Reshape, Reduce and MatMul. Operands
// fold pairwise left to right: each pair becomes one batched MatMul of
// [batch, free, contracted] layouts, with letters used by one operand only summed first.
// Diagonals (a letter repeated in one term) are reported unsupported, never computed wrong.
import { dimProduct, type Dim } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';
import { reshape } from './helpers.js';

/** An IR value with one einsum label per axis. */
interface Operand { v: string; labels: string[]; shape: Dim[] }

interface Parsed { inputs: string[][]; output: string[] }

/** Splits a term into labels; '...' becomes the ellipsis marker '.'. Undefined when malformed. */
function termLabels(term: string): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('...', i)) { out.push('.'); i += 2; continue; }
    if (!/[a-zA-Z]/.test(term[i]!)) return undefined;
    out.push(term[i]!);
  }
  return out.filter((l) => l === '.').length > 1 ? undefined : out;
}

/**
 * Parses the equation and expands each '...' into per-axis labels ('.0', '.1', ...)
 * aligned from the right, as numpy broadcasts them.
 */
function parse(ctx: NodeContext, eq: string): Parsed {
  const s = eq.replace(/\s+/g, '');
  const [lhs, rhs, extra] = s.split('->');
  if (extra !== undefined) ctx.fail(`equation '${eq}' has more than one '->'`);
  const terms = lhs!.split(',').map(termLabels);
  if (terms.length !== ctx.inputCount) ctx.fail(`equation '${eq}' names ${terms.length} operands, the node has ${ctx.inputCount}`);
  if (terms.some((t) => !t)) ctx.fail(`equation '${eq}' is malformed`);
  let ell = 0;
  const inputs = (terms as string[][]).map((t, i) => {
    const named = t.filter((l) => l !== '.').length;
    const rank = ctx.rank(i);
    const n = t.includes('.') ? rank - named : 0;
    if (n < 0 || (!t.includes('.') && named !== rank)) ctx.fail(`term ${i} of '${eq}' has ${named} letters, input ${i} has rank ${rank}`);
    ell = Math.max(ell, n);
    return { t, n };
  });
  const expand = (t: string[], n: number) => t.flatMap((l) => (l === '.' ? Array.from({ length: n }, (_, k) => `.${ell - n + k}`) : [l]));
  const ellLabels = Array.from({ length: ell }, (_, k) => `.${k}`);
  const expanded = inputs.map(({ t, n }) => expand(t, n));
  for (const t of expanded) {
    if (new Set(t).size !== t.length) ctx.badAttr('equation', eq, 'repeats a letter within one term (a diagonal), which is not supported');
  }
  let output: string[];
  if (rhs === undefined) {
    // Implicit form: broadcast dims first, then letters used exactly once, sorted.
    const count = new Map<string, number>();
    for (const t of expanded) for (const l of t) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([l, c]) => c === 1 && !l.startsWith('.')).map(([l]) => l).sort();
    output = [...ellLabels, ...once];
  } else {
    const o = termLabels(rhs);
    if (!o) ctx.fail(`equation '${eq}' has a malformed output term`);
    if (!o.includes('.') && ell > 0) ctx.badAttr('equation', eq, "sums broadcast ('...') dims away, which is not supported");
    output = expand(o, ell);
    if (new Set(output).size !== output.length) ctx.fail(`equation '${eq}' repeats a letter in its output`);
    const used = new Set(expanded.flat());
    const missing = output.filter((l) => !used.has(l) && !l.startsWith('.'));
    if (missing.length) ctx.fail(`equation '${eq}' outputs letters [${missing.join(',')}] no operand has`);
  }
  return { inputs: expanded, output };
}

const product = dimProduct;

const sizeOf = (op: Operand, l: string) => op.shape[op.labels.indexOf(l)]!;

function reshapeTo(ctx: NodeContext, op: Operand, labels: string[], shape: Dim[], tag: string): Operand {
  const same = shape.length === op.shape.length && shape.every((d, i) => d === op.shape[i]);
  return { v: same ? op.v : reshape(ctx, op.v, shape, tag), labels, shape };
}

function transposeTo(ctx: NodeContext, op: Operand, order: string[], tag: string): Operand {
  const perm = order.map((l) => op.labels.indexOf(l));
  if (perm.every((p, i) => p === i)) return op;
  const v = ctx.emit('Transpose', [op.v], { perm }, tag);
  return { v, labels: order, shape: perm.map((p) => op.shape[p]!) };
}

/** Sums away `labels` (letters nothing later reads). */
function sumAway(ctx: NodeContext, op: Operand, labels: string[], tag: string): Operand {
  if (labels.length === 0) return op;
  const axes = labels.map((l) => op.labels.indexOf(l));
  const v = ctx.emit('Reduce', [op.v], { mode: 'sum', axes, keepDims: false }, tag);
  const keep = op.labels.map((_, i) => i).filter((i) => !axes.includes(i));
  return { v, labels: keep.map((i) => op.labels[i]!), shape: keep.map((i) => op.shape[i]!) };
}

/** Drops size-1 axes that broadcast against the other operand: the letter is then simply absent here. */
function dropBroadcast(ctx: NodeContext, op: Operand, other: Operand, tag: string): Operand {
  const drop = op.labels.filter((l) => other.labels.includes(l) && sizeOf(op, l) === 1 && sizeOf(other, l) !== 1);
  if (drop.length === 0) return op;
  const labels = op.labels.filter((l) => !drop.includes(l));
  return reshapeTo(ctx, op, labels, labels.map((l) => sizeOf(op, l)), tag);
}

/** a ⊗ b summed over shared letters outside `keep`: one batched MatMul. */
function contract(ctx: NodeContext, a0: Operand, b0: Operand, keep: Set<string>, step: number): Operand {
  let a = dropBroadcast(ctx, a0, b0, `s${step}_a_bcast`);
  let b = dropBroadcast(ctx, b0, a, `s${step}_b_bcast`);
  for (const l of a.labels) {
    const [da, db] = [sizeOf(a, l), b.labels.includes(l) ? sizeOf(b, l) : undefined];
    if (typeof da === 'number' && typeof db === 'number' && da !== db) ctx.fail(`letter '${l}' has size ${da} in one operand and ${db} in the other`);
  }
  a = sumAway(ctx, a, a.labels.filter((l) => !keep.has(l) && !b.labels.includes(l)), `s${step}_a_sum`);
  b = sumAway(ctx, b, b.labels.filter((l) => !keep.has(l) && !a.labels.includes(l)), `s${step}_b_sum`);
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => keep.has(l));
  const contracted = shared.filter((l) => !keep.has(l));
  const freeA = a.labels.filter((l) => !shared.includes(l));
  const freeB = b.labels.filter((l) => !shared.includes(l));
  const dims = (op: Operand, ls: string[]) => ls.map((l) => sizeOf(op, l));
  const [bs, m, k, n] = [product(dims(a, batch)), product(dims(a, freeA)), product(dims(a, contracted)), product(dims(b, freeB))];
  const outShape = [...dims(a, batch), ...dims(a, freeA), ...dims(b, freeB)];
  a = transposeTo(ctx, a, [...batch, ...freeA, ...contracted], `s${step}_a_perm`);
  // No batch letters: plain 2-D operands, so a matrix product needs no reshapes.
  const lead = batch.length ? [bs] : [];
  a = reshapeTo(ctx, a, [], [...lead, m, k], `s${step}_a_3d`);
  // B as [batch, K, N] when already laid out so; otherwise [batch, N, K] read with transB.
  const plain = [...batch, ...contracted, ...freeB];
  const transB = !plain.every((l, i) => b.labels[i] === l);
  b = transposeTo(ctx, b, transB ? [...batch, ...freeB, ...contracted] : plain, `s${step}_b_perm`);
  b = reshapeTo(ctx, b, [], transB ? [...lead, n, k] : [...lead, k, n], `s${step}_b_3d`);
  const v = ctx.emit('MatMul', [a.v, b.v], { transA: false, transB }, `s${step}_matmul`);
  const labels = [...batch, ...freeA, ...freeB];
  return reshapeTo(ctx, { v, labels: [], shape: [...lead, m, n] }, labels, outShape, `s${step}_unflat`);
}

defineImporter('Einsum', {
  sinceVersion: 12,
  import: (ctx) => {
    const eq = ctx.attrs.string('equation') ?? ctx.fail("attribute 'equation' is required");
    const { inputs, output } = parse(ctx, eq);
    for (let i = 0; i < ctx.inputCount; i++) ctx.type(i);
    let acc: Operand = { v: ctx.value(0), labels: inputs[0]!, shape: [...ctx.shape(0)] };
    for (let i = 1; i < inputs.length; i++) {
      const keep = new Set([...output, ...inputs.slice(i + 1).flat()]);
      acc = contract(ctx, acc, { v: ctx.value(i), labels: inputs[i]!, shape: [...ctx.shape(i)] }, keep, i);
    }
    acc = sumAway(ctx, acc, acc.labels.filter((l) => !output.includes(l)), 'sum');
    const missing = output.filter((l) => !acc.labels.includes(l));
    // An output broadcast dim no operand had (all '...' of size 0) cannot arise; any other miss is a parse bug.
    if (missing.length) ctx.fail(`equation '${eq}': output letters [${missing.join(',')}] were lost`);
    acc = transposeTo(ctx, acc, output, 'perm');
    if (acc.v === ctx.value(0) && inputs.length === 1) return void ctx.alias(0, 0);
    ctx.output(0, acc.v);
  },
});
