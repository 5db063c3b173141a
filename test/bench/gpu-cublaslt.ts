// The 'cublasLt' tactic on a GPU, for the device machine (bundled with esbuild and run
// by a bare Node next to the addon, as gpu-models.ts; see native/cuda/README.md):
//
// 1. checks: small versions of the layers below (and an f32 and a bf16 plan) with
//    'cublasLt' forced on every layer that takes it, against the interpreter; the
//    same plan launched one by one and replayed as a CUDA graph gives the same bits;
// 2. at full size, fp16: a ResNet-style pair of 1x1 NHWC convs at batch 256, 56x56,
//    256->64 (bias + relu) and 64->256 (bias + residual + relu), and a classifier gemm
//    256x2048 -> 1000 (after a relu, so its input is 16-bit): every tactic of each layer
//    in one tuning module, timed launch by launch with CUDA events (3 rounds of 20,
//    median), cublasLt against the best generated tile; the plan with cublasLt forced
//    against the plan with that best tile forced (same input, both on the GPU); and the
//    builder's own autotuning (target.ts offers cublasLt here), with its picks.
//
// Writes $OUT/gpu-cublaslt.json. Usage: node gpu-cublaslt.mjs [--quick]. Where no
// libcublasLt is on the loader's path or in the toolkit, it runs itself again with
// KILN_CUBLASLT set to the copy PyTorch's wheels installed (python3 finds it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builder, Logger, Network, Runtime } from '../../src/index.js';
import { interpret, mulberry32, type Tensor } from '../../src/interpret/index.js';
import { native } from '../../src/runtime/native.js';
import { emitCuda, withCuda, type CudaProgram } from '../../codegen/cuda/index.js';
import type { CudaPrecision } from '../../codegen/cuda/precision.js';
import type { PlanDesc } from '../../codegen/plan-desc.js';
import { lowerToPlan } from '../../codegen/index.js';
import { KILN_VERSION } from '../../src/version.js';
import { compareF32, lowerNetwork, quiet } from '../gpu/helpers.js';

const log = (s: string) => console.log(s);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quick = process.argv.includes('--quick');

function values(seed: number, n: number, by: number): Float32Array {
  const rng = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng() * 2 - 1) * by;
  return out;
}

/** A bottleneck's two 1x1 convs: C -> C/4 (bias, relu), C/4 -> C (bias, + x, relu). */
function convNet(batch: number, hw: number, c = 256): { net: Network; inputs: Record<string, Tensor> } {
  const net = new Network({ name: 'lt-convs' });
  const shape = [batch, c, hw, hw];
  const x = net.input('x', 'f32', shape);
  const q = c / 4;
  const a = x.conv({ name: 'reduce', outChannels: q, kernel: [1, 1], weights: values(1, q * c, 1 / Math.sqrt(c)), bias: values(2, q, 0.1) }).relu('r0');
  const b = a.conv({ name: 'expand', outChannels: c, kernel: [1, 1], weights: values(3, c * q, 1 / Math.sqrt(q)), bias: values(4, c, 0.1) }).add(x, 'skip').relu('r1');
  // A second block: a region of four NHWC layers pays for its two reformats under the
  // CUDA layout's rule (GPU_LAYERS_PER_REFORMAT), so a real build runs these convs NHWC.
  const a2 = b.conv({ name: 'reduce2', outChannels: q, kernel: [1, 1], weights: values(6, q * c, 1 / Math.sqrt(c)), bias: values(7, q, 0.1) }).relu('r2');
  const b2 = a2.conv({ name: 'expand2', outChannels: c, kernel: [1, 1], weights: values(8, c * q, 1 / Math.sqrt(q)), bias: values(9, c, 0.1) }).add(b, 'skip2').relu('r3');
  net.markOutput(b2, 'y');
  return { net, inputs: { x: { dtype: 'f32', shape, data: values(5, shape.reduce((p, d) => p * d, 1), 1) } } };
}

/** A classifier: relu, then 2048 -> 1000 with bias. */
function fcNet(batch: number, k = 2048, n = 1000): { net: Network; inputs: Record<string, Tensor> } {
  const net = new Network({ name: 'lt-fc' });
  const v = net.input('v', 'f32', [batch, k]);
  net.markOutput(v.relu('vr').fullyConnected({ name: 'fc', outputs: n, weights: values(6, n * k, 1 / Math.sqrt(k)), bias: values(7, n, 0.1) }), 'logits');
  return { net, inputs: { v: { dtype: 'f32', shape: [batch, k], data: values(8, batch * k, 1) } } };
}

/**
 * The plan's layers as a CUDA fp16 build lowers them (its layout assignment included), by
 * building once by rule: lowerNetwork would build for the CPU, whose autotuning at batch
 * 256 times every conv tactic on the CPU.
 */
