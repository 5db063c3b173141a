// SampleMNIST, kiln's way: define the network with the DSL, build a plan, write it to
// a file, load it in a fresh Runtime, classify one image (printed as ASCII art, as
// TensorRT's sample does), then measure accuracy and latency over the shipped images.
// Usage: npm run sample:mnist [-- --image N]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder, Logger, Runtime, type WeightTensor } from '../../src/index.js';
import { loadNpy, loadSafetensors } from '../../src/io/index.js';
import { CLASSES } from './classes.js';
import { INPUT, OUTPUT, defineMnistNetwork } from './network.js';

const here = dirname(fileURLToPath(import.meta.url));
const MIN_ACCURACY = 0.85;

function asciiArt(pixels: Uint8Array): string {
  const ramp = ' .:-=+*#%@';
  const rows: string[] = [];
  for (let y = 0; y < 28; y++) {
    let row = '';
    for (let x = 0; x < 28; x++) row += ramp[Math.min(9, Math.floor(pixels[y * 28 + x]! / 25.6))]!.repeat(2);
    rows.push(row);
  }
  return rows.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<number> {
  const arg = process.argv.indexOf('--image');
  const logger = new Logger('warning');
  const weights = loadSafetensors(join(here, 'lenet-fashion.safetensors')) as unknown as Map<string, WeightTensor>;
  const images = loadNpy(join(here, 'test-images.npy'));
  const labels = loadNpy(join(here, 'test-labels.npy'));
  const count = images.shape[0]!;
  const pick = arg > 0 ? Number(process.argv[arg + 1]) : 0;
  if (!Number.isInteger(pick) || pick < 0 || pick >= count) throw new Error(`--image must be an index 0..${count - 1}, got ${process.argv[arg + 1]}`);

  // Build and serialize.
  const builder = new Builder(logger);
  const network = defineMnistNetwork(weights);
  const t0 = performance.now();
  const plan = builder.buildSerializedNetwork(network, builder.createBuilderConfig());
  const buildMs = performance.now() - t0;
  const planPath = join(here, '..', '..', 'out', 'mnist.plan');
  mkdirSync(dirname(planPath), { recursive: true });
  writeFileSync(planPath, plan);
  const b = builder.lastBuild!;
  console.log(`Built ${b.layersBefore} layers -> ${b.layersAfter} in ${buildMs.toFixed(0)} ms; plan ${plan.byteLength} bytes written to ${planPath}`);

  // Load in a fresh runtime, as a deployment would.
  const engine = new Runtime(logger).deserializeEngine(new Uint8Array(readFileSync(planPath)));
  console.log(`Engine layers: ${engine.layers.map((l) => l.name).join(' | ')}`);
  const context = engine.createExecutionContext();
  const image = (i: number) => Float32Array.from((images.data as Uint8Array).subarray(i * 784, (i + 1) * 784));

  const one = await context.run({ [INPUT]: image(pick) });
  const probs = one[OUTPUT]!.data as Float32Array;
  console.log(`\nInput image ${pick} (label: ${CLASSES[(labels.data as Uint8Array)[pick]!]}):\n${asciiArt((images.data as Uint8Array).subarray(pick * 784, (pick + 1) * 784))}\n`);
  const best = probs.indexOf(Math.max(...probs));
  probs.forEach((p, k) => console.log(`${String(k).padStart(2)} ${CLASSES[k]!.padEnd(12)} ${p.toFixed(4)} ${'*'.repeat(Math.round(p * 40))}${k === best ? '  <- prediction' : ''}`));

  // Accuracy and latency over every shipped image, one image per run (batch 1).
  let correct = 0;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const input = image(i);
    const s = performance.now();
    const out = await context.run({ [INPUT]: input });
    times.push(performance.now() - s);
    const p = out[OUTPUT]!.data as Float32Array;
    if (p.indexOf(Math.max(...p)) === (labels.data as Uint8Array)[i]) correct++;
  }
  const accuracy = correct / count;
  console.log(`\nAccuracy: ${correct}/${count} = ${(accuracy * 100).toFixed(2)}%  (required >= ${MIN_ACCURACY * 100}%)`);
  console.log(`Median latency per image: ${median(times).toFixed(3)} ms (batch 1, ${count} runs)`);
  if (accuracy < MIN_ACCURACY) {
    console.error(`FAILED: accuracy ${(accuracy * 100).toFixed(2)}% is below ${MIN_ACCURACY * 100}%`);
    return 1;
  }
  console.log('PASSED');
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(`sample:mnist failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
