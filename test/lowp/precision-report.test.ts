// The precision report's agreement on a small real model (../shared/models/lenet.onnx,
// seeded random weights): the bf16 engine (every conv / fc in bf16) agrees with fp32 to
// a cosine above 0.999; the report's measure itself is checked on known vectors.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { benchModels } from '../bench/cases.js';
import { agreement, reportModel } from '../bench/precision-report.js';

describe('precision report', () => {
  it('agreement: cosine and max relative error of known vectors', () => {
    expect(agreement([1, 0], [1, 0])).toEqual({ cosine: 1, maxRelErr: 0 });
    const a = agreement([1, 1], [1, 0.5]);
    expect(a.cosine).toBeCloseTo(1.5 / Math.sqrt(2 * 1.25), 12);
    expect(a.maxRelErr).toBe(0.5);
  });

  const lenet = benchModels(process.cwd()).find((m) => m.name === 'lenet')!;
  it('bf16 LeNet (ONNX) agrees with fp32: cosine > 0.999', async (ctx) => {
    if (!existsSync(lenet.file)) ctx.skip(`${join(lenet.file)} is absent`);
    const [row] = await reportModel(lenet, 2, ['bf16'], 1, new TimingCache());
    expect(row!.cosine).toBeGreaterThan(0.999);
    expect(row!.maxRelErr).toBeLessThan(0.02);
    expect(row!.maxRelErr).toBeGreaterThan(0); // it did run in bf16
  });
});
