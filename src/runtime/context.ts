// ExecutionContext (TensorRT's IExecutionContext): owns an activation arena in the
// native runtime; `run` resolves with the outputs and never holds the event loop for
// long (slices of about 1 ms on the JS thread, or a libuv worker: native/binding-run.cc).
import { KilnError, dtypeOfArray, formatShape, type DType, type TypedArray } from '../ir/index.js';
import type { Engine } from './engine.js';
import { native, toKilnError, type NativeContext } from './native.js';

export interface HostTensor {
  data: TypedArray;
  shape: readonly number[];
  dtype?: DType;
}

export interface OutputTensor {
  data: TypedArray;
  shape: number[];
  dtype: DType;
}

/** One layer of a profile: its time (median and mean over iterations) and share of the total. */
export interface LayerTiming {
  name: string;
  kernel: string;
  op: string;
  fused: string[];
  tactic?: string;
  medianMs: number;
  meanMs: number;
  percent: number;
}

export interface LayerProfile {
  layers: LayerTiming[];
  /** Median over iterations of one run's summed layer times. */
  totalMs: number;
  iterations: number;
}

export class ExecutionContext {
  private readonly handle: NativeContext;
  private readonly shapes = new Map<string, number[]>();
  private profileIndex = 0;

  /** @internal use engine.createExecutionContext */
  constructor(readonly engine: Engine, threads: number) {
    if (!Number.isInteger(threads) || threads < 0) throw new KilnError('KILN_CONFIG', `threads must be a non-negative integer (0 = all cores), got ${threads}`, { argument: 'threads' });
    try {
      this.handle = new (native().Context)(engine.handle!, threads);
    } catch (e) {
      throw toKilnError(e);
    }
  }

  /**
   * Sets the shape of an input for the next runs (typed-array inputs take it); the
   * native runtime checks it against the active optimization profile and the error
   * names the input, the dim, the bound and the profile.
   */
  setInputShape(name: string, dims: readonly number[]): void {
    if (!Array.isArray(dims)) throw new KilnError('KILN_INPUT', `setInputShape: dims for input '${name}' must be a list of integers`, { argument: name });
    const info = this.engine.inputs.find((t) => t.name === name);
    if (info && !this.engine.isDynamic && !(dims.length === info.shape.length && dims.every((d, i) => d === info.shape[i]))) {
      throw new KilnError('KILN_INPUT', `setInputShape: input '${name}' was built for ${info.dtype}${formatShape(info.shape)}; ${formatShape(dims)} is outside its profile`, { argument: name, expected: formatShape(info.shape), received: formatShape(dims) });
    }
    try {
      this.handle.setInputShape(name, [...dims]);
    } catch (e) {
      throw toKilnError(e);
    }
    this.shapes.set(name, [...dims]);
  }

  /** Switches to optimization profile `index` (TensorRT's setOptimizationProfileAsync); input shapes must be set again. */
  setOptimizationProfile(index: number): void {
    try {
      this.handle.setOptimizationProfile(index);
    } catch (e) {
      throw toKilnError(e);
    }
    this.profileIndex = index;
    this.shapes.clear();
  }

  get optimizationProfile(): number {
    return this.profileIndex;
  }

  /** The shape of an input or output under the input shapes set so far, computed natively. */
  getTensorShape(name: string): number[] {
    try {
      return this.handle.tensorShape(name);
    } catch (e) {
      throw toKilnError(e);
    }
  }

  /** GPU time of the last run in milliseconds (CUDA plans: first copy in to last copy out); undefined on the CPU. */
  get lastGpuMs(): number | undefined {
    const ms = this.handle.gpuMs;
    return ms >= 0 ? ms : undefined;
  }

  getInputShape(name: string): number[] {
    return this.shapes.get(name) ?? [...this.engine.tensorInfo(name).shape];
  }

  /**
   * Runs the engine. Each input is a typed array (shape from setInputShape or the
   * engine) or { data, shape }. Resolves with every output by name.
   */
  async run(inputs: Readonly<Record<string, TypedArray | HostTensor>>): Promise<Record<string, OutputTensor>> {
    const list = this.inputList(inputs, 'run');
    let outs;
    try {
      outs = await this.handle.run(list);
    } catch (e) {
      throw toKilnError(e);
    }
    return Object.fromEntries(outs.map((o) => [o.name, { data: o.data, shape: o.shape, dtype: o.dtype as DType }]));
  }

  /**
   * Per-layer timing (CPU plans): runs the layers one at a time `iterations` times
   * (default 20) on these inputs, with a clock around each; medians in ms. Layers
   * carry their op, fused names and tactic from the engine's layer info.
   */
  async profile(inputs: Readonly<Record<string, TypedArray | HostTensor>>, options: { iterations?: number; warmup?: number } = {}): Promise<LayerProfile> {
    const list = this.inputList(inputs, 'profile');
    let p;
    try {
      p = await this.handle.profile(list, options);
    } catch (e) {
      throw toKilnError(e);
    }
    const layers = p.layers.map((l, i) => {
      const info = this.engine.layers[i]!;
      return { name: l.name, kernel: l.kernel, op: info.op, fused: info.fused, ...(info.tactic === undefined ? {} : { tactic: info.tactic }), medianMs: l.medianMs, meanMs: l.meanMs, percent: 0 };
    });
    const total = layers.reduce((s, l) => s + l.medianMs, 0);
    for (const l of layers) l.percent = total > 0 ? (100 * l.medianMs) / total : 0;
    return { layers, totalMs: p.runMs, iterations: p.iterations };
  }

  private inputList(inputs: Readonly<Record<string, TypedArray | HostTensor>>, what: string): { name: string; data: TypedArray; shape: number[] }[] {
    if (typeof inputs !== 'object' || inputs === null) throw new KilnError('KILN_INPUT', `${what} expects an object mapping input names to tensors`);
    return Object.entries(inputs).map(([name, v]) => {
      const t = ArrayBuffer.isView(v) ? { data: v as TypedArray, shape: this.shapes.get(name) ?? this.defaultShape(name) } : v as HostTensor;
      if (!t || !ArrayBuffer.isView(t.data) || !Array.isArray(t.shape)) {
        throw new KilnError('KILN_INPUT', `input '${name}': expected a typed array or { data, shape }, received ${describe(v)}`, { argument: name });
      }
      return { name, data: t.data, shape: [...t.shape] };
    });
  }

  /** A static input's shape; a dynamic input's shape at the active profile's opt. */
  private defaultShape(name: string): number[] {
    const info = this.engine.inputs.find((t) => t.name === name);
    const opt = this.engine.profiles[this.profileIndex]?.[name]?.opt;
    return opt ? [...opt] : info ? [...info.shape] : [];
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${dtypeOfArray(v) ?? v.constructor.name} array`;
  return typeof v === 'object' ? `an object with keys ${Object.keys(v as object).join(', ') || '(none)'}` : typeof v;
}
