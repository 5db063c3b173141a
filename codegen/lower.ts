// Lowering: an optimized graph with static shapes becomes the plan description the
// native writer serializes: one kernel launch per (fused) node, every value a tensor
// in the activation arena (offsets from the memory plan) or in the weight blob.
import {
  DTYPE_INFO, formatType, isStaticShape, normalizeAxis, staticVolume, type Graph, type Node, type TensorType,
} from '../src/ir/index.js';
import { planMemory, type MemoryPlan } from '../passes/index.js';
import { chooseCpuKernel } from './cpu/index.js';
import type { PlanDesc, PlanLayer, PlanTensor } from './plan-desc.js';

export interface LowerOptions {
  kilnVersion: string;
  buildDigest: Uint8Array;
}

export interface Lowered {
  plan: PlanDesc;
  memory: MemoryPlan;
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

export function lowerToPlan(graph: Graph, options: LowerOptions): Lowered {
  const memory = planMemory(graph, { sizeOf: (v) => bytesOf(graph.types[v]!), inPlace: true });
  const tensors: PlanTensor[] = [];
  const index = new Map<string, number>();
  const chunks: { offset: number; data: Uint8Array }[] = [];
  let weightBytes = 0;

  const addWeight = (name: string, type: TensorType, data: ArrayBufferView): number => {
    const offset = Math.ceil(weightBytes / WEIGHT_ALIGN) * WEIGHT_ALIGN;
    chunks.push({ offset, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    weightBytes = offset + data.byteLength;
    tensors.push({ name, dtype: type.dtype, shape: [...(type.shape as number[])], location: 'weights', offset });
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
    return {
      name: node.name,
      kernel: choice.kernel,
      inputs: ins.filter((i) => i >= 0),
      outputs: outs,
      ints: choice.ints,
      floats: choice.floats,
      info: JSON.stringify({ op: node.op, fused: node.fused ?? [node.name] }),
    };
  });
  const outputs = graph.outputs.map(tensorOf);

  const weights = new Uint8Array(Math.ceil(weightBytes / WEIGHT_ALIGN) * WEIGHT_ALIGN);
  for (const c of chunks) weights.set(c.data, c.offset);
  return {
    memory,
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
    },
  };
}
