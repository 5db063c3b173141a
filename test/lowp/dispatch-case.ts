// The body of the per-variant dispatch suites (dispatch-*.test.ts): each file sets
// KILN_LOWP_KERNEL before any kernel runs (one process per test file), then checks
// conv and fully connected layers in bf16 and fp16 on every tactic.
import { describe, expect, it } from 'vitest';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { mulberry32, randomInt, randomTensor, writeFloats } from '../../src/interpret/index.js';
import { checkEveryTactic } from './harness.js';

export function describeDispatch(variant: string): void {
  describe(`16-bit kernels with KILN_LOWP_KERNEL=${variant}`, () => {
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
}
