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
  const { st } = ctx;
  // Same storage: raw words of the element's size; f32 next to half: converted.
  const same = st.isHalf(x) === st.isHalf(y);
  const [tx, ty] = same ? [D.words[st.bytes(x, DTYPE_BYTES)]!, D.words[st.bytes(y, DTYPE_BYTES)]!] : [st.type(x), st.type(y)];
  const value = same ? 'x[ix]' : st.store(y, st.load(x, 'x[ix]'));
  const body = gridStride(I, n, `${gatherIndex('i', y.shape, [{ name: 'ix', strides: perm.map((p) => xs[p]!) }], I)}\ny[i] = ${value};`);
  return [{
    function: ctx.name,
    source: renderKernel(ctx.name, [{ name: 'x', type: tx }, { name: 'y', type: ty, out: true }], ELEMENTWISE_THREADS, true, body),
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
  const { st } = ctx;
  let offset = 0;
  return ctx.ins.map((x, k) => {
    const inner = x.shape[axis]! * after;
    const n = numel(x.shape);
    const I = indexType(numel(y.shape));
    const name = `${ctx.name}_in${k}`;
    const same = st.isHalf(x) === st.isHalf(y);
    const [tx, ty] = same ? [D.words[st.bytes(x, DTYPE_BYTES)]!, D.words[st.bytes(y, DTYPE_BYTES)]!] : [st.type(x), st.type(y)];
    const body = gridStride(I, n, `y[(i / ${inner}) * ${outInner} + ${offset} + i % ${inner}] = ${same ? 'x[i]' : st.store(y, st.load(x, 'x[i]'))};`);
    offset += inner;
    return {
      function: name,
      source: renderKernel(name, [{ name: 'x', type: tx }, { name: 'y', type: ty, out: true }], ELEMENTWISE_THREADS, true, body),
      ...elementwiseLaunch(n),
      sharedBytes: 0,
      args: [ctx.layer.inputs[k]!, ctx.layer.outputs[0]!],
    };
  });
});
