// SampleDynamicShapes: one engine per model for a range of shapes (TensorRT's
// optimization profiles). The encoder takes token ids [batch, seq] with batch 1-8 and
// seq 16-256, MobileNetV2 images [batch, 3, 224, 224] with batch 1-32. Each engine runs
// a mix of shapes through one execution context (setInputShape, no rebuild) and every
// output is checked against onnxruntime-node.
// Usage: npm run sample:dynamic [-- encoder|mobilenet_v2] [--models DIR] (default ../shared/models)
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, buildDynamic, loadOrt, runMix } from './dynamic.js';

const here = dirname(fileURLToPath(import.meta.url));
/** On max |diff| relative to the largest |output|. */
const TOLERANCE = 1e-4;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--models');
  const models = resolve(at >= 0 ? args[at + 1]! : join(here, '..', '..', '..', 'shared', 'models'));
  const names = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--models');
  const ort = await loadOrt();
  if (!ort) {
    console.error('This sample compares with onnxruntime-node: npm i -D onnxruntime-node');
    return 1;
  }
  let failed = 0;
  for (const name of names.length > 0 ? names : Object.keys(CASES)) {
    const c = CASES[name];
    if (!c) throw new Error(`unknown model '${name}'; choose from ${Object.keys(CASES).join(', ')}`);
    const path = join(models, c.file);
    if (!existsSync(path)) {
      console.error(`${path} not found (pass --models DIR)`);
      return 1;
    }
    const built = buildDynamic(path, c);
    const input = built.engine.inputs[0]!;
    const [min, opt, max] = c.profile;
    console.log(`${c.file}: input ${input.name} ${input.dtype}[${input.dims!.join(',')}], profile min [${min}] opt [${opt}] max [${max}]; built in ${built.buildMs.toFixed(0)} ms, arena ${(built.engine.arenaBytes / 2 ** 20).toFixed(1)} MiB`);
    for (const r of await runMix(path, c, ort, built)) {
      const ok = r.relDiff <= TOLERANCE;
      if (!ok) failed++;
      console.log(`  [${r.shape.join(',')}] -> [${r.outputShape.join(',')}]  kiln ${r.kilnMs.toFixed(1).padStart(7)} ms  onnxruntime ${r.ortMs.toFixed(1).padStart(7)} ms  max |diff| ${r.maxAbsDiff.toExponential(2)} (relative ${r.relDiff.toExponential(2)}) ${ok ? 'ok' : 'MISMATCH'}`);
    }
  }
  console.log(failed === 0 ? '\nEvery shape matches onnxruntime.' : `\n${failed} shapes differ from onnxruntime by more than ${TOLERANCE} of the output's scale.`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
