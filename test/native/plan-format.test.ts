// The plan file: round trip through serializePlan / Engine / inspectPlan, the
// documented layout (header fields, 64-byte aligned weights), and refusal of
// every kind of damaged or lying file with a clear error and no crash.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, fixChecksum, kiln, rng, runPlan } from './plan-fixtures.js';

/** x[2,3] -> gemm with weights [3,4] + bias -> relu -> y[2,4] (a plan with a bit of everything). */
function smallPlan() {
  const b = new PlanBuilder();
  const x = b.input('x', [2, 3]);
  const w = b.weight('w', [3, 4], Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 7));
  const bias = b.weight('bias', [4], Float32Array.from([0.5, -0.25, 0, 1]));
  const h = b.tensor('h', [2, 4]);
  const y = b.tensor('y', [2, 4]);
  b.layer('gemm', [x, w, bias], [h], [0, 0, 0, 1], [0, 0], 'fc1');
  b.layer('unary', [h], [y], [1], [0, 0], 'relu1');
  b.output(y);
  return b;
}
const X = { x: { data: Float32Array.from([1, -2, 3, 0.5, 0.25, -1]), shape: [2, 3] } };

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e: any) {
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a throw');
}

/** Walks the body's sections: tag -> [payload start, payload length]. */
function sections(plan: Uint8Array): Record<string, [number, number]> {
  const v = new DataView(plan.buffer, plan.byteOffset, plan.byteLength);
  const out: Record<string, [number, number]> = {};
  let at = v.getUint32(12, true);
  while (at < plan.length) {
    const tag = String.fromCharCode(...plan.subarray(at, at + 4));
    const len = Number(v.getBigUint64(at + 8, true));
    out[tag] = [at + 16, len];
    at += 16 + len;
  }
  return out;
}

describe('plan round trip', () => {
  it('serializes, loads and runs to the same outputs; serialization is deterministic', async () => {
    const k = kiln();
    const desc = smallPlan().desc();
    const bytes: Uint8Array = k.serializePlan(desc);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(k.serializePlan(desc)).equals(Buffer.from(bytes))).toBe(true);
    const direct = await runPlan(desc, X);
    const engine = new k.Engine(bytes.slice());
    const out = await new k.Context(engine, 1).run([{ name: 'x', ...X.x }]);
    expect(Array.from(out[0].data)).toEqual(Array.from(direct.y.data));
    // relu(x @ w + bias) by hand for row 0.
    const w = (i: number, j: number) => (i * 4 + j - 5) / 7;
    const row0 = [0, 1, 2, 3].map((j) => Math.max(0, 1 * w(0, j) - 2 * w(1, j) + 3 * w(2, j) + [0.5, -0.25, 0, 1][j]!));
    row0.forEach((v, j) => expect(out[0].data[j]).toBeCloseTo(v, 5));
  });

  it('follows the documented layout', () => {
    const desc = smallPlan().desc();
    const plan: Uint8Array = kiln().serializePlan(desc);
    const v = new DataView(plan.buffer, plan.byteOffset, plan.byteLength);
    expect(String.fromCharCode(...plan.subarray(0, 8))).toBe('KILNPLAN');
    expect(v.getUint32(8, true)).toBe(4);
    const headerBytes = v.getUint32(12, true);
    expect(headerBytes % 8).toBe(0);
    expect(Array.from(plan.subarray(24, 56))).toEqual(Array.from(desc.buildDigest));
    expect(Number(v.getBigUint64(56, true))).toBe(plan.length - headerBytes);
    expect(v.getUint32(72, true)).toBe('0.1.0-test'.length);
    const s = sections(plan);
    expect(Object.keys(s)).toEqual(['STRS', 'TNSR', 'GRPH', 'LYRS', 'WGTS']);
    const [wAt] = s.WGTS!;
    const blobBytes = Number(v.getBigUint64(wAt, true));
    const blobStart = Math.ceil((wAt + 8) / 64) * 64;
    expect(blobBytes).toBe(desc.weights.length);
    expect(blobStart + blobBytes).toBe(plan.length);
    expect(Array.from(plan.subarray(blobStart))).toEqual(Array.from(desc.weights));
  });

  it('reports engine info, also through inspectPlan', () => {
    const k = kiln();
    const desc = smallPlan().desc();
    const bytes = k.serializePlan(desc);
    const info = new k.Engine(bytes).info();
    expect(k.inspectPlan(bytes)).toEqual(info);
    expect(info).toMatchObject({
      formatVersion: 4, kilnVersion: '0.1.0-test', targetIsa: [], arenaBytes: desc.arenaBytes,
      weightsBytes: desc.weights.length,
      inputs: [{ name: 'x', dtype: 'f32', shape: [2, 3] }], outputs: [{ name: 'y', dtype: 'f32', shape: [2, 4] }],
    });
    expect(info.buildDigest).toBe(Buffer.from(desc.buildDigest).toString('hex'));
    expect(info.layers[0]).toEqual({ name: 'fc1', kernel: 'gemm', inputs: ['x', 'w', 'bias'], outputs: ['h'], ints: [0, 0, 0, 1], floats: [0, 0], info: '{}' });
  });
});

