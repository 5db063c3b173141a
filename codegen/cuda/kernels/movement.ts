// Data movement: transpose (any dtype, as raw words of its size) and concat (one
// launch per input, each copying its slab into the output at its axis offset).
// One thread per element; reads are gathered, writes are contiguous.
import { CUDA_DIALECT as D } from '../dialect.js';
import { DTYPE_BYTES, elementwiseLaunch, gatherIndex, gridStride, indexType, numel, renderKernel, strides, ELEMENTWISE_THREADS } from '../render.js';
import { cudaTemplate } from '../template.js';

cudaTemplate(['transpose'], (ctx) => {
  const x = ctx.ins[0]!, y = ctx.outs[0]!;
  const perm = ctx.layer.ints;
  const n = numel(y.shape);
  const I = indexType(n);
  const xs = strides(x.shape);
  const type = D.words[DTYPE_BYTES[x.dtype]]!;
  const body = gridStride(I, n, `${gatherIndex('i', y.shape, [{ name: 'ix', strides: perm.map((p) => xs[p]!) }], I)}\ny[i] = x[ix];`);
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, [{ name: 'x', type }, { name: 'y', type, out: true }], ELEMENTWISE_THREADS, true, body),
    ...elementwiseLaunch(n),
    sharedBytes: 0,
    args: [...ctx.layer.inputs, ...ctx.layer.outputs],
  }];
});

cudaTemplate(['concat'], (ctx) => {
  const y = ctx.outs[0]!;
  const axis = ctx.layer.ints[0]!;
  const after = numel(y.shape.slice(axis + 1));
  const outInner = y.shape[axis]! * after;
  const type = D.words[DTYPE_BYTES[y.dtype]]!;
  let offset = 0;
  return ctx.ins.map((x, k) => {
    const inner = x.shape[axis]! * after;
    const n = numel(x.shape);
    const I = indexType(numel(y.shape));
    const name = `${ctx.name}_in${k}`;
    const body = gridStride(I, n, `y[(i / ${inner}) * ${outInner} + ${offset} + i % ${inner}] = x[i];`);
    offset += inner;
    return {
      function: name,
      source: renderKernel(name, [{ name: 'x', type }, { name: 'y', type, out: true }], ELEMENTWISE_THREADS, true, body),
      ...elementwiseLaunch(n),
      sharedBytes: 0,
      args: [ctx.layer.inputs[k]!, ctx.layer.outputs[0]!],
    };
  });
});
