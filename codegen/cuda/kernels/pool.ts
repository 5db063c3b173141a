// Max and average pooling over 1-D or 2-D windows (1-D runs as 2-D with height 1).
// One thread per output element, the window loops fully unrolled (sizes are
// constants). Max ignores padding; average divides by the real element count, or
// by the window volume with countIncludePad, as native/cpu/kernel-pool.cc does.
// poolNhwc (a pool inside an NHWC region) is the same with channels fastest, so a warp
// reads and writes neighbouring channels of one pixel.
import { POOL_MODE_CODES } from '../../plan-desc.js';
import { CUDA_DIALECT as D } from '../dialect.js';
import { f32, elementwiseLaunch, gridStride, indexType, numel, renderKernel, ELEMENTWISE_THREADS } from '../render.js';
import { cudaTemplate, requireF32, unsupported, type EmittedKernel, type KernelCtx } from '../template.js';

const renderPool = (nhwc: boolean) => (ctx: KernelCtx): EmittedKernel[] => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  if (nhwc && ctx.layer.ints[0] !== 2) unsupported(ctx, 'expects 2 spatial dims');
  const ints = ctx.layer.ints;
  const ns = ints[0]!;
  if (ns > 2) unsupported(ctx, `has no ${ns}-D pooling kernel yet`);
  const mode = ints[1]!, includePad = ints[2]! === 1;
  const take = (from: number) => ints.slice(from, from + ns);
  const two = (v: number[], fill: number) => (ns === 1 ? [fill, v[0]!] : v);
  const [KH, KW] = two(take(3), 1), [SH, SW] = two(take(3 + ns), 1), [PH, PW] = two(take(3 + 3 * ns), 0);
  const x = ctx.ins[0]!, y = ctx.outs[0]!;
  // NCHW [N,C,H,W] (or [N,C,W]); NHWC [N,H,W,C] with C channels fastest.
  const [H, W] = nhwc ? [x.shape[1]!, x.shape[2]!] : ns === 1 ? [1, x.shape[2]!] : [x.shape[2]!, x.shape[3]!];
  const [OH, OW] = nhwc ? [y.shape[1]!, y.shape[2]!] : ns === 1 ? [1, y.shape[2]!] : [y.shape[2]!, y.shape[3]!];
  const C = nhwc ? x.shape[3]! : 1;
  const n = numel(y.shape);
  const I = indexType(numel(x.shape), n);
  const max = mode === POOL_MODE_CODES.max;
  const body = gridStride(I, n, [
    ...(nhwc ? [
      `const int c = i % ${C};`,
      `const ${I} pix = i / ${C};`,
      `const int ow = pix % ${OW}, oh = (pix / ${OW}) % ${OH};`,
      `const ${ctx.st.type(x)}* xp = x + (pix / ${OH * OW}) * ${H * W * C} + c;`,
    ] : [
      `const int ow = i % ${OW}, oh = (i / ${OW}) % ${OH};`,
      `const ${ctx.st.type(x)}* xp = x + (i / ${OH * OW}) * ${H * W};`,
    ]),
    `const int h0 = oh * ${SH} - ${PH}, w0 = ow * ${SW} - ${PW};`,
    max ? `float acc = ${f32(-Infinity)};` : 'float acc = 0.f;',
    max || includePad ? '' : 'int count = 0;',
    `${D.unroll}`,
    `for (int kh = 0; kh < ${KH}; ++kh) {`,
    `  const int h = h0 + kh;`,
    `  if (h < 0 || h >= ${H}) continue;`,
    `  ${D.unroll}`,
    `  for (int kw = 0; kw < ${KW}; ++kw) {`,
    `    const int w = w0 + kw;`,
    `    if (w < 0 || w >= ${W}) continue;`,
    `    const float v = ${ctx.st.load(x, nhwc ? `xp[(h * ${W} + w) * ${C}]` : `xp[h * ${W} + w]`)};`,
    max ? '    acc = v > acc ? v : acc;' : `    acc += v;${includePad ? '' : ' ++count;'}`,
    '  }',
    '}',
    `y[i] = ${ctx.st.store(y, max ? 'acc' : includePad ? `acc / ${f32(KH! * KW!)}` : 'acc / (float)count')};`,
  ].filter(Boolean).join('\n'));
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, [{ name: 'x', type: ctx.st.type(x) }, { name: 'y', type: ctx.st.type(y), out: true }], ELEMENTWISE_THREADS, true, body),
    ...elementwiseLaunch(n),
    sharedBytes: 0,
    args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
};

cudaTemplate(['pool'], renderPool(false));
cudaTemplate(['poolNhwc'], renderPool(true));
