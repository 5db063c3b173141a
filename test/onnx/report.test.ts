// The support report: every unsupported node at once, with index, name, op, opset and
// reason; the table formatSupportReport prints; the error importOnnx throws.
import { describe, expect, it } from 'vitest';
import { checkOnnx, formatSupportReport, importOnnx, OnnxUnsupportedError } from '../../src/onnx/index.js';
import { DT, floatTensor, int64Tensor, io, model, node } from './onnx-builder.js';

const x = io('x', DT.FLOAT, [1, 2, 4, 4]);
const spec = {
  nodes: [
    node('Relu', ['x'], ['r'], {}, 'relu'),
    node('FancyOp', ['r'], ['a'], {}, 'fancy'),
    node('Resize', ['r', '', 'scales'], ['b'], { mode: 'area' }, 'resize'),
    node('Cast', ['r'], ['c'], { to: DT.DOUBLE }, 'to_double'),
    node('Reshape', ['r', 'shape'], ['d'], {}, 'reshape'),
    node('FusedGemm', ['r'], ['e'], {}, 'ms'),
    node('Sigmoid', ['a'], ['f'], {}, 'after_fancy'),
  ],
  inputs: [x, io('shape', DT.INT64, [2])],
  outputs: [io('b', DT.FLOAT, [1, 2, 8, 8]), io('c', DT.DOUBLE, [1, 2, 4, 4]), io('d', DT.FLOAT, [2, 16]), io('e', DT.FLOAT, [1]), io('f', DT.FLOAT, [1])],
  initializers: [floatTensor('scales', [4], [1, 1, 2, 2])],
  opset: 19,
};
spec.nodes[5] = { ...(spec.nodes[5] as object), domain: 'com.microsoft' };
const bytes = model({ ...spec, opsets: [{ domain: 'com.microsoft', version: 1 }] });

describe('ONNX support report', () => {
  it('lists every unsupported node with index, name, op, opset and reason', () => {
    const report = checkOnnx(bytes, { file: 'model.onnx' });
    expect(report).toMatchObject({ file: 'model.onnx', opset: 19, nodes: 7 });
    expect(report.unsupported).toEqual([
      { index: 1, name: 'fancy', opType: 'FancyOp', domain: '', opset: 19, reason: 'op unknown', detail: 'kiln has no importer for FancyOp at opset 19' },
      { index: 2, name: 'resize', opType: 'Resize', domain: '', opset: 19, reason: 'attribute value unsupported', detail: "mode = 'area' is not supported", attribute: 'mode', value: "'area'" },
      { index: 3, name: 'to_double', opType: 'Cast', domain: '', opset: 19, reason: 'dtype unsupported', detail: 'cast to double', attribute: 'to', value: 'double' },
      { index: 4, name: 'reshape', opType: 'Reshape', domain: '', opset: 19, reason: 'data-dependent shape', detail: "shape (input 1 'shape') is computed at run time", tensor: 'shape' },
      { index: 5, name: 'ms', opType: 'FusedGemm', domain: 'com.microsoft', opset: 19, reason: 'op unknown', detail: "domain 'com.microsoft' is not supported" },
    ]);
    // 'after_fancy' only reads an unsupported node's output: its producer is the one reported.
    expect(report.ops).toEqual({ Relu: 1, FancyOp: 1, Resize: 1, Cast: 1, Reshape: 1, FusedGemm: 1, Sigmoid: 1 });
  });

  it('prints the report as a table', () => {
    const text = formatSupportReport(checkOnnx(bytes, { file: 'model.onnx' }));
    expect(text.split('\n')).toEqual([
      'model.onnx: opset 19, 7 nodes (7 op types): 5 unsupported nodes',
      '  node  name       op                       reason                       detail',
      '  1     fancy      FancyOp                  op unknown                   kiln has no importer for FancyOp at opset 19',
      "  2     resize     Resize                   attribute value unsupported  mode = 'area' is not supported",
      '  3     to_double  Cast                     dtype unsupported            cast to double',
      "  4     reshape    Reshape                  data-dependent shape         shape (input 1 'shape') is computed at run time",
      "  5     ms         com.microsoft.FusedGemm  op unknown                   domain 'com.microsoft' is not supported",
      '  ops: Relu x1, FancyOp! x1, Resize! x1, Cast! x1, Reshape! x1, FusedGemm! x1, Sigmoid x1',
    ]);
  });

  it('importOnnx throws the report as an OnnxUnsupportedError', () => {
    let err: unknown;
    try {
      importOnnx(bytes, { file: 'model.onnx' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxUnsupportedError);
    const e = err as OnnxUnsupportedError;
    expect(e.code).toBe('KILN_ONNX');
    expect(e.message.startsWith('model.onnx: 5 unsupported nodes; the support report:\nmodel.onnx: opset 19, 7 nodes')).toBe(true);
    expect(e.report.unsupported).toHaveLength(5);
  });

  it('reports graph inputs of unsupported types', () => {
    const r = checkOnnx(model({ nodes: [node('Identity', ['s'], ['y'])], inputs: [io('s', DT.STRING, [2])], outputs: [io('y', DT.STRING, [2])] }), { file: 'm.onnx' });
    expect(r.unsupported).toEqual([{ name: 's', opType: '(graph input)', domain: '', opset: 17, reason: 'dtype unsupported', detail: "'s' is string[2]" }]);
  });

  it('summarizes a supported model: op counts, layers and nodes folded at import', () => {
    const r = importOnnx(model({
      nodes: [node('Shape', ['x'], ['s']), node('Reshape', ['x', 's2'], ['flat']), node('Relu', ['flat'], ['y'])],
      inputs: [x], outputs: [io('y', DT.FLOAT, [1, 32])], initializers: [int64Tensor('s2', [2], [1, 32])],
    }), { file: 'ok.onnx' }).report;
    expect(formatSupportReport(r).split('\n')).toEqual([
      'ok.onnx: opset 17, 3 nodes (3 op types): all supported -> 2 layers (1 nodes folded at import)',
      '  ops: Shape x1, Reshape x1, Relu x1',
    ]);
  });
});
