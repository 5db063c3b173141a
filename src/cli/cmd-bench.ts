// `kiln bench MODEL|PLAN`: trtexec's timing loop. Warm up (runs or milliseconds),
// then time back-to-back inferences on one execution context until both the iteration
// count and the duration are reached; print throughput and latency statistics as
// trtexec's performance summary does, and optionally all of it as JSON.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { formatType } from '../ir/index.js';
import { native } from '../runtime/native.js';
import { KILN_VERSION } from '../version.js';
import type { Command } from './args.js';
import { BUILD_FLAGS, resolveBuildOptions } from './build-options.js';
import { UsageError } from './errors.js';
import { loadTarget, type Target } from './model.js';
import { cliLogger } from './progress.js';
import { latencyStats } from './stats.js';
import { color, formatMs, table } from './style.js';
import { INPUT_FLAGS, parseInputFiles, prepareInputs } from './tensors.js';

/** Profiled runs after the timed ones: enough for a stable median per layer, few enough to stay quick. */
const PROFILE_ITERATIONS = 20;

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    positionals: ['MODEL|PLAN'],
    summary: 'Measure throughput and latency (min, mean, median, p90, p95, p99), like trtexec.',
    description: 'Runs until both --iterations and --duration are reached (defaults: 10 runs and 3 s; giving one drops the other default).',
    flags: [
      { name: 'warmup', kind: 'string', metavar: 'N|MSms', help: 'warm-up: N runs, or a time such as 200ms or 1s (default 200ms)' },
      { name: 'iterations', kind: 'string', metavar: 'N', help: 'time at least N runs' },
      { name: 'duration', kind: 'string', metavar: 'S', help: 'time for at least S seconds' },
      { name: 'export-json', kind: 'string', metavar: 'FILE', help: 'write the results (and every latency) as JSON' },
      { name: 'dump-profile', kind: 'boolean', help: 'print the per-layer profile: median time, share and tactic of every layer' },
      ...INPUT_FLAGS,
      ...BUILD_FLAGS,
    ],
    examples: ['kiln bench out/mnist.plan --iterations 1000 --export-json bench.json', 'kiln bench model.ts --shapes x:8x48 --duration 10 --threads 4'],
  },

  async run(flags, [path]) {
    const options = resolveBuildOptions(flags);
    const warmup = parseWarmup(flags.string('warmup') ?? '200ms');
    const givenIters = flags.has('iterations');
    const givenDuration = flags.has('duration');
    const minIters = flags.int('iterations', givenDuration ? 1 : 10, 1);
    const minMs = flags.number('duration', givenIters ? 0 : 3, 0) * 1000;
    const files = parseInputFiles(flags.list('input'));
    const seed = flags.int('seed', 1);
    const { logger, done } = cliLogger({ verbose: options.verbose, phases: false });
    let target: Target;
    try {
      target = await loadTarget(path!, options, logger, (f) => flags.has(f));
    } finally {
      done();
    }
    const { engine } = target;
    const inputs = prepareInputs(engine.inputs, files, seed, (m) => logger.verbose(m), options.shapes);
    const context = engine.createExecutionContext({ threads: options.threads });
    const feed = Object.fromEntries(inputs.map((t) => [t.name, { data: t.tensor.data, shape: t.tensor.shape }]));

    let warmRuns = 0;
    const w0 = performance.now();
    while (warmup.runs !== undefined ? warmRuns < warmup.runs : performance.now() - w0 < warmup.ms!) {
      await context.run(feed);
      warmRuns++;
    }
    const warmMs = performance.now() - w0;

    const times: number[] = [];
    const start = performance.now();
    while (times.length < minIters || performance.now() - start < minMs) {
      const t0 = performance.now();
      await context.run(feed);
      times.push(performance.now() - t0);
    }
    const wallMs = performance.now() - start;
    const stats = latencyStats(times);
    const threads = options.threads === 0 ? native().hardwareThreads() : options.threads;

    const result = {
      kiln: KILN_VERSION,
      model: path,
      kind: target.kind,
      device: { cpu: cpus()[0]?.model ?? 'unknown', isa: native().cpuFeatures(), threads },
      config: { threads, warmup: warmup.text, iterations: minIters, durationS: minMs / 1000, seed },
      inputs: inputs.map((t) => ({ name: t.name, type: formatType(t.tensor), from: t.from })),
      build: target.built && { ms: target.built.ms, layersBefore: target.built.report.layersBefore, layersAfter: target.built.report.layersAfter },
      warmup: { runs: warmRuns, ms: warmMs },
      iterations: times.length,
      walltimeMs: wallMs,
      throughputQps: times.length / (wallMs / 1000),
      latencyMs: stats,
      // Per-layer times come from separate profiled runs (a timer around each kernel), so they never skew the latencies above.
      profile: await context.profile(feed, { iterations: PROFILE_ITERATIONS, warmup: 1 }),
      timesMs: times,
    };

    const s = stats;
    console.log(color.bold('=== Performance summary ==='));
    console.log(`Throughput: ${result.throughputQps.toFixed(2)} qps`);
    console.log(`Latency: min = ${formatMs(s.min)} ms, max = ${formatMs(s.max)} ms, mean = ${formatMs(s.mean)} ms, median = ${formatMs(s.median)} ms, percentile(90%) = ${formatMs(s.p90)} ms, percentile(95%) = ${formatMs(s.p95)} ms, percentile(99%) = ${formatMs(s.p99)} ms`);
    console.log(`Total Host Walltime: ${(wallMs / 1000).toFixed(3)} s`);
    console.log(`Iterations: ${times.length} (after ${warmRuns} warm-up runs in ${formatMs(warmMs)} ms); threads: ${threads}; inputs: ${result.inputs.map((t) => `${t.name} ${t.type}`).join(', ')}`);
    if (flags.bool('dump-profile')) {
      const p = result.profile;
      console.log(`\n${color.bold('=== Profile ===')} (median of ${p.iterations} profiled runs; layers sum to ${formatMs(p.totalMs)} ms)`);
      console.log(table(['#', 'layer', 'op', 'kernel', 'tactic', 'median ms', '%', 'fused from'], p.layers.map((l, i) => [String(i), l.name, l.op, l.kernel, l.tactic ?? '-', formatMs(l.medianMs), l.percent.toFixed(1), l.fused.join(', ')]), ['r', 'l', 'l', 'l', 'l', 'r', 'r']));
    }
    const json = flags.string('export-json');
    if (json !== undefined) {
      writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`wrote ${json}`);
    }
    return 0;
  },
};

interface Warmup {
  runs?: number;
  ms?: number;
  text: string;
}

function parseWarmup(text: string): Warmup {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--warmup must be a run count (e.g. 50) or a time (e.g. 200ms, 1s), got '${text}'`);
  const v = Number(m[1]);
  if (m[2] === undefined) {
    if (!Number.isInteger(v)) throw new UsageError(`--warmup ${text}: a run count must be an integer; for a time add ms or s`);
    return { runs: v, text };
  }
  return { ms: m[2] === 's' ? v * 1000 : v, text };
}
