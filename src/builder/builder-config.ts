// BuilderConfig: how a network is built (TensorRT's IBuilderConfig): optimization
// level, passes to skip, where to dump the IR, optimization profiles, thread count
// used for timing. Its digest goes into the plan header.
import { createHash } from 'node:crypto';
import { KilnError } from '../ir/index.js';
import { layerPrecisionLookup, type PassInsertion, type PipelineItem } from '../../passes/index.js';
import { OptimizationProfile } from './profile.js';
import { TimingCache } from './timing-cache.js';
import type { Int8Calibrator } from './calibrator.js';
import { checkIOFormat, type IOFormat, type IOLayout, type IOPrecision } from './io-formats.js';

export class BuilderConfig {
  /** 0 = no optimization passes ... 5 = all. */
  optLevel = 3;
  /** Pass names to skip (e.g. 'FuseEpilogues'). */
  disabledPasses: string[] = [];
  /** Write the IR after every pass into this folder (also KILN_DUMP=dir). */
  dumpDir: string | undefined = undefined;
  readonly profiles: OptimizationProfile[] = [];
  /** Where the plan runs: this machine's CPU, or a CUDA GPU (kernels generated and compiled to a cubin). */
  target: 'cpu' | 'cuda' = 'cpu';
  /** CUDA: the GPU whose architecture the plan is built for (its index). */
  device = 0;
  /** CUDA: build for this architecture ('sm_90') instead of the device's, e.g. on a machine without a GPU. */
  cudaArch: string | undefined = undefined;
  /** CUDA: NVRTC (through the driver's toolkit), nvcc, or whichever is there (NVRTC first). */
  cudaCompiler: 'auto' | 'nvrtc' | 'nvcc' = 'auto';
  /** CUDA: tactics from the timing cache, misses timed on this machine's GPU (cross-builds: the rule); default: at optLevel >= 3. */
  cudaAutotune: boolean | undefined = undefined;
  /** CUDA: 'fp16' stores activations as half and runs conv/gemm on tensor cores (f32 sums); inputs and outputs stay f32. */
  cudaPrecision: 'fp32' | 'tf32' | 'fp16' | 'bf16' = 'fp32';
  /**
   * The CUDA storage precision of the build: cudaPrecision when set, else what setFlag allows
   * (fp16 before bf16; on the GPU the flags choose the storage, they do not rewrite layers).
   */
  cudaStorage(): 'fp32' | 'tf32' | 'fp16' | 'bf16' {
    if (this.cudaPrecision !== 'fp32') return this.cudaPrecision;
    return this.fp16 ? 'fp16' : this.bf16 ? 'bf16' : this.tf32 ? 'tf32' : 'fp32';
  }
  /** Custom passes, each run just before or after a named pass or stage of the pipeline. */
  readonly customPasses: PassInsertion[] = [];
  /** Autotuning (CPU, and CUDA keyed by sm_XX and SM count): where tactic timings are looked up and recorded (unset: one cache shared by this process's builds). */
  timingCache: TimingCache | undefined = undefined;
  /** CPU autotuning: threads each tactic is timed with (0 = all cores); match the contexts that will run the plan. */
  tuningThreads = 0;
  /** INT8: quantize conv / fully connected layers with constant weights (needs `calibrator`); see setFlag('int8'). */
  int8 = false;
  /** INT8: where activation scales come from (batches, or its calibration cache). */
  calibrator: Int8Calibrator | undefined = undefined;
  /** Per-layer precision constraints, first match wins: 'conv1:fp32,*:int8' (like trtexec --layerPrecisions). */
  layerPrecisions = '';
  /** FP16 / BF16: allow layers in 16 bits where the CPU has a kernel (see setFlag). */
  fp16 = false;
  bf16 = false;
  /** TF32 (CUDA only, TensorRT's BuilderFlag.TF32): fp32 plans run their NHWC convs on tensor cores reading f32 as tf32. */
  tf32 = false;
  /** Set by setFlag('best'): every precision, int8 only where a calibrator is given. */
  best = false;
  /** How layerPrecisions and the flags bind (trtexec --precisionConstraints): obey, prefer (timed), none; unset: prefer when layerPrecisions is set. */
  precisionConstraints: 'none' | 'prefer' | 'obey' | undefined = undefined;

  /**
   * TensorRT's BuilderFlag: 'fp16', 'bf16' and 'int8' allow that precision (int8 needs a
   * calibrator); 'best' allows all three. Under 'prefer'/'none' a layer keeps a lower
   * precision only where it measured faster on this machine; under 'obey' it must.
   * 'tf32' (CUDA builds; the CPU has no tf32) lets fp32 convs use tf32 tensor cores.
   */
  setFlag(flag: 'int8' | 'fp16' | 'bf16' | 'tf32' | 'best'): this {
    if (!['int8', 'fp16', 'bf16', 'tf32', 'best'].includes(flag)) throw new KilnError('KILN_CONFIG', `unknown precision flag '${String(flag)}'; use fp16, bf16, tf32, int8 or best`, { argument: 'flag', expected: 'fp16 | bf16 | tf32 | int8 | best', received: String(flag) });
    if (flag === 'tf32') this.tf32 = true;
    if (flag === 'int8' || flag === 'best') this.int8 = true;
    if (flag === 'fp16' || flag === 'best') this.fp16 = true;
    if (flag === 'bf16' || flag === 'best') this.bf16 = true;
    if (flag === 'best') this.best = true;
    return this;
  }

