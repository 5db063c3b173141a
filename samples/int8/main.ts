// INT8 sample: the Fashion-MNIST LeNet of samples/mnist, calibrated (entropy) on 500
// training images, then fp32 vs int8 accuracy over the 10,000 test images and the
// int8 speedup (the two engines timed interleaved, image by image, in one process).
// Needs /usr/share/datasets/fashion-mnist (apt package dataset-fashion-mnist).
// Usage: npm run sample:int8
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Logger, Runtime } from '../../src/index.js';
import { INPUT, OUTPUT } from '../mnist/network.js';
import { buildMnist, imageOf } from './mnist-int8.js';

const DATA = '/usr/share/datasets/fashion-mnist';

/** An idx file (gzipped): magic 0x0000080N (u8 data), then N big-endian u32 dims, then the bytes. */
function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  const raw = gunzipSync(readFileSync(join(DATA, file)));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  if (magic >> 8 !== 0x08) throw new Error(`${file}: not an unsigned-byte idx file (magic ${magic.toString(16)})`);
  const dims = Array.from({ length: magic & 0xff }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: raw.subarray(4 + 4 * dims.length) };
}

async function main(): Promise<number> {
  if (!existsSync(join(DATA, 't10k-images-idx3-ubyte.gz'))) {
    console.log(`Fashion-MNIST not found in ${DATA} (install dataset-fashion-mnist); skipping the int8 sample.`);
    return 0;
  }
  const train = readIdx('train-images-idx3-ubyte.gz');
  const test = readIdx('t10k-images-idx3-ubyte.gz');
  const labels = readIdx('t10k-labels-idx1-ubyte.gz').data;
  const count = test.dims[0]!;

  const fp32 = buildMnist('fp32').plan;
  const bf16 = buildMnist('bf16').plan;
  const t0 = performance.now();
  const int8 = buildMnist('int8', { pixels: train.data, count: 500 });
  console.log(`int8 build with entropy calibration on 500 training images: ${(performance.now() - t0).toFixed(0)} ms`);
  const cachePath = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'out', 'mnist-int8.calib');
  mkdirSync(dirname(cachePath), { recursive: true });
  writeFileSync(cachePath, int8.cache!);
  console.log(`calibration cache written to ${cachePath}`);

  const runtime = new Runtime(new Logger('warning'));
  const contexts = { fp32: runtime.deserializeEngine(fp32).createExecutionContext(), int8: runtime.deserializeEngine(int8.plan).createExecutionContext(), bf16: runtime.deserializeEngine(bf16).createExecutionContext() };
  const correct = { fp32: 0, int8: 0, bf16: 0 };
  const ms = { fp32: 0, int8: 0, bf16: 0 };
  for (let i = 0; i < count; i++) {
    const input = imageOf(test.data, i);
    // Alternate which runs first so neither always gets the warm cache.
    for (const which of i % 2 ? (['fp32', 'int8', 'bf16'] as const) : (['bf16', 'int8', 'fp32'] as const)) {
      const t = performance.now();
      const out = await contexts[which].run({ [INPUT]: input });
      ms[which] += performance.now() - t;
      const p = out[OUTPUT]!.data as Float32Array;
      if (p.indexOf(Math.max(...p)) === labels[i]) correct[which]++;
    }
  }
  const pct = (c: number) => ((100 * c) / count).toFixed(2);
  console.log(`fp32 accuracy: ${correct.fp32}/${count} = ${pct(correct.fp32)}%  (${((1000 * ms.fp32) / count).toFixed(1)} us/image)`);
  console.log(`int8 accuracy: ${correct.int8}/${count} = ${pct(correct.int8)}%  (${((1000 * ms.int8) / count).toFixed(1)} us/image)`);
  console.log(`int8 speedup over fp32 (batch 1, end to end per run): ${(ms.fp32 / ms.int8).toFixed(2)}x`);
  // At batch 1 LeNet's layers take less time than a run's fixed cost (the async call, the copies in and out): the layers alone, by profile.
  const layers = async (c: (typeof contexts)['fp32']) => (await c.profile({ [INPUT]: imageOf(test.data, 0) }, { iterations: 200 })).totalMs * 1000;
  const [lf, li] = [await layers(contexts.fp32), await layers(contexts.int8)];
  console.log(`layers alone (profile medians): fp32 ${lf.toFixed(1)} us, int8 ${li.toFixed(1)} us per image: int8 ${(lf / li).toFixed(2)}x`);
  console.log(`bf16 accuracy: ${correct.bf16}/${count} = ${pct(correct.bf16)}%  (${((1000 * ms.bf16) / count).toFixed(1)} us/image; bf16 speedup over fp32 ${(ms.fp32 / ms.bf16).toFixed(2)}x: 16-bit storage, f32 math, no bf16 arithmetic on AVX2)`);
  const bf16Gap = (100 * Math.abs(correct.fp32 - correct.bf16)) / count;
  if (bf16Gap > 1) {
    console.error(`FAILED: bf16 is ${bf16Gap.toFixed(2)} points from fp32 (allowed 1)`);
    return 1;
  }
  const gap = (100 * Math.abs(correct.fp32 - correct.int8)) / count;
  if (gap > 1) {
    console.error(`FAILED: int8 is ${gap.toFixed(2)} points from fp32 (allowed 1)`);
    return 1;
  }
  console.log(`PASSED: int8 within ${gap.toFixed(2)} points of fp32`);
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(`sample:int8 failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
