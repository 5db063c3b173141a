// NumPy .npy reader/writer (format versions 1.0, 2.0 and 3.0), little-endian only.
// Layout: "\x93NUMPY", major, minor, header length (u16 LE for v1, u32 LE for v2/v3),
// a Python dict literal {'descr', 'fortran_order', 'shape'} padded with spaces and
// ending in '\n', then the raw C-order data. Every malformed input becomes an
// IoFormatError that says what was expected and what the file held.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  IoFormatError, checkTensor, elementSize, isValidShape, numel, typedArrayFromBytes, typedArrayToBytes,
  type IoDType, type IoTensor,
} from './tensor-data.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const PREAMBLE_V1 = 10; // magic(6) + version(2) + u16 length
const PREAMBLE_V2 = 12; // magic(6) + version(2) + u32 length
const ALIGN = 64; // numpy pads the whole preamble+header so data starts 64-byte aligned

// numpy has no bfloat16, so bf16 is deliberately absent from this table.
const DESCR_TO_DTYPE: Readonly<Record<string, IoDType>> = {
  f4: 'f32', f2: 'f16', f8: 'f64', i1: 'i8', u1: 'u8', i4: 'i32', i8: 'i64', b1: 'bool',
};
const DTYPE_TO_DESCR: Partial<Record<IoDType, string>> = {
  f32: '<f4', f16: '<f2', f64: '<f8', i8: '|i1', u8: '|u1', i32: '<i4', i64: '<i8', bool: '|b1',
};

// Not TextDecoder('latin1'): per WHATWG that is windows-1252, which remaps 0x80-0x9f.
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let k = 0; k < bytes.length; k += 8192) s += String.fromCharCode(...bytes.subarray(k, k + 8192));
  return s;
}

function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(',')})`;
}

// ---- a tiny parser for the Python literal numpy writes as the header ----

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new IoFormatError(`npy header is not a valid Python literal: ${what} at offset ${i} in ${JSON.stringify(text)}`);
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): PyValue => {
    skip();
    const c = text[i];
    if (c === '{') return dict();
    if (c === '(' || c === '[') return seq(c === '(' ? ')' : ']');
    if (c === "'" || c === '"') return str();
    if (c !== undefined && /[-0-9]/.test(c)) {
      const m = /^-?\d+L?/.exec(text.slice(i)); // 'L' suffix: ints written by Python 2
      if (!m) fail('expected a number');
      i += m![0].length;
      return Number.parseInt(m![0], 10);
    }
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    return fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  };
  const str = (): string => {
    const quote = text[i++];
    let out = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') i++; // escapes never occur in real headers; keep the next char
      out += text[i++] ?? '';
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    return out;
  };
  const seq = (close: string): PyValue[] => {
    i++;
    const items: PyValue[] = [];
    for (;;) {
      skip();
      if (text[i] === close) { i++; return items; }
      items.push(value());
      skip();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const dict = (): { [k: string]: PyValue } => {
    i++;
    const out: { [k: string]: PyValue } = {};
    for (;;) {
      skip();
      if (text[i] === '}') { i++; return out; }
      const key = value();
      if (typeof key !== 'string') fail('expected a string key');
      skip();
      if (text[i++] !== ':') fail("expected ':'");
      out[key as string] = value();
      skip();
      if (text[i] === ',') i++;
      else if (text[i] !== '}') fail("expected ',' or '}'");
    }
  };
  const result = value();
  skip();
  if (i !== text.length) fail('trailing characters');
  return result;
}

function descrToDtype(descr: string): IoDType {
  const order = descr[0];
  const code = descr.slice(1);
  const dtype = DESCR_TO_DTYPE[code];
  const single = dtype !== undefined && elementSize(dtype) === 1;
  if (order === '>' && dtype !== undefined && !single) {
    throw new IoFormatError(`unsupported npy dtype '${descr}' (big-endian); save it little-endian, e.g. arr.astype('<${code}')`);
  }
  // '|' (not applicable) and '<' are what numpy writes; byte order is moot for 1-byte types.
  if (dtype === undefined || !(order === '<' || order === '|' || (single && (order === '>' || order === '=')))) {
    throw new IoFormatError(
      `unsupported npy dtype '${descr}' (supported: ${Object.values(DTYPE_TO_DESCR).join(', ')})`,
    );
  }
  return dtype;
}

/** Parses a .npy file held in memory. The returned data is a fresh, aligned copy. */
export function readNpy(bytes: Uint8Array): IoTensor {
  if (!(bytes instanceof Uint8Array)) throw new IoFormatError('readNpy expects a Uint8Array of the file bytes');
  if (bytes.length < MAGIC.length || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw new IoFormatError('not a .npy file: bad magic (expected "\\x93NUMPY" at the start)');
  }
  if (bytes.length < PREAMBLE_V1) {
    throw new IoFormatError(`truncated .npy file: ${bytes.length} bytes is shorter than the ${PREAMBLE_V1}-byte preamble`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw new IoFormatError(`unsupported npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const preamble = major === 1 ? PREAMBLE_V1 : PREAMBLE_V2;
  if (bytes.length < preamble) {
    throw new IoFormatError(`truncated .npy file: ${bytes.length} bytes is shorter than the ${preamble}-byte v${major} preamble`);
  }
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = preamble + headerLen;
  if (dataStart > bytes.length) {
    throw new IoFormatError(
      `truncated .npy file: header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`,
    );
  }
  const headerBytes = bytes.subarray(preamble, dataStart);
  // v1/v2 headers are latin-1, v3 is UTF-8 (for non-latin-1 structured field names).
  const header = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : latin1(headerBytes);

  const dict = parsePyLiteral(header.trim());
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw new IoFormatError(`npy header must be a dict, got ${JSON.stringify(header.trim())}`);
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== 'string') {
    throw new IoFormatError(`npy header 'descr' must be a dtype string like '<f4', got ${JSON.stringify(descr)} (structured dtypes are not supported)`);
  }
  if (typeof fortran !== 'boolean') {
    throw new IoFormatError(`npy header 'fortran_order' must be True or False, got ${JSON.stringify(fortran)}`);
  }
  if (fortran) {
    throw new IoFormatError(
      'npy file has fortran_order=True (column-major); only C order is supported: save np.ascontiguousarray(arr) instead',
    );
  }
  if (!isValidShape(shape)) {
    throw new IoFormatError(`npy header 'shape' must be a tuple of non-negative ints, got ${JSON.stringify(shape)}`);
  }
  const dtype = descrToDtype(descr);
  const n = numel(shape);
  const need = n * elementSize(dtype);
  const have = bytes.length - dataStart;
  if (need !== have) {
    throw new IoFormatError(
      `npy header says shape ${formatShape(shape)} = ${n} elements of ${descr} (${need} bytes) but the file has ${have} data bytes`,
    );
  }
  return { dtype, shape: [...shape], data: typedArrayFromBytes(dtype, bytes, dataStart, n) };
}

