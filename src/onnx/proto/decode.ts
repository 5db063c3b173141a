// Decoding of ONNX files: a ModelProto, or a standalone TensorProto (.pb, as the
// backend test data stores inputs and outputs). protobuf accepts many byte strings
// that are not ONNX (unknown fields are skipped), so a decoded model is also checked
// for what every ONNX model has before anyone reads it; every failure is an OnnxError
// naming the file.
import { readFileSync } from 'node:fs';
import { OnnxError } from '../errors.js';
import { has, type ModelProto, type TensorProto } from './messages.js';
import { ModelProtoType, TensorProtoType } from './schema.js';
import { decodeTensorData, type DecodedTensor } from './tensor-data.js';

export interface Source {
  bytes: Uint8Array;
  /** The path the bytes came from, or '<bytes>'. */
  file: string;
  /** For external data; undefined when the model came as bytes. */
  baseDir?: string;
}

/** Reads a path (or takes bytes) into a Source; a missing file is an OnnxError. */
export function readSource(src: Uint8Array | string, label?: string): Source {
  if (typeof src !== 'string') {
    if (!(src instanceof Uint8Array)) throw new OnnxError(`expected a file path or a Uint8Array, got ${typeof src}`, { file: label });
    return { bytes: src, file: label ?? '<bytes>' };
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(src);
  } catch (e) {
    throw new OnnxError(`cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: src });
  }
  const slash = Math.max(src.lastIndexOf('/'), src.lastIndexOf('\\'));
  return { bytes, file: src, baseDir: slash >= 0 ? src.slice(0, slash) || '/' : '.' };
}

/** A text file (JSON, a script, an HTML error page) starts with printable characters; protobuf never does. */
function textPrefix(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, 24);
  const printable = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  return printable ? new TextDecoder().decode(head).replace(/\s+/g, ' ') : undefined;
}

function decodeOrThrow<T>(type: typeof ModelProtoType, source: Source, what: string): T {
  if (source.bytes.byteLength === 0) throw new OnnxError(`the file is empty; expected ${what}`, { file: source.file });
  const text = textPrefix(source.bytes);
  if (text !== undefined) throw new OnnxError(`not ${what}: the file is text ('${text}...'), ONNX files are binary protobuf`, { file: source.file });
  try {
    return type.decode(source.bytes) as unknown as T;
  } catch (e) {
    const why = e instanceof RangeError && /index out of range/.test(e.message) ? 'the file ends in the middle of a field (truncated?)' : (e as Error).message;
    throw new OnnxError(`not ${what}: protobuf decoding failed: ${why}`, { file: source.file });
  }
}

/** Decodes and sanity-checks a ModelProto. */
export function decodeModel(source: Source): ModelProto {
  const model = decodeOrThrow<ModelProto>(ModelProtoType, source, 'an ONNX model');
  const looksOnnx = has(model, 'ir_version') || has(model, 'graph') || model.opset_import.length > 0;
  if (!looksOnnx) throw new OnnxError('not an ONNX model: it has no ir_version, opset_import or graph', { file: source.file });
  if (!model.graph) throw new OnnxError('the model has no graph', { file: source.file });
  return model;
}

/** Decodes a standalone serialized TensorProto (e.g. test_data_set_0/input_0.pb) with its data. */
export function decodeTensorFile(src: Uint8Array | string): DecodedTensor {
  const source = readSource(src);
  const t = decodeOrThrow<TensorProto>(TensorProtoType as typeof ModelProtoType, source, 'an ONNX TensorProto');
  if (!has(t, 'data_type')) throw new OnnxError('not an ONNX TensorProto: it has no data_type', { file: source.file });
  try {
    return decodeTensorData(t, source);
  } catch (e) {
    throw new OnnxError((e as Error).message, { file: source.file });
  }
}
