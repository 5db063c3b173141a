// The Builder (TensorRT's IBuilder): network + config -> serialized plan. The path:
// bind the profile, specialize shapes, run the pass pipeline, lower to a plan
// description, and hand it to the native writer. A network whose profiles have
// ranges (or several profiles) stays symbolic instead (dynamic.ts): passes run on
// the symbolic graph, lowering plans the arena at the largest shapes and records
// dim programs, tactics are timed at profile 0's opt and kept only where valid
// over every profile.
import { Network, type NetworkOptions } from '../../dsl/index.js';
import { buildCudaTarget, cudaKernelNames } from '../../codegen/cuda/index.js';
import { hasCpuKernel, lowerToPlan } from '../../codegen/index.js';
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import type { PlanDesc, PlanLayer } from '../../codegen/plan-desc.js';
import { buildPipeline, definePass, runPipeline, sequential, type MemoryPlan, type PipelineItem } from '../../passes/index.js';
import { KilnError, printGraph, resolveShape, type Dim, type Graph } from '../ir/index.js';
import { native } from '../runtime/native.js';
import { KILN_VERSION } from '../version.js';
import { BuilderConfig } from './builder-config.js';
import { Logger } from './logger.js';
import { applyTactic, autotunePlan, type AutotuneOptions, type AutotuneReport } from './autotune.js';
import { dynamicBuild, needsDynamicShapes, type Binding, type DynamicBuild } from './dynamic.js';
import { OptimizationProfile, bindProfile } from './profile.js';
import { specializeShapes } from './specialize.js';
import { processTimingCache } from './timing-cache.js';
import { calibrate } from './calibrator.js';
import { applyPrecisions, chooseInt8 } from './precision-build.js';
import { INT8_LAYER_OPS, parseLayerPrecisions, quantizeGraph } from '../../passes/quantize.js';
import { FuseInt8StemIO } from '../../passes/fuse-int8-stem-io.js';

export interface BuildReport {
  layersBefore: number;
  layersAfter: number;
  arenaBytes: number;
  weightsBytes: number;
  passes: { pass: string; ms: number; changed: boolean }[];
  optimized: Graph;
  /** The arena layout lowering chose (offsets, live intervals), for tools that draw it. */
  memory: MemoryPlan;
  /** CPU tactic selection: layers with a choice, how many came from the timing cache, how many were timed. */
  autotune?: AutotuneReport;
}

/**
 * Wraps every pass so it logs its name before it runs: a slow build then shows which
 * pass it is in. Names and requirements stay, so `disable` and the report are unchanged.
 */
function withProgress(item: PipelineItem, log: (pass: string) => void): PipelineItem {
  if (item.kind === 'sequential') return sequential(item.name, item.items.map((i) => withProgress(i, log)));
  return definePass({ name: item.name, requires: item.requires, run: (g, ctx) => (log(item.name), item.run(g, ctx)) });
}

/**
 * Which ops the target can run, so passes only introduce layers the backend has kernels
 * for. Passes introduce few new ops (Pointwise, Split); for CUDA each must also have a
 * template for the plan kernel it lowers to, which other ops need not check here since
 * the network already had them.
 */
const PASS_INTRODUCED_KERNELS: Readonly<Record<string, string>> = { Pointwise: 'pointwise', Split: 'split' };

/** The plan's tensors with their shapes at one binding of the symbols (same offsets). */
function planAt(plan: PlanDesc, symbolic: readonly (Dim[] | undefined)[], binding: Binding): PlanDesc {
  return { ...plan, dynamic: undefined, tensors: plan.tensors.map((t, i) => (symbolic[i] ? { ...t, shape: resolveShape(symbolic[i]!, binding) as number[] } : t)) };
}

/**
 * Dynamic plans: tactics are timed at profile 0's opt shapes (the plan's layers are
 * shared, so the choice lands in `plan`), then each layer keeps its tactic only if
 * the tactic is a candidate at every profile bound too; otherwise the first
 * candidate valid everywhere.
 */
