// Protobuf decoding: every attribute type, every TensorProto data field (raw_data,
// the typed fields, external data) and the errors of damaged tensors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Attributes } from '../../src/onnx/import/attributes.js';
import { decodeModel, decodeTensorFile, readSource } from '../../src/onnx/proto/decode.js';
import type { TensorProto } from '../../src/onnx/proto/messages.js';
import { TensorProtoType } from '../../src/onnx/proto/schema.js';
import { decodeTensorData } from '../../src/onnx/proto/tensor-data.js';
import { DT, encodeTensor, floatTensor, graphProto, io, model, node, tensorProto } from './onnx-builder.js';

function attrsOf(attrs: Parameters<typeof node>[3]): Attributes {
  const bytes = model({ nodes: [node('Foo', ['x'], ['y'], attrs)], inputs: [io('x', DT.FLOAT, [1])], outputs: [io('y', DT.FLOAT, [1])] });
  const m = decodeModel(readSource(bytes));
  return new Attributes(m.graph!.node[0]!.attribute, (msg) => { throw new Error(msg); });
}

/** Encodes a TensorProto and decodes it back through the importer's path. */
function roundTrip(t: object): ReturnType<typeof decodeTensorData> {
  return decodeTensorData(TensorProtoType.decode(encodeTensor(t)) as unknown as TensorProto);
}

describe('ONNX protobuf: attributes', () => {
  const sub = graphProto({ nodes: [node('Relu', ['a'], ['b'])], inputs: [io('a', DT.FLOAT, [2])], outputs: [io('b', DT.FLOAT, [2])] });
  const a = attrsOf({
    f: 0.5, i: -3, s: 'SAME_UPPER', fs: [0.25, 1.5], is: [1, -2, 3], ss: ['Tanh', 'Relu'],
    t: { tensor: floatTensor('w', [2], [1, 2]) }, g: { graph: sub },
  });

  it('reads FLOAT, INT, STRING, FLOATS, INTS and STRINGS by type', () => {
    expect(a.float('f')).toBe(0.5);
    expect(a.int('i')).toBe(-3);
    expect(a.string('s')).toBe('SAME_UPPER');
    expect(a.floats('fs')).toEqual([0.25, 1.5]);
    expect(a.ints('is')).toEqual([1, -2, 3]);
    expect(a.strings('ss')).toEqual(['Tanh', 'Relu']);
  });

  it('reads TENSOR and GRAPH attributes', () => {
    const t = a.tensor('t')!;
    expect(decodeTensorData(t).data).toEqual(Float32Array.from([1, 2]));
    expect(a.proto('g')!.g!.node[0]!.op_type).toBe('Relu');
  });

  it('gives defaults for absent attributes and rejects a wrong type', () => {
    expect(a.int('missing', 7)).toBe(7);
    expect(a.float('missing')).toBeUndefined();
    expect(() => a.int('f')).toThrow("attribute 'f' must be INT, got FLOAT");
  });

  it('decodes TENSORS and GRAPHS lists', () => {
    const lists = { op_type: 'Foo', input: [], output: ['y'], attribute: [{ name: 'ts', type: 9, tensors: [floatTensor('a', [1], [3])] }, { name: 'gs', type: 10, graphs: [sub, sub] }] };
    const decoded = decodeModel(readSource(model({ nodes: [lists], inputs: [], outputs: [io('y', DT.FLOAT, [1])] })));
    const attrs = decoded.graph!.node[0]!.attribute;
    expect(attrs.find((x) => x.name === 'ts')!.tensors[0]!.name).toBe('a');
    expect(attrs.find((x) => x.name === 'gs')!.graphs).toHaveLength(2);
  });
});

