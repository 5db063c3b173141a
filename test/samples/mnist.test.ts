// SampleMNIST end to end: the shipped Fashion-MNIST weights built into a plan agree
// with PyTorch's outputs (expected-probs.npy from train.py) and with the interpreter,
// and the sample itself runs as a user would run it.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interpret/index.js';
import { loadNpy, loadSafetensors } from '../../src/io/index.js';
import type { WeightTensor } from '../../src/index.js';
import { INPUT, OUTPUT, defineMnistNetwork } from '../../samples/mnist/network.js';
import { buildPlan, expectClose, runPlan } from '../engine/helpers.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples', 'mnist');
const weights = loadSafetensors(join(dir, 'lenet-fashion.safetensors')) as unknown as Map<string, WeightTensor>;
const images = loadNpy(join(dir, 'test-images.npy'));
const labels = loadNpy(join(dir, 'test-labels.npy'));
const torchProbs = loadNpy(join(dir, 'expected-probs.npy'));

describe('SampleMNIST', () => {
  it('a batch-100 engine matches PyTorch and the interpreter, above 85% accuracy', async () => {
    const batch = 100;
    const net = defineMnistNetwork(weights, batch);
    const plan = buildPlan(net);
    let correct = 0;
    for (let start = 0; start < images.shape[0]!; start += batch) {
      const pixels = Float32Array.from((images.data as Uint8Array).subarray(start * 784, (start + batch) * 784));
      const input = { dtype: 'f32' as const, shape: [batch, 1, 28, 28], data: pixels };
      const out = (await runPlan(plan, { [INPUT]: input }))[OUTPUT]!;
      const torch = { dtype: 'f32' as const, shape: [batch, 10], data: (torchProbs.data as Float32Array).slice(start * 10, (start + batch) * 10) };
      expectClose(out, torch, `images ${start}..${start + batch - 1} vs PyTorch`, 1e-3, 1e-5);
      if (start === 0) expectClose(out, interpret(net.graph, { [INPUT]: input })[OUTPUT]!, 'vs interpreter');
      const p = out.data as Float32Array;
      for (let i = 0; i < batch; i++) {
        const row = Array.from(p.subarray(i * 10, i * 10 + 10));
        if (row.indexOf(Math.max(...row)) === (labels.data as Uint8Array)[start + i]) correct++;
      }
    }
    expect(correct / images.shape[0]!).toBeGreaterThanOrEqual(0.85);
  });

  it('npm run sample:mnist prints the image, the probabilities and the accuracy, and exits 0', () => {
    const root = join(dir, '..', '..');
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'main.ts'), '--image', '3'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/Input image 3 \(label: /);
    expect(out).toMatch(/<- prediction/);
    expect(out).toMatch(/Accuracy: \d+\/500 = \d+\.\d\d%/);
    expect(out).toMatch(/Median latency per image: \d+\.\d+ ms/);
    expect(out).toMatch(/PASSED/);
  });
});
