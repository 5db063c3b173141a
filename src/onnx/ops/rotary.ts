// RotaryEmbedding (opset 23) as the layers of ONNX's function body: x as
// [batch, seq, heads, head], the first rotary_embedding_dim channels rotated by the cos
// and sin rows of each position (halves, or even/odd pairs when interleaved), the rest
// passed through, and the input's layout restored.
import type { Dim } from '../../ir/index.js';
import { defineImporter } from '../import/registry.js';
import { reshape } from './helpers.js';

defineImporter('RotaryEmbedding', {
  sinceVersion: 23,
  import: (ctx) => {
    const shape = ctx.shape(0);
    const fourD = shape.length === 4;
    if (!fourD && shape.length !== 3) ctx.fail(`input must be 3-D or 4-D, got rank ${shape.length}`);
    const heads = ctx.attrs.int('num_heads', 0);
    if (!fourD && heads === 0) ctx.fail('a 3-D input needs the num_heads attribute');
    // [batch, seq, heads, head]
    const x = fourD
      ? ctx.emit('Transpose', [ctx.value(0)], { perm: [0, 2, 1, 3] }, 'seq_first')
      : reshape(ctx, ctx.value(0), [shape[0]!, shape[1]!, heads, -1], 'heads');
    const xs = ctx.typeOf(x).shape;
    const head = xs[3];
    if (typeof head !== 'number') return ctx.unsupported('shape unsupported', `the head size must be static, got ${String(head)}`);
    const rot = ctx.attrs.int('rotary_embedding_dim', 0) || head;
    const half = rot / 2;
    const slice = (v: string, start: number, end: number, step: number, axis: number, tag: string) =>
      ctx.emit('Slice', [v], { starts: [start], ends: [end], axes: [axis], steps: [step] }, tag);
    // cos/sin rows [batch, seq, rot/2] (by position, when given), broadcast over heads.
    const table = (i: number, tag: string) => {
      const rows = ctx.has(3) ? ctx.emit('Gather', [ctx.value(i), ctx.value(3)], { axis: 0 }, `${tag}_rows`) : ctx.value(i);
      const rs = ctx.typeOf(rows).shape;
      return reshape(ctx, slice(rows, 0, half, 1, rs.length - 1, `${tag}_half`), [rs[0]!, rs[1]!, 1, half], `${tag}_b`);
    };
    const [cos, sin] = [table(1, 'cos'), table(2, 'sin')];
    const interleaved = ctx.attrs.int('interleaved', 0) !== 0;
    const toRotate = rot === head ? x : slice(x, 0, rot, 1, 3, 'to_rotate');
    const x1 = interleaved ? slice(toRotate, 0, rot, 2, 3, 'x1') : slice(toRotate, 0, half, 1, 3, 'x1');
    const x2 = interleaved ? slice(toRotate, 1, rot, 2, 3, 'x2') : slice(toRotate, half, rot, 1, 3, 'x2');
    const mul = (a: string, b: string, tag: string) => ctx.emit('Mul', [a, b], {}, tag);
    const real = ctx.emit('Sub', [mul(cos, x1, 'cos_x1'), mul(sin, x2, 'sin_x2')], {}, 'real');
    const imag = ctx.emit('Add', [mul(sin, x1, 'sin_x1'), mul(cos, x2, 'cos_x2')], {}, 'imag');
    let rotated: string;
    if (interleaved) {
      const pairShape: Dim[] = [...ctx.typeOf(real).shape, 1];
      const pairs = ctx.emit('Concat', [reshape(ctx, real, pairShape, 'real_pair'), reshape(ctx, imag, pairShape, 'imag_pair')], { axis: 4 }, 'pairs');
      rotated = reshape(ctx, pairs, ctx.typeOf(toRotate).shape, 'rotated');
    } else {
      rotated = ctx.emit('Concat', [real, imag], { axis: 3 }, 'rotated');
    }
    const y = rot === head ? rotated : ctx.emit('Concat', [rotated, slice(x, rot, head, 1, 3, 'pass_through')], { axis: 3 }, 'joined');
    if (fourD) return void ctx.emit('Transpose', [y], { perm: [0, 2, 1, 3] }, 0);
    reshape(ctx, y, shape, 0);
  },
});