describe('ONNX protobuf: tensor data', () => {
  it('reads raw_data of every byte-sized dtype', () => {
    expect(roundTrip(floatTensor('f', [2, 2], [1, -2, 3.5, 0])).data).toEqual(Float32Array.from([1, -2, 3.5, 0]));
    const i64 = roundTrip(tensorProto('i', DT.INT64, [2], { raw_data: new Uint8Array(BigInt64Array.from([-5n, 2n ** 62n]).buffer) }));
    expect(i64.data).toEqual(BigInt64Array.from([-5n, 2n ** 62n]));
    const f16 = roundTrip(tensorProto('h', DT.FLOAT16, [2], { raw_data: new Uint8Array(Uint16Array.from([0x3c00, 0xc000]).buffer) }));
    expect(f16.data).toEqual(Uint16Array.from([0x3c00, 0xc000]));
    const b = roundTrip(tensorProto('b', DT.BOOL, [3], { raw_data: Uint8Array.from([1, 0, 1]) }));
    expect(b.data).toEqual(Uint8Array.from([1, 0, 1]));
    const d = roundTrip(tensorProto('d', DT.DOUBLE, [1], { raw_data: new Uint8Array(Float64Array.from([0.1]).buffer) }));
    expect(d.data).toEqual(Float64Array.from([0.1]));
  });

  it('reads the typed fields: float_data, int32_data (narrow ints, bool, f16 bits), int64_data, double_data, uint64_data, string_data', () => {
    expect(roundTrip(tensorProto('f', DT.FLOAT, [2], { float_data: [1.5, -1] })).data).toEqual(Float32Array.from([1.5, -1]));
    expect(roundTrip(tensorProto('i8', DT.INT8, [2], { int32_data: [-128, 127] })).data).toEqual(Int8Array.from([-128, 127]));
    expect(roundTrip(tensorProto('u8', DT.UINT8, [1], { int32_data: [255] })).data).toEqual(Uint8Array.from([255]));
    expect(roundTrip(tensorProto('i16', DT.INT16, [1], { int32_data: [-300] })).data).toEqual(Int16Array.from([-300]));
    expect(roundTrip(tensorProto('b', DT.BOOL, [2], { int32_data: [0, 1] })).data).toEqual(Uint8Array.from([0, 1]));
    expect(roundTrip(tensorProto('h', DT.FLOAT16, [1], { int32_data: [0x3c00] })).data).toEqual(Uint16Array.from([0x3c00]));
    expect(roundTrip(tensorProto('bf', DT.BFLOAT16, [1], { int32_data: [0x3f80] })).data).toEqual(Uint16Array.from([0x3f80]));
    expect(roundTrip(tensorProto('i32', DT.INT32, [1], { int32_data: [-7] })).data).toEqual(Int32Array.from([-7]));
    // int64 values past 2^53 stay exact (they travel as Long, not as a JS number).
    expect(roundTrip(tensorProto('i64', DT.INT64, [2], { int64_data: ['9223372036854775807', -1] })).data).toEqual(BigInt64Array.from([2n ** 63n - 1n, -1n]));
    expect(roundTrip(tensorProto('d', DT.DOUBLE, [1], { double_data: [1e300] })).data).toEqual(Float64Array.from([1e300]));
    expect(roundTrip(tensorProto('u64', DT.UINT64, [1], { uint64_data: ['18446744073709551615'] })).data).toEqual(BigUint64Array.from([2n ** 64n - 1n]));
    expect(roundTrip(tensorProto('u32', DT.UINT32, [1], { uint64_data: [4294967295] })).data).toEqual(Uint32Array.from([4294967295]));
    expect(roundTrip(tensorProto('s', DT.STRING, [2], { string_data: [new TextEncoder().encode('ab'), new TextEncoder().encode('é')] })).data).toEqual(['ab', 'é']);
  });

  it('reads a scalar and an empty tensor', () => {
    expect(roundTrip(tensorProto('s', DT.FLOAT, [], { float_data: [4] })).data).toEqual(Float32Array.from([4]));
    expect(roundTrip(tensorProto('e', DT.FLOAT, [0, 3], {})).data).toEqual(new Float32Array(0));
  });

  it('names the tensor when its data does not fit its dims', () => {
    expect(() => roundTrip(tensorProto('w', DT.FLOAT, [3], { raw_data: new Uint8Array(8) }))).toThrow("tensor 'w' float[3] needs 12 bytes, raw_data holds 8");
    expect(() => roundTrip(tensorProto('w', DT.INT32, [2, 2], { int32_data: [1] }))).toThrow("tensor 'w' int32[2,2] needs 4 values, int32_data holds 1");
    expect(() => roundTrip(tensorProto('c', 14, [1], { float_data: [1, 2] }))).toThrow("tensor 'c' has dtype complex64, which kiln cannot decode");
  });

  it('reads external data relative to the model, honouring offset and length', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-ext-'));
    writeFileSync(join(dir, 'w.bin'), new Uint8Array([9, 9, 9, 9, ...new Uint8Array(Float32Array.from([1, 2, 3]).buffer)]));
    const ext = (entries: Record<string, string>) => tensorProto('w', DT.FLOAT, [3], { data_location: 1, external_data: Object.entries(entries).map(([key, value]) => ({ key, value })) });
    const decode = (t: object) => decodeTensorData(TensorProtoType.decode(encodeTensor(t)) as unknown as TensorProto, { baseDir: dir });
    expect(decode(ext({ location: 'w.bin', offset: '4', length: '12' })).data).toEqual(Float32Array.from([1, 2, 3]));
    expect(() => decode(ext({ location: 'missing.bin' }))).toThrow(`tensor 'w': external data file 'missing.bin' not found (looked in ${dir})`);
    expect(() => decode(ext({ location: '../escape.bin' }))).toThrow("tensor 'w': external location '../escape.bin' must be relative to the model's directory");
    expect(() => decode(ext({ location: 'w.bin', offset: '8', length: '12' }))).toThrow("tensor 'w': external data 'w.bin' offset 8 length 12 exceeds the file (16 bytes)");
    expect(() => decodeTensorData(TensorProtoType.decode(encodeTensor(ext({ location: 'w.bin' }))) as unknown as TensorProto)).toThrow("tensor 'w' is stored in external file 'w.bin'; import the model from its path so the file can be found");
  });

  it('decodes a standalone TensorProto file and rejects one that is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-pb-'));
    writeFileSync(join(dir, 'input_0.pb'), encodeTensor(floatTensor('x', [2], [5, 6])));
    expect(decodeTensorFile(join(dir, 'input_0.pb'))).toMatchObject({ name: 'x', dataType: DT.FLOAT, dims: [2], data: Float32Array.from([5, 6]) });
    writeFileSync(join(dir, 'bad.pb'), new Uint8Array([0x0a, 0x05, 0x01]));
    expect(() => decodeTensorFile(join(dir, 'bad.pb'))).toThrow(`${join(dir, 'bad.pb')}: not an ONNX TensorProto: protobuf decoding failed: the file ends in the middle of a field (truncated?)`);
  });
});
