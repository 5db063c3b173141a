// The interpreter driver: input checking (messages asserted: they are API), symbolic
// dims binding, keep: 'all', the declared-type cross-check, kernel coverage of the op
// registry, and a LeNet forward pass fast enough to serve as an oracle.
import { describe, expect, it } from 'vitest';
import { KilnError, allOps, makeGraph, type Graph } from '../../src/ir/index.js';
import { defineKernel, getKernel, interpret, mulberry32, randomTensor, tensor, tensorValues, type Tensor } from '../../src/interpret/index.js';
import { buildGraph, expectTensor, thrown } from './graph-helpers.js';

const addGraph = buildGraph({
  inputs: { x: { dtype: 'f32', shape: ['batch', 3] }, y: { dtype: 'f32', shape: ['batch', 3] } },
  nodes: [{ op: 'Add', inputs: ['x', 'y'], name: 'sum' }, { op: 'Relu', inputs: ['sum'], name: 'out' }],
});
const f32 = (shape: number[], fill = 1) => tensor('f32', shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(fill));

function inputError(g: Graph, inputs: Record<string, Tensor>): string {
  const e = thrown(() => interpret(g, inputs));
  expect(e).toBeInstanceOf(KilnError);
  expect(e.code).toBe('KILN_INPUT');
  return e.message;
}

describe('input checking', () => {
  it('names a missing input with its type', () => {
    expect(inputError(addGraph, { x: f32([2, 3]) })).toBe("input 'y' f32[batch,3] is missing; the network takes: x, y");
  });
  it('rejects an unknown input', () => {
    expect(inputError(addGraph, { x: f32([2, 3]), y: f32([2, 3]), z: f32([1]) })).toBe("unknown input 'z'; the network takes: x, y");
  });
  it('prints expected and received types on a dtype mismatch', () => {
    const g = buildGraph({ inputs: { image: { dtype: 'f32', shape: ['batch', 1, 28, 28] } }, nodes: [{ op: 'Relu', inputs: ['image'] }] });
    expect(inputError(g, { image: tensor('u8', [28, 28, 1], new Array(784).fill(0)) }))
      .toBe("input 'image' expects f32[batch,1,28,28], got u8[28,28,1]: dtype u8 is not f32");
  });
  it('reports rank and static dim mismatches', () => {
    expect(inputError(addGraph, { x: f32([2, 4]), y: f32([2, 3]) })).toBe("input 'x' expects f32[batch,3], got f32[2,4]: dim 1 is 4, not 3");
    expect(inputError(addGraph, { x: f32([6]), y: f32([2, 3]) })).toBe("input 'x' expects f32[batch,3], got f32[6]: rank 1 is not 2");
  });
  it('binds a symbol once across inputs', () => {
    expect(inputError(addGraph, { x: f32([2, 3]), y: f32([3, 3]) }))
      .toBe("input 'y' expects f32[batch,3], got f32[3,3]: 'batch' is 2 (bound by input 'x'), but dim 0 is 3");
  });
  it('binds a symbol once within an input', () => {
    const g = buildGraph({ inputs: { sq: { dtype: 'f32', shape: ['n', 'n'] } }, nodes: [{ op: 'Relu', inputs: ['sq'] }] });
    expect(inputError(g, { sq: f32([2, 3]) })).toBe("input 'sq' expects f32[n,n], got f32[2,3]: 'n' is 2 at one dim, but dim 1 is 3");
    expectTensor(interpret(g, { sq: f32([2, 2]) }).Relu_0!, 'f32', [2, 2], [1, 1, 1, 1]);
  });
  it('checks the typed array and the element count', () => {
    const wrongArray = { dtype: 'f32' as const, shape: [2, 3], data: new Int32Array(6) };
    expect(inputError(addGraph, { x: wrongArray, y: f32([2, 3]) })).toBe("input 'x' f32[2,3] must hold its data in a Float32Array, got Int32Array");
    const short = { dtype: 'f32' as const, shape: [2, 3], data: new Float32Array(5) };
    expect(inputError(addGraph, { x: short, y: f32([2, 3]) })).toBe("input 'x' f32[2,3] needs 6 elements, got 5");
  });
  it('carries the argument, expected and received on the error', () => {
    const e = thrown(() => interpret(addGraph, { x: f32([2, 4]), y: f32([2, 3]) })) as KilnError;
    expect([e.argument, e.expected, e.received]).toEqual(['x', 'f32[batch,3]', 'f32[2,4]']);
  });
});