  /** Whether the build quantizes: int8 allowed and, under 'best', a calibrator given (else int8 is skipped). */
  quantizes(): boolean {
    return this.int8 && (this.calibrator !== undefined || !this.best);
  }

  /** 'conv1:fp32,fc*:bf16,*:fp16' (first match wins); checked now, so a typo fails here. */
  setLayerPrecisions(spec: string): this {
    layerPrecisionLookup(spec);
    this.layerPrecisions = spec;
    return this;
  }

  /** Declared I/O formats (setIOFormat), by input or output name. */
  readonly ioFormats = new Map<string, IOFormat>();

  /**
   * An input or output in another dtype and/or channels-last than the network's f32
   * NCHW (trtexec --inputIOFormats=fp16:hwc): 'fp16' / 'bf16' tensors are passed as
   * Uint16Array bit patterns, 'int8' as Int8Array with real = code * scale. The build
   * converts at the edge.
   */
  setIOFormat(name: string, dtype: IOPrecision, layout: IOLayout = 'nchw', scale?: number): this {
    const format: IOFormat = { dtype, layout, ...(scale !== undefined ? { scale } : {}) };
    checkIOFormat(name, format);
    this.ioFormats.set(name, format);
    return this;
  }

  setPrecisionConstraints(mode: 'none' | 'prefer' | 'obey'): this {
    if (!['none', 'prefer', 'obey'].includes(mode)) throw new KilnError('KILN_CONFIG', `precision constraints must be none, prefer or obey, got '${String(mode)}'`, { argument: 'precisionConstraints', expected: 'none | prefer | obey', received: String(mode) });
    this.precisionConstraints = mode;
    return this;
  }

  /** A timing cache, empty or read from bytes a cache's serialize() (or a saved file) produced. */
  createTimingCache(bytes?: Uint8Array): TimingCache {
    return bytes === undefined || bytes.byteLength === 0 ? new TimingCache() : TimingCache.deserialize(bytes);
  }

  setTimingCache(cache: TimingCache): this {
    if (!(cache instanceof TimingCache)) throw new KilnError('KILN_CONFIG', 'setTimingCache expects a TimingCache from config.createTimingCache()');
    this.timingCache = cache;
    return this;
  }

  addOptimizationProfile(profile: OptimizationProfile): number {
    if (!(profile instanceof OptimizationProfile)) throw new KilnError('KILN_CONFIG', 'addOptimizationProfile expects an OptimizationProfile from builder.createOptimizationProfile()');
    this.profiles.push(profile);
    return this.profiles.length - 1;
  }

  setOptLevel(level: number): this {
    if (!Number.isInteger(level) || level < 0 || level > 5) throw new KilnError('KILN_CONFIG', `optimization level must be an integer 0..5, got ${level}`, { argument: 'optLevel', expected: '0..5', received: String(level) });
    this.optLevel = level;
    return this;
  }

  /** Runs `pass` (from definePass) just before or after the named pass or stage: `addPass(p, { before: 'FuseEpilogues' })`. */
  addPass(pass: PipelineItem, where: { before: string } | { after: string }): this {
    this.customPasses.push({ pass, ...where });
    return this;
  }

  /** 32 bytes identifying the options that shape the plan. */
  digest(): Uint8Array {
    const custom = this.customPasses.map((c) => `${c.pass.name}${c.before !== undefined ? `<${c.before}` : `>${c.after}`}`);
    const text = JSON.stringify({ optLevel: this.optLevel, disabled: [...this.disabledPasses].sort(), ...(custom.length > 0 ? { custom } : {}), ...(this.int8 ? { int8: [this.layerPrecisions, this.precisionConstraints ?? null] } : {}), ...(this.fp16 || this.bf16 ? { lowp: [this.fp16, this.bf16, this.layerPrecisions, this.precisionConstraints ?? null] } : {}), ...(this.ioFormats.size > 0 ? { io: [...this.ioFormats] } : {}) });
    // CPU plans keep the digest they always had; a CUDA plan adds its target.
    const target = this.target === 'cuda' ? JSON.stringify({ target: 'cuda', device: this.device, arch: this.cudaArch ?? null, ...(this.cudaStorage() === 'fp32' ? {} : { precision: this.cudaStorage() }) }) : '';
    return new Uint8Array(createHash('sha256').update(text + target).digest());
  }
}
