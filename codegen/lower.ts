// Lowering: an optimized graph becomes the plan description the native writer
// serializes: one kernel launch per (fused) node, every value a tensor in the
// activation arena (offsets from the memory plan) or in the weight blob.
// A graph with symbolic dims lowers with `shapes`: every tensor is planned at its
// capacity (the largest binding of any profile), symbolic tensors carry dim programs
// the runtime evaluates, and a layer whose kernel parameters would change with the
// symbols is refused, since the runtime re-validates layers but never re-lowers them.
import {
  DTYPE_INFO, KilnError, formatType, isStaticShape, normalizeAxis, resolveShape, staticVolume,
  type Dim, type Graph, type Node, type TensorType,
} from '../src/ir/index.js';
import { planMemory, type MemoryPlan } from '../passes/index.js';
import { INT8_LAYER_OPS } from '../passes/quantize.js';
import { chooseCpuKernel, type KernelChoice } from './cpu/index.js';
import { STRIDED_OUTPUT_KERNELS, cpuTactics } from './cpu/tactics.js';
import { dimProgram } from './dim-program.js';
import type { PlanDesc, PlanLayer, PlanProfile, PlanTensor } from './plan-desc.js';

/** How a graph with symbolic dims is lowered (src/builder/dynamic.ts computes it). */
export interface LowerShapes {
  /** Plan symbols in order, each read from one dim of one graph input. */
  symbols: { name: string; input: string; dim: number }[];
  /** The binding the arena is planned for: each symbol's largest value over all profiles. */
  capacity: Readonly<Record<string, number>>;
  /** Bindings at which each layer's kernel parameters must equal the capacity's (profile bounds). */
  checkAt: readonly Readonly<Record<string, number>>[];
  /** Per profile, per graph input (graph.inputs order): min / opt / max shapes. */
  profiles: PlanProfile[];
}

export interface LowerOptions {
  kilnVersion: string;
  buildDigest: Uint8Array;
  shapes?: LowerShapes;
  /** Concat inputs at batch > 1 as strided views in their slice (passes/plan-memory.ts step 2b), where
   *  the producer's kernel writes them (CPU plans; the CUDA backend cannot, and dynamic plans keep the copy). */
  stridedViews?: boolean;
}

export interface Lowered {
  plan: PlanDesc;
  memory: MemoryPlan;
  /** Per plan tensor, its symbolic shape (undefined for static tensors). */
  symbolic: (Dim[] | undefined)[];
}

const isSymbolic = (t: TensorType) => t.shape.some((d) => typeof d !== 'number');

/** The kernel choice of a node with its operand types taken at one binding. */
function choiceAt(node: Node, graph: Graph, at: (t: TensorType) => TensorType): KernelChoice {
  return chooseCpuKernel(node, node.inputs.map((v) => (v === '' ? undefined : at(graph.types[v]!))), node.outputs.map((o) => at(graph.types[o]!)));
}

/**
 * Whether a node's output may be planned as a strided view (concat elimination at batch > 1):
 * its best-guess tactic's kernel writes one, so the view never takes away the tactic a layer
 * is built for (a depthwise conv keeps its depthwise kernels and its concat stays a copy).
 */
function writesViews(node: Node, graph: Graph): boolean {
  const choice = choiceAt(node, graph, (t) => t);
  const values = [...node.inputs.filter((v) => v !== ''), ...node.outputs];
  const operands: PlanTensor[] = values.map((v) => ({
    name: v, dtype: graph.types[v]!.dtype, shape: [...(graph.types[v]!.shape as number[])], location: v in graph.constants ? 'weights' : 'arena', offset: 0,
  }));
  const ins = values.length - node.outputs.length;
  const layer: PlanLayer = { name: node.name, kernel: choice.kernel, inputs: values.slice(0, ins).map((_, i) => i), outputs: node.outputs.map((_, i) => ins + i), ints: choice.ints, floats: choice.floats, info: '' };
  return STRIDED_OUTPUT_KERNELS.has(choice.kernel) && STRIDED_OUTPUT_KERNELS.has(cpuTactics(layer, operands)[0]?.kernel ?? '');
}

function sameChoice(a: KernelChoice, b: KernelChoice): boolean {
  return a.kernel === b.kernel && a.ints.join() === b.ints.join() && a.floats.join() === b.floats.join();
}

const WEIGHT_ALIGN = 64;

function bytesOf(t: TensorType): number {
  if (!isStaticShape(t.shape)) throw new Error(`tensor type ${formatType(t)} is not static at lowering`);
  return staticVolume(t.shape) * DTYPE_INFO[t.dtype].bytes;
}

/** The Scale kernel takes shift, scale and power always; absent ones become constants. */
function scaleDefaults(node: Node, graph: Graph): { index: number; fill: number; count: number }[] {
  if (node.op !== 'Scale') return [];
  const x = graph.types[node.inputs[0]!]!;
  const mode = node.attrs.mode;
  const axis = normalizeAxis((node.attrs.channelAxis as number | undefined) ?? 1, x.shape.length) ?? 1;
  const count = mode === 'uniform' ? 1 : mode === 'channel' ? (x.shape[axis] as number) : staticVolume(x.shape as number[]);
  return [1, 2, 3].filter((i) => !node.inputs[i]).map((i) => ({ index: i, fill: i === 1 ? 0 : 1, count }));
}

/** The precision a layer computes in, recorded in its info for inspect and draw: int8 for the
 *  quantized conv/gemm (whatever dtype their epilogue writes), else its first output's dtype. */
