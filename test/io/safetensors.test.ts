// safetensors reader/writer: a file from an independent Python struct+json writer
// (fixtures/mixed.safetensors), round trips for every dtype, and malformed headers,
// offsets and sizes, each asserting the message names the offending tensor.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IoFormatError, loadSafetensors, readSafetensors, saveSafetensors, writeSafetensors, type IoTensor,
} from '../../src/io/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'))['mixed.safetensors'] as {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
};

/** A file with a raw header (object or exact text) and data buffer, header padded to 8. */
function stBytes(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const asPlain = (data: ArrayLike<number | bigint>): (number | string)[] =>
  Array.from(data, (v) => (typeof v === 'bigint' ? v.toString() : v));

describe('readSafetensors on a file written by a Python struct+json script', () => {
  const file = new Uint8Array(readFileSync(join(FIXTURES, 'mixed.safetensors')));
  const tensors = readSafetensors(file);

  it('exposes __metadata__ separately, not as a tensor', () => {
    expect(tensors.metadata).toEqual(expected.metadata);
    expect(tensors.has('__metadata__')).toBe(false);
  });

  it('has every tensor with the right dtype, shape and values', () => {
    const st: Record<string, string> = {
      F32: 'f32', F64: 'f64', F16: 'f16', BF16: 'bf16', I64: 'i64', I32: 'i32', I8: 'i8', U8: 'u8', BOOL: 'bool',
    };
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors)) {
      const t = tensors.get(name)!;
      expect(t.dtype, name).toBe(st[want.dtype]);
      expect(t.shape, name).toEqual(want.shape);
      const values = want.dtype === 'F32' ? want.values.map((v) => Math.fround(v as number)) : want.values;
      expect(asPlain(t.data as ArrayLike<number>), name).toEqual(values);
    }
  });

  it('copies every tensor to its own aligned typed array', () => {
    for (const t of tensors.values()) {
      expect(t.data.byteOffset).toBe(0);
      expect(t.data.buffer).not.toBe(file.buffer);
    }
    // Shifted by 3 bytes, a Float64Array view onto 'bias' could not even be constructed;
    // the reader copies, so the placement of the input buffer does not matter.
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    expect((readSafetensors(shifted.subarray(3)).get('bias')!.data as Float64Array)[1]).toBe(-7);
  });
});

describe('writeSafetensors / readSafetensors round trips', () => {
  const all: Record<string, IoTensor> = {
    a_u8: { dtype: 'u8', shape: [3], data: new Uint8Array([1, 2, 255]) },
    b_f32: { dtype: 'f32', shape: [2, 2], data: new Float32Array([1.5, -2, 0, Infinity]) },
    c_f16: { dtype: 'f16', shape: [1], data: new Uint16Array([0x3c00]) },
    d_bf16: { dtype: 'bf16', shape: [2], data: new Uint16Array([0x3f80, 0xc049]) },
    e_i8: { dtype: 'i8', shape: [2], data: new Int8Array([-128, 127]) },
    f_i32: { dtype: 'i32', shape: [], data: new Int32Array([-7]) },
    g_i64: { dtype: 'i64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    h_bool: { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
    i_f64: { dtype: 'f64', shape: [1, 1], data: new Float64Array([Math.PI]) },
    j_empty: { dtype: 'f32', shape: [0, 4], data: new Float32Array(0) },
  };

  it('keeps every dtype, shape, value and the metadata', () => {
    const back = readSafetensors(writeSafetensors(all, { note: 'round trip', n: '1' }));
    expect(back.metadata).toEqual({ note: 'round trip', n: '1' });
    expect(back.size).toBe(Object.keys(all).length);
    for (const [name, t] of Object.entries(all)) expect(back.get(name), name).toEqual(t);
  });

  it('accepts a Map, omits __metadata__ when none is given, and lays data out aligned', () => {
    const bytes = writeSafetensors(new Map(Object.entries(all)));
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<
      string, { dtype: string; data_offsets: [number, number] }
    >;
    expect(header).not.toHaveProperty('__metadata__');
    const width: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, U8: 1, I8: 1, BOOL: 1 };
    for (const entry of Object.values(header)) expect(entry.data_offsets[0] % width[entry.dtype]!).toBe(0);
    expect(readSafetensors(bytes).metadata).toEqual({});
  });

  it('normalizes BOOL bytes to 0/1', () => {
    const back = readSafetensors(writeSafetensors({ m: { dtype: 'bool', shape: [2], data: new Uint8Array([0, 9]) } }));
    expect(back.get('m')!.data).toEqual(new Uint8Array([0, 1]));
  });

  it('saveSafetensors / loadSafetensors go through the file system', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kiln-st-')), 'w.safetensors');
    saveSafetensors(path, { w: all.b_f32! }, { k: 'v' });
    const back = loadSafetensors(path);
    expect(back.get('w')).toEqual(all.b_f32);
    expect(back.metadata).toEqual({ k: 'v' });
  });

  it('refuses bad tensors and names', () => {
    expect(() => writeSafetensors({ w: { dtype: 'f32', shape: [3], data: new Float32Array(2) } })).toThrow(
      "writeSafetensors: tensor 'w': shape [3] has 3 elements but data has 2",
    );
    expect(() => writeSafetensors({ w: { dtype: 'i64', shape: [1], data: new Int32Array(1) } as never })).toThrow(
      "writeSafetensors: tensor 'w': dtype i64 needs its data in a BigInt64Array, got Int32Array",
    );
    expect(() => writeSafetensors({ __metadata__: all.a_u8! })).toThrow('writeSafetensors: invalid tensor name "__metadata__"');
    expect(() => writeSafetensors({}, { n: 1 } as never)).toThrow("__metadata__ value for 'n' must be a string, got 1");
  });
});

