// The build flags every command that compiles a MODEL accepts (build, run, bench,
// compare, draw, debug), trtexec's names in kebab-case. All are parsed and validated
// first, so a typo is reported before anything slow; model.ts applies them to the
// BuilderConfig (precision flags, calibration, plugins) and checks --mem-pool after.
import { accessSync, constants } from 'node:fs';
import type { FlagSpec } from './args.js';
import { Flags } from './args.js';
import { UsageError, notSupported } from './errors.js';
import { formatDims, parseShapes, type ShapeMap } from './shapes.js';
import type { BuilderConfig } from '../builder/builder-config.js';
import type { ProfileDims } from '../builder/profile.js';

export const SHAPE_FLAGS: FlagSpec[] = [
  { name: 'shapes', kind: 'string', metavar: 'SPEC', help: 'input shapes for symbolic dims, name:1x3x224x224,other:... (sets min = opt = max)' },
];

export const BUILD_FLAGS: FlagSpec[] = [
  { name: 'opt-level', kind: 'string', metavar: '0-5', help: 'builder optimization level (default 3; 0 runs no passes)' },
  { name: 'target', kind: 'string', metavar: 'cpu|cuda', help: 'what the plan runs on (default cpu); cuda: generated kernels for an NVIDIA GPU, --fp16/--bf16 choose 16-bit storage' },
  { name: 'device', kind: 'string', metavar: 'N', help: 'cuda: the GPU whose architecture the build targets and times on (default 0)' },
  { name: 'cuda-arch', kind: 'string', metavar: 'sm_XX', help: 'cuda: build for this architecture instead of the device\'s (a machine without a GPU; needs nvcc)' },
  ...SHAPE_FLAGS,
  { name: 'min-shapes', kind: 'list', metavar: 'SPEC', help: 'optimization profile minimum shapes; repeat min/opt/max for several profiles' },
  { name: 'opt-shapes', kind: 'list', metavar: 'SPEC', help: 'profile optimal shapes (tactics are timed here)' },
  { name: 'max-shapes', kind: 'list', metavar: 'SPEC', help: 'profile maximum shapes (memory is planned here)' },
  { name: 'disable-pass', kind: 'list', metavar: 'PASS', help: 'leave a pass out of the pipeline (e.g. FuseEpilogues)' },
  { name: 'dump-ir', kind: 'string', metavar: 'DIR', help: 'write the IR after every pass into DIR' },
  { name: 'threads', kind: 'string', metavar: 'N', help: 'threads of the execution context (0 = all cores; default 0)' },
  { name: 'verbose', kind: 'boolean', help: 'log every build message and print the optimized graph' },
  { name: 'support-report', kind: 'boolean', help: "for .onnx: print the importer's support report (ops, unsupported nodes)" },
  { name: 'timing-cache', kind: 'string', metavar: 'FILE', help: "autotuning's timing cache: read if it exists, new timings written back" },
  { name: 'fp16', kind: 'boolean', help: 'allow fp16 layers where faster (16-bit storage, f32 sums)' },
  { name: 'bf16', kind: 'boolean', help: 'allow bf16 layers where faster' },
  { name: 'tf32', kind: 'boolean', help: 'cuda: fp32 convs on tensor cores reading f32 as tf32 (10-bit mantissa products, f32 sums)' },
  { name: 'int8', kind: 'boolean', help: 'allow int8 conv / fully connected layers (scales from --calib, else random data with a warning)' },
  { name: 'best', kind: 'boolean', help: 'allow every precision (int8 only with --calib)' },
  { name: 'layer-precisions', kind: 'string', metavar: 'SPEC', help: "per-layer precision, first match wins: conv1:fp32,fc*:int8,*:bf16" },
  { name: 'precision-constraints', kind: 'string', metavar: 'MODE', help: 'how --layer-precisions binds: obey (always), prefer (where faster), none' },
  { name: 'calib', kind: 'string', metavar: 'DIR|CACHE', help: 'int8 calibration: a folder of .npy batches (<input>*.npy) or a calibration cache file' },
  { name: 'mem-pool', kind: 'string', metavar: 'SPEC', help: 'memory limits, workspace:64M (= arena: activations and tactic scratch per context); the build fails above it' },
  { name: 'plugin', kind: 'list', metavar: 'MODULE', help: 'a .ts/.js module whose default export (config) => void adds custom passes (config.addPass)' },
];

