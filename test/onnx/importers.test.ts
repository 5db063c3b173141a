// Importers, Input vs Expected: each ONNX model below must import to exactly the IR
// graph built by hand with the DSL (structural equality), and compute what ONNX says.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, tensor } from '../../src/interpret/index.js';
import { canonicalForm, type Graph } from '../../src/ir/index.js';
import { checkOnnx, importOnnx, supportedOnnxOps } from '../../src/onnx/index.js';
import { defineImporter } from '../../src/onnx/import/registry.js';
import { DT, floatTensor, graphProto, int64Tensor, io, model, node, type ModelSpec } from './onnx-builder.js';

const imported = (spec: ModelSpec) => importOnnx(model(spec), { file: 'model.onnx' }).graph;

function expectSameGraph(actual: Graph, expected: Graph): void {
  expect(canonicalForm(actual)).toBe(canonicalForm(expected));
}

describe('ONNX importers: Gemm', () => {
  const A = [1, 2, 3, 4, 5, 6]; // transA: stored [K=3, M=2]
  const B = [1, 0, -1, 2, 0.5, 1]; // [K=3, N=2]
  const C = [10, 20];

  it('folds alpha into a constant B and beta into a [N] bias of one MatMul', () => {
    const g = imported({
      nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { transA: 1, alpha: 0.5, beta: { float: 2 } }, 'gemm')],
      inputs: [io('a', DT.FLOAT, [3, 2])], outputs: [io('y', DT.FLOAT, [2, 2])],
      initializers: [floatTensor('b', [3, 2], B), floatTensor('c', [2], C)],
    });
    const net = new Network();
    const a = net.input('a', 'f32', [3, 2]);
    const b = net.constant('b', Float32Array.from(B.map((v) => v * 0.5)), [3, 2]);
    const c = net.constant('c', Float32Array.from(C.map((v) => v * 2)), [2]);
    net.markOutput(net.addLayer('MatMul', 'gemm', [a, b, c], { transA: true, transB: false }), 'y');
    expectSameGraph(g, net.graph);
    const y = interpret(g, { a: tensor('f32', [3, 2], A) }).y!;
    // A^T = [[1,3,5],[2,4,6]]; A^T B = [[0.5,11],[1,14]]; 0.5 * that + 2 * C
    expect(Array.from(y.data as Float32Array)).toEqual([20.25, 45.5, 20.5, 47]);
  });

  it('keeps alpha as a Mul and adds an [M,N] C after the product when B is a run-time input', () => {
    const g = imported({
      nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { transB: 1, alpha: { float: 3 }, beta: 0.5 }, 'gemm')],
      inputs: [io('a', DT.FLOAT, [1, 2]), io('b', DT.FLOAT, [2, 2])], outputs: [io('y', DT.FLOAT, [1, 2])],
      initializers: [floatTensor('c', [1, 1], [4])],
    });
    expect(g.nodes.map((n) => n.op)).toEqual(['MatMul', 'Mul', 'Add']);
    expect(g.nodes[0]!.attrs).toEqual({ transA: false, transB: true });
    const y = interpret(g, { a: tensor('f32', [1, 2], [1, 2]), b: tensor('f32', [2, 2], [1, 1, 0, 1]) }).y!;
    expect(Array.from(y.data as Float32Array)).toEqual([3 * 3 + 2, 3 * 2 + 2]);
  });
});

describe('ONNX importers: BatchNormalization', () => {
  it('folds constant parameters into one per-channel Scale', () => {
    const [gamma, beta, mean, variance, eps] = [[2, 0.5], [1, -1], [0.5, 2], [4, 0.25], 1e-5];
    const g = imported({
      nodes: [node('BatchNormalization', ['x', 'g', 'b', 'm', 'v'], ['y'], { epsilon: eps }, 'bn')],
      inputs: [io('x', DT.FLOAT, ['batch', 2, 2, 2])], outputs: [io('y', DT.FLOAT, ['batch', 2, 2, 2])],
      initializers: [floatTensor('g', [2], gamma!), floatTensor('b', [2], beta!), floatTensor('m', [2], mean!), floatTensor('v', [2], variance!)],
      opset: 15,
    });
    const scale = gamma!.map((v, c) => v / Math.sqrt(variance![c]! + eps!));
    const shift = beta!.map((v, c) => v - mean![c]! * scale[c]!);
    const net = new Network();
    const x = net.input('x', 'f32', ['batch', 2, 2, 2]);
    const c = (name: string, v: number[]) => net.constant(name, Float32Array.from(v), [2]);
    net.markOutput(net.addLayer('Scale', 'bn', [x, c('shift', shift), c('scale', scale)], { mode: 'channel', channelAxis: 1 }), 'y');
    expectSameGraph(g, net.graph);
  });
});