function lowerForCuda(net: Network): PlanDesc {
  const builder = new Builder(quiet);
  const config = builder.createBuilderConfig();
  config.target = 'cuda';
  config.cudaPrecision = 'fp16';
  config.cudaAutotune = false;
  builder.buildSerializedNetwork(net, config);
  return lowerToPlan(builder.lastBuild!.optimized, { kilnVersion: KILN_VERSION, buildDigest: config.digest() }).plan;
}

const arch = () => native().cudaDevices().devices[0]!.arch;

function planBytes(plan: PlanDesc, program: CudaProgram, label: string): Uint8Array {
  const n = native();
  const cubin = n.cudaCompile(program.source, arch(), `${label}.cu`).cubin;
  return n.serializePlan(withCuda(plan, program, cubin, arch(), 'nvrtc'));
}

/** The plan with `tactic(layer name)` forced (undefined: the rule). */
function forced(plan: PlanDesc, precision: CudaPrecision, tactic: (layer: string) => string | undefined, label: string): Uint8Array {
  const program = emitCuda(plan, { precision, cublasLt: true, tactics: plan.layers.map((l) => tactic(l.name)) });
  return planBytes(plan, program, label);
}

async function run(plan: Uint8Array, inputs: Record<string, Tensor>, graph = true) {
  if (!graph) process.env.KILN_CUDA_GRAPH = '0';  // read when a context is created
  try {
    const ctx = new Runtime(quiet).deserializeEngine(plan).createExecutionContext();
    return await ctx.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { data: t.data as Float32Array, shape: t.shape }])));
  } finally {
    delete process.env.KILN_CUDA_GRAPH;
  }
}

function relDiff(got: Float32Array, want: Float32Array) {
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
    if (Number.isNaN(got[i]!)) diff = Infinity;
  }
  return diff / Math.max(scale, 1e-30);
}

const first = (out: Record<string, { data: unknown }>) => Object.values(out)[0]!.data as Float32Array;

interface Check { name: string; ok: boolean; detail: string }

/** Small layers with cublasLt forced wherever offered, against the interpreter, in each precision. */
async function checks(): Promise<Check[]> {
  const results: Check[] = [];
  for (const [label, k] of [['convs', convNet(2, 8, 64)], ['fc', fcNet(4, 96, 40)]] as const) {
    const expected = interpret(k.net.graph, k.inputs);
    for (const precision of ['fp16', 'bf16', 'fp32'] as const) {
      const plan = lowerNetwork(k.net, 3, 'cuda');
      const tuning = emitCuda(plan, { precision, allTactics: true, cublasLt: true });
      const offered = new Set(tuning.launches.filter((_, i) => tuning.launchTactics[i] === 'cublasLt').map((l) => plan.layers[l.layer]!.name));
      const bytes = forced(plan, precision, (name) => (offered.has(name) ? 'cublasLt' : undefined), `check-${label}-${precision}`);
      const records = native().inspectPlan(bytes).cuda!.launches.filter((l) => l.cublasLt).map((l) => l.layer);
      const graphOut = await run(bytes, k.inputs), launchOut = await run(bytes, k.inputs, false);
      const want = first(expected as Record<string, { data: unknown }>);
      const got = first(graphOut);
      const tol = precision === 'fp32' ? 1e-4 : precision === 'fp16' ? 1e-2 : 5e-2;
      const bad = compareF32(got, want, tol, tol * Math.max(...Array.from(want, Math.abs)));
      results.push({ name: `${label} ${precision}: cublasLt on [${records.join(', ')}]`, ok: !bad && records.length > 0, detail: bad ?? `within ${tol} of the interpreter (max rel ${relDiff(got, want).toExponential(2)})` });
      // Two contexts, each with its own heuristic call: the same algorithm, so the same bits are expected.
      const same = first(launchOut).every((v, i) => Object.is(v, got[i]));
      const apart = relDiff(first(launchOut), got);
      results.push({ name: `${label} ${precision}: graph replay equals launch by launch`, ok: apart <= 1e-3, detail: same ? 'identical' : `max rel diff ${apart.toExponential(2)}` });
    }
  }
  return results;
}

interface LayerTiming { layer: string; tactics: Record<string, number>; bestGenerated: { tactic: string; us: number }; cublasLtUs?: number; speedup?: number }

/** Every tactic of every tunable layer in one module, timed: 3 rounds of `repeats`, median per launch. */
function timeTactics(plan: PlanDesc, precision: CudaPrecision, label: string, repeats: number): LayerTiming[] {
  const tuning = emitCuda(plan, { precision, allTactics: true, cublasLt: true });
  const bytes = planBytes(plan, tuning, `tune-${label}`);
  const rounds = [0, 1, 2].map(() => native().cudaTimeLaunches(bytes, repeats));
  const perLayer = new Map<number, Record<string, number>>();
  tuning.launches.forEach((l, i) => {
    const tactic = tuning.launchTactics[i];
    if (tactic === undefined) return;
    const m = perLayer.get(l.layer) ?? {};
    m[tactic] = (m[tactic] ?? 0) + 1000 * median(rounds.map((r) => r[i]!));
    perLayer.set(l.layer, m);
  });
  return [...perLayer].map(([layer, m]) => {
    const generated = Object.entries(m).filter(([t]) => t !== 'cublasLt').sort((a, b) => a[1] - b[1])[0]!;
    const lt = m.cublasLt;
    return {
      layer: plan.layers[layer]!.name, tactics: Object.fromEntries(Object.entries(m).map(([t, v]) => [t, +v.toFixed(2)])),
      bestGenerated: { tactic: generated[0], us: +generated[1].toFixed(2) },
      ...(lt !== undefined ? { cublasLtUs: +lt.toFixed(2), speedup: +(generated[1] / lt).toFixed(3) } : {}),
    };
  });
}

