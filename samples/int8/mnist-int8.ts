// Shared by the int8 sample and its test: the Fashion-MNIST LeNet of samples/mnist
// built in fp32 and in int8 (calibrated on given images), and accuracy of a plan.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrayCalibrator, Builder, Logger, Runtime, type WeightTensor } from '../../src/index.js';
import { loadSafetensors } from '../../src/io/index.js';
import { INPUT, OUTPUT, defineMnistNetwork } from '../mnist/network.js';

const here = dirname(fileURLToPath(import.meta.url));

export function mnistWeights(): Map<string, WeightTensor> {
  return loadSafetensors(join(here, '..', 'mnist', 'lenet-fashion.safetensors')) as unknown as Map<string, WeightTensor>;
}

/** Raw 0..255 pixels of image i as the network's f32 input. */
export const imageOf = (pixels: Uint8Array, i: number) => Float32Array.from(pixels.subarray(i * 784, (i + 1) * 784));

/** Plan bytes for fp32, bf16 (every conv / fc layer, obeyed) or int8 (every conv / fc layer, obeyed, so the accuracy is all-int8's;
 *  calibrated by entropy on `calibration` images, one per batch). */
export function buildMnist(precision: 'fp32' | 'bf16' | 'int8', calibration?: { pixels: Uint8Array; count: number }, layerPrecisions = ''): { plan: Uint8Array; cache?: string } {
  const builder = new Builder(new Logger('warning'));
  const config = builder.createBuilderConfig();
  let calibrator: ArrayCalibrator | undefined;
  if (precision === 'bf16') config.setFlag('bf16').setPrecisionConstraints('obey');
  if (precision === 'int8') {
    const batches = Array.from({ length: calibration!.count }, (_, i) => ({ [INPUT]: { dtype: 'f32' as const, shape: [1, 1, 28, 28], data: imageOf(calibration!.pixels, i) } }));
    calibrator = new ArrayCalibrator(batches, 'entropy');
    config.setFlag('int8').setPrecisionConstraints('obey');
    config.calibrator = calibrator;
    config.layerPrecisions = layerPrecisions;
  }
  const plan = builder.buildSerializedNetwork(defineMnistNetwork(mnistWeights()), config);
  return { plan, cache: calibrator?.cache ?? undefined };
}

/** Correct predictions and the total time of the runs (ms), batch 1. */
export async function evaluate(plan: Uint8Array, pixels: Uint8Array, labels: Uint8Array, count: number): Promise<{ correct: number; ms: number }> {
  const context = new Runtime(new Logger('warning')).deserializeEngine(plan).createExecutionContext();
  let correct = 0;
  let ms = 0;
  for (let i = 0; i < count; i++) {
    const input = imageOf(pixels, i);
    const t = performance.now();
    const out = await context.run({ [INPUT]: input });
    ms += performance.now() - t;
    const p = out[OUTPUT]!.data as Float32Array;
    if (p.indexOf(Math.max(...p)) === labels[i]) correct++;
  }
  return { correct, ms };
}