describe('ONNX importers: shape computations', () => {
  it("imports torch's Shape->Gather->Unsqueeze->Concat->Reshape chain as one Reshape to ['batch', 32]", () => {
    const g = imported({
      nodes: [
        node('Shape', ['x'], ['s'], {}, 'Shape_0'),
        node('Gather', ['s', 'zero'], ['b'], { axis: 0 }, 'Gather_1'),
        node('Unsqueeze', ['b', 'axes0'], ['b1'], {}, 'Unsqueeze_2'),
        node('Concat', ['b1', 'minus1'], ['target'], { axis: 0 }, 'Concat_3'),
        node('Reshape', ['x', 'target'], ['y'], {}, 'Reshape_4'),
      ],
      inputs: [io('x', DT.FLOAT, ['batch', 4, 8])], outputs: [io('y', DT.FLOAT, ['batch', 32])],
      initializers: [int64Tensor('zero', [], [0]), int64Tensor('axes0', [1], [0]), int64Tensor('minus1', [1], [-1])],
      opset: 13,
    });
    const net = new Network();
    const x = net.input('x', 'f32', ['batch', 4, 8]);
    net.markOutput(net.addLayer('Reshape', 'Reshape_4', [x], { shape: ['batch', 32] }), 'y');
    expectSameGraph(g, net.graph);
    expect(g.types.y).toEqual({ dtype: 'f32', shape: ['batch', 32] });
  });

  it('evaluates arithmetic on known dims (Shape[1] * Shape[2]) and Flatten with a symbolic batch', () => {
    const g = imported({
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'one'], ['d1']),
        node('Gather', ['s', 'two'], ['d2']),
        node('Mul', ['d1', 'd2'], ['prod']),
        node('Unsqueeze', ['prod'], ['p1'], { axes: [0] }),
        node('Concat', ['minus1', 'p1'], ['target'], { axis: 0 }),
        node('Reshape', ['x', 'target'], ['r']),
        node('Flatten', ['x'], ['f'], { axis: 1 }),
      ],
      inputs: [io('x', DT.FLOAT, ['n', 3, 5])], outputs: [io('r', DT.FLOAT, [null, 15]), io('f', DT.FLOAT, [null, 15])],
      initializers: [int64Tensor('one', [], [1]), int64Tensor('two', [], [2]), int64Tensor('minus1', [1], [-1])],
      opset: 11,
    });
    // -1 stands for exactly the symbols the target drops (here n), so it resolves to 'n'.
    expect(g.nodes.map((n) => [n.op, n.attrs.shape])).toEqual([['Reshape', ['n', 15]], ['Reshape', ['n', 15]]]);
  });

  it('folds a constant subgraph with the interpreter and emits no layer for it', () => {
    const g = imported({
      nodes: [node('Add', ['c1', 'c2'], ['sum']), node('Sqrt', ['sum'], ['root']), node('Mul', ['x', 'root'], ['y'], {}, 'mul')],
      inputs: [io('x', DT.FLOAT, [2])], outputs: [io('y', DT.FLOAT, [2])],
      initializers: [floatTensor('c1', [2], [1, 7]), floatTensor('c2', [2], [3, 9])],
    });
    const net = new Network();
    const x = net.input('x', 'f32', [2]);
    net.markOutput(net.addLayer('Mul', 'mul', [x, net.constant('root', Float32Array.from([2, 4]), [2])], {}), 'y');
    expectSameGraph(g, net.graph);
  });

  it('names symbolic dims by dim_param, or unk_N when a dim has neither value nor name', () => {
    const r = importOnnx(model({ nodes: [node('Relu', ['x'], ['y'])], inputs: [io('x', DT.FLOAT, ['batch', null, 3])], outputs: [io('y', DT.FLOAT, ['batch', null, 3])] }));
    expect(r.inputs).toEqual([{ name: 'x', type: 'float', shape: ['batch', 'unk_0', 3] }]);
    expect(r.graph.types.y!.shape).toEqual(['batch', 'unk_0', 3]);
  });
});