export interface BuildOptions {
  optLevel: number;
  /** Per input: its static shape (--shapes), or profile 0's opt shape when profiles have ranges. */
  shapes: ShapeMap;
  /** --min/--opt/--max-shapes with ranges (or several profiles): the engine keeps symbolic dims. */
  profiles?: Map<string, ProfileDims>[];
  disabledPasses: string[];
  dumpDir: string | undefined;
  threads: number;
  verbose: boolean;
  supportReport: boolean;
  /** --timing-cache: the file tactic timings are read from and saved to. */
  timingCache?: string;
  /** Low precision: BuilderConfig flags, --layer-precisions, --precision-constraints, --calib. */
  precision?: PrecisionOptions;
  /** --target (default cpu), --device, --cuda-arch. */
  target?: 'cpu' | 'cuda';
  device?: number;
  cudaArch?: string;
  /** --mem-pool: the largest arena (bytes) a build may plan. */
  arenaLimit?: number;
  /** --plugin modules, and their configure functions once loaded (model.ts). */
  plugins?: string[];
  configure?: ((config: BuilderConfig) => void)[];
}

export interface PrecisionOptions {
  flags: ('fp16' | 'bf16' | 'tf32' | 'int8' | 'best')[];
  layerPrecisions?: string;
  constraints?: 'none' | 'prefer' | 'obey';
  calib?: string;
}

const PRECISIONS = ['fp32', 'fp16', 'bf16', 'int8', 'tf32'];
const POOLS = ['workspace', 'arena', 'tacticSharedMem'];

/** Validates every build flag, then refuses the unsupported ones. */
export function resolveBuildOptions(flags: Flags): BuildOptions {
  const optLevel = flags.int('opt-level', 3, 0, 5);
  const threads = flags.int('threads', 0, 0, 4096);
  const { shapes, profiles } = resolveProfiles(flags);
  validatePrecisionFlags(flags);
  const memPool = flags.string('mem-pool');
  const timingCache = flags.string('timing-cache');
  const calib = flags.string('calib');
  if (calib !== undefined) readable('calib', calib);

  const precisionFlags = (['fp16', 'bf16', 'tf32', 'int8', 'best'] as const).filter((f) => flags.bool(f));
  const layerPrecisions = flags.string('layer-precisions');
  const constraints = flags.string('precision-constraints') as PrecisionOptions['constraints'];
  const precision: PrecisionOptions | undefined = precisionFlags.length || layerPrecisions || (constraints && constraints !== 'none') || calib
    ? { flags: precisionFlags, ...(layerPrecisions ? { layerPrecisions } : {}), ...(constraints ? { constraints } : {}), ...(calib ? { calib } : {}) }
    : undefined;
  if (calib !== undefined && !precisionFlags.some((f) => f === 'int8' || f === 'best')) throw new UsageError('--calib gives int8 scales, but int8 is not allowed; add --int8 (or --best)');
  const plugins = flags.list('plugin');
  for (const p of plugins) readable('plugin', p);
  const target = flags.string('target') ?? 'cpu';
  if (target !== 'cpu' && target !== 'cuda') throw new UsageError(`--target must be cpu or cuda, got '${target}'`);
  const cudaArch = flags.string('cuda-arch');
  if (cudaArch !== undefined && !/^sm_\d{2,3}$/.test(cudaArch)) throw new UsageError(`--cuda-arch must name an architecture like sm_90, got '${cudaArch}'`);
  if (target === 'cpu' && (flags.string('device') !== undefined || cudaArch !== undefined || flags.bool('tf32'))) throw new UsageError('--device, --cuda-arch and --tf32 apply to --target cuda');
  if (target === 'cuda' && precisionFlags.some((f) => f === 'int8' || f === 'best')) throw new UsageError('--target cuda builds fp32, --fp16 or --bf16 plans; int8 (and --best) run on the CPU only so far');
  return {
    optLevel,
    target,
    ...(flags.string('device') !== undefined ? { device: flags.int('device', 0, 0, 1023) } : {}),
    ...(cudaArch !== undefined ? { cudaArch } : {}),
    shapes,
    disabledPasses: flags.list('disable-pass'),
    dumpDir: flags.string('dump-ir'),
    threads,
    verbose: flags.bool('verbose'),
    supportReport: flags.bool('support-report'),
    ...(timingCache === undefined ? {} : { timingCache }),
    ...(precision ? { precision } : {}),
    ...(profiles ? { profiles } : {}),
    ...(memPool !== undefined ? { arenaLimit: validateMemPool(memPool) } : {}),
    ...(plugins.length ? { plugins, configure: [] } : {}),
  };
}

