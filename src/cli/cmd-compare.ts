// `kiln compare MODEL`: Polygraphy's `run --trt --onnxrt` for kiln. Builds the model,
// runs it on the same inputs as the reference interpreter (and onnxruntime for .onnx
// files), and reports per output the error statistics and PASSED / FAILED under
// numpy.allclose's rule. --mark-all also checks every tensor that survives
// optimization: a second plan, lowered from the same optimized graph without running
// the passes again, marks those tensors as outputs, so the kernels (and fusions)
// compared are the ones the first plan runs.
import { interpret, type Tensor } from '../interpret/index.js';
import { formatType, makeGraph, type Graph } from '../ir/index.js';
import { Runtime } from '../runtime/runtime.js';
import type { Command } from './args.js';
import { BUILD_FLAGS, resolveBuildOptions } from './build-options.js';
import { UsageError } from './errors.js';
import { buildGraph, loadTarget, type Target } from './model.js';
import { runOnnxRuntime } from './onnxruntime.js';
import { cliLogger } from './progress.js';
import { errorStats, formatHistogram, summarizeErrors, type ErrorStats } from './stats.js';
import { color, formatError, passFail, table } from './style.js';
import { INPUT_FLAGS, parseInputFiles, prepareInputs } from './tensors.js';

export const compareCommand: Command = {
  spec: {
    name: 'compare',
    positionals: ['MODEL'],
    summary: 'Compare kiln against the reference interpreter (and onnxruntime for .onnx): errors, histogram, PASSED/FAILED.',
    description: 'An element passes when |kiln - reference| <= atol + rtol * |reference| (numpy.allclose); exit 1 when any fails.',
    flags: [
      { name: 'atol', kind: 'string', metavar: 'A', help: 'absolute tolerance (default 1e-5)' },
      { name: 'rtol', kind: 'string', metavar: 'R', help: 'relative tolerance (default 1e-5)' },
      { name: 'mark-all', kind: 'boolean', help: 'also compare every intermediate tensor that survives optimization' },
      { name: 'no-onnxruntime', kind: 'boolean', help: 'for .onnx models, skip the onnxruntime reference' },
      ...INPUT_FLAGS,
      ...BUILD_FLAGS,
    ],
    examples: ['kiln compare model.ts --shapes x:4x48', 'kiln compare lenet.onnx --shapes input:1x1x28x28 --mark-all --atol 1e-4'],
  },

  async run(flags, [path]) {
    const options = resolveBuildOptions(flags);
    const atol = flags.number('atol', 1e-5);
    const rtol = flags.number('rtol', 1e-5);
    const files = parseInputFiles(flags.list('input'));
    const seed = flags.int('seed', 1);
    const { logger, done } = cliLogger({ verbose: options.verbose, phases: false });
    let target: Target;
    try {
      target = await loadTarget(path!, options, logger, (f) => flags.has(f));
    } finally {
      done();
    }
    if (!target.model || !target.built) throw new UsageError(`kiln compare needs a MODEL (.ts/.js or .onnx): '${path}' is a plan, which keeps no graph for the reference to run`);
    const { engine, model, built } = target;
    const inputs = prepareInputs(engine.inputs, files, seed, (m) => logger.verbose(m), options.shapes);
    const feed = Object.fromEntries(inputs.map((t) => [t.name, t.tensor]));
    const context = engine.createExecutionContext({ threads: options.threads });
    const kiln = await context.run(feed);
    const reference = interpret(model.graph, feed, { keep: flags.bool('mark-all') ? 'all' : 'outputs' });

    console.log(`${color.bold('compare')} ${path}: kiln (opt level ${options.optLevel}, ${engine.layers.length} layers) vs reference interpreter${model.kind === 'onnx' && !flags.bool('no-onnxruntime') ? ' and onnxruntime' : ''}`);
    console.log(`inputs: ${inputs.map((t) => `${t.name} ${formatType(t.tensor)} from ${t.from}`).join(', ')}`);
    console.log(`tolerance: |kiln - reference| <= atol + rtol * |reference| with atol ${atol}, rtol ${rtol}\n`);

    let failed = 0;
    const report = (label: string, actual: Tensor, expected: Tensor) => {
      const s = errorStats(actual, expected, atol, rtol);
      if (!s.passed) failed++;
      console.log(`${color.bold(label)}: ${summarizeErrors(s)}  ${passFail(s.passed)}`);
      console.log(`  ${s.mismatches} of ${s.count} elements outside tolerance; largest error at [${s.worst.index}]: kiln ${exact(s.worst.actual)} vs ${exact(s.worst.expected)}`);
      if (s.histogram.length) console.log(`  |error| histogram:\n${indent(formatHistogram(s.histogram), 4)}`);
    };
    for (const out of engine.outputs) report(`output ${out.name} ${formatType(kiln[out.name]!)} vs interpreter`, kiln[out.name]!, reference[out.name]!);

    if (model.kind === 'onnx' && !flags.bool('no-onnxruntime')) {
      const ort = await runOnnxRuntime(model.path, feed);
      for (const out of engine.outputs) {
        const o = ort[out.name];
        if (!o) throw new Error(`onnxruntime gave no output '${out.name}' (it gave ${Object.keys(ort).join(', ')})`);
        report(`output ${out.name} vs onnxruntime`, kiln[out.name]!, o);
      }
    }

    if (flags.bool('mark-all')) failed += await compareIntermediates(built.report.optimized, model.graph, reference, feed, options.threads, atol, rtol, logger);

    console.log(failed === 0 ? `\n${passFail(true)}: every comparison is within tolerance` : `\n${passFail(false)}: ${failed} comparison${failed === 1 ? '' : 's'} outside tolerance (atol ${atol}, rtol ${rtol})`);
    return failed === 0 ? 0 : 1;
  },
};

