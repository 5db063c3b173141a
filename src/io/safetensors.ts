// safetensors reader/writer: an 8-byte little-endian u64 header length N, N bytes of
// UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__"?: {str: str}},
// then the byte buffer the offsets index into. Untrusted files are validated fully
// (lengths, offsets, overlaps, sizes) and each message names the offending tensor.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  IoFormatError, checkTensor, elementSize, isValidShape, numel, typedArrayFromBytes, typedArrayToBytes,
  type IoDType, type IoTensor,
} from './tensor-data.js';

const ST_TO_DTYPE: Readonly<Record<string, IoDType>> = {
  F32: 'f32', F16: 'f16', BF16: 'bf16', I8: 'i8', U8: 'u8', I32: 'i32', I64: 'i64', BOOL: 'bool', F64: 'f64',
};
const DTYPE_TO_ST = Object.fromEntries(Object.entries(ST_TO_DTYPE).map(([k, v]) => [v, k])) as Record<IoDType, string>;

// Same cap as the reference implementation: a larger header is corrupt or hostile.
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

/** Tensors by name, in data-offset order, plus the free-form string metadata of the header. */
export type SafetensorsTensors = Map<string, IoTensor> & { readonly metadata: Record<string, string> };

interface Entry { name: string; dtype: IoDType; stDtype: string; shape: number[]; begin: number; end: number }

function parseEntry(name: string, raw: unknown, dataLen: number): Entry {
  const where = `safetensors tensor '${name}'`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new IoFormatError(`${where}: expected {dtype, shape, data_offsets}, got ${JSON.stringify(raw)}`);
  }
  const { dtype: stDtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof stDtype !== 'string' || !(stDtype in ST_TO_DTYPE)) {
    throw new IoFormatError(
      `${where}: unsupported dtype ${JSON.stringify(stDtype)} (supported: ${Object.keys(ST_TO_DTYPE).join(', ')})`,
    );
  }
  if (!isValidShape(shape)) {
    throw new IoFormatError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new IoFormatError(`${where}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new IoFormatError(`${where}: data_offsets [${begin},${end}] have begin > end`);
  if (end > dataLen) {
    throw new IoFormatError(
      `${where}: data_offsets [${begin},${end}] run past the end of the data buffer (${dataLen} bytes)`,
    );
  }
  const dtype = ST_TO_DTYPE[stDtype]!;
  const need = numel(shape) * elementSize(dtype);
  if (end - begin !== need) {
    throw new IoFormatError(
      `${where}: shape [${shape.join(',')}] of ${stDtype} needs ${need} bytes but data_offsets [${begin},${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, stDtype, shape: [...shape], begin, end };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new IoFormatError(`safetensors __metadata__ must be an object of strings, got ${JSON.stringify(raw)}`);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      throw new IoFormatError(`safetensors __metadata__ value for '${k}' must be a string, got ${JSON.stringify(v)}`);
    }
  }
  // fromEntries defines own properties, so a key like "__proto__" stays plain data.
  return Object.fromEntries(Object.entries(raw)) as Record<string, string>;
}

/** Parses a .safetensors file held in memory; each tensor gets a fresh, aligned copy. */
export function readSafetensors(bytes: Uint8Array): SafetensorsTensors {
  if (!(bytes instanceof Uint8Array)) throw new IoFormatError('readSafetensors expects a Uint8Array of the file bytes');
  if (bytes.length < 8) {
    throw new IoFormatError(`not a safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = dv.getBigUint64(0, true);
  if (headerLen64 > BigInt(bytes.length - 8)) {
    throw new IoFormatError(
      `safetensors header length ${headerLen64} runs past the end of the file (${bytes.length - 8} bytes after the length field)`,
    );
  }
  const headerLen = Number(headerLen64);
  if (headerLen > MAX_HEADER_BYTES) {
    throw new IoFormatError(`safetensors header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new IoFormatError('safetensors header is not valid UTF-8');
  }
  if (!text.startsWith('{')) {
    throw new IoFormatError(`safetensors header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new IoFormatError(`safetensors header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new IoFormatError('safetensors header must be a JSON object');
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(raw);
    else entries.push(parseEntry(name, raw, dataLen));
  }

  // Overlap check on a sorted copy; gaps are tolerated since they cannot alias data.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1]!;
    const cur = sorted[k]!;
    if (cur.begin < prev.end) {
      throw new IoFormatError(
        `safetensors tensors '${prev.name}' [${prev.begin},${prev.end}] and '${cur.name}' [${cur.begin},${cur.end}] overlap`,
      );
    }
  }

  const tensors = new Map<string, IoTensor>();
  for (const e of sorted) {
    tensors.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: typedArrayFromBytes(e.dtype, bytes, dataStart + e.begin, numel(e.shape)),
    });
  }
  return Object.assign(tensors, { metadata });
}

/**
 * Serializes tensors as safetensors. Tensors are laid out widest dtype first (stable
 * within a width) so each starts naturally aligned, and the header is space-padded to
 * a multiple of 8 so the data buffer is 8-byte aligned in the file too.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, IoTensor> | Readonly<Record<string, IoTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const list: [string, IoTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: [string, unknown][] = [];
  if (metadata !== undefined) header.push([METADATA_KEY, parseMetadata(metadata)]);
  for (const [name, t] of list) {
    if (typeof name !== 'string' || name.length === 0 || name === METADATA_KEY) {
      throw new IoFormatError(`writeSafetensors: invalid tensor name ${JSON.stringify(name)}`);
    }
    checkTensor(t, `writeSafetensors: tensor '${name}'`);
  }
  const order = list
    .map((entry, k) => ({ entry, k }))
    .sort((a, b) => elementSize(b.entry[1].dtype) - elementSize(a.entry[1].dtype) || a.k - b.k)
    .map(({ entry }) => entry);

  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const [name, t] of order) {
    let blob = typedArrayToBytes(t.dtype, t.data);
    if (t.dtype === 'bool') blob = blob.map((b) => (b ? 1 : 0)); // BOOL bytes must be 0/1
    header.push([name, { dtype: DTYPE_TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + blob.length] }]);
    blobs.push(blob);
    offset += blob.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header)));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

/** Reads a .safetensors file from disk; errors are prefixed with the path. */
export function loadSafetensors(path: string): SafetensorsTensors {
  const bytes = readFileSync(path);
  try {
    return readSafetensors(bytes);
  } catch (e) {
    if (e instanceof IoFormatError) throw new IoFormatError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Writes tensors (and optional string metadata) to disk as .safetensors. */
export function saveSafetensors(
  path: string,
  tensors: ReadonlyMap<string, IoTensor> | Readonly<Record<string, IoTensor>>,
  metadata?: Readonly<Record<string, string>>,
): void {
  writeFileSync(path, writeSafetensors(tensors, metadata));
}
