// softmax along one axis, max-subtracted, f32. x is viewed as [outer, D, inner].
// Contiguous rows (inner = 1): one warp per row, lanes stride the row and reduce
// with shuffles, so a 10-class output costs one warp. Strided rows (inner > 1):
// one thread per (outer, inner) position walking the axis, so neighbouring
// threads read neighbouring addresses. Safe in place: a row is read fully before
// each element is overwritten by the thread that read it.
import { CUDA_DIALECT as D } from '../dialect.js';
import { f32, gridStride, indexType, numel, renderKernel, elementwiseLaunch, ELEMENTWISE_THREADS } from '../render.js';
import { cudaTemplate, requireF32 } from '../template.js';

const ROWS_PER_BLOCK = 4;
const NEG_INF = f32(-Infinity);

cudaTemplate(['softmax'], (ctx) => {
  requireF32(ctx, [...ctx.ins, ...ctx.outs]);
  const x = ctx.ins[0]!;
  const axis = ctx.layer.ints[0]!;
  const outer = numel(x.shape.slice(0, axis)), len = x.shape[axis]!, inner = numel(x.shape.slice(axis + 1));
  const I = indexType(numel(x.shape));
  const { st } = ctx;
  const y = ctx.outs[0]!;
  const X = st.type(x), Y = st.type(y);
  const ld = (ref: string) => st.load(x, ref);
  const params = [{ name: 'x', type: X }, { name: 'y', type: Y, out: true }];
  const args = [...ctx.layer.inputs, ...ctx.layer.outputs];
  if (inner === 1) {
    const reduce = (v: string, op: (a: string, b: string) => string) =>
      `${D.unroll}\nfor (int o = 16; o > 0; o >>= 1) ${v} = ${op(v, D.shuffleXor(v, 'o'))};`;
    const body = [
      `const int lane = ${D.thread} & 31;`,
      `const ${I} row = (${I})${D.block.x} * ${ROWS_PER_BLOCK} + (${D.thread} >> 5);`,
      `if (row >= ${outer}) return;  // whole warps leave together`,
      `const ${X}* xr = x + row * ${len};`,
      `${Y}* yr = y + row * ${len};`,
      `float m = ${NEG_INF};`,
      `for (int j = lane; j < ${len}; j += 32) m = fmaxf(m, ${ld('xr[j]')});`,
      reduce('m', (a, b) => `fmaxf(${a}, ${b})`),
      'float s = 0.f;',
      `for (int j = lane; j < ${len}; j += 32) s += ${D.math.exp}(${ld('xr[j]')} - m);`,
      reduce('s', (a, b) => `${a} + ${b}`),
      'const float inv = 1.f / s;  // as the CPU kernel: one divide, then multiplies',
      `for (int j = lane; j < ${len}; j += 32) yr[j] = ${st.store(y, `${D.math.exp}(${ld('xr[j]')} - m) * inv`)};`,
    ].join('\n');
    return [{
      function: ctx.name,
      source: renderKernel(ctx.name, params, 32 * ROWS_PER_BLOCK, false, body),
      grid: [Math.ceil(outer / ROWS_PER_BLOCK), 1, 1],
      block: [32 * ROWS_PER_BLOCK, 1, 1],
      sharedBytes: 0,
      args,
    }];
  }
  const rows = outer * inner;
  const body = gridStride(I, rows, [
    `const ${I} base = (i / ${inner}) * ${len * inner} + i % ${inner};`,
    `float m = ${NEG_INF};`,
    `for (int j = 0; j < ${len}; ++j) m = fmaxf(m, ${ld(`x[base + (${I})j * ${inner}]`)});`,
    'float s = 0.f;',
    `for (int j = 0; j < ${len}; ++j) s += ${D.math.exp}(${ld(`x[base + (${I})j * ${inner}]`)} - m);`,
    'const float inv = 1.f / s;',
    `for (int j = 0; j < ${len}; ++j) y[base + (${I})j * ${inner}] = ${st.store(y, `${D.math.exp}(${ld(`x[base + (${I})j * ${inner}]`)} - m) * inv`)};`,
  ].join('\n'));
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, params, ELEMENTWISE_THREADS, false, body),
    ...elementwiseLaunch(rows),
    sharedBytes: 0,
    args,
  }];
});
