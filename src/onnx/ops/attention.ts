// Attention (opset 23; nonpad_kv_seqlen in 24) as the layers of ONNX's own function
// body, in its order: heads split from 3-D inputs, past keys/values prepended (the
// present outputs), K/V heads repeated for grouped-query attention, Q and K^T each
// scaled by sqrt(scale), QK^T, softcap, plus the bias (mask, causal triangle, padding),
// softmax with fully masked rows set to 0, times V, heads merged back.
import type { Dim } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { defineImporter } from '../import/registry.js';
import { constOf, requireFloat, reshape, scalarLike } from './helpers.js';

/** Input i as [batch, heads, seq, head_size]; 3-D inputs [batch, seq, heads*size] are split. */
function headsFirst(ctx: NodeContext, i: number, heads: number | undefined, tag: string): string {
  const rank = ctx.rank(i);
  if (rank === 4) return ctx.value(i);
  if (rank !== 3) ctx.fail(`input ${i} must be 3-D or 4-D, got rank ${rank}`);
  if (!heads) ctx.fail('3-D inputs need the q_num_heads and kv_num_heads attributes');
  const [b, s] = ctx.shape(i);
  return ctx.emit('Transpose', [reshape(ctx, ctx.value(i), [b!, s!, heads, -1], `${tag}_split`)], { perm: [0, 2, 1, 3] }, `${tag}_heads`);
}

function staticDim(ctx: NodeContext, d: Dim | undefined, what: string): number {
  if (typeof d !== 'number') return ctx.unsupported('shape unsupported', `${what} must be static, got ${String(d)}`);
  return d;
}

/** The additive bias: mask (bool -> 0/-inf, padded to the total length), causal triangle, key padding. */
function attentionBias(ctx: NodeContext, like: string, qSeq: number, total: number, past: number): string | undefined {
  const parts: string[] = [];
  const neg = () => scalarLike(ctx, like, -Infinity, 'neg_inf');
  const zero = () => scalarLike(ctx, like, 0, 'zero');
  if (ctx.has(3)) {
    let mask = ctx.value(3);
    if (ctx.type(3).dtype === 'bool') mask = ctx.emit('Where', [mask, zero(), neg()], {}, 'mask_bias');
    const shape = ctx.typeOf(mask).shape;
    const short = total - staticDim(ctx, shape[shape.length - 1], 'the mask length');
    if (short > 0) {
      const pads = new Array<number>(2 * shape.length).fill(0);
      pads[2 * shape.length - 1] = short;
      mask = ctx.emit('Pad', [mask], { pads, mode: 'constant', value: -Infinity, axes: [] }, 'mask_padded');
    }
    parts.push(mask);
  }
  const nonpad = ctx.has(6) ? ctx.value(6) : undefined;
  const index = (n: number, axis: number, tag: string) => constOf(ctx, tag, 'i64', [1, 1, 1, 1].map((_, a) => (a === axis ? n : 1)), Array.from({ length: n }, (_, k) => k));
  const perBatch = (v: string, tag: string) => reshape(ctx, v, [-1, 1, 1, 1], tag);
  if (ctx.attrs.int('is_causal', 0) !== 0) {
    if (nonpad) {
      const offset = perBatch(ctx.emit('Sub', [nonpad, constOf(ctx, 'q_seq', 'i64', [], [qSeq])], {}, 'causal_offset'), 'causal_offset4d');
      const rows = ctx.emit('Add', [index(qSeq, 2, 'rows'), offset], {}, 'rows_offset');
      parts.push(ctx.emit('Where', [ctx.emit('Less', [rows, index(total, 3, 'cols')], {}, 'above'), neg(), zero()], {}, 'causal'));
    } else {
      const tri = Array.from({ length: qSeq * total }, (_, k) => (k % total > Math.floor(k / total) + past ? -Infinity : 0));
      parts.push(constOf(ctx, 'causal', ctx.typeOf(like).dtype, [qSeq, total], tri));
    }
  }
  if (nonpad) {
    const valid = ctx.emit('Less', [index(total, 3, 'keys'), perBatch(nonpad, 'kv_len')], {}, 'valid_keys');
    parts.push(ctx.emit('Where', [valid, zero(), neg()], {}, 'padding'));
  }
  return parts.reduce<string | undefined>((acc, p) => (acc ? ctx.emit('Add', [acc, p], {}, 'bias') : p), undefined);
}