describe('ONNX importers: opset-dependent forms', () => {
  const io4 = { inputs: [io('x', DT.FLOAT, [2, 3, 4])], outputs: [io('y', DT.FLOAT, [2, 3, 4])] };

  it('Softmax before opset 13 works on the input flattened to 2-D at axis', () => {
    const g = imported({ nodes: [node('Softmax', ['x'], ['y'], { axis: 1 }, 'sm')], ...io4, opset: 11 });
    expect(g.nodes.map((n) => `${n.op}${JSON.stringify(n.attrs)}`)).toEqual(['Reshape{"shape":[2,12]}', 'Softmax{"axis":1}', 'Reshape{"shape":[2,3,4]}']);
    const g13 = imported({ nodes: [node('Softmax', ['x'], ['y'], { axis: 1 }, 'sm')], ...io4, opset: 13 });
    expect(g13.nodes.map((n) => `${n.op}${JSON.stringify(n.attrs)}`)).toEqual(['Softmax{"axis":1}']);
  });

  it('Clip takes its bounds as attributes before opset 11 and as inputs after; integer Clip becomes Max/Min', () => {
    const g6 = imported({ nodes: [node('Clip', ['x'], ['y'], { min: { float: 0 }, max: { float: 6 } })], ...io4, opset: 7 });
    expect(g6.nodes.map((n) => [n.op, n.attrs])).toEqual([['Clip', { min: 0, max: 6 }]]);
    const g11 = imported({ nodes: [node('Clip', ['x', 'lo', 'hi'], ['y'])], ...io4, opset: 11, initializers: [floatTensor('lo', [], [-1]), floatTensor('hi', [], [1])] });
    expect(g11.nodes.map((n) => [n.op, n.attrs])).toEqual([['Clip', { min: -1, max: 1 }]]);
    const gi = imported({
      nodes: [node('Clip', ['x', 'lo', 'hi'], ['y'])], inputs: [io('x', DT.INT64, [3])], outputs: [io('y', DT.INT64, [3])], opset: 13,
      initializers: [int64Tensor('lo', [], [0]), int64Tensor('hi', [], [5])],
    });
    expect(gi.nodes.map((n) => n.op)).toEqual(['Max', 'Min']);
    expect(Array.from(interpret(gi, { x: tensor('i64', [3], [-3, 2, 9]) }).y!.data as BigInt64Array)).toEqual([0n, 2n, 5n]);
  });

  it('Squeeze and Unsqueeze read axes from attributes before opset 13 and from an input after', () => {
    const spec = (opset: number, axes: object) => ({
      nodes: [node('Unsqueeze', ['x', ...(opset >= 13 ? ['axes'] : [])], ['u'], opset >= 13 ? {} : { axes: [0, 4] }), node('Squeeze', ['u', ...(opset >= 13 ? ['axes'] : [])], ['y'], opset >= 13 ? {} : { axes: [0, 4] })],
      ...io4, opset, initializers: opset >= 13 ? [axes] : [],
    });
    for (const opset of [11, 13]) {
      const g = imported(spec(opset, int64Tensor('axes', [2], [0, 4])));
      expect(g.nodes.map((n) => [n.op, n.attrs.shape])).toEqual([['Reshape', [1, 2, 3, 4, 1]], ['Reshape', [2, 3, 4]]]);
    }
  });

  it('Conv with auto_pad SAME_UPPER and MaxPool with ceil_mode become explicit pads', () => {
    const g = imported({
      nodes: [
        node('Conv', ['x', 'w'], ['c'], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, 'conv'),
        node('MaxPool', ['c'], ['y'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 'pool'),
      ],
      inputs: [io('x', DT.FLOAT, [1, 1, 6, 6])], outputs: [io('y', DT.FLOAT, [1, 1, 2, 2])],
      initializers: [floatTensor('w', [1, 1, 4, 4], new Array(16).fill(1))],
    });
    // SAME_UPPER: out = ceil(6/2) = 3, total pad (3-1)*2 + 4 - 6 = 2, split 1 + 1.
    expect(g.nodes[0]!.attrs).toMatchObject({ padsBegin: [1, 1], padsEnd: [1, 1], strides: [2, 2] });
    expect(g.nodes[1]!.attrs).toMatchObject({ kernel: [2, 2], padsBegin: [0, 0], padsEnd: [1, 1] });
    expect(g.types.y!.shape).toEqual([1, 1, 2, 2]);
  });

  it('Identity and inference Dropout alias their input; an aliased output gets its own copy layer', () => {
    const g = imported({ nodes: [node('Dropout', ['x'], ['d'], { ratio: 0.3 }), node('Identity', ['d'], ['y'])], ...io4, opset: 11 });
    expect(g.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual([['Reshape', ['x'], ['y']]]);
  });
});

describe('ONNX importers: control flow', () => {
  const branch = (op: string, out: string) => graphProto({ nodes: [node(op, ['x'], [out])], inputs: [], outputs: [io(out, DT.FLOAT, [2, 3])] });
  const ifModel = (cond: object[]) => model({
    nodes: [...cond, node('If', ['cond'], ['y'], { then_branch: { graph: branch('Relu', 't') }, else_branch: { graph: branch('Sigmoid', 'e') } }, 'if')],
    inputs: [io('x', DT.FLOAT, [2, 3]), io('c', DT.BOOL, [])], outputs: [io('y', DT.FLOAT, [2, 3])],
    initializers: [int64Tensor('two', [], [2])],
  });

  it('inlines the branch an If takes when its condition is known at import', () => {
    // rank(x) == 2, known from the shape: the then-branch (Relu) runs.
    const g = importOnnx(ifModel([node('Shape', ['x'], ['s']), node('Size', ['s'], ['rank']), node('Equal', ['rank', 'two'], ['cond'])]), { file: 'if.onnx' });
    expect(g.graph.nodes.map((n) => n.op)).toEqual(['Relu', 'Reshape']);
    expect(g.report.unsupported).toEqual([]);
  });

  it('reports an If whose condition is a run-time value', () => {
    const r = checkOnnx(ifModel([node('Identity', ['c'], ['cond'])]), { file: 'if.onnx' });
    expect(r.unsupported.map((u) => [u.index, u.opType, u.reason, u.detail])).toEqual([[1, 'If', 'data-dependent shape', "the condition (input 0 'cond') is computed at run time"]]);
  });
});

describe('ONNX importers: registry and graph edges', () => {
  it('rejects a second importer for the same op and opset', () => {
    expect(() => defineImporter('Relu', { import: () => undefined })).toThrow('ONNX importer for Relu (since opset 1) is registered twice');
    expect(supportedOnnxOps()).toContain('Conv');
  });

  it('a graph input that also has an initializer is a constant, not an engine input', () => {
    const r = importOnnx(model({
      nodes: [node('Add', ['x', 'bias'], ['y'], {}, 'add')],
      inputs: [io('x', DT.FLOAT, [2]), io('bias', DT.FLOAT, [2])], outputs: [io('y', DT.FLOAT, [2])],
      initializers: [floatTensor('bias', [2], [1, 2])],
    }));
    expect(r.graph.inputs).toEqual(['x']);
    expect(r.inputs.map((i) => i.name)).toEqual(['x']);
    expect(Object.keys(r.graph.constants)).toEqual(['bias']);
  });
});

describe('ONNX importers: shape values fixed at import', () => {
  const reshapeModel = model({
    nodes: [node('Reshape', ['x', 'shape'], ['y'], {}, 'reshape')],
    inputs: [io('x', DT.FLOAT, [4, 8]), io('shape', DT.INT64, [2])], outputs: [io('y', DT.FLOAT, [2, 16])],
  });

  it('names the run-time input a data-dependent node needs, and takes its value from shapeValues', () => {
    expect(checkOnnx(reshapeModel).unsupported[0]).toMatchObject({ reason: 'data-dependent shape', tensor: 'shape' });
    const r = importOnnx(reshapeModel, { shapeValues: { shape: [2, -1] } });
    expect(r.graph.inputs).toEqual(['x']);
    expect(r.graph.nodes.map((n) => [n.op, n.attrs.shape])).toEqual([['Reshape', [2, 16]]]);
  });

  it('rejects shape values that do not fit the input', () => {
    expect(() => importOnnx(reshapeModel, { file: 'm.onnx', shapeValues: { shape: [32] } })).toThrow("m.onnx: shapeValues for input 'shape' hold 1 values; the input is int64[2]");
  });
});
