// SampleDynamicShapes as its test: the encoder (batch 1-8, seq 16-256) and
// MobileNetV2 (batch 1-32) built once each with their symbolic dims, a mix of shapes
// through one context, every output equal to onnxruntime-node's; and a shape outside
// the profile refused with the bound. Skips (saying why) without ../shared/models or
// onnxruntime-node.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CASES, buildDynamic, loadOrt, runMix } from '../../samples/dynamic-shapes/dynamic.js';

const models = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'models');
const ort = await loadOrt();
const missing = !existsSync(models) ? `${models} is absent` : !ort ? 'onnxruntime-node is not installed' : undefined;

describe('SampleDynamicShapes', () => {
  if (missing) {
    it(`is not run here: ${missing}`, (ctx) => ctx.skip());
    return;
  }
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: a mix of shapes in one context equals onnxruntime`, async () => {
      const path = join(models, c.file);
      const built = buildDynamic(path, c);
      const results = await runMix(path, c, ort!, built);
      expect(results.map((r) => r.outputShape[0])).toEqual(c.shapes.map((s) => s[0]));
      for (const r of results) expect(r.relDiff, `${c.file} at [${r.shape}]`).toBeLessThan(1e-4);
      const ctx = built.engine.createExecutionContext();
      const over = [...c.profile[2]];
      over[over.length === 2 ? 1 : 0]! += 1;
      expect(() => ctx.setInputShape(built.input, over)).toThrow(`above the maximum ${c.profile[2][over.length === 2 ? 1 : 0]} of optimization profile 0`);
    }, 300_000);
  }
});