/**
 * --shapes gives one shape per input (min = opt = max). --min/--opt/--max-shapes give
 * profiles, the k-th of each flag making profile k; a profile whose bounds are all
 * equal is a static shape like --shapes.
 */
export function resolveShapes(flags: Flags): ShapeMap {
  return resolveProfiles(flags).shapes;
}

export function resolveProfiles(flags: Flags): { shapes: ShapeMap; profiles?: Map<string, ProfileDims>[] } {
  const shapes: ShapeMap = flags.string('shapes') === undefined ? new Map() : parseShapes('shapes', flags.string('shapes')!);
  const lists = (['min-shapes', 'opt-shapes', 'max-shapes'] as const).map((f) => flags.list(f).map((t) => parseShapes(f, t)));
  const count = Math.max(...lists.map((l) => l.length));
  if (count === 0) return { shapes };
  const [mins, opts, maxs] = lists as [ShapeMap[], ShapeMap[], ShapeMap[]];
  const profiles: Map<string, ProfileDims>[] = [];
  for (let k = 0; k < count; k++) {
    const [min, opt, max] = [mins[k], opts[k] ?? mins[k] ?? maxs[k], maxs[k]];
    if (!min || !max || !opt) throw new UsageError(`profile ${k} needs --min-shapes and --max-shapes (and --opt-shapes, else opt = min); each repeated flag adds one profile`);
    const names = new Set([...min.keys(), ...opt.keys(), ...max.keys()]);
    const profile = new Map<string, ProfileDims>();
    for (const name of names) {
      const [a, b, c] = [min.get(name), opt.get(name), max.get(name)];
      if (!a || !b || !c) throw new UsageError(`profile ${k}: input '${name}' needs a shape in each of --min-shapes, --opt-shapes and --max-shapes`);
      if (shapes.has(name)) throw new UsageError(`input '${name}' is given by --shapes and by --min/--opt/--max-shapes; give one`);
      const bad = a.findIndex((d, i) => !(d <= b[i]! && b[i]! <= c[i]!));
      if (a.length !== b.length || b.length !== c.length || bad >= 0) throw new UsageError(`profile ${k}: input '${name}' needs min <= opt <= max in every dim, got ${formatDims(a)}, ${formatDims(b)}, ${formatDims(c)}`);
      profile.set(name, { min: a, opt: b, max: c });
    }
    profiles.push(profile);
  }
  const ranged = profiles.length > 1 || [...profiles[0]!.values()].some((p) => formatDims(p.min) !== formatDims(p.max));
  if (!ranged) {
    for (const [name, p] of profiles[0]!) shapes.set(name, [...p.opt]);
    return { shapes };
  }
  for (const [name, p] of profiles[0]!) shapes.set(name, [...p.opt]);
  return { shapes, profiles };
}

function validatePrecisionFlags(flags: Flags): void {
  const spec = flags.string('layer-precisions');
  if (spec !== undefined) {
    for (const item of spec.split(',')) {
      const colon = item.lastIndexOf(':');
      const p = item.slice(colon + 1).trim();
      if (colon <= 0 || !PRECISIONS.includes(p)) {
        throw new UsageError(`--layer-precisions: '${item}' is not layer:precision with precision one of ${PRECISIONS.join(', ')}; e.g. --layer-precisions conv1:fp16`);
      }
    }
  }
  const c = flags.string('precision-constraints');
  if (c !== undefined && !['none', 'prefer', 'obey'].includes(c)) {
    throw new UsageError(`--precision-constraints must be none, prefer or obey, got '${c}'`);
  }
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** workspace:SIZE (or arena:SIZE, the same pool in kiln) -> bytes; CUDA's tacticSharedMem is refused. */
function validateMemPool(spec: string): number {
  let limit = Infinity;
  for (const item of spec.split(',')) {
    const m = /^([A-Za-z]+):(\d+(?:\.\d+)?)([KMG]?)$/i.exec(item.trim());
    if (!m || !POOLS.includes(m[1]!)) {
      throw new UsageError(`--mem-pool: '${item}' is not pool:size with pool one of ${POOLS.join(', ')} and size like 64M; e.g. --mem-pool workspace:64M`);
    }
    if (m[1] === 'tacticSharedMem') throw notSupported('--mem-pool tacticSharedMem', 'CUDA tactics that choose by shared memory', 'limit workspace instead');
    limit = Math.min(limit, Math.floor(Number(m[2]) * UNITS[m[3]!.toUpperCase()]!));
  }
  return limit;
}

function readable(flag: string, path: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`--${flag}: cannot read '${path}'; check the path`);
  }
}