/** The builder's autotuning (target.ts: cublasLt offered on this GPU), with its log. */
function builderPicks(net: Network): { layer: string; tactic?: string; tacticUs?: number }[] {
  const lines: string[] = [];
  const builder = new Builder(new Logger('info', (_s, m) => { if (m.startsWith('autotune')) lines.push(m); }));
  const config = builder.createBuilderConfig();
  config.target = 'cuda';
  config.cudaPrecision = 'fp16';
  config.cudaAutotune = true;
  const plan = builder.buildSerializedNetwork(net, config);
  for (const l of lines) log(`  ${l}`);
  return native().inspectPlan(plan).layers
    .map((l) => ({ layer: l.name, ...(JSON.parse(l.info || '{}') as { tactic?: string; tacticUs?: number }) }))
    .filter((l) => l.tactic !== undefined);
}

/** PyTorch's own libcublasLt (site-packages/nvidia/.../lib), or undefined. */
function wheelCublasLt(): string | undefined {
  const py = 'import glob, os, site\nfor d in site.getsitepackages():\n  for f in sorted(glob.glob(os.path.join(d, "nvidia", "**", "libcublasLt.so*"), recursive=True)):\n    print(f); raise SystemExit';
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim().split('\n')[0] : undefined;
}

async function main(): Promise<number> {
  if (!native().cublasLtInfo().available && !process.env.KILN_CUBLASLT) {
    const found = wheelCublasLt();
    if (found) {
      log(`${native().cublasLtInfo().reason}; running again with KILN_CUBLASLT=${found}`);
      return spawnSync(process.execPath, process.argv.slice(1), { env: { ...process.env, KILN_CUBLASLT: found }, stdio: 'inherit' }).status ?? 2;
    }
  }
  const devices = Runtime.cudaDevices();
  const report: Record<string, unknown> = { devices, nvrtc: native().nvrtcInfo(), cublasLt: native().cublasLtInfo(), date: new Date().toISOString() };
  log(JSON.stringify(report));
  const out = process.env.OUT ?? join(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  const save = () => writeFileSync(join(out, 'gpu-cublaslt.json'), JSON.stringify(report, null, 1));
  save();
  if (!devices.available || devices.devices.length === 0 || !native().cublasLtInfo().available) return 1;
  let ok = true;
  const results = await checks();
  for (const c of results) {
    ok &&= c.ok;
    log(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  report.checks = results;
  save();

  const batch = quick ? 32 : 256;
  const cases = [['convs', convNet(batch, 56)], ['fc', fcNet(batch)]] as const;
  const timings: Record<string, unknown> = {};
  for (const [label, k] of cases) {
    const plan = lowerForCuda(k.net);
    const layers = timeTactics(plan, 'fp16', label, 20);
    for (const l of layers) {
      log(`${label} batch ${batch} '${l.layer}': best generated ${l.bestGenerated.tactic} ${l.bestGenerated.us} us, cublasLt ${l.cublasLtUs ?? '-'} us (${l.speedup ?? '-'}x)`);
    }
    // The full-size outputs: cublasLt forced vs each layer's best generated tactic forced.
    const best = new Map(layers.map((l) => [l.layer, l.bestGenerated.tactic]));
    const withLt = new Set(layers.filter((l) => l.cublasLtUs !== undefined).map((l) => l.layer));
    const a = first(await run(forced(plan, 'fp16', (n) => (withLt.has(n) ? 'cublasLt' : best.get(n)), `${label}-lt`), k.inputs));
    const b = first(await run(forced(plan, 'fp16', (n) => best.get(n), `${label}-gen`), k.inputs));
    const rel = relDiff(a, b);
    const agree = rel <= 1e-2;
    ok &&= agree && withLt.size > 0;
    log(`${agree ? 'PASS' : 'FAIL'} ${label} batch ${batch}: cublasLt plan vs best generated plan, max rel diff ${rel.toExponential(2)}`);
    const picks = builderPicks(k.net);
    timings[label] = { batch, layers, cublasLtVsGenerated: { maxRelDiff: rel, pass: agree }, builderPicks: picks };
    report.timings = timings;
    save();
  }
  report.ok = ok;
  save();
  log(ok ? 'all checks passed' : 'some checks FAILED');
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(2);
});
