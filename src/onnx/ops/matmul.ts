// MatMul (numpy semantics, 1-D operands promoted and squeezed back) and Gemm, which
// becomes one IR MatMul with transA/transB and a [N] bias where it can:
// Y = alpha*op(A)*op(B) + beta*C. alpha folds into a constant B (and beta into a
// constant C) at import; otherwise they stay as Mul layers.
import type { Dim } from '../../ir/index.js';
import { defineImporter } from '../import/registry.js';
import { reshape, scalarLike } from './helpers.js';

defineImporter('MatMul', {
  import: (ctx) => {
    const [ra, rb] = [ctx.rank(0), ctx.rank(1)];
    let a = ctx.value(0);
    let b = ctx.value(1);
    if (ra >= 2 && rb >= 2) return void ctx.emit('MatMul', [a, b], {}, 0);
    if (ra === 0 || rb === 0) ctx.fail('MatMul inputs must have rank >= 1');
    if (ra === 1) a = reshape(ctx, a, [1, ctx.shape(0)[0]!], 'a2d');
    if (rb === 1) b = reshape(ctx, b, [ctx.shape(1)[0]!, 1], 'b2d');
    const y = ctx.emit('MatMul', [a, b], {}, 'matmul');
    const shape: Dim[] = [...ctx.typeOf(y).shape];
    if (rb === 1) shape.splice(-1, 1);
    if (ra === 1) shape.splice(-2 + (rb === 1 ? 1 : 0), 1);
    reshape(ctx, y, shape, 0);
  },
});

defineImporter('Gemm', {
  import: (ctx) => {
    if (ctx.rank(0) !== 2 || ctx.rank(1) !== 2) ctx.fail(`A and B must be matrices, got ranks ${ctx.rank(0)} and ${ctx.rank(1)}`);
    const alpha = ctx.attrs.float('alpha', 1);
    const beta = ctx.attrs.float('beta', 1);
    const transA = ctx.attrs.int('transA', 0) !== 0;
    const transB = ctx.attrs.int('transB', 0) !== 0;
    const g = ctx.state.graph;
    const a = ctx.value(0);
    let b = ctx.value(1);
    let scaleAfter = alpha !== 1;
    if (scaleAfter && g.isConstant(b)) {
      b = ctx.emit('Mul', [b, scalarLike(ctx, b, alpha, 'alpha')], {}, 'alpha_b');
      scaleAfter = false;
    }
    const n = ctx.shape(1)[transB ? 0 : 1]!;
    let c: string | undefined;
    let bias: string | undefined;
    if (ctx.has(2) && beta !== 0) {
      c = ctx.value(2);
      if (beta !== 1) c = ctx.emit('Mul', [c, scalarLike(ctx, c, beta, 'beta')], {}, 'beta_c');
      const cs = ctx.typeOf(c).shape;
      const isRow = (cs.length === 1 && cs[0] === n) || (cs.length === 2 && cs[0] === 1 && cs[1] === n);
      if (isRow && typeof n === 'number' && !scaleAfter) {
        bias = cs.length === 1 ? c : reshape(ctx, c, [n], 'bias');
        c = undefined;
      }
    }
    const attrs = { transA, transB };
    const last = !scaleAfter && !c;
    let y = ctx.emit('MatMul', bias ? [a, b, bias] : [a, b], attrs, last ? 0 : 'matmul');
    if (scaleAfter) y = ctx.emit('Mul', [y, scalarLike(ctx, y, alpha, 'alpha')], {}, c ? 'scaled' : 0);
    if (c) ctx.emit('Add', [y, c], {}, 0);
  },
});
