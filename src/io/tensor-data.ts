// Shared pieces of the file-format readers/writers: the dtype names they speak,
// the typed array each dtype lives in, and byte <-> typed-array copies that are
// always aligned and little-endian on disk whatever the host is.
// The dtype names match src/ir/dtype.ts (plus f64) but are kept local on purpose:
// src/io must stay free of the IR so it can load files before any graph exists.

export type IoDType = 'f32' | 'f16' | 'bf16' | 'i8' | 'u8' | 'i32' | 'i64' | 'bool' | 'f64';

export const IO_DTYPES: readonly IoDType[] = ['f32', 'f16', 'bf16', 'i8', 'u8', 'i32', 'i64', 'bool', 'f64'];

/** f16/bf16 are held as raw IEEE/bfloat16 bits in a Uint16Array (Node 20 has no Float16Array). */
export type IoTypedArray =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

export interface IoTensor {
  dtype: IoDType;
  shape: number[];
  data: IoTypedArray;
}

/** Thrown for every malformed or unsupported file/argument, so callers can tell it from bugs. */
export class IoFormatError extends Error {
  override name = 'IoFormatError';
}

type ArrayCtor = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): IoTypedArray; name: string };

const INFO: Readonly<Record<IoDType, { bytes: number; ctor: ArrayCtor }>> = {
  f32: { bytes: 4, ctor: Float32Array },
  f16: { bytes: 2, ctor: Uint16Array },
  bf16: { bytes: 2, ctor: Uint16Array },
  i8: { bytes: 1, ctor: Int8Array },
  u8: { bytes: 1, ctor: Uint8Array },
  i32: { bytes: 4, ctor: Int32Array },
  i64: { bytes: 8, ctor: BigInt64Array },
  bool: { bytes: 1, ctor: Uint8Array },
  f64: { bytes: 8, ctor: Float64Array },
};

// Typed arrays use host byte order; both formats are little-endian on disk.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isIoDType(x: unknown): x is IoDType {
  return typeof x === 'string' && (IO_DTYPES as readonly string[]).includes(x);
}

export function elementSize(dtype: IoDType): number {
  return INFO[dtype].bytes;
}

/** Element count of a shape; the caller has already checked the dims are valid. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** True when every dim is a non-negative safe integer. */
export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function swapBytesInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/**
 * Copies `count` little-endian elements starting at bytes[offset] into a fresh typed
 * array. Copying (rather than viewing) keeps the result aligned and independent of the
 * file buffer, which may be a pooled Node Buffer at an odd byteOffset.
 */
export function typedArrayFromBytes(dtype: IoDType, bytes: Uint8Array, offset: number, count: number): IoTypedArray {
  const { bytes: width, ctor } = INFO[dtype];
  // Not bytes.slice(): on a Node Buffer that returns a view into the shared pool.
  const copy = new Uint8Array(count * width);
  copy.set(bytes.subarray(offset, offset + count * width));
  if (!HOST_IS_LITTLE_ENDIAN && width > 1) swapBytesInPlace(copy, width);
  return new ctor(copy.buffer, 0, count);
}

/** The little-endian bytes of a typed array (a view when the host is little-endian). */
export function typedArrayToBytes(dtype: IoDType, data: IoTypedArray): Uint8Array {
  const width = INFO[dtype].bytes;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || width === 1) return view;
  const copy = view.slice();
  swapBytesInPlace(copy, width);
  return copy;
}

/**
 * Checks a tensor handed to a writer: known dtype, valid shape, the typed array class
 * that dtype lives in, and exactly numel(shape) elements. `what` names it in messages.
 */
export function checkTensor(t: IoTensor, what: string): void {
  if (!t || typeof t !== 'object') throw new IoFormatError(`${what}: expected {dtype, shape, data}, got ${String(t)}`);
  if (!isIoDType(t.dtype)) {
    throw new IoFormatError(`${what}: unknown dtype '${String(t.dtype)}' (expected one of ${IO_DTYPES.join(', ')})`);
  }
  if (!isValidShape(t.shape)) {
    throw new IoFormatError(`${what}: shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
  const ctor = INFO[t.dtype].ctor;
  if (!(t.data instanceof ctor)) {
    const got = (t.data as object | undefined)?.constructor?.name ?? String(t.data);
    throw new IoFormatError(`${what}: dtype ${t.dtype} needs its data in a ${ctor.name}, got ${got}`);
  }
  const n = numel(t.shape);
  if (t.data.length !== n) {
    throw new IoFormatError(
      `${what}: shape [${t.shape.join(',')}] has ${n} elements but data has ${t.data.length}`,
    );
  }
}
