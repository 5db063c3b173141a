// .npy reader/writer: files made by NumPy (test/io/fixtures, values in expected.json),
// round trips for every dtype npy can hold, and malformed input with exact messages.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoFormatError, loadNpy, readNpy, saveNpy, writeNpy, type IoTensor } from '../../src/io/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string, { descr: string; shape: number[]; values: (number | string)[] }
>;

const DESCR_DTYPE: Record<string, string> = {
  '<f4': 'f32', '|u1': 'u8', '|i1': 'i8', '<i4': 'i32', '<i8': 'i64', '|b1': 'bool', '<f2': 'f16', '<f8': 'f64',
};

/** A minimal v1.0 file with the given header dict text and data bytes. */
function npyBytes(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const text = new TextEncoder().encode(dict + '\n');
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, text.length, true);
  else dv.setUint32(8, text.length, true);
  out.set(text, pre);
  out.set(data, pre + text.length);
  return out;
}

const F32_2X3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

describe('readNpy on files written by numpy', () => {
  const npyFixtures = Object.keys(expected).filter((n) => n.endsWith('.npy'));
  it('covers every supported descr', () => {
    expect(new Set(npyFixtures.map((n) => expected[n]!.descr))).toEqual(new Set(Object.keys(DESCR_DTYPE)));
  });
  for (const name of npyFixtures) {
    it(name, () => {
      const want = expected[name]!;
      const got = readNpy(fixture(name));
      expect(got.dtype).toBe(DESCR_DTYPE[want.descr]);
      expect(got.shape).toEqual(want.shape);
      const values = Array.from(got.data as ArrayLike<number | bigint>, (v) =>
        typeof v === 'bigint' ? v.toString() : v);
      if (got.dtype === 'f32') expect(values).toEqual(want.values.map((v) => Math.fround(v as number)));
      else expect(values).toEqual(want.values);
    });
  }

  it('reads the (2,3) f32 fixture as exact values', () => {
    const t = readNpy(fixture('f4-2x3.npy'));
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data as Float32Array)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
  });

  it('copies into an aligned array even when the input sits at an odd byte offset', () => {
    const file = fixture('f8-3.npy');
    const padded = new Uint8Array(file.length + 1);
    padded.set(file, 1);
    const t = readNpy(padded.subarray(1));
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(t.data.byteOffset % 8).toBe(0);
    expect((t.data as Float64Array)[0]).toBe(Math.PI);
  });
});

describe('writeNpy / readNpy round trips', () => {
  const cases: IoTensor[] = [
    { dtype: 'f32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, Infinity, -0, 1e-30]) },
    { dtype: 'f16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7c00]) },
    { dtype: 'f64', shape: [1, 2], data: new Float64Array([Math.E, -1e308]) },
    { dtype: 'i8', shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
    { dtype: 'u8', shape: [2, 2], data: new Uint8Array([0, 1, 128, 255]) },
    { dtype: 'i32', shape: [2], data: new Int32Array([-2147483648, 2147483647]) },
    { dtype: 'i64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
    { dtype: 'f32', shape: [], data: new Float32Array([7]) },
    { dtype: 'u8', shape: [0, 5], data: new Uint8Array(0) },
  ];
  for (const t of cases) {
    it(`${t.dtype} [${t.shape.join(',')}]`, () => {
      const bytes = writeNpy(t);
      // Data starts 64-byte aligned and the header ends in '\n', as numpy requires.
      const headerLen = bytes[8]! | (bytes[9]! << 8);
      expect((10 + headerLen) % 64).toBe(0);
      expect(bytes[10 + headerLen - 1]).toBe(0x0a);
      const back = readNpy(bytes);
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(back.data).toEqual(t.data);
    });
  }

  it('writes headers numpy-style', () => {
    const bytes = writeNpy({ dtype: 'f32', shape: [5], data: new Float32Array(5) });
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + (bytes[8]! | (bytes[9]! << 8))));
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }");
  });

  it('normalizes bool bytes to 0/1', () => {
    const back = readNpy(writeNpy({ dtype: 'bool', shape: [3], data: new Uint8Array([0, 2, 255]) }));
    expect(Array.from(back.data as Uint8Array)).toEqual([0, 1, 1]);
  });

  it('switches to version 2.0 when the header outgrows a u16 length', () => {
    const shape = new Array<number>(23000).fill(1);
    const bytes = writeNpy({ dtype: 'i32', shape, data: new Int32Array([42]) });
    expect(bytes[6]).toBe(2);
    const back = readNpy(bytes);
    expect(back.shape).toEqual(shape);
    expect(Array.from(back.data as Int32Array)).toEqual([42]);
  });

  it('saveNpy / loadNpy go through the file system', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kiln-npy-')), 'a.npy');
    saveNpy(path, { dtype: 'i32', shape: [2], data: new Int32Array([5, -6]) });
    expect(loadNpy(path)).toEqual({ dtype: 'i32', shape: [2], data: new Int32Array([5, -6]) });
  });
});

