// The SampleMNIST assets shipped in samples/mnist load through src/io with the exact
// names, dtypes and shapes the sample expects, and agree with each other: a plain
// reference LeNet forward (f32 activations) over the shipped weights reproduces
// torch's expected-probs.npy.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { loadNpy, loadSafetensors, type IoTensor } from '../../src/io/index.js';
import {
  CLASS_NAMES, EXPECTED_PROBS_FILE, SCALE, SHIFT, TEST_IMAGES_FILE, TEST_LABELS_FILE, WEIGHTS_FILE,
} from '../../samples/mnist/classes.js';

const DIR = join(import.meta.dirname, '..', '..', 'samples', 'mnist');
const weights = loadSafetensors(join(DIR, WEIGHTS_FILE));
const images = loadNpy(join(DIR, TEST_IMAGES_FILE));
const labels = loadNpy(join(DIR, TEST_LABELS_FILE));
const probs = loadNpy(join(DIR, EXPECTED_PROBS_FILE));

const SHAPES: Record<string, number[]> = {
  'conv1.weight': [20, 1, 5, 5], 'conv1.bias': [20],
  'conv2.weight': [50, 20, 5, 5], 'conv2.bias': [50],
  'fc1.weight': [500, 800], 'fc1.bias': [500],
  'fc2.weight': [10, 500], 'fc2.bias': [10],
};

const f32 = (name: string): Float32Array => weights.get(name)!.data as Float32Array;

/** Valid 5x5 conv (+bias) then 2x2/2 max-pool over a [cin,h,w] map; sums in f64, stores f32. */
function convPool(x: Float32Array, cin: number, h: number, w: number, wt: Float32Array, b: Float32Array, cout: number) {
  const oh = h - 4, ow = w - 4;
  const conv = new Float32Array(cout * oh * ow);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let s = b[o]!;
        for (let c = 0; c < cin; c++)
          for (let u = 0; u < 5; u++)
            for (let v = 0; v < 5; v++) s += x[(c * h + i + u) * w + j + v]! * wt[((o * cin + c) * 5 + u) * 5 + v]!;
        conv[(o * oh + i) * ow + j] = s;
      }
  const ph = oh / 2, pw = ow / 2;
  const out = new Float32Array(cout * ph * pw);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < ph; i++)
      for (let j = 0; j < pw; j++) {
        const at = (o * oh + 2 * i) * ow + 2 * j;
        out[(o * ph + i) * pw + j] = Math.max(conv[at]!, conv[at + 1]!, conv[at + ow]!, conv[at + ow + 1]!);
      }
  return out;
}

function dense(x: Float32Array, wt: Float32Array, b: Float32Array, out: number, relu: boolean): Float32Array {
  const n = x.length;
  const y = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let s = b[o]!;
    for (let k = 0; k < n; k++) s += wt[o * n + k]! * x[k]!;
    y[o] = relu ? Math.max(0, s) : s;
  }
  return y;
}

function lenetProbs(pixels: Uint8Array): number[] {
  const scale = Math.fround(SCALE), shift = Math.fround(SHIFT);
  const x = Float32Array.from(pixels, (p) => p * scale + shift);
  const p1 = convPool(x, 1, 28, 28, f32('conv1.weight'), f32('conv1.bias'), 20);
  const p2 = convPool(p1, 20, 12, 12, f32('conv2.weight'), f32('conv2.bias'), 50);
  const h = dense(p2, f32('fc1.weight'), f32('fc1.bias'), 500, true);
  const logits = dense(h, f32('fc2.weight'), f32('fc2.bias'), 10, false);
  const m = Math.max(...logits);
  const e = Array.from(logits, (l) => Math.exp(l - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

describe('samples/mnist assets', () => {
  it('lenet-fashion.safetensors holds exactly the eight f32 LeNet tensors', () => {
    expect([...weights.keys()].sort()).toEqual(Object.keys(SHAPES).sort());
    for (const [name, shape] of Object.entries(SHAPES)) {
      const t = weights.get(name) as IoTensor;
      expect(t.dtype, name).toBe('f32');
      expect(t.shape, name).toEqual(shape);
      expect(t.data, name).toBeInstanceOf(Float32Array);
      expect((t.data as Float32Array).every(Number.isFinite), name).toBe(true);
    }
  });

  it('carries metadata matching classes.ts', () => {
    expect(weights.metadata.dataset).toBe('fashion-mnist');
    expect(Number(weights.metadata.test_accuracy)).toBeGreaterThanOrEqual(0.88);
    expect(weights.metadata.normalization).toContain(String(SCALE));
    expect(weights.metadata.normalization).toContain(String(SHIFT));
    expect(CLASS_NAMES).toHaveLength(10);
  });

  it('ships 500 u8 test images, labels and f32 torch probabilities', () => {
    expect(images.dtype).toBe('u8');
    expect(images.shape).toEqual([500, 28, 28]);
    expect(labels.dtype).toBe('u8');
    expect(labels.shape).toEqual([500]);
    expect((labels.data as Uint8Array).every((l) => l < 10)).toBe(true);
    expect(probs.dtype).toBe('f32');
    expect(probs.shape).toEqual([500, 10]);
    const p = probs.data as Float32Array;
    for (let i = 0; i < 500; i++) {
      const row = p.subarray(i * 10, i * 10 + 10);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('expected-probs.npy is what the shipped weights compute (first 25 images)', () => {
    const px = images.data as Uint8Array;
    const p = probs.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < 25; i++) {
      const mine = lenetProbs(px.subarray(i * 784, (i + 1) * 784));
      for (let k = 0; k < 10; k++) maxDiff = Math.max(maxDiff, Math.abs(mine[k]! - p[i * 10 + k]!));
    }
    expect(maxDiff).toBeLessThan(1e-4);
  });
});
