// SampleOnnx, kiln's way of TensorRT's sampleOnnxMNIST: import an ONNX model, print the
// support report, build a plan (symbolic dims bound to 1 by a static profile), save it
// to out/, load it in a fresh Runtime, run it on a seeded random input and print the
// top-5 of the output.
// Usage: npm run sample:onnx [-- path/to/model.onnx] (default ../shared/models/mobilenet_v2.onnx)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder, Logger, Runtime, type Dim } from '../../src/index.js';
import { mulberry32, randomTensor } from '../../src/interpret/index.js';
import { formatSupportReport, importOnnx, OnnxUnsupportedError } from '../../src/onnx/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** Symbolic dims become 1 (a batch of one; a sequence of 16 for token inputs). */
function concrete(shape: readonly Dim[], tokens: boolean): number[] {
  return shape.map((d, i) => (typeof d === 'number' ? d : tokens && i === 1 ? 16 : 1));
}

async function main(): Promise<number> {
  const file = resolve(process.argv[2] ?? join(root, '..', 'shared', 'models', 'mobilenet_v2.onnx'));
  const logger = new Logger('warning');

  let imported;
  try {
    imported = importOnnx(file);
  } catch (e) {
    if (e instanceof OnnxUnsupportedError) {
      console.log(formatSupportReport(e.report));
      console.error('\nThe model has unsupported nodes; nothing to build.');
      return 1;
    }
    throw e;
  }
  const { graph, report, inputs, outputs } = imported;
  console.log(formatSupportReport(report));
  console.log(`inputs:  ${inputs.map((t) => `${t.name} ${t.type}[${t.shape.join(',')}]`).join(', ')}`);
  console.log(`outputs: ${outputs.map((t) => `${t.name} ${t.type}[${t.shape.join(',')}]`).join(', ')}\n`);

  const builder = new Builder(logger);
  const config = builder.createBuilderConfig();
  const profile = builder.createOptimizationProfile();
  const shapes = new Map<string, number[]>();
  for (const t of inputs) {
    const shape = concrete(t.shape, graph.types[t.name]!.dtype === 'i64');
    shapes.set(t.name, shape);
    if (t.shape.some((d) => typeof d === 'string')) profile.setDimensions(t.name, shape, shape, shape);
  }
  if (profile.inputs.length > 0) config.addOptimizationProfile(profile);

  const t0 = performance.now();
  const plan = builder.buildSerializedNetwork(graph, config);
  const b = builder.lastBuild!;
  const planPath = join(root, 'out', `${basename(file, '.onnx')}.plan`);
  mkdirSync(dirname(planPath), { recursive: true });
  writeFileSync(planPath, plan);
  console.log(`Built ${b.layersBefore} layers -> ${b.layersAfter} in ${(performance.now() - t0).toFixed(0)} ms; plan ${plan.byteLength} bytes written to ${planPath}`);

  const context = new Runtime(logger).deserializeEngine(new Uint8Array(readFileSync(planPath))).createExecutionContext();
  const rng = mulberry32(2024);
  const feeds = Object.fromEntries(inputs.map((t) => {
    const type = graph.types[t.name]!;
    const range = type.dtype === 'i64' ? { min: 0, max: 100 } : { min: -1, max: 1 };
    const x = randomTensor(type.dtype, shapes.get(t.name)!, rng, range);
    return [t.name, { data: x.data, shape: x.shape }];
  }));
  const s = performance.now();
  const result = await context.run(feeds);
  console.log(`Ran in ${(performance.now() - s).toFixed(2)} ms on a seeded random input\n`);

  const out = result[outputs[0]!.name]!;
  const values = Array.from(out.data as ArrayLike<number>, Number);
  const top = values.map((v, i) => [v, i] as const).sort((a, c) => c[0] - a[0]).slice(0, 5);
  console.log(`Top-5 of '${outputs[0]!.name}' ${out.dtype}[${out.shape.join(',')}]:`);
  for (const [v, i] of top) console.log(`  index ${String(i).padStart(5)}  ${v.toPrecision(6)}`);
  return 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(`sample:onnx failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
