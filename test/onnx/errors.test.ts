// Bad input: each is a KilnError (code KILN_ONNX) naming the file and, where a node is
// at fault, its index, name and op. Never a crash, never a hang.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../src/index.js';
import { importOnnx, OnnxError } from '../../src/onnx/index.js';
import { DT, floatTensor, io, model, node } from './onnx-builder.js';

const relu = () => model({ nodes: [node('Relu', ['x'], ['y'], {}, 'relu')], inputs: [io('x', DT.FLOAT, [1, 4])], outputs: [io('y', DT.FLOAT, [1, 4])] });

function errorOf(f: () => unknown): OnnxError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxError);
    expect(e).toBeInstanceOf(KilnError);
    expect((e as KilnError).code).toBe('KILN_ONNX');
    return e as OnnxError;
  }
  throw new Error('expected an error');
}

const importBytes = (bytes: Uint8Array) => () => importOnnx(bytes, { file: 'model.onnx' });

describe('ONNX import: bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bad-'));

  it('a truncated file', () => {
    const file = join(dir, 'truncated.onnx');
    const bytes = relu();
    writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    expect(errorOf(() => importOnnx(file)).message).toBe(`${file}: not an ONNX model: protobuf decoding failed: the file ends in the middle of a field (truncated?)`);
  });

  it('random bytes', () => {
    let s = 7;
    const bytes = Uint8Array.from({ length: 512 }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) >> 16) & 255);
    expect(errorOf(importBytes(bytes)).message).toBe('model.onnx: not an ONNX model: protobuf decoding failed: invalid wire type 4 at offset 1');
  });

  it('a JSON file', () => {
    const file = join(dir, 'model.json');
    writeFileSync(file, '{"model": "lenet", "layers": [1, 2, 3]}\n');
    expect(errorOf(() => importOnnx(file)).message).toBe(`${file}: not an ONNX model: the file is text ('{"model": "lenet", "laye...'), ONNX files are binary protobuf`);
  });

  it('an empty file, and a path that does not exist', () => {
    expect(errorOf(importBytes(new Uint8Array(0))).message).toBe('model.onnx: the file is empty; expected an ONNX model');
    expect(errorOf(() => importOnnx(join(dir, 'nope.onnx'))).message).toBe(`${join(dir, 'nope.onnx')}: cannot read the file: ENOENT`);
  });

  it('protobuf that is not a model', () => {
    const bytes = new Uint8Array([0x7a, 0x02, 0x68, 0x69]); // field 15 (unknown to ModelProto), a string
    expect(errorOf(importBytes(bytes)).message).toBe('model.onnx: not an ONNX model: it has no ir_version, opset_import or graph');
  });

  it('a model with no graph', () => {
    const bytes = model({ nodes: [], inputs: [], outputs: [], noGraph: true });
    expect(errorOf(importBytes(bytes)).message).toBe('model.onnx: the model has no graph');
  });

  it('a graph with a cycle', () => {
    const bytes = model({
      nodes: [node('Add', ['x', 'c'], ['a'], {}, 'add'), node('Relu', ['a'], ['c'], {}, 'relu')],
      inputs: [io('x', DT.FLOAT, [2])], outputs: [io('a', DT.FLOAT, [2])],
    });
    const e = errorOf(importBytes(bytes));
    expect(e.message).toBe("model.onnx: node 0 'add' (Add): the graph has a cycle: nodes 0 'add' -> 1 'relu' -> 0 'add'");
    expect(e).toMatchObject({ nodeIndex: 0, nodeName: 'add', opType: 'Add' });
  });

  it('a node input that names nothing (a missing initializer)', () => {
    const bytes = model({
      nodes: [node('Relu', ['x'], ['r'], {}, 'relu'), node('Conv', ['r', 'conv.weight'], ['y'], {}, 'Conv_12')],
      inputs: [io('x', DT.FLOAT, [1, 1, 4, 4])], outputs: [io('y', DT.FLOAT, [1, 1, 4, 4])],
    });
    expect(errorOf(importBytes(bytes)).message).toBe("model.onnx: node 1 'Conv_12' (Conv): input 'conv.weight' names no graph input, initializer or node output");
  });

  it('a value defined twice, and an output nothing produces', () => {
    const twice = model({
      nodes: [node('Relu', ['x'], ['y'], {}, 'a'), node('Sigmoid', ['x'], ['y'], {}, 'b')],
      inputs: [io('x', DT.FLOAT, [2])], outputs: [io('y', DT.FLOAT, [2])],
    });
    expect(errorOf(importBytes(twice)).message).toBe("model.onnx: node 1 'b' (Sigmoid): output 'y' is also produced by node 0 'a'");
    const orphan = model({ nodes: [node('Relu', ['x'], ['y'])], inputs: [io('x', DT.FLOAT, [2])], outputs: [io('z', DT.FLOAT, [2])] });
    expect(errorOf(importBytes(orphan)).message).toBe("model.onnx: graph output 'z' is produced by no node, input or initializer");
  });

  it('an opset older than 7 or newer than supported', () => {
    const at = (opset: number) => model({ nodes: [node('Relu', ['x'], ['y'])], inputs: [io('x', DT.FLOAT, [2])], outputs: [io('y', DT.FLOAT, [2])], opset });
    expect(errorOf(importBytes(at(6))).message).toBe('model.onnx: opset 6 is older than the oldest kiln reads (7); convert the model with onnx.version_converter');
    expect(errorOf(importBytes(at(99))).message).toBe('model.onnx: opset 99 is newer than the newest kiln reads (28)');
  });

  it('a malformed attribute and a damaged initializer name the node', () => {
    const badAttr = model({ nodes: [node('LeakyRelu', ['x'], ['y'], { alpha: 'high' }, 'lrelu')], inputs: [io('x', DT.FLOAT, [2])], outputs: [io('y', DT.FLOAT, [2])] });
    expect(errorOf(importBytes(badAttr)).message).toBe("model.onnx: node 0 'lrelu' (LeakyRelu): attribute 'alpha' must be FLOAT, got STRING");
    const w = { ...floatTensor('w', [4], [1, 2, 3, 4]), dims: [5] };
    const damaged = model({ nodes: [node('Add', ['x', 'w'], ['y'], {}, 'add')], inputs: [io('x', DT.FLOAT, [5])], outputs: [io('y', DT.FLOAT, [5])], initializers: [w] });
    expect(errorOf(importBytes(damaged)).message).toBe("model.onnx: node 0 'add' (Add): tensor 'w' float[5] needs 20 bytes, raw_data holds 16");
  });
});