/** The optimized graph with every layer output that the original network also has marked as an output. */
export function markAll(optimized: Graph, original: Graph): { graph: Graph; marked: string[]; skipped: string[] } {
  const known = new Set(Object.keys(original.types));
  const candidates = optimized.nodes.flatMap((n) => n.outputs).filter((v) => !optimized.outputs.includes(v) && !optimized.inputs.includes(v));
  const marked = candidates.filter((v) => known.has(v));
  const skipped = candidates.filter((v) => !known.has(v));
  return { graph: makeGraph({ ...optimized, outputs: [...optimized.outputs, ...marked] }), marked, skipped };
}

async function compareIntermediates(
  optimized: Graph, original: Graph, reference: Record<string, Tensor>, feed: Record<string, Tensor>,
  threads: number, atol: number, rtol: number, logger: Parameters<typeof buildGraph>[2],
): Promise<number> {
  const { graph, marked, skipped } = markAll(optimized, original);
  // Level 0 runs no passes: the second plan lowers the same fused layers as the first.
  const built = buildGraph(graph, { optLevel: 0, shapes: new Map(), disabledPasses: [], dumpDir: undefined, threads, verbose: false, supportReport: false }, logger);
  const engine = new Runtime(logger).deserializeEngine(built.plan);
  const outs = await engine.createExecutionContext({ threads }).run(feed);
  const producer = new Map(optimized.nodes.flatMap((n) => n.outputs.map((o) => [o, n.name] as const)));
  const rows: string[][] = [];
  let failed = 0;
  const quantized: string[] = [];
  for (const name of marked) {
    // An int8 layer's output holds quantized integers; the reference's float has no like to compare with.
    if (['i8', 'u8'].includes(outs[name]!.dtype) && reference[name]!.dtype !== outs[name]!.dtype) {
      quantized.push(name);
      continue;
    }
    const s: ErrorStats = errorStats(outs[name]!, reference[name]!, atol, rtol);
    if (!s.passed) failed++;
    rows.push([name, producer.get(name)!, formatType(outs[name]!), formatError(s.maxAbs), formatError(s.maxRel), `${s.mismatches}/${s.count}`, passFail(s.passed)]);
  }
  console.log(`\n${color.bold(`intermediate tensors (--mark-all): ${marked.length} that survive optimization, vs interpreter`)}`);
  console.log(rows.length ? table(['tensor', 'layer', 'type', 'max abs', 'max rel', 'outside', 'result'], rows, ['l', 'l', 'l', 'r', 'r', 'r']) : '  (none: every layer output was fused away or is a network output)');
  if (skipped.length) console.log(color.dim(`  not compared (made by optimization, no counterpart in the model): ${skipped.join(', ')}`));
  if (quantized.length) console.log(color.dim(`  not compared (int8 tensors, quantized; the reference holds floats): ${quantized.join(', ')}`));
  return failed;
}

/** Enough digits to tell two f32 values apart. */
function exact(v: number): string {
  return Number.isFinite(v) && !Number.isInteger(v) ? v.toPrecision(9) : String(v);
}

function indent(text: string, n: number): string {
  return text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');
}
