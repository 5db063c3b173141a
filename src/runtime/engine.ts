// Engine (TensorRT's ICudaEngine, here for the CPU): an immutable loaded plan with its
// IO names, dtypes and shapes (symbolic ones and optimization profiles for dynamic
// plans) and its layer list; it makes execution contexts.
import { KilnError, type DType, type Dim } from '../ir/index.js';
import { ExecutionContext } from './context.js';
import type { NativeEngine, NativeEngineInfo, NativeIO } from './native.js';

export interface IOTensorInfo {
  name: string;
  dtype: DType;
  /** A concrete shape: the shape of a static tensor; for a dynamic input its shape at
   *  profile 0's opt, for a dynamic output the largest shape it can have. */
  shape: number[];
  /** Dynamic plans: the symbolic shape (`['batch', 3, 224, 224]`); absent for static plans. */
  dims?: Dim[];
}

/** One optimization profile: per input name, its min / opt / max shape. */
export type ShapeProfileInfo = Readonly<Record<string, { min: number[]; opt: number[]; max: number[] }>>;

export interface LayerInfo {
  name: string;
  kernel: string;
  op: string;
  /** The original layers this one stands for (`['conv1', 'relu1']`). */
  fused: string[];
  /** From the layer's build info when codegen records them (absent in fp32-only plans). */
  precision?: string;
  tactic?: string;
  inputs: string[];
  outputs: string[];
}

export class Engine {
  readonly inputs: readonly IOTensorInfo[];
  readonly outputs: readonly IOTensorInfo[];
  readonly layers: readonly LayerInfo[];
  /** Optimization profiles (dynamic plans); empty for static plans. */
  readonly profiles: readonly ShapeProfileInfo[];
  readonly arenaBytes: number;
  readonly weightsBytes: number;
  readonly kilnVersion: string;
  /** 'cpu', or 'cuda sm_90' for a plan that runs on a GPU. */
  readonly target: string;
  readonly formatVersion: number;
  readonly targetIsa: readonly string[];
  /** Hex digest of the build options. */
  readonly buildDigest: string;

  /**
   * @internal use Runtime.deserializeEngine (or Runtime.describePlan, which reads the plan
   * without loading it: no handle, so no execution contexts).
   */
  constructor(readonly handle: NativeEngine | undefined, info: NativeEngineInfo) {
    this.profiles = info.profiles ?? [];
    const opt = this.profiles[0];
    const dims = (t: NativeIO) => (t.dims ? { dims: [...t.dims] } : {});
    this.inputs = info.inputs.map((t) => ({ name: t.name, dtype: t.dtype as DType, shape: [...(opt?.[t.name]?.opt ?? t.shape)], ...dims(t) }));
    this.outputs = info.outputs.map((t) => ({ name: t.name, dtype: t.dtype as DType, shape: [...t.shape], ...dims(t) }));
    this.layers = info.layers.map((l) => {
      const meta = parseInfo(l.info);
      const extra = { ...(meta.precision === undefined ? {} : { precision: meta.precision }), ...(meta.tactic === undefined ? {} : { tactic: meta.tactic }) };
      return { name: l.name, kernel: l.kernel, op: meta.op ?? l.kernel, fused: meta.fused ?? [l.name], ...extra, inputs: l.inputs, outputs: l.outputs };
    });
    this.arenaBytes = info.arenaBytes;
    this.weightsBytes = info.weightsBytes;
    this.kilnVersion = info.kilnVersion;
    this.target = info.target;
    this.formatVersion = info.formatVersion;
    this.targetIsa = [...info.targetIsa];
    this.buildDigest = info.buildDigest;
  }

  /** True when some IO dims are symbolic (set them per run with context.setInputShape). */
  get isDynamic(): boolean {
    return this.profiles.length > 0;
  }

  get ioNames(): string[] {
    return [...this.inputs, ...this.outputs].map((t) => t.name);
  }

  tensorInfo(name: string): IOTensorInfo {
    const t = [...this.inputs, ...this.outputs].find((x) => x.name === name);
    if (!t) throw new KilnError('KILN_INPUT', `engine has no IO tensor '${name}'; it has: ${this.ioNames.join(', ')}`, { argument: name });
    return t;
  }

  /** A context with its own activation arena (and, on a GPU, its own stream); `threads`
   *  defaults to the machine's cores for CPU plans and to 1 for GPU plans, which need none. */
  createExecutionContext(options: { threads?: number } = {}): ExecutionContext {
    if (!this.handle) throw new KilnError('KILN_PLAN', `this engine was only described from its plan (target ${this.target}), not loaded; load it with Runtime.deserializeEngine on a machine that can run it`);
    return new ExecutionContext(this, options.threads ?? (this.target === 'cpu' ? 0 : 1));
  }
}

type LayerMeta = { op?: string; fused?: string[]; precision?: string; tactic?: string };

function parseInfo(s: string): LayerMeta {
  try {
    const v = JSON.parse(s) as unknown;
    return typeof v === 'object' && v !== null ? (v as LayerMeta) : {};
  } catch {
    return {};
  }
}