describe('running', () => {
  it('binds the batch symbol to whatever size arrives', () => {
    const x = tensor('f32', [1, 3], [1, -2, 3]);
    const y = tensor('f32', [1, 3], [1, 1, -5]);
    expectTensor(interpret(addGraph, { x, y }).out!, 'f32', [1, 3], [2, 0, 0]);
    const r = interpret(addGraph, { x: f32([4, 3], 2), y: f32([4, 3], 1) });
    expect(Object.keys(r)).toEqual(['out']);
    expectTensor(r.out!, 'f32', [4, 3], new Array(12).fill(3));
  });

  it("keep: 'all' returns inputs, constants and every intermediate", () => {
    const g = buildGraph({
      inputs: { x: { dtype: 'f32', shape: [2] } },
      constants: { c: tensor('f32', [2], [10, -10]) },
      nodes: [{ op: 'Add', inputs: ['x', 'c'], name: 'sum' }, { op: 'Relu', inputs: ['sum'], name: 'out' }],
    });
    const all = interpret(g, { x: tensor('f32', [2], [1, 2]) }, { keep: 'all' });
    expect(Object.keys(all).sort()).toEqual(['c', 'out', 'sum', 'x']);
    expectTensor(all.sum!, 'f32', [2], [11, -8]);
    expectTensor(all.out!, 'f32', [2], [11, 0]);
  });

  it('resolves symbolic dims in Reshape from the binding', () => {
    const g = buildGraph({ inputs: { x: { dtype: 'f32', shape: ['batch', 2, 2] } }, nodes: [{ op: 'Reshape', inputs: ['x'], attrs: { shape: ['batch', -1] } }] });
    expectTensor(interpret(g, { x: tensor('f32', [3, 2, 2], [...Array(12).keys()]) }).Reshape_0!, 'f32', [3, 4], [...Array(12).keys()]);
  });

  it('does not write to its inputs', () => {
    const x = tensor('f32', [1, 3], [1, -2, 3]);
    const y = tensor('f32', [1, 3], [1, 1, -5]);
    interpret(addGraph, { x, y });
    expect(tensorValues(x)).toEqual([1, -2, 3]);
    expect(tensorValues(y)).toEqual([1, 1, -5]);
  });

  it('catches a graph whose declared types disagree with what it computes', () => {
    const g = makeGraph({
      inputs: ['x'], outputs: ['y'], constants: {},
      nodes: [{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: {} }],
      types: { x: { dtype: 'f32', shape: ['batch', 3] }, y: { dtype: 'f32', shape: ['batch', 4] } },
    });
    const e = thrown(() => interpret(g, { x: f32([2, 3]) }));
    expect(e.message).toBe("layer 'r' (Relu): output 'y' is declared f32[batch,4] but computes to f32[2,3]: dim 1 is 3, not 4");
    expect(e.code).toBe('KILN_GRAPH');
  });
});

describe('kernels', () => {
  it('every registered op has exactly one kernel', () => {
    const missing = allOps().filter((d) => !getKernel(d.name)).map((d) => d.name);
    expect(missing).toEqual([]);
  });
  it('rejects a second kernel for an op, and kernels for unknown ops', () => {
    expect(() => defineKernel('Relu', () => [])).toThrow("kernel for op 'Relu' is registered twice");
    expect(() => defineKernel('NoSuchOp', () => [])).toThrow("unknown op 'NoSuchOp'");
  });
});

describe('LeNet', () => {
  it('runs a LeNet forward pass end to end', () => {
    const rng = mulberry32(42);
    const c = (shape: number[], scale: number) => randomTensor('f32', shape, rng, { min: -scale, max: scale });
    const g = buildGraph({
      inputs: { image: { dtype: 'f32', shape: ['batch', 1, 28, 28] } },
      constants: {
        w1: c([20, 1, 5, 5], 0.2), b1: c([20], 0.1), w2: c([50, 20, 5, 5], 0.05), b2: c([50], 0.1),
        w3: c([800, 500], 0.035), b3: c([500], 0.1), w4: c([500, 10], 0.045), b4: c([10], 0.1),
      },
      nodes: [
        { op: 'Conv', inputs: ['image', 'w1', 'b1'], name: 'conv1' },
        { op: 'Pool', inputs: ['conv1'], name: 'pool1', attrs: { mode: 'max', kernel: [2, 2], strides: [2, 2] } },
        { op: 'Conv', inputs: ['pool1', 'w2', 'b2'], name: 'conv2' },
        { op: 'Pool', inputs: ['conv2'], name: 'pool2', attrs: { mode: 'max', kernel: [2, 2], strides: [2, 2] } },
        { op: 'Reshape', inputs: ['pool2'], name: 'flatten', attrs: { shape: ['batch', -1] } },
        { op: 'MatMul', inputs: ['flatten', 'w3', 'b3'], name: 'ip1', attrs: { activation: 'relu' } },
        { op: 'MatMul', inputs: ['ip1', 'w4', 'b4'], name: 'ip2' },
        { op: 'Softmax', inputs: ['ip2'], name: 'prob', attrs: { axis: 1 } },
      ],
    });
    const image = randomTensor('f32', [1, 1, 28, 28], rng, { min: 0, max: 1 });
    const { prob } = interpret(g, { image });
    expect(prob!.shape).toEqual([1, 10]);
    expect(tensorValues(prob!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});