/** Serializes a tensor as .npy (version 1.0, or 2.0 when the header outgrows a u16). */
export function writeNpy(array: IoTensor): Uint8Array {
  checkTensor(array, 'writeNpy');
  const descr = DTYPE_TO_DESCR[array.dtype];
  if (descr === undefined) {
    throw new IoFormatError(
      `npy cannot hold dtype ${array.dtype}: numpy has no bfloat16; convert to f32 or store it with writeSafetensors (BF16)`,
    );
  }
  const shapeText = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1;
  let preamble = PREAMBLE_V1;
  let headerLen = Math.ceil((preamble + dict.length + 1) / ALIGN) * ALIGN - preamble;
  if (headerLen > 0xffff) {
    major = 2;
    preamble = PREAMBLE_V2;
    headerLen = Math.ceil((preamble + dict.length + 1) / ALIGN) * ALIGN - preamble;
  }
  let data = typedArrayToBytes(array.dtype, array.data);
  // numpy bools are exactly 0 or 1; normalize so other readers don't see odd bytes.
  if (array.dtype === 'bool') data = data.map((b) => (b ? 1 : 0));

  const out = new Uint8Array(preamble + headerLen + data.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  const text = dict.padEnd(headerLen - 1, ' ') + '\n';
  for (let k = 0; k < text.length; k++) out[preamble + k] = text.charCodeAt(k);
  out.set(data, preamble + headerLen);
  return out;
}

/** Reads a .npy file from disk; errors are prefixed with the path. */
export function loadNpy(path: string): IoTensor {
  const bytes = readFileSync(path);
  try {
    return readNpy(bytes);
  } catch (e) {
    if (e instanceof IoFormatError) throw new IoFormatError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Writes a tensor to disk as .npy. */
export function saveNpy(path: string, array: IoTensor): void {
  writeFileSync(path, writeNpy(array));
}
