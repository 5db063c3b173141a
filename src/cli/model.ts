// What a command is pointed at: a MODEL (a .ts/.js DSL module, or .onnx) that the
// CLI builds in memory, or a PLAN that was built before. Kinds are told by extension,
// and by the plan's magic bytes for any other name. A DSL module exports a default
// function `(builder) => Network` (may be async) or a `network` export (a Network, a
// Graph, or such a function).
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Builder, type BuildReport } from '../builder/builder.js';
import type { BuilderConfig } from '../builder/builder-config.js';
import { TimingCache } from '../builder/timing-cache.js';
import type { Logger } from '../builder/logger.js';
import { formatType, type Graph } from '../ir/index.js';
import { OnnxUnsupportedError, formatSupportReport, importOnnx, type SupportReport } from '../onnx/index.js';
import { decodeModel, readSource } from '../onnx/proto/decode.js';
import type { Engine } from '../runtime/engine.js';
import { Runtime } from '../runtime/runtime.js';
import type { BuildOptions, PrecisionOptions } from './build-options.js';
import { ArrayCalibrator } from '../builder/calibrator.js';
import { mulberry32, randomTensor, type Tensor } from '../interpret/index.js';
import { loadNpy } from '../io/index.js';
import { UsageError } from './errors.js';
import { formatDims } from './shapes.js';

export type SourceKind = 'plan' | 'onnx' | 'dsl';

const DSL_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const PLAN_MAGIC = 'KILNPLAN';

export function sourceKind(path: string): SourceKind {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (DSL_EXTENSIONS.includes(ext)) return 'dsl';
  const head = Buffer.alloc(PLAN_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === PLAN_MAGIC) return 'plan';
  throw new UsageError(`cannot tell what '${path}' is: expected a kiln plan (starts with ${PLAN_MAGIC}), an .onnx model or a .ts/.js DSL module`);
}

export interface LoadedModel {
  kind: 'onnx' | 'dsl';
  path: string;
  graph: Graph;
  /** The importer's support report, for .onnx models. */
  onnx?: SupportReport;
}

/**
 * `options.shapes` (from --shapes) fixes an ONNX model's symbolic dims at import, so
 * shape arithmetic on them folds; `options.supportReport` prints the importer's report.
 */
export async function loadModel(path: string, kind: 'onnx' | 'dsl', builder: Builder, options: Pick<BuildOptions, 'shapes' | 'supportReport' | 'plugins' | 'configure' | 'profiles'>): Promise<LoadedModel> {
  await loadPlugins(options);
  if (kind === 'onnx') {
    try {
      // Ranged profiles keep the model's symbols: only --shapes inputs are bound at import.
      const model = loadOnnx(path, options.profiles ? new Map([...options.shapes].filter(([n]) => !options.profiles![0]!.has(n))) : options.shapes);
      if (options.supportReport) console.log(`${formatSupportReport(model.onnx!)}\n`);
      return model;
    } catch (e) {
      if (e instanceof UnsupportedModelError && options.supportReport) console.log(formatSupportReport(e.report));
      throw e;
    }
  }
  const mod = await importModule(path);
  return { kind, path, graph: await graphFromModule(mod, path, builder) };
}

function loadOnnx(path: string, shapes: ReadonlyMap<string, readonly number[]>): LoadedModel {
  const bytes = new Uint8Array(readFileSync(path));
  try {
    const imported = importOnnx(bytes, { file: path, dims: symbolBinding(bytes, path, shapes) });
    return { kind: 'onnx', path, graph: imported.graph, onnx: imported.report };
  } catch (e) {
    if (!(e instanceof OnnxUnsupportedError)) throw e;
    throw new UnsupportedModelError(e.report);
  }
}

/** The model has nodes kiln cannot import; the message is one line, the report rides along. */
export class UnsupportedModelError extends Error {
  constructor(readonly report: SupportReport) {
    const ops = [...new Set(report.unsupported.map((u) => u.opType))];
    const n = report.unsupported.length;
    super(`${report.file}: ${n} unsupported node${n === 1 ? '' : 's'} (${ops.join(', ')}; first: node ${report.unsupported[0]?.index ?? '?'} '${report.unsupported[0]?.name ?? ''}', ${report.unsupported[0]?.reason ?? ''}); add --support-report for the table`);
    this.name = 'UnsupportedModelError';
  }
}

/**
 * { batch: 4 } from --shapes input:4x3x224x224 for an input declared [batch,3,224,224],
 * read from the model's declared inputs before importing: binding the dims at import
 * lets shape arithmetic fold (attention reshapes need seq * batch as a number).
 */
function symbolBinding(bytes: Uint8Array, path: string, shapes: ReadonlyMap<string, readonly number[]>): Record<string, number> {
  const dims: Record<string, number> = {};
  if (shapes.size === 0) return dims;
  const inputs = decodeModel(readSource(bytes, path)).graph?.input ?? [];
  for (const input of inputs) {
    const given = shapes.get(input.name);
    const declared = input.type?.tensor_type?.shape?.dim;
    if (!given || !declared || declared.length !== given.length) continue;
    declared.forEach((d, i) => {
      if (d.value === 'dim_param' && d.dim_param) dims[d.dim_param] = given[i]!;
    });
  }
  return dims;
}

