// The bf16 row of samples/int8 on the 500 shipped Fashion-MNIST test images: every
// conv / fc layer in bf16 (obeyed), within 1 point of fp32's accuracy.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNpy } from '../../src/io/index.js';
import { buildMnist, evaluate } from '../../samples/int8/mnist-int8.js';

describe('bf16 Fashion-MNIST sample', () => {
  it('bf16 accuracy within 1 point of fp32 on the shipped images', async () => {
    const images = loadNpy(join('samples', 'mnist', 'test-images.npy'));
    const labels = loadNpy(join('samples', 'mnist', 'test-labels.npy')).data as Uint8Array;
    const pixels = images.data as Uint8Array;
    const count = images.shape[0]!;
    const fp32 = await evaluate(buildMnist('fp32').plan, pixels, labels, count);
    const bf16 = await evaluate(buildMnist('bf16').plan, pixels, labels, count);
    expect(fp32.correct / count).toBeGreaterThan(0.8);
    expect(Math.abs(bf16.correct - fp32.correct) / count).toBeLessThanOrEqual(0.01);
  }, 120_000);
});