describe('writeNpy refuses what npy cannot hold', () => {
  it('bf16', () => {
    expect(() => writeNpy({ dtype: 'bf16', shape: [1], data: new Uint16Array(1) })).toThrow(
      'npy cannot hold dtype bf16: numpy has no bfloat16; convert to f32 or store it with writeSafetensors (BF16)',
    );
  });
  it('data of the wrong class or length', () => {
    expect(() => writeNpy({ dtype: 'f32', shape: [2], data: new Float64Array(2) })).toThrow(
      'writeNpy: dtype f32 needs its data in a Float32Array, got Float64Array',
    );
    expect(() => writeNpy({ dtype: 'u8', shape: [2, 2], data: new Uint8Array(3) })).toThrow(
      'writeNpy: shape [2,2] has 4 elements but data has 3',
    );
    expect(() => writeNpy({ dtype: 'u8', shape: [-1], data: new Uint8Array(0) })).toThrow(
      'writeNpy: shape must be an array of non-negative integers, got [-1]',
    );
  });
});

describe('readNpy rejects bad input with clear messages', () => {
  const good = () => writeNpy({ dtype: 'f32', shape: [2, 3], data: new Float32Array(6) });
  const cases: [string, () => Uint8Array, string][] = [
    ['bad magic', () => new TextEncoder().encode('PK\x03\x04 this is a zip file'), 'not a .npy file: bad magic'],
    ['empty input', () => new Uint8Array(0), 'not a .npy file: bad magic'],
    ['truncated preamble', () => good().subarray(0, 8),
      'truncated .npy file: 8 bytes is shorter than the 10-byte preamble'],
    ['header longer than the file', () => good().subarray(0, 60),
      'truncated .npy file: header length 118 runs past the end of the file (60 bytes)'],
    ['truncated data', () => npyBytes(F32_2X3, new Uint8Array(20)),
      'npy header says shape (2,3) = 6 elements of <f4 (24 bytes) but the file has 20 data bytes'],
    ['trailing data', () => npyBytes(F32_2X3, new Uint8Array(28)),
      'npy header says shape (2,3) = 6 elements of <f4 (24 bytes) but the file has 28 data bytes'],
    ['unknown version', () => { const b = good(); b[6] = 4; return b; },
      'unsupported npy format version 4.0 (expected 1.0, 2.0 or 3.0)'],
    ['header not a literal', () => npyBytes("{'descr': '<f4', 'fortran_order': Fals"),
      'npy header is not a valid Python literal'],
    ['header not a dict', () => npyBytes("('<f4', False, (2, 3))"), 'npy header must be a dict'],
    ['structured descr', () => npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
      "npy header 'descr' must be a dtype string like '<f4'"],
    ['missing fortran_order', () => npyBytes("{'descr': '<f4', 'shape': (1,), }"),
      "npy header 'fortran_order' must be True or False, got undefined"],
    ['bad shape', () => npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }"),
      "npy header 'shape' must be a tuple of non-negative ints, got [2,-3]"],
    ['big-endian', () => npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)),
      "unsupported npy dtype '>f4' (big-endian)"],
    ['complex', () => npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)),
      "unsupported npy dtype '<c8' (supported: <f4, <f2, <f8, |i1, |u1, <i4, <i8, |b1)"],
    ['fortran order', () => npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(24)),
      'npy file has fortran_order=True (column-major); only C order is supported'],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      const bytes = make();
      expect(() => readNpy(bytes)).toThrow(IoFormatError);
      expect(() => readNpy(bytes)).toThrow(message);
    });
  }

  it('refuses numpy-written fortran-order and big-endian files', () => {
    expect(() => readNpy(fixture('fortran-f4.npy'))).toThrow(/fortran_order=True.*np\.ascontiguousarray/);
    expect(() => readNpy(fixture('big-endian-f4.npy'))).toThrow(
      "unsupported npy dtype '>f4' (big-endian); save it little-endian, e.g. arr.astype('<f4')",
    );
  });

  it('accepts Python 2 long ints and double-quoted strings in the header', () => {
    const t = readNpy(npyBytes('{"descr": "|u1", "fortran_order": False, "shape": (1L, 2L)}', new Uint8Array([3, 4])));
    expect(t).toEqual({ dtype: 'u8', shape: [1, 2], data: new Uint8Array([3, 4]) });
  });

  it('reads a hand-made version 2.0 file', () => {
    const t = readNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array([1, 0, 0, 0]), 2));
    expect(t.data).toEqual(new Int32Array([1]));
  });

  it('loadNpy prefixes errors with the path', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kiln-npy-')), 'bad.npy');
    writeFileSync(path, 'hello');
    expect(() => loadNpy(path)).toThrow(`${path}: not a .npy file: bad magic`);
  });
});
