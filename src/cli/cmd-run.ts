// `kiln run MODEL|PLAN`: one inference. Inputs come from .npy files or are seeded
// random; outputs are printed (name, type, a few values) and written as .npy into
// --output-dir, so results can be checked in NumPy or fed back as inputs.
import { formatType } from '../ir/index.js';
import type { Command } from './args.js';
import { BUILD_FLAGS, resolveBuildOptions } from './build-options.js';
import { loadTarget } from './model.js';
import { cliLogger } from './progress.js';
import { color } from './style.js';
import { INPUT_FLAGS, parseInputFiles, prepareInputs, preview, writeOutputs } from './tensors.js';

export const runCommand: Command = {
  spec: {
    name: 'run',
    positionals: ['MODEL|PLAN'],
    summary: 'Run one inference on .npy or random inputs; print the outputs and save them as .npy.',
    description: 'A MODEL is built in memory first (with the build options below); a PLAN runs as it is.',
    flags: [
      ...INPUT_FLAGS,
      { name: 'output-dir', kind: 'string', metavar: 'DIR', help: 'write every output to DIR/<name>.npy' },
      ...BUILD_FLAGS,
    ],
    examples: [
      'kiln run out/mnist.plan --input data=digit.npy --output-dir out/',
      'kiln run model.ts --seed 7 --shapes data:4x1x28x28',
    ],
  },

  async run(flags, [path]) {
    const options = resolveBuildOptions(flags);
    const files = parseInputFiles(flags.list('input'));
    const seed = flags.int('seed', 1);
    const outDir = flags.string('output-dir');
    const { logger, done } = cliLogger({ verbose: options.verbose, phases: false });
    let target;
    try {
      target = await loadTarget(path!, options, logger, (f) => flags.has(f));
    } finally {
      done();
    }
    const { engine } = target;
    const inputs = prepareInputs(engine.inputs, files, seed, (m) => logger.verbose(m), options.shapes);
    const context = engine.createExecutionContext({ threads: options.threads });
    for (const t of inputs) context.setInputShape(t.name, t.tensor.shape);
    const t0 = performance.now();
    const outputs = await context.run(Object.fromEntries(inputs.map((t) => [t.name, { data: t.tensor.data, shape: t.tensor.shape }])));
    const ms = performance.now() - t0;

    for (const t of inputs) console.log(`input  ${t.name}: ${formatType(t.tensor)} from ${t.from}`);
    for (const [name, t] of Object.entries(outputs)) console.log(`output ${color.bold(name)}: ${formatType(t)} ${preview(t)}`);
    console.log(`ran in ${ms.toFixed(3)} ms`);
    if (outDir !== undefined) {
      for (const p of writeOutputs(outDir, outputs)) console.log(`wrote ${p}`);
    }
    return 0;
  },
};
