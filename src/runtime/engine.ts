// Engine (TensorRT's ICudaEngine, here for the CPU): an immutable loaded plan with its
// IO names, dtypes and shapes and its layer list; it makes execution contexts.
import { KilnError, type DType } from '../ir/index.js';
import { ExecutionContext } from './context.js';
import type { NativeEngine, NativeEngineInfo } from './native.js';

export interface IOTensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

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
  readonly arenaBytes: number;
  readonly weightsBytes: number;
  readonly kilnVersion: string;
  /** 'cpu', or 'cuda sm_90' for a plan that runs on a GPU. */
  readonly target: string;
  readonly formatVersion: number;
  readonly targetIsa: readonly string[];
  /** Hex digest of the build options. */
  readonly buildDigest: string;

  /** @internal use Runtime.deserializeEngine */
  constructor(readonly handle: NativeEngine, info: NativeEngineInfo) {
    this.inputs = info.inputs.map((t) => ({ name: t.name, dtype: t.dtype as DType, shape: [...t.shape] }));
    this.outputs = info.outputs.map((t) => ({ name: t.name, dtype: t.dtype as DType, shape: [...t.shape] }));
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