describe('readSafetensors rejects bad input with clear messages', () => {
  const f32x2 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const cases: [string, () => Uint8Array, string][] = [
    ['shorter than the length field', () => new Uint8Array(5),
      'not a safetensors file: 5 bytes is shorter than the 8-byte header length'],
    ['header length past the end', () => stBytes({ w: f32x2 }, new Uint8Array(8)).subarray(0, 30),
      'safetensors header length 54 runs past the end of the file (22 bytes after the length field)'],
    ['huge header length', () => { const b = stBytes({}); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; },
      'safetensors header length 9223372036854775808 runs past the end of the file (2 bytes after the length field)'],
    ['truncated data', () => stBytes({ w: f32x2 }, new Uint8Array(6)),
      "safetensors tensor 'w': data_offsets [0,8] run past the end of the data buffer (6 bytes)"],
    ['bad JSON', () => stBytes('{"w": {"dtype": "F32",'), 'safetensors header is not valid JSON: '],
    ['not an object', () => stBytes('[1, 2]'), "safetensors header must be a JSON object starting with '{', got \"[1, 2]\""],
    ['invalid UTF-8', () => { const b = stBytes('{"\u00e9": 1}'); b[11] = 0xff; return b; },
      'safetensors header is not valid UTF-8'],
    ['entry not an object', () => stBytes({ w: 3 }), "safetensors tensor 'w': expected {dtype, shape, data_offsets}, got 3"],
    ['unsupported dtype', () => stBytes({ w: { ...f32x2, dtype: 'F8_E4M3' } }, new Uint8Array(8)),
      "safetensors tensor 'w': unsupported dtype \"F8_E4M3\" (supported: F32, F16, BF16, I8, U8, I32, I64, BOOL, F64)"],
    ['bad shape', () => stBytes({ w: { ...f32x2, shape: [2.5] } }, new Uint8Array(8)),
      "safetensors tensor 'w': shape must be an array of non-negative integers, got [2.5]"],
    ['bad offsets', () => stBytes({ w: { ...f32x2, data_offsets: [0] } }, new Uint8Array(8)),
      "safetensors tensor 'w': data_offsets must be [begin, end] non-negative integers, got [0]"],
    ['begin after end', () => stBytes({ w: { ...f32x2, data_offsets: [8, 0] } }, new Uint8Array(8)),
      "safetensors tensor 'w': data_offsets [8,0] have begin > end"],
    ['offsets out of range', () => stBytes({ w: { ...f32x2, data_offsets: [100, 108] } }, new Uint8Array(8)),
      "safetensors tensor 'w': data_offsets [100,108] run past the end of the data buffer (8 bytes)"],
    ['size mismatch', () => stBytes({ w: { ...f32x2, shape: [3] } }, new Uint8Array(8)),
      "safetensors tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets [0,8] span 8"],
    ['overlap', () => stBytes({ a: f32x2, b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      "safetensors tensors 'a' [0,8] and 'b' [4,8] overlap"],
    ['metadata not strings', () => stBytes({ __metadata__: { epochs: 3 } }),
      "safetensors __metadata__ value for 'epochs' must be a string, got 3"],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      const bytes = make();
      expect(() => readSafetensors(bytes)).toThrow(IoFormatError);
      expect(() => readSafetensors(bytes)).toThrow(message);
    });
  }

  it('tolerates gaps between tensors and trailing header spaces', () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setFloat32(12, 2.5, true);
    const t = readSafetensors(stBytes(JSON.stringify({ w: { dtype: 'F32', shape: [], data_offsets: [12, 16] } }) + '   ', data));
    expect(t.get('w')!.data).toEqual(new Float32Array([2.5]));
  });

  it('loadSafetensors prefixes errors with the path', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kiln-st-')), 'bad.safetensors');
    writeFileSync(path, stBytes({ w: f32x2 }, new Uint8Array(4)));
    expect(() => loadSafetensors(path)).toThrow(`${path}: safetensors tensor 'w': data_offsets [0,8] run past`);
  });
});
