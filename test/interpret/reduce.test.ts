// The reduce family in the interpreter: every Reduce mode by hand, axes / keepDims /
// noopWithEmptyAxes, empty reductions, integer and bool inputs, ArgMax/ArgMin with
// selectLastIndex, TopK ties, CumSum's exclusive/reverse, and inference errors.
import { describe, expect, it } from 'vitest';
import { getKernel, tensor, tensorValues } from '../../src/interpret/index.js';
import { formatType, inferNode, opsInGroup, type Attrs, type TensorType } from '../../src/ir/index.js';
import { buildGraph, expectTensor, runOp, thrown } from './graph-helpers.js';
import { interpret } from '../../src/interpret/index.js';

// [[1,2,3],[4,5,6]] as f32[2,3]
const x23 = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
const reduceOp = (x: Parameters<typeof runOp>[1][0], attrs: Attrs) => runOp('Reduce', [x], attrs);

describe('Reduce modes', () => {
  const cases: [string, number[], number[], number[]][] = [
    // mode, values over axis 1, over axis 0, over all
    ['sum', [6, 15], [5, 7, 9], [21]],
    ['mean', [2, 5], [2.5, 3.5, 4.5], [3.5]],
    ['max', [3, 6], [4, 5, 6], [6]],
    ['min', [1, 4], [1, 2, 3], [1]],
    ['prod', [6, 120], [4, 10, 18], [720]],
    ['l1', [6, 15], [5, 7, 9], [21]],
    ['l2', [Math.sqrt(14), Math.sqrt(77)], [Math.sqrt(17), Math.sqrt(29), Math.sqrt(45)], [Math.sqrt(91)]],
    ['logSum', [Math.log(6), Math.log(15)], [Math.log(5), Math.log(7), Math.log(9)], [Math.log(21)]],
    ['sumSquare', [14, 77], [17, 29, 45], [91]],
    ['logSumExp', [3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 6 + Math.log(1 + Math.exp(-1) + Math.exp(-2))],
      [4 + Math.log(1 + Math.exp(-3)), 5 + Math.log(1 + Math.exp(-3)), 6 + Math.log(1 + Math.exp(-3))],
      [6 + Math.log([0, 1, 2, 3, 4, 5].reduce((a, k) => a + Math.exp(-k), 0))]],
  ];
  for (const [mode, rows, cols, all] of cases) {
    it(mode, () => {
      expectTensor(reduceOp(x23, { mode, axes: [1] }), 'f32', [2, 1], rows, 5);
      expectTensor(reduceOp(x23, { mode, axes: [-1], keepDims: false }), 'f32', [2], rows, 5);
      expectTensor(reduceOp(x23, { mode, axes: [0], keepDims: false }), 'f32', [3], cols, 5);
      expectTensor(reduceOp(x23, { mode }), 'f32', [1, 1], all, 4);
      expectTensor(reduceOp(x23, { mode, keepDims: false }), 'f32', [], all, 4);
    });
  }

  it('L1 and L2 take absolute values', () => {
    const x = tensor('f32', [4], [-3, 4, -1, 1]);
    expectTensor(reduceOp(x, { mode: 'l1' }), 'f32', [1], [9]);
    expectTensor(reduceOp(x, { mode: 'l2' }), 'f32', [1], [Math.sqrt(27)], 5);
  });

  it('reduces non-adjacent axes of a 3-D tensor', () => {
    const x = tensor('f32', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expectTensor(reduceOp(x, { mode: 'sum', axes: [0, 2] }), 'f32', [1, 2, 1], [1 + 2 + 5 + 6, 3 + 4 + 7 + 8]);
    expectTensor(reduceOp(x, { mode: 'max', axes: [2, 0], keepDims: false }), 'f32', [2], [6, 8]);
  });

  it('logSumExp does not overflow and handles infinities like ONNX', () => {
    expectTensor(reduceOp(tensor('f32', [2], [1000, 1000]), { mode: 'logSumExp' }), 'f32', [1], [1000 + Math.log(2)], 3);
    expectTensor(reduceOp(tensor('f32', [2], [-Infinity, -Infinity]), { mode: 'logSumExp' }), 'f32', [1], [-Infinity]);
    expectTensor(reduceOp(tensor('f32', [2], [Infinity, 1]), { mode: 'logSumExp' }), 'f32', [1], [Infinity]);
  });

  it('max and min propagate NaN', () => {
    expectTensor(reduceOp(tensor('f32', [3], [1, NaN, 2]), { mode: 'max' }), 'f32', [1], [NaN]);
    expectTensor(reduceOp(tensor('f32', [3], [1, NaN, 2]), { mode: 'min' }), 'f32', [1], [NaN]);
  });

  it('empty axes with noopWithEmptyAxes reduce each element alone', () => {
    const x = tensor('f32', [2], [-2, 3]);
    expectTensor(reduceOp(x, { mode: 'sum', noopWithEmptyAxes: true }), 'f32', [2], [-2, 3]);
    expectTensor(reduceOp(x, { mode: 'sumSquare', noopWithEmptyAxes: true }), 'f32', [2], [4, 9]);
    expectTensor(reduceOp(x, { mode: 'l1', noopWithEmptyAxes: true }), 'f32', [2], [2, 3]);
  });

  it('an empty reduction gives the identity of the mode (ONNX empty_set cases)', () => {
    const x = tensor('f32', [2, 0, 4], []);
    const id: [string, number][] = [['sum', 0], ['prod', 1], ['max', -Infinity], ['min', Infinity], ['l1', 0], ['l2', 0], ['sumSquare', 0], ['logSum', -Infinity], ['logSumExp', -Infinity]];
    for (const [mode, v] of id) expectTensor(reduceOp(x, { mode, axes: [1] }), 'f32', [2, 1, 4], new Array(8).fill(v));
    // Reducing a non-empty axis of an empty tensor leaves it empty.
    expectTensor(reduceOp(x, { mode: 'sum', axes: [2] }), 'f32', [2, 0, 1], []);
  });

  it('integers: exact sums and products that wrap like the hardware', () => {
    const i = tensor('i32', [2, 2], [2147483647, 1, -5, 3]);
    expectTensor(reduceOp(i, { mode: 'sum', axes: [1] }), 'i32', [2, 1], [-2147483648, -2]);
    expectTensor(reduceOp(i, { mode: 'max', axes: [0], keepDims: false }), 'i32', [2], [2147483647, 3]);
    const l = tensor('i64', [3], [3n, -4n, 5n] as unknown as number[]);
    const p = reduceOp(l, { mode: 'prod' });
    expect(p.dtype).toBe('i64');
    expect(Array.from(p.data as BigInt64Array)).toEqual([-60n]);
    expect(Array.from(reduceOp(l, { mode: 'min' }).data as BigInt64Array)).toEqual([-4n]);
  });

  it('bool max is any, min is all (ONNX reduce_max_bool_inputs)', () => {
    const b = tensor('bool', [3, 2], [1, 1, 1, 0, 0, 0]);
    expectTensor(reduceOp(b, { mode: 'max', axes: [1] }), 'bool', [3, 1], [1, 1, 0]);
    expectTensor(reduceOp(b, { mode: 'min', axes: [1] }), 'bool', [3, 1], [1, 0, 0]);
  });
});

describe('Reduce inference errors', () => {
  const infer = (type: TensorType, attrs: Attrs) => inferNode({ name: 'r', op: 'Reduce', inputs: ['x'], outputs: ['r'], attrs }, [type]);
  it('keeps symbolic dims and reduces them to 1', () => {
    expect(formatType(infer({ dtype: 'f32', shape: ['batch', 'seq', 8] }, { mode: 'mean', axes: [1] })[0]!)).toBe('f32[batch,1,8]');
    expect(formatType(infer({ dtype: 'f32', shape: ['batch', 'seq', 8] }, { mode: 'mean', axes: [-1], keepDims: false })[0]!)).toBe('f32[batch,seq]');
  });
  it('names the layer, the axes and the input', () => {
    const f32 = { dtype: 'f32' as const, shape: [2, 3] };
    expect(thrown(() => infer(f32, { mode: 'sum', axes: [2] })).message).toBe("layer 'r' (Reduce): axis 2 is out of range for rank 2 (input 'x' f32[2,3])");
    expect(thrown(() => infer(f32, { mode: 'sum', axes: [1, -1] })).message).toBe("layer 'r' (Reduce): axes [1,-1] name axis 1 twice (input 'x' f32[2,3])");
    expect(thrown(() => infer(f32, { mode: 'median' })).message).toContain("attribute 'mode' must be one of sum, mean, max");
    expect(thrown(() => infer({ dtype: 'i32', shape: [2] }, { mode: 'mean' })).message).toBe("layer 'r' (Reduce): mode 'mean' takes f32, f16, bf16; input 'x' is i32[2]");
    expect(thrown(() => infer({ dtype: 'bool', shape: [2] }, { mode: 'sum' })).message).toBe("layer 'r' (Reduce): mode 'sum' takes f32, f16, bf16, i32, i64; input 'x' is bool[2]");
  });
});

describe('ArgMax and ArgMin', () => {
  const x = tensor('f32', [2, 3], [2, 9, 9, 7, 1, 7]);
  const ints = (t: ReturnType<typeof runOp>) => tensorValues(t);
  it('first index of the extreme by default, last with selectLastIndex', () => {
    const a = runOp('ArgMax', [x], { axis: 1 });
    expect(a.dtype).toBe('i64');
    expect(a.shape).toEqual([2, 1]);
    expect(ints(a)).toEqual([1, 0]);
    expect(ints(runOp('ArgMax', [x], { axis: 1, selectLastIndex: true }))).toEqual([2, 2]);
    expect(ints(runOp('ArgMin', [x], { axis: -1, keepDims: false }))).toEqual([0, 1]);
    expect(ints(runOp('ArgMin', [tensor('f32', [4], [3, 1, 5, 1])], { selectLastIndex: true }))).toEqual([3]);
  });
  it('NaN counts as the extreme (numpy)', () => {
    const n = tensor('f32', [4], [1, NaN, 5, NaN]);
    expect(ints(runOp('ArgMax', [n]))).toEqual([1]);
    expect(ints(runOp('ArgMin', [n]))).toEqual([1]);
    expect(ints(runOp('ArgMax', [n], { selectLastIndex: true }))).toEqual([3]);
  });
  it('default axis 0, integer inputs', () => {
    const r = runOp('ArgMax', [tensor('i32', [2, 3], [1, 8, 3, 4, 5, 3])]);
    expect(r.shape).toEqual([1, 3]);
    expect(ints(r)).toEqual([1, 0, 0]);
  });
});

describe('TopK', () => {
  const run = (x: ReturnType<typeof tensor>, attrs: Attrs) => {
    const g = buildGraph({ inputs: { x: { dtype: x.dtype, shape: x.shape } }, nodes: [{ op: 'TopK', inputs: ['x'], outputs: ['v', 'i'], attrs }] });
    const out = interpret(g, { x });
    return { v: out.v!, i: out.i! };
  };
  it('largest along the last axis, ties by lower index', () => {
    const { v, i } = run(tensor('f32', [2, 4], [1, 3, 3, 2, 0, -1, 5, 5]), { k: 3 });
    expectTensor(v, 'f32', [2, 3], [3, 3, 2, 5, 5, 0]);
    expect(i.dtype).toBe('i64');
    expect(tensorValues(i)).toEqual([1, 2, 3, 2, 3, 0]);
  });
  it('smallest along axis 0', () => {
    const { v, i } = run(tensor('i64', [3, 2], [5, 1, 2, 1, 9, 0]), { k: 2, axis: 0, largest: false });
    expect(v.shape).toEqual([2, 2]);
    expect(tensorValues(v)).toEqual([2, 0, 5, 1]);
    expect(tensorValues(i)).toEqual([1, 2, 0, 0]);
  });
  it('NaN ranks above every number', () => {
    const { v, i } = run(tensor('f32', [4], [1, NaN, 3, 2]), { k: 2 });
    expectTensor(v, 'f32', [2], [NaN, 3]);
    expect(tensorValues(i)).toEqual([1, 2]);
    expect(tensorValues(run(tensor('f32', [4], [1, NaN, 3, 2]), { k: 3, largest: false }).i)).toEqual([0, 3, 2]);
  });
  it('refuses k beyond the axis', () => {
    const e = thrown(() => inferNode({ name: 't', op: 'TopK', inputs: ['x'], outputs: ['v', 'i'], attrs: { k: 5 } }, [{ dtype: 'f32', shape: [2, 4] }]));
    expect(e.message).toBe("layer 't' (TopK): k 5 must be in 0..4 (dim 1 of input 'x' f32[2,4])");
  });
});

describe('CumSum', () => {
  const x = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
  it('inclusive, exclusive, reverse, both', () => {
    expectTensor(runOp('CumSum', [x], { axis: 1 }), 'f32', [2, 3], [1, 3, 6, 4, 9, 15]);
    expectTensor(runOp('CumSum', [x], { axis: 0 }), 'f32', [2, 3], [1, 2, 3, 5, 7, 9]);
    expectTensor(runOp('CumSum', [x], { axis: -1, exclusive: true }), 'f32', [2, 3], [0, 1, 3, 0, 4, 9]);
    expectTensor(runOp('CumSum', [x], { axis: 1, reverse: true }), 'f32', [2, 3], [6, 5, 3, 15, 11, 6]);
    expectTensor(runOp('CumSum', [x], { axis: 1, reverse: true, exclusive: true }), 'f32', [2, 3], [5, 3, 0, 11, 6, 0]);
  });
  it('integers', () => {
    expectTensor(runOp('CumSum', [tensor('i32', [4], [1, -2, 3, 4])], { axis: 0 }), 'i32', [4], [1, -1, 2, 6]);
  });
});

describe('coverage', () => {
  it('every reduce and normalization op has a kernel', () => {
    const ops = [...opsInGroup('reduce'), ...opsInGroup('normalization'), ...opsInGroup('softmax')].map((d) => d.name);
    expect(ops).toEqual(expect.arrayContaining(['Reduce', 'ArgMax', 'ArgMin', 'TopK', 'CumSum', 'LayerNormalization', 'InstanceNormalization', 'BatchNormalization', 'LogSoftmax', 'Hardmax']));
    expect(ops.filter((op) => !getKernel(op))).toEqual([]);
  });
});
