// The int8 path end to end on the 500 shipped Fashion-MNIST test images: calibrate
// on the first 100, build int8, and stay within 1 point of fp32's accuracy.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNpy } from '../../src/io/index.js';
import { buildMnist, evaluate } from '../../samples/int8/mnist-int8.js';

describe('int8 Fashion-MNIST sample', () => {
  it('int8 accuracy within 1 point of fp32 on the shipped images', async () => {
    const images = loadNpy(join('samples', 'mnist', 'test-images.npy'));
    const labels = loadNpy(join('samples', 'mnist', 'test-labels.npy'));
    const pixels = images.data as Uint8Array;
    const count = images.shape[0]!;
    const fp32 = await evaluate(buildMnist('fp32').plan, pixels, labels.data as Uint8Array, count);
    const built = buildMnist('int8', { pixels, count: 100 });
    expect(built.cache).toMatch(/^kiln-int8-calibration v1 entropy\n/);
    const int8 = await evaluate(built.plan, pixels, labels.data as Uint8Array, count);
    expect(Math.abs(int8.correct - fp32.correct) / count).toBeLessThanOrEqual(0.01);
    // Pinning every layer to fp32 gives the fp32 network back.
    const pinned = await evaluate(buildMnist('int8', { pixels, count: 10 }, '*:fp32').plan, pixels, labels.data as Uint8Array, count);
    expect(pinned.correct).toBe(fp32.correct);
  }, 120_000);
});