function layerPrecision(node: Node, graph: Graph): string {
  return INT8_LAYER_OPS.has(node.op) ? 'i8' : graph.types[node.outputs[0]!]!.dtype;
}

export function lowerToPlan(source: Graph, options: LowerOptions): Lowered {
  const shapes = options.shapes;
  const at = (binding: Readonly<Record<string, number>>) => (t: TensorType): TensorType =>
    (isSymbolic(t) ? { dtype: t.dtype, shape: resolveShape(t.shape, binding) } : t);
  const atCapacity = shapes ? at(shapes.capacity) : (t: TensorType) => t;
  // Everything below sees capacity shapes; `source` keeps the symbolic ones.
  const graph: Graph = shapes ? { ...source, types: Object.fromEntries(Object.entries(source.types).map(([k, t]) => [k, atCapacity(t)])) } : source;
  const symbolic: (Dim[] | undefined)[] = [];
  const stridedOutput = (node: Node) => writesViews(node, graph);
  const memory = planMemory(graph, { sizeOf: (v) => bytesOf(graph.types[v]!), inPlace: true, ...(options.stridedViews && !shapes ? { stridedOutput } : {}) });
  const tensors: PlanTensor[] = [];
  const index = new Map<string, number>();
  const chunks: { offset: number; data: Uint8Array }[] = [];
  let weightBytes = 0;

  const addWeight = (name: string, type: TensorType, data: ArrayBufferView): number => {
    const offset = Math.ceil(weightBytes / WEIGHT_ALIGN) * WEIGHT_ALIGN;
    chunks.push({ offset, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    weightBytes = offset + data.byteLength;
    tensors.push({ name, dtype: type.dtype, shape: [...(type.shape as number[])], location: 'weights', offset });
    symbolic.push(undefined);
    return tensors.length - 1;
  };
  const tensorOf = (value: string): number => {
    const known = index.get(value);
    if (known !== undefined) return known;
    const type = graph.types[value]!;
    bytesOf(type);
    const c = graph.constants[value];
    let i: number;
    if (c) {
      i = addWeight(value, type, c.data);
    } else {
      const offset = memory.offsets.get(value);
      if (offset === undefined) throw new Error(`value '${value}' has no place in the memory plan`);
      tensors.push({ name: value, dtype: type.dtype, shape: [...(type.shape as number[])], location: 'arena', offset });
      const view = memory.sliceOf.get(value)?.imageStride;
      if (view !== undefined) tensors[tensors.length - 1]!.imageStride = view / DTYPE_INFO[type.dtype].bytes;
      const declared = source.types[value]!;
      symbolic.push(isSymbolic(declared) ? [...declared.shape] : undefined);
      i = tensors.length - 1;
    }
    index.set(value, i);
    return i;
  };

  const inputs = graph.inputs.map(tensorOf);
  const layers: PlanLayer[] = graph.nodes.map((node) => {
    const ins = node.inputs.map((v) => (v === '' ? -1 : tensorOf(v)));
    for (const d of scaleDefaults(node, graph)) {
      ins[d.index] = addWeight(`${node.name}.${['', 'shift', 'scale', 'power'][d.index]}`, { dtype: 'f32', shape: [d.count] }, new Float32Array(d.count).fill(d.fill));
    }
    const outs = node.outputs.map(tensorOf);
    const choice = chooseCpuKernel(node, node.inputs.map((v) => (v === '' ? undefined : graph.types[v])), node.outputs.map((o) => graph.types[o]!));
    for (const binding of shapes?.checkAt ?? []) {
      const other = choiceAt(node, source, at(binding));
      if (!sameChoice(choice, other)) {
        const where = Object.entries(binding).map(([k, v]) => `${k}=${v}`).join(' ');
        throw new KilnError('KILN_PROFILE', `layer '${node.name}' (${node.op}): its kernel parameters change with the symbolic dims (ints [${choice.ints}] at the largest shapes, [${other.ints}] at ${where}); a dynamic profile cannot run it, give those dims a fixed size`, { layer: node.name });
      }
    }
    return {
      name: node.name,
      kernel: choice.kernel,
      inputs: ins.filter((i) => i >= 0),
      outputs: outs,
      ints: choice.ints,
      floats: choice.floats,
      info: JSON.stringify({ op: node.op, fused: node.fused ?? [node.name], precision: layerPrecision(node, graph) }),
    };
  });
  const outputs = graph.outputs.map(tensorOf);
  const dynamic = shapes && {
    symbols: shapes.symbols.map((s) => ({ name: s.name, input: graph.inputs.indexOf(s.input), dim: s.dim })),
    profiles: shapes.profiles,
    tensors: symbolic.flatMap((dims, tensor) => {
      const index = (name: string) => shapes.symbols.findIndex((s) => s.name === name);
      return dims ? [{ tensor, dims: dims.map((d) => dimProgram(d, index)) }] : [];
    }),
  };

  const weights = new Uint8Array(Math.ceil(weightBytes / WEIGHT_ALIGN) * WEIGHT_ALIGN);
  for (const c of chunks) weights.set(c.data, c.offset);
  return {
    memory,
    symbolic,
    plan: {
      kilnVersion: options.kilnVersion,
      buildDigest: options.buildDigest,
      targetIsa: [],
      arenaBytes: memory.arenaBytes,
      weights,
      tensors,
      inputs,
      outputs,
      layers,
      ...(dynamic ? { dynamic } : {}),
    },
  };
}