/** Loads each --plugin module once: its default export configures every build (custom passes). */
async function loadPlugins(options: Pick<BuildOptions, 'plugins' | 'configure'>): Promise<void> {
  if (!options.plugins || !options.configure || options.configure.length === options.plugins.length) return;
  for (const path of options.plugins) {
    const fn = (await importModule(path)).default;
    if (typeof fn !== 'function') throw new UsageError(`--plugin '${path}' has no default export (config) => void; add \`export default (config) => config.addPass(pass, { before: 'simplify' })\``);
    options.configure.push(fn as (c: BuilderConfig) => void);
  }
}

export async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(path)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    // Under plain node (the bundled bin), .ts modules need tsx's loader; register it
    // on demand. The name is a variable so the bundler leaves tsx out of dist/cli.js.
    if ((e as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw new Error(`loading DSL module '${path}' failed: ${(e as Error).message}`);
    const tsxApi = 'tsx/esm/api';
    let api: { register: () => unknown };
    try {
      api = (await import(tsxApi)) as typeof api;
    } catch {
      throw new UsageError(`loading TypeScript module '${path}' needs tsx; install it (npm i -D tsx) or compile the module to .js`);
    }
    api.register();
    // A new URL: Node caches the failed load of the first one.
    return (await import(`${url}?tsx`)) as Record<string, unknown>;
  }
}

function isGraph(x: unknown): x is Graph {
  const g = x as Graph;
  return typeof g === 'object' && g !== null && Array.isArray(g.nodes) && Array.isArray(g.inputs) && Array.isArray(g.outputs) && typeof g.types === 'object';
}

/** Duck-typed, so a Network from another copy of kiln (dist vs src) works too. */
async function graphFromModule(mod: Record<string, unknown>, path: string, builder: Builder): Promise<Graph> {
  let value: unknown = mod.default ?? mod.network;
  if (value === undefined) throw new UsageError(`DSL module '${path}' exports neither a default function (builder) => Network nor a 'network'; add \`export default (builder) => network\``);
  if (typeof value === 'function') value = await (value as (b: Builder) => unknown)(builder);
  if (isGraph(value)) return value;
  const graph = (value as { graph?: unknown } | null)?.graph;
  if (isGraph(graph)) return graph;
  throw new UsageError(`DSL module '${path}' gave ${value === null ? 'null' : typeof value}, not a Network or Graph; return the Network you built`);
}

export interface Built {
  plan: Uint8Array;
  report: BuildReport;
  ms: number;
  config: BuilderConfig;
}

/** Builds a graph with the CLI's options; shape problems are usage errors naming --shapes. */
export function buildGraph(graph: Graph, options: BuildOptions, logger: Logger): Built {
  checkShapes(graph, options);
  const builder = new Builder(logger);
  const config = builder.createBuilderConfig().setOptLevel(options.optLevel);
  config.disabledPasses = [...options.disabledPasses];
  config.dumpDir = options.dumpDir;
  config.target = options.target ?? 'cpu';
  if (options.device !== undefined) config.device = options.device;
  if (options.cudaArch !== undefined) config.cudaArch = options.cudaArch;
  for (const ranged of options.profiles ?? [undefined]) {
    if (!ranged && options.shapes.size === 0) continue;
    const profile = builder.createOptimizationProfile();
    for (const [name, dims] of options.shapes) if (!ranged?.has(name)) profile.setDimensions(name, dims, dims, dims);
    for (const [name, p] of ranged ?? []) profile.setDimensions(name, p.min, p.opt, p.max);
    config.addOptimizationProfile(profile);
  }
  const cache = options.timingCache === undefined ? undefined : TimingCache.load(options.timingCache);
  if (cache) config.setTimingCache(cache);
  if (options.precision) applyPrecision(config, options.precision, graph, options, logger);
  for (const configure of options.configure ?? []) configure(config);
  const t0 = performance.now();
  const plan = builder.buildSerializedNetwork(graph, config);
  if (cache) cache.save(options.timingCache!);
  const report = builder.lastBuild!;
  if (options.arenaLimit !== undefined && report.arenaBytes > options.arenaLimit) {
    throw new Error(`the plan needs an arena of ${report.arenaBytes} B per execution context, above --mem-pool's ${options.arenaLimit} B; raise the limit, or build with smaller --shapes`);
  }
  return { plan, report, ms: performance.now() - t0, config };
}

let warnedRandomCalibration = false;

