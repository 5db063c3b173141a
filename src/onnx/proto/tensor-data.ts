// TensorProto -> typed array. Data may sit in raw_data (little-endian bytes), in the
// typed field for its dtype (float_data, int32_data, ...), or in an external file named
// relative to the model. Every size is checked against the dims before use, so a
// damaged tensor is an error naming it, never an out-of-bounds read.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ONNX_DTYPES, onnxDTypeName, type OnnxArray } from './dtypes.js';
import { bytesToString, has, toBigInt, toNumber, type TensorProto } from './messages.js';

export interface DecodedTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** f16/bf16/float8 as raw bits, bool as 0/1 bytes, int64 as BigInt64Array; strings as JS strings. */
  data: OnnxArray | string[];
}

export interface TensorSource {
  /** Directory external data locations are relative to; absent for models given as bytes. */
  baseDir?: string;
}

/** Largest element count decoded (2^31): beyond it dims are surely damaged. */
const MAX_ELEMENTS = 2 ** 31;

/** Thrown for well-formed tensors kiln cannot decode (complex, 4-bit, segments). */
export class TensorDecodeError extends Error {
  constructor(message: string, readonly unsupportedDType = false) {
    super(message);
  }
}

export function tensorDims(t: TensorProto): number[] {
  return t.dims.map(toNumber);
}

export function elementCount(t: TensorProto): number {
  const dims = tensorDims(t);
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new TensorDecodeError(`tensor '${t.name}' has invalid dims [${dims}]`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) throw new TensorDecodeError(`tensor '${t.name}' dims [${dims}] hold ${n} elements, more than kiln decodes (${MAX_ELEMENTS})`);
  return n;
}

/** Copies little-endian bytes into a fresh (aligned) typed array of the dtype. */
function fromBytes(bytes: Uint8Array, ctor: new (b: ArrayBuffer) => OnnxArray): OnnxArray {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer);
}

function readExternal(t: TensorProto, source: TensorSource): Uint8Array {
  const entries = new Map(t.external_data.map((e) => [e.key, e.value]));
  const location = entries.get('location');
  if (!location) throw new TensorDecodeError(`tensor '${t.name}' is stored externally but names no 'location'`);
  if (source.baseDir === undefined) throw new TensorDecodeError(`tensor '${t.name}' is stored in external file '${location}'; import the model from its path so the file can be found`);
  const rel = normalize(location);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new TensorDecodeError(`tensor '${t.name}': external location '${location}' must be relative to the model's directory`);
  const file = join(source.baseDir, rel);
  const offset = Number(entries.get('offset') ?? 0);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw new TensorDecodeError(`tensor '${t.name}': external data file '${location}' not found (looked in ${source.baseDir})`);
  }
  try {
    const size = fstatSync(fd).size;
    const length = entries.has('length') ? Number(entries.get('length')) : size - offset;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw new TensorDecodeError(`tensor '${t.name}': external data '${location}' offset ${offset} length ${length} exceeds the file (${size} bytes)`);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) break;
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function fromField(t: TensorProto, n: number): OnnxArray | string[] {
  const info = ONNX_DTYPES[t.data_type]!;
  const field = info.storage!;
  const values = t[field] as unknown[];
  if (values.length !== n) throw new TensorDecodeError(`tensor '${t.name}' ${onnxDTypeName(t.data_type)}[${tensorDims(t)}] needs ${n} values, ${field} holds ${values.length}`);
  if (field === 'string_data') return t.string_data.map(bytesToString);
  const out = new info.array!(n);
  if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = toBigInt(t.int64_data[i]!);
  else if (out instanceof BigUint64Array) for (let i = 0; i < n; i++) out[i] = BigInt.asUintN(64, toBigInt(t.uint64_data[i]!));
  else if (field === 'uint64_data') for (let i = 0; i < n; i++) out[i] = toNumber(t.uint64_data[i]!);
  else for (let i = 0; i < n; i++) out[i] = values[i] as number;
  return out;
}

/** Decodes a tensor's values; throws TensorDecodeError naming the tensor when it cannot. */
export function decodeTensorData(t: TensorProto, source: TensorSource = {}): DecodedTensor {
  const info = ONNX_DTYPES[t.data_type];
  if (!info) throw new TensorDecodeError(`tensor '${t.name}' has unknown data_type ${t.data_type}`);
  if (has(t, 'segment')) throw new TensorDecodeError(`tensor '${t.name}' is segmented; kiln does not read segmented tensors`);
  const n = elementCount(t);
  const dims = tensorDims(t);
  const external = t.data_location === 1;
  if (!info.array && !(info.storage === 'string_data' && !external && !has(t, 'raw_data'))) {
    throw new TensorDecodeError(`tensor '${t.name}' has dtype ${info.name}, which kiln cannot decode`, true);
  }
  if (external || has(t, 'raw_data')) {
    const bytes = external ? readExternal(t, source) : t.raw_data;
    if (bytes.byteLength !== n * info.bytes) {
      throw new TensorDecodeError(`tensor '${t.name}' ${info.name}[${dims}] needs ${n * info.bytes} bytes, ${external ? 'its external data has' : 'raw_data holds'} ${bytes.byteLength}`);
    }
    return { name: t.name, dataType: t.data_type, dims, data: fromBytes(bytes, info.array as never) };
  }
  return { name: t.name, dataType: t.data_type, dims, data: fromField(t, n) };
}