function autotuneDynamic(plan: PlanDesc, symbolic: readonly (Dim[] | undefined)[], dyn: DynamicBuild, options: AutotuneOptions): AutotuneReport {
  const lowered: PlanLayer[] = plan.layers.map((l) => ({ ...l }));
  const report = autotunePlan(planAt(plan, symbolic, dyn.bindings[0]!.opt), options);
  const bounds = dyn.shapes.checkAt.map((b) => planAt(plan, symbolic, b).tensors);
  plan.layers.forEach((layer, i) => {
    const candidates = bounds.map((tensors) => cpuTactics(lowered[i]!, tensors));
    const validEverywhere = (name: string) => candidates.every((c) => c.some((t) => t.name === name));
    const chosen = JSON.parse(layer.info || '{}').tactic as string | undefined;
    if (chosen === undefined || validEverywhere(chosen)) return;
    const fallback = candidates[0]!.find((t) => validEverywhere(t.name));
    if (fallback) applyTactic(layer, fallback);
  });
  return report;
}

function supportsOp(target: BuilderConfig['target']): (op: string) => boolean {
  if (target !== 'cuda') return hasCpuKernel;
  const cuda = new Set(cudaKernelNames());
  return (op) => hasCpuKernel(op) && (!(op in PASS_INTRODUCED_KERNELS) || cuda.has(PASS_INTRODUCED_KERNELS[op]!));
}

export class Builder {
  lastBuild: BuildReport | undefined;

  constructor(readonly logger: Logger = new Logger()) {}

  createNetwork(options: NetworkOptions = {}): Network {
    return new Network(options);
  }

  createBuilderConfig(): BuilderConfig {
    return new BuilderConfig();
  }

  createOptimizationProfile(): OptimizationProfile {
    return new OptimizationProfile();
  }

  /** INT8: calibrate on the network as written (its tensor names survive the passes), then rewrite the optimized graph. */
  private quantize(graph: Graph, optimized: Graph, config: BuilderConfig): Graph {
    if (!config.calibrator) throw new KilnError('KILN_CONFIG', 'int8 needs config.calibrator (an Int8Calibrator with batches or a calibration cache)', { argument: 'calibrator' });
    this.logger.info('build phase: int8 calibration');
    const scales = calibrate(graph, config.calibrator);
    // Under prefer / none each layer stays int8 only where timed faster than fp32 (chooseInt8).
    const options = chooseInt8(optimized, { scales, precisionOf: config.layerPrecisions ? parseLayerPrecisions(config.layerPrecisions) : undefined }, config, this.logger);
    // The stem's QuantizeLinear and NHWC reformat move into its QConv (CPU kernels only), after the choice.
    const written = quantizeGraph(optimized, options);
    const quantized = config.target === 'cpu' && !config.disabledPasses.includes(FuseInt8StemIO.name) ? FuseInt8StemIO.run(written, { logger: (s, m) => this.logger.log(s, m), options: {} }) : written;
    this.logger.info(`int8: ${quantized.nodes.filter((n) => INT8_LAYER_OPS.has(n.op)).length} layers quantized`);
    return quantized;
  }