/** --fp16/--bf16/--int8/--best, --layer-precisions, --precision-constraints and --calib on a config. */
function applyPrecision(config: BuilderConfig, p: PrecisionOptions, graph: Graph, options: BuildOptions, logger: Logger): void {
  for (const f of p.flags) config.setFlag(f);
  try {
    if (p.layerPrecisions) config.setLayerPrecisions(p.layerPrecisions);
  } catch (e) {
    throw new UsageError(`--layer-precisions: ${(e as Error).message}`);
  }
  if (p.constraints) config.precisionConstraints = p.constraints;
  if (!p.flags.includes('int8') && !(p.flags.includes('best') && p.calib)) return;
  if (p.calib !== undefined) {
    config.calibrator = calibratorFrom(p.calib, graph);
    return;
  }
  // Once per process: debug precision builds many times.
  if (!warnedRandomCalibration) logger.warning('--int8 without --calib: calibrating on random inputs (uniform [0,1)); int8 accuracy will not reflect real data, give --calib DIR of .npy batches');
  warnedRandomCalibration = true;
  const rng = mulberry32(7);
  const batches = Array.from({ length: 4 }, () => Object.fromEntries(graph.inputs.map((n) => [n, randomInput(n, graph, options, rng)])));
  config.calibrator = new ArrayCalibrator(batches);
}

function randomInput(name: string, graph: Graph, options: BuildOptions, rng: ReturnType<typeof mulberry32>) {
  const t = graph.types[name]!;
  const shape = options.shapes.get(name) ?? t.shape;
  if (shape.some((d) => typeof d !== 'number')) throw new UsageError(`input '${name}' ${formatType(t)} needs --shapes to calibrate int8 on random data`);
  return randomTensor(t.dtype, shape as number[], rng, t.dtype === 'f32' ? { min: 0, max: 1 } : { min: 0, max: 9 });
}

/** --calib: a calibration cache file, or a folder of .npy batches (one model input: every .npy; several: files named <input>*.npy). */
function calibratorFrom(path: string, graph: Graph): ArrayCalibrator {
  if (!statSync(path).isDirectory()) return new ArrayCalibrator([], 'entropy', { cache: readFileSync(path, 'utf8') });
  const files = readdirSync(path).filter((f) => f.endsWith('.npy')).sort();
  const perInput = graph.inputs.map((n) => files.filter((f) => graph.inputs.length === 1 || f.startsWith(n.replace(/[^\w.-]/g, '_'))));
  const count = Math.min(...perInput.map((l) => l.length));
  if (count === 0) throw new UsageError(`--calib ${path}: no .npy batches${graph.inputs.length > 1 ? ` for every input (name them ${graph.inputs.map((n) => `${n}_0.npy`).join(', ')})` : ''}; save calibration inputs with np.save`);
  const batches = Array.from({ length: count }, (_, k) => Object.fromEntries(graph.inputs.map((n, i) => {
    const t = loadNpy(join(path, perInput[i]![k]!));
    const data = t.dtype === 'f64' ? Float32Array.from(t.data as Float64Array) : t.data;
    return [n, { dtype: t.dtype === 'f64' ? 'f32' : t.dtype, shape: [...t.shape], data } as Tensor];
  })));
  return new ArrayCalibrator(batches);
}

function checkShapes(graph: Graph, options: BuildOptions): void {
  for (const name of options.shapes.keys()) {
    if (!graph.inputs.includes(name)) throw new UsageError(`--shapes names '${name}', but the model's inputs are: ${graph.inputs.join(', ')}`);
  }
  for (const name of graph.inputs) {
    const t = graph.types[name]!;
    if (t.shape.some((d) => typeof d === 'string') && !options.shapes.has(name)) {
      const example = t.shape.map((d) => (typeof d === 'string' ? 1 : d));
      throw new UsageError(`input '${name}' has dynamic shape ${formatType(t)}; give its shape, e.g. --shapes ${name}:${formatDims(example)}`);
    }
  }
}

/** A command's target, ready to run: the plan bytes and engine, plus the model and build when built here. */
export interface Target {
  kind: SourceKind;
  path: string;
  plan: Uint8Array;
  engine: Engine;
  model?: LoadedModel;
  built?: Built;
}

const BUILD_ONLY_FLAGS = ['opt-level', 'min-shapes', 'opt-shapes', 'max-shapes', 'disable-pass', 'dump-ir', 'fp16', 'bf16', 'int8', 'best', 'layer-precisions', 'precision-constraints', 'calib', 'mem-pool', 'plugin'];

export async function loadTarget(path: string, options: BuildOptions, logger: Logger, given: (flag: string) => boolean, describeOnly = false): Promise<Target> {
  const kind = sourceKind(path);
  if (kind === 'plan') {
    const flag = BUILD_ONLY_FLAGS.find(given);
    if (flag) throw new UsageError(`--${flag} applies when building a MODEL, but '${path}' is a plan that is already built; rebuild it with kiln build`);
    const plan = new Uint8Array(readFileSync(path));
    // inspect reads a plan it cannot run (a CUDA plan without its GPU) from its description.
    return { kind, path, plan, engine: describeOnly ? new Runtime(logger).describePlan(plan) : new Runtime(logger).deserializeEngine(plan) };
  }
  const model = await loadModel(path, kind, new Builder(logger), options);
  const built = buildGraph(model.graph, options, logger);
  const runtime = new Runtime(logger);
  return { kind, path, plan: built.plan, engine: describeOnly ? runtime.describePlan(built.plan) : runtime.deserializeEngine(built.plan), model, built };
}