defineImporter('Attention', {
  sinceVersion: 23,
  import: (ctx) => {
    requireFloat(ctx, 0);
    const threeD = ctx.rank(0) === 3;
    const qHeads = ctx.attrs.int('q_num_heads');
    const kvHeads = ctx.attrs.int('kv_num_heads');
    const q = headsFirst(ctx, 0, qHeads, 'q');
    let k = headsFirst(ctx, 1, kvHeads, 'k');
    let v = headsFirst(ctx, 2, kvHeads, 'v');
    const out = (i: number, tag: string) => (ctx.node.output[i] ? i : tag);
    if (ctx.has(4)) k = ctx.emit('Concat', [ctx.value(4), k], { axis: 2 }, out(1, 'present_key'));
    else if (ctx.node.output[1]) ctx.output(1, k);
    if (ctx.has(5)) v = ctx.emit('Concat', [ctx.value(5), v], { axis: 2 }, out(2, 'present_value'));
    else if (ctx.node.output[2]) ctx.output(2, v);

    const [, heads, qSeqDim, headSize] = ctx.typeOf(q).shape;
    const kvShape = ctx.typeOf(k).shape;
    const total = staticDim(ctx, kvShape[2], 'the key sequence length');
    const qSeq = staticDim(ctx, qSeqDim, 'the query sequence length');
    const past = ctx.has(4) ? staticDim(ctx, ctx.shape(4)[2], 'the past sequence length') : 0;
    if (heads !== kvShape[1]) {
      const group = staticDim(ctx, heads, 'q_num_heads') / staticDim(ctx, kvShape[1], 'kv_num_heads');
      if (!Number.isInteger(group)) ctx.fail(`${heads} query heads are not a multiple of ${kvShape[1]} key/value heads`);
      // Each key/value head serves `group` consecutive query heads.
      const repeat = (x: string, tag: string) => {
        const [b, h, t, d] = ctx.typeOf(x).shape;
        const expanded = ctx.emit('Expand', [reshape(ctx, x, [b!, h!, 1, t!, d!], `${tag}_unsq`)], { shape: [1, 1, group, 1, 1] }, `${tag}_expanded`);
        return reshape(ctx, expanded, [b!, heads!, t!, d!], `${tag}_grouped`);
      };
      k = repeat(k, 'k');
      v = repeat(v, 'v');
    }

    const root = Math.sqrt(ctx.attrs.float('scale') ?? 1 / Math.sqrt(staticDim(ctx, headSize, 'the head size')));
    const kt = ctx.emit('Transpose', [k], { perm: [0, 1, 3, 2] }, 'k_t');
    const qk = ctx.emit('MatMul', [ctx.emit('Mul', [q, scalarLike(ctx, q, root, 'scale')], {}, 'q_scaled'), ctx.emit('Mul', [kt, scalarLike(ctx, q, root, 'scale')], {}, 'k_scaled')], {}, 'qk');
    const softcap = ctx.attrs.float('softcap', 0);
    const capped = softcap > 0
      ? ctx.emit('Mul', [ctx.emit('Tanh', [ctx.emit('Div', [qk, scalarLike(ctx, q, softcap, 'softcap')], {}, 'qk_div')], {}, 'qk_tanh'), scalarLike(ctx, q, softcap, 'softcap')], {}, 'qk_capped')
      : qk;
    const bias = attentionBias(ctx, q, qSeq, total, past);
    const biased = bias ? ctx.emit('Add', [capped, bias], {}, 'qk_biased') : capped;
    let probs = ctx.emit('Softmax', [biased], { axis: -1 }, 'probs');
    if (bias) {
      const rowMax = ctx.emit('Reduce', [bias], { mode: 'max', axes: [-1], keepDims: true }, 'bias_row_max');
      const masked = ctx.emit('Equal', [rowMax, scalarLike(ctx, q, -Infinity, 'neg_inf')], {}, 'row_masked');
      probs = ctx.emit('Where', [masked, scalarLike(ctx, q, 0, 'zero'), probs], {}, 'probs_safe');
    }
    if (ctx.node.output[3]) {
      const mode = ctx.attrs.int('qk_matmul_output_mode', 0);
      if (mode < 0 || mode > 3) ctx.badAttr('qk_matmul_output_mode', mode);
      ctx.output(3, [qk, capped, biased, probs][mode]!);
    }
    const y = ctx.emit('MatMul', [probs, v], {}, threeD ? 'y_heads' : 0);
    if (!threeD) return;
    const [b, , s] = ctx.typeOf(y).shape;
    reshape(ctx, ctx.emit('Transpose', [y], { perm: [0, 2, 1, 3] }, 'y_seq_first'), [b!, s!, -1], 0);
  },
});