  /** Builds the network into plan bytes for the config's target: this machine's CPU, or a CUDA GPU. */
  buildSerializedNetwork(network: Network | Graph, config: BuilderConfig = new BuilderConfig()): Uint8Array {
    const graph = network instanceof Network ? network.graph : network;
    if (!(config instanceof BuilderConfig)) throw new KilnError('KILN_CONFIG', 'buildSerializedNetwork expects a BuilderConfig from builder.createBuilderConfig()');
    const dynamic = needsDynamicShapes(graph, config.profiles) ? dynamicBuild(graph, config.profiles) : undefined;
    if (dynamic && config.target === 'cuda') throw new KilnError('KILN_CONFIG', 'CUDA plans are static: build with one optimization profile whose min, opt and max are equal');
    if (dynamic && config.int8) throw new KilnError('KILN_CONFIG', 'int8 builds are static: build with one optimization profile whose min, opt and max are equal');
    const specialized = dynamic ? graph : specializeShapes(graph, bindProfile(graph, config.profiles[0]));
    if (config.tf32 && config.target === 'cpu') this.logger.warning('tf32 applies to CUDA builds (the CPU has no tf32 arithmetic); the CPU plan keeps fp32');
    // Progress lines start with 'build phase:' so a CLI can show them as one status line.
    const phase = (what: string) => this.logger.info(`build phase: ${what}`);
    const pipeline = withProgress(buildPipeline({ optLevel: config.optLevel, disable: config.disabledPasses, insert: config.customPasses, supports: supportsOp(config.target) }), (p) => phase(`pass ${p}`));
    const { graph: piped, report } = runPipeline(specialized, pipeline, {
      // Under CUDA fp16 / bf16 / tf32, layout assignment puts the convs in NHWC for the tensor-core
      // kernels, whose 16-byte chunks hold 8 channels of 16 bits or 4 of f32.
      ...(config.target === 'cuda' && config.cudaStorage() !== 'fp32' ? { options: { layout: 'cuda', nhwcChannels: config.cudaStorage() === 'tf32' ? 4 : 8 } } : {}),
      // INT8 on the CPU: NHWC on every plane, so MobileNet's blocks pass i8 from layer to layer
      // from the stem on (in fp32, NCHW wins on planes over 32x32).
      ...(config.target === 'cpu' && config.quantizes() ? { options: { maxNhwcPlane: Infinity } } : {}),
      dumpDir: config.dumpDir ?? process.env.KILN_DUMP,
      logger: (severity, message) => this.logger.log(severity, message),
    });
    const optimized = applyPrecisions(config.quantizes() ? this.quantize(graph, piped, config) : piped, config, this.logger);
    this.logger.verbose(`optimized network:\n${printGraph(optimized)}`);
    phase('lowering');
    const { plan, memory, symbolic } = lowerToPlan(optimized, { kilnVersion: KILN_VERSION, buildDigest: config.digest(), stridedViews: config.target === 'cpu', ...(dynamic ? { shapes: dynamic.shapes } : {}) });
    let autotune: AutotuneReport | undefined;
    if (config.target === 'cpu') {
      const options: AutotuneOptions = {
        optLevel: config.optLevel, cache: config.timingCache ?? processTimingCache, threads: config.tuningThreads,
        progress: (k, n, name) => phase(`autotuning layer ${k} of ${n} '${name}'`), log: (m) => this.logger.verbose(m),
      };
      autotune = dynamic ? autotuneDynamic(plan, symbolic, dynamic, options) : autotunePlan(plan, options);
    }
    if (config.target === 'cuda') {
      phase('CUDA code generation and compilation');
      // Level 3 and up take tactics from the timing cache and time misses on the GPU; lower levels take each template's rule.
      const autotune = config.cudaAutotune ?? config.optLevel >= 3;
      plan.cuda = buildCudaTarget(plan, native(), {
        device: config.device, arch: config.cudaArch, compiler: config.cudaCompiler, precision: config.cudaStorage(),
        autotune, cache: config.timingCache ?? processTimingCache, log: (m) => this.logger.info(m),
      });
    }
    phase('serializing');
    const bytes = native().serializePlan(plan);
    this.lastBuild = {
      layersBefore: graph.nodes.length,
      layersAfter: optimized.nodes.length,
      arenaBytes: plan.arenaBytes,
      weightsBytes: plan.weights.byteLength,
      passes: report.map((r) => ({ pass: r.pass, ms: r.ms, changed: r.changed })),
      optimized,
      memory,
      ...(autotune ? { autotune } : {}),
    };
    this.logger.info(`built ${graph.nodes.length} layers -> ${optimized.nodes.length} (arena ${plan.arenaBytes} B, weights ${plan.weights.byteLength} B, plan ${bytes.byteLength} B)`);
    return bytes;
  }
}
