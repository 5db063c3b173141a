// The 16-bit routines' AVX-512 BF16 variant forced: where the CPU lacks avx512bf16 (this machine, CI) the dispatch must fall back to what the CPU has, never executing vdpbf16ps (an illegal instruction would kill the test process); where the CPU has it, the vdpbf16ps GEMV runs here against the interpreter.
import { describe, expect, it } from 'vitest';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { mulberry32, randomInt, randomTensor, writeFloats } from '../../src/interpret/index.js';
import { checkEveryTactic } from './harness.js';

process.env.KILN_LOWP_KERNEL = 'avx512bf16';

describe('16-bit kernels with KILN_LOWP_KERNEL=avx512bf16', () => {
  it.each(['bf16', 'f16'] as const)('%s conv and fully connected layers match the interpreter on every tactic', async (dt) => {
    const rng = mulberry32(dt === 'bf16' ? 5 : 6);
    const seen = new Set<string>();
    for (const rows of [1, 3, 9]) {
      const d = new GraphDraft();
      const [c, k, n] = [randomInt(rng, 1, 4), 33 + randomInt(rng, 0, 20), 17 + randomInt(rng, 0, 20)];
      const x = d.input('x', { dtype: dt, shape: [rows, c, 6, 7] });
      const w = d.constant('w', dt, [k, c, 3, 3], writeFloats(dt, Array.from({ length: k * c * 9 }, () => rng() - 0.5)) as Uint16Array);
      const conv = d.node('Conv', 'conv', [x, w], { padsBegin: [1, 1], padsEnd: [1, 1] });
      const flat = d.node('Reshape', 'flat', [conv], { shape: [rows, k * 42] });
      const fw = d.constant('fw', dt, [n, k * 42], writeFloats(dt, Array.from({ length: n * k * 42 }, () => (rng() - 0.5) / 16)) as Uint16Array);
      d.outputs.push(d.node('MatMul', 'fc', [flat, fw], { transB: true }));
      const inputs = { x: randomTensor(dt, [rows, c, 6, 7], rng, { min: -1, max: 1 }) };
      for (const t of await checkEveryTactic(d.graph(), inputs, `${dt} rows ${rows}`, 1e-4)) seen.add(t);
    }
    expect(seen).toContain(`gemv-stream-${dt}`);
  });
});