describe('damaged plans', () => {
  const k = kiln();
  const good: Uint8Array = k.serializePlan(smallPlan().desc());

  it('refuses every truncated prefix', () => {
    for (let n = 0; n < good.length; n++) {
      const prefix = good.slice(0, n);
      for (const load of [() => new k.Engine(prefix), () => k.inspectPlan(prefix)]) {
        const e = codeOf(load);
        expect(e.code).toBe('KILN_PLAN_CORRUPT');
        expect(e.message).toMatch(/^plan is truncated: /);
      }
    }
    expect(codeOf(() => new k.Engine(good.slice(0, 100))).message).toBe(
      `plan is truncated: the header declares a body of ${good.length - 88} bytes at offset 88, file has 100 bytes`);
  });

  it('refuses extra bytes after the body', () => {
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expect(codeOf(() => new k.Engine(longer)).message).toBe('plan has 3 unexpected bytes after its body');
  });

  it('refuses any flipped body byte by checksum', () => {
    const headerBytes = new DataView(good.buffer).getUint32(12, true);
    for (let at = headerBytes; at < good.length; at += 7) {
      const bad = good.slice();
      bad[at]! ^= 0x10;
      const e = codeOf(() => new k.Engine(bad));
      expect(e).toEqual({ code: 'KILN_PLAN_CORRUPT', message: 'plan checksum mismatch: the file is corrupted' });
    }
  });

  it('refuses a wrong magic and a wrong version', () => {
    const bad = good.slice();
    bad[0] = 'X'.charCodeAt(0);
    expect(codeOf(() => new k.Engine(bad))).toEqual({ code: 'KILN_PLAN_CORRUPT', message: 'not a kiln plan: bad magic' });
    expect(codeOf(() => new k.Engine(new TextEncoder().encode('{"not":"a plan"}'))).message).toBe('not a kiln plan: bad magic');
    const v7 = good.slice();
    new DataView(v7.buffer).setUint32(8, 7, true);
    expect(codeOf(() => new k.Engine(v7))).toEqual({
      code: 'KILN_PLAN_VERSION', message: 'plan format version 7 is not supported by this runtime (supports 4)',
    });
    // Formats 1 (before dynamic shapes) and 2 (before cuBLASLt records) are refused too: plans
    // are rebuilt, never guessed at.
    for (const old of [1, 2, 3]) {
      const v = good.slice();
      new DataView(v.buffer).setUint32(8, old, true);
      expect(codeOf(() => new k.Engine(v))).toEqual({
        code: 'KILN_PLAN_VERSION', message: `plan format version ${old} is not supported by this runtime (supports 4)`,
      });
    }
  });

  it('refuses lies inside a body with a valid checksum', () => {
    const s = sections(good);
    const patch = (fn: (v: DataView) => void) => {
      const bad = good.slice();
      fn(new DataView(bad.buffer));
      return codeOf(() => new k.Engine(fixChecksum(bad)));
    };
    const [tAt] = s.TNSR!; // u32 count, then per tensor: name, dtype, location, rank, u64 offset, dims
    const firstTensor = tAt + 4;
    expect(patch((v) => v.setBigUint64(firstTensor + 16, 1n << 40n, true)).message).toMatch(
      /^tensor 'x' \(f32\[2,3\], 24 bytes\) at arena offset 1099511627776 ends at .*, past the end of the arena/);
    expect(patch((v) => v.setUint32(firstTensor + 4, 99, true)).message).toBe("plan tensor 0 'x' has unknown dtype code 99");
    expect(patch((v) => v.setUint32(firstTensor, 9999, true)).message).toMatch(/tensor 0 name refers to string 9999/);
    expect(patch((v) => v.setUint32(tAt, 1000, true)).message).toMatch(/^plan is truncated: the tensor table claims 1000 entries/);
    const [lAt, lLen] = s.LYRS!; // u32 count, then name, kernel, info, nIn, nOut, nInts, nFloats, operands
    expect(patch((v) => v.setUint32(lAt + 4 + 28, 77, true)).message).toBe(
      "layer 'fc1' input refers to tensor 77 but the plan has 5 tensors");
    expect(patch((v) => v.setUint32(lAt + 4 + 12, 1000, true)).message).toMatch(
      /^plan is truncated: layer 0 'fc1' needs \d+ bytes at offset \d+, section 'LYRS' ends at offset \d+$/);
    expect(lLen).toBeGreaterThan(0);
    const [gAt] = s.GRPH!;
    expect(patch((v) => v.setBigUint64(gAt, 8n, true)).code).toBe('KILN_PLAN_CORRUPT');
  });

  it('never crashes on random damage', async () => {
    const R = rng(5);
    let loaded = 0;
    for (let trial = 0; trial < 400; trial++) {
      const bad = good.slice();
      const headerBytes = new DataView(bad.buffer).getUint32(12, true);
      for (let f = R.int(1, 3); f > 0; f--) bad[R.int(headerBytes, bad.length - 1)] = R.int(0, 255);
      fixChecksum(bad);
      try {
        const engine = new k.Engine(bad);
        loaded++;
        await new k.Context(engine, 2).run([{ name: 'x', ...X.x }]).catch((e: any) => expect(e.code).toMatch(/^KILN_/));
      } catch (e: any) {
        // A damaged arena size within the limits (2^40) loads, then fails to allocate: a clean error too.
        expect(e.code).toMatch(/^KILN_(PLAN_CORRUPT|KERNEL|OUT_OF_MEMORY)$/);
      }
    }
    expect(loaded).toBeLessThan(400);
  });
});

describe('invalid descs and plans', () => {
  const k = kiln();

  it('validates tensor ranges when serializing', () => {
    const b = smallPlan();
    b.tensors[3]!.offset = 4096;
    expect(codeOf(() => k.serializePlan(b.desc()))).toEqual({
      code: 'KILN_PLAN_INVALID',
      message: `tensor 'h' (f32[2,4], 32 bytes) at arena offset 4096 ends at 4128, past the end of the arena (${b.desc().arenaBytes} bytes)`,
    });
    const c = smallPlan();
    c.tensors[1]!.offset = 1024;
    expect(codeOf(() => k.serializePlan(c.desc())).message).toMatch(/^tensor 'w' .* past the end of the weight blob/);
  });

  it('checks types and values of desc fields', () => {
    expect(() => k.serializePlan(null)).toThrow(TypeError);
    expect(codeOf(() => k.serializePlan(null))).toEqual({ code: 'KILN_ARGUMENT', message: 'desc must be an object, got null' });
    const b = smallPlan();
    const d: any = b.desc();
    d.tensors[0].shape = [2, 'x'];
    expect(codeOf(() => k.serializePlan(d)).message).toBe("desc.tensors[0].shape[1] must be a non-negative integer, got 'x'");
    const d2: any = b.desc();
    d2.tensors[0].dtype = 'f64';
    expect(codeOf(() => k.serializePlan(d2)).code).toBe('KILN_PLAN_INVALID');
    const d3: any = b.desc();
    d3.buildDigest = new Uint8Array(5);
    expect(codeOf(() => k.serializePlan(d3)).message).toBe('desc.buildDigest must be 32 bytes, got 5');
    expect(codeOf(() => k.inspectPlan('plan')).message).toBe("bytes must be a Uint8Array, got 'plan'");
  });

  it('refuses unknown kernels and broken data flow', () => {
    const b = smallPlan();
    b.layers[1]!.kernel = 'foo';
    expect(codeOf(() => k.serializePlan(b.desc()))).toEqual({
      code: 'KILN_KERNEL', message: "layer 'relu1' uses kernel 'foo' that this runtime does not have",
    });
    const c = smallPlan();
    c.layers.reverse();
    expect(codeOf(() => k.serializePlan(c.desc())).message).toBe("layer 'relu1' reads tensor 'h' before any layer writes it");
    const d = smallPlan();
    d.tensors[4]!.offset = d.tensors[0]!.offset; // y overwrites x ... and h is read after
    d.layers.push({ ...d.layers[0]!, name: 'fc2', outputs: [3] });
    expect(codeOf(() => k.serializePlan(d.desc())).message).toBe("layer 'fc2' reads tensor 'x' after layer 'relu1' overwrote its memory");
  });

  it('refuses a plan that needs CPU features this machine lacks, but can inspect it', () => {
    const have: string[] = k.cpuFeatures();
    const missing = ['avx512f', 'avx512fp16', 'avx512bf16', 'avxvnni', 'avx2'].find((f) => !have.includes(f));
    if (!missing) return; // a machine with everything: nothing to refuse
    const bytes = k.serializePlan(smallPlan().desc({ targetIsa: [missing] }));
    expect(k.inspectPlan(bytes).targetIsa).toEqual([missing]);
    expect(codeOf(() => new k.Engine(bytes))).toEqual({
      code: 'KILN_PLAN_ISA', message: `plan needs ${missing}; this machine: ${have.join(' ')}`,
    });
    expect(codeOf(() => k.serializePlan(smallPlan().desc({ targetIsa: ['avx9000'] }))).message).toMatch(
      /^desc.targetIsa\[0\] 'avx9000' is not a known CPU feature \(known: sse4.1, /);
  });
});
