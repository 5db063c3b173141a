// AssignLayout: NHWC for the conv layers that run faster on it on the CPU, NCHW for
// the rest, with Transpose (reformat) layers where the two meet. NHWC keeps a
// pixel's channels contiguous: a 1x1 conv becomes one GEMM over all pixels
// (MatMul [N,H,W,Cin] x W^T, its bias, activation and residual in the epilogue,
// the weights' rows used as they are through transB), a depthwise conv becomes
// ConvNhwc (src/ir/ops/conv.ts), 8 channels per vector. MobileNet's inverted residual
// block (1x1 -> depthwise -> 1x1 + skip) then runs NHWC end to end.
//
//   1. Select: Conv layers with constant weights (and bias), f32, 2 spatial dims of
//      at most MAX_NHWC_PLANE pixels, that are 1x1 / stride 1 / unpadded / groups 1, or depthwise with groups == C
//      == Cout and no residual; keep the regions of such layers (joined by the values
//      they pass each other) that need few reformats for their size (see select).
//   2. Rewrite in topological order: each selected layer reads the NHWC form of its
//      inputs (a Transpose [0,2,3,1], made once per value and shared by every reader)
//      and writes an NHWC value, which a Transpose [0,3,1,2] turns back into the
//      layer's original output, so unselected readers see what they always saw.
//   3. Cancel: a selected reader of a selected layer's output takes the NHWC value
//      itself (the reformat pair NCHW -> NHWC -> NCHW never appears); reformats left
//      with no reader, and weights no layer reads any more, are dropped.
// A 2-D pool whose input comes from a selected layer joins its region as PoolNhwc (the global
// average after MobileNet's or ResNet's last conv), so the reformat out of the region moves
// past the pool onto its smaller output.
// The rewritten layers keep their names (`conv1 + bias + relu`); reformats are named
// `<value> to NHWC` / `<layer> to NCHW`.
import {
  TO_NCHW, TO_NHWC, edit, freshName, getOp, resolveAttrs, windowParams, type ConstantTensor, type Graph, type Node, type TensorType,
} from '../src/ir/index.js';
import { definePass } from './pass.js';

type Kind = 'matmul' | 'depthwise' | 'conv' | 'pool';
/** Whose kernels the layout is for: the CPU's (NHWC where measured faster) or the CUDA fp16 backend's (options.layout). */
type Policy = 'cpu' | 'cuda';

/** The largest input plane (H * W) a layer is moved to NHWC for. */
export const MAX_NHWC_PLANE = 32 * 32;
/** A region of NHWC layers must hold this many layers per reformat it needs. */
export const MIN_LAYERS_PER_REFORMAT = 4;
/** The same under the CUDA layout, where a reformat is one cheap launch beside large convs. */
export const GPU_LAYERS_PER_REFORMAT = 2;

const permuted = (t: TensorType, perm: readonly number[]): TensorType => ({ dtype: t.dtype, shape: perm.map((p) => t.shape[p]!) });
const isConst = (g: Graph, v: string | undefined) => v === undefined || v === '' || v in g.constants;

/** 1a. What a layer becomes in NHWC, if anything. */
function nhwcKind(g: Graph, node: Node, policy: Policy, channelMultiple = 8, maxPlane = MAX_NHWC_PLANE): Kind | undefined {
  if (node.op !== 'Conv') return undefined;
  const [x, w, b, residual] = node.inputs;
  const xt = g.types[x!]!, wt = g.types[w!]!;
  if (xt.dtype !== 'f32' || xt.shape.length !== 4 || !isConst(g, w) || !isConst(g, b)) return undefined;
  if (!xt.shape.slice(1).every((d) => typeof d === 'number')) return undefined;
  if (policy === 'cuda') return gpuKind(g, node, channelMultiple);
  // Measured (MobileNetV2, AVX2): NHWC wins at 28x28 and below, where NCHW rows are
  // short for the vector width; on larger planes NCHW's GEMMs and depthwise win (in fp32:
  // int8 builds lift the limit, their NHWC layers pass i8 to each other).
  if ((xt.shape[2] as number) * (xt.shape[3] as number) > maxPlane) return undefined;
  const kernel = wt.shape.slice(2) as number[];
  const win = windowParams(resolveAttrs(getOp('Conv'), node), kernel);
  if (typeof win === 'string') return undefined;
  const groups = (node.attrs.groups as number | undefined) ?? 1;
  const hasResidual = residual !== undefined && residual !== '';
  const pointwise = kernel.every((k) => k === 1) && win.strides.every((s) => s === 1) && [...win.padsBegin, ...win.padsEnd].every((p) => p === 0);
  // MatMul's residual operand exists only where the IR has one.
  if (pointwise && groups === 1 && (!hasResidual || getOp('MatMul').inputs.some((i) => i.name === 'residual'))) return 'matmul';
  const channels = xt.shape[1];
  if (!hasResidual && groups === channels && wt.shape[0] === channels && groups > 1) return 'depthwise';
  return undefined;
}

/** A 2-D pool on a static f32 NCHW input: PoolNhwc can take it inside a region. */
function isPool2d(g: Graph, node: Node): boolean {
  if (node.op !== 'Pool') return false;
  const xt = g.types[node.inputs[0]!]!;
  return xt.dtype === 'f32' && xt.shape.length === 4 && xt.shape.slice(1).every((d) => typeof d === 'number') && (node.attrs.kernel as number[]).length === 2;
}

/**
 * The CUDA fp16 layout: every groups-1 2-D conv whose input channels fill 16-byte
 * vectors (C % 8 == 0; the 3-channel stem stays NCHW) becomes ConvNhwc, whatever its
 * kernel or plane, so the tensor-core implicit GEMM loads a pixel's channels with
 * cp.async (codegen/cuda/kernels/conv-nhwc.ts); depthwise convs too (convDepthwiseNhwc).
 */
function gpuKind(g: Graph, node: Node, channelMultiple: number): Kind | undefined {
  const xt = g.types[node.inputs[0]!]!, wt = g.types[node.inputs[1]!]!;
  const channels = xt.shape[1] as number;
  const groups = (node.attrs.groups as number | undefined) ?? 1;
  const hasResidual = (node.inputs[3] ?? '') !== '';
  if (wt.shape.length !== 4) return undefined;
  if (groups === 1 && channels % channelMultiple === 0) return 'conv';
  if (!hasResidual && groups === channels && wt.shape[0] === channels && groups > 1) return 'depthwise';
  return undefined;
}

/**
 * 1b. Regions of candidate layers joined by the values they pass each other; a region
 * is kept when it needs at most one reformat per MIN_LAYERS_PER_REFORMAT of its layers
 * (SqueezeNet's fire modules, 1x1 convs between 3x3 ones and concats, would pay more
 * in transposes than their GEMMs gain; MobileNet's chain of blocks needs two in all).
 */
function select(g: Graph, minLayersPerReformat: number, policy: Policy, channelMultiple: number, maxPlane: number): Map<string, Kind> {
  const kinds = new Map<string, Kind>();
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  // Nodes are in topological order: a 2-D pool joins when its input comes from a layer already
  // selected (a global average after the last conv), so a pool never starts a region.
  for (const n of g.nodes) {
    const k = nhwcKind(g, n, policy, channelMultiple, maxPlane) ?? (isPool2d(g, n) && kinds.has(producer.get(n.inputs[0]!)?.name ?? '') ? 'pool' : undefined);
    if (k) kinds.set(n.name, k);
  }
  const root = new Map<string, string>([...kinds.keys()].map((k) => [k, k]));
  const find = (k: string): string => (root.get(k) === k ? k : find(root.get(k)!));
  const operands = (n: Node) => [n.inputs[0]!, n.inputs[3] ?? ''].filter((v) => v !== '');
  for (const n of g.nodes) {
    if (!kinds.has(n.name)) continue;
    for (const v of operands(n)) {
      const p = producer.get(v);
      if (p && kinds.has(p.name)) root.set(find(p.name), find(n.name));
    }
  }
  // Reformats: candidate operands made elsewhere (to NHWC), candidate outputs read elsewhere (to NCHW).
  const layers = new Map<string, number>();
  const reformats = new Map<string, Set<string>>();
  const count = (k: string, v: string) => (reformats.get(k) ?? reformats.set(k, new Set()).get(k)!).add(v);
  for (const n of g.nodes) {
    if (kinds.has(n.name)) {
      const r = find(n.name);
      layers.set(r, (layers.get(r) ?? 0) + 1);
      for (const v of operands(n)) if (!kinds.has(producer.get(v)?.name ?? '')) count(r, `in ${v}`);
      if (g.outputs.includes(n.outputs[0]!)) count(r, `out ${n.outputs[0]!}`);
    } else {
      for (const v of n.inputs) {
        const p = producer.get(v);
        if (p && kinds.has(p.name)) count(find(p.name), `out ${v}`);
      }
    }
  }
  const out = new Map<string, Kind>();
  for (const [name, k] of kinds) {
    const r = find(name);
    if ((reformats.get(r)?.size ?? 0) * minLayersPerReformat <= layers.get(r)!) out.set(name, k);
  }
  return out;
}

export const AssignLayout = definePass({
  name: 'AssignLayout',
  // options.minLayersPerReformat overrides MIN_LAYERS_PER_REFORMAT (0 converts every candidate: tests);
  // options.layout 'cuda' selects the CUDA fp16 backend's layout (gpuKind); options.nhwcChannels (default 8)
  // is the channel multiple its convs need (4 for tf32, whose 16-byte chunks hold 4 floats);
  // options.maxNhwcPlane (default MAX_NHWC_PLANE) the largest CPU plane moved to NHWC.
  run: (graph, { options }) => {
    const policy: Policy = options.layout === 'cuda' ? 'cuda' : 'cpu';
    const minLayers = (options.minLayersPerReformat as number | undefined) ?? (policy === 'cuda' ? GPU_LAYERS_PER_REFORMAT : MIN_LAYERS_PER_REFORMAT);
    const kinds = select(graph, minLayers, policy, (options.nhwcChannels as number | undefined) ?? 8, (options.maxNhwcPlane as number | undefined) ?? MAX_NHWC_PLANE);
    if (kinds.size === 0) return graph;
    const taken = new Set<string>([...Object.keys(graph.types), ...graph.nodes.map((n) => n.name)]);
    const fresh = (base: string) => {
      const name = freshName(taken, base);
      taken.add(name);
      return name;
    };
    const nodes: Node[] = [];
    const types: Record<string, TensorType> = {};
    const constants: Record<string, ConstantTensor> = {};
    const nhwcOf = new Map<string, string>();
    const backs = new Set<Node>();
    const replaced = new Set<string>();
    const toNhwc = (v: string): string => {
      const known = nhwcOf.get(v);
      if (known) return known;
      const t = fresh(`${v}.nhwc`);
      nodes.push({ name: fresh(`${v} to NHWC`), op: 'Transpose', inputs: [v], outputs: [t], attrs: { perm: [...TO_NHWC] } });
      types[t] = permuted(graph.types[v]!, TO_NHWC);
      nhwcOf.set(v, t);
      return t;
    };
    // 2. Rewrite; 3. selected readers find their input in nhwcOf and skip the reformat pair.
    for (const node of graph.nodes) {
      const kind = kinds.get(node.name);
      if (!kind) {
        nodes.push(node);
        continue;
      }
      const [x, w, b, residual] = node.inputs as [string, string, string | undefined, string | undefined];
      const y = node.outputs[0]!;
      const yn = fresh(`${y}.nhwc`);
      types[yn] = permuted(graph.types[y]!, TO_NHWC);
      const fused = node.fused ? { fused: node.fused } : {};
      if (kind === 'matmul') {
        const wt = graph.types[w]!;
        const matrix = fresh(`${w}.matrix`);
        const mt: TensorType = { dtype: wt.dtype, shape: wt.shape.slice(0, 2) };
        types[matrix] = mt;
        constants[matrix] = { type: mt, data: graph.constants[w]!.data };
        replaced.add(w);
        const inputs = [toNhwc(x), matrix, b ?? '', residual ? toNhwc(residual) : ''];
        while (inputs[inputs.length - 1] === '') inputs.pop();
        const { activation, alpha, beta } = node.attrs;
        const epilogue = Object.fromEntries(Object.entries({ activation, alpha, beta }).filter(([, v]) => v !== undefined));
        nodes.push({ name: node.name, op: 'MatMul', inputs, outputs: [yn], attrs: { transB: true, ...epilogue }, ...fused });
      } else if (kind === 'pool') {
        nodes.push({ name: node.name, op: 'PoolNhwc', inputs: [toNhwc(x)], outputs: [yn], attrs: node.attrs, ...fused });
      } else if (kind === 'conv') {
        const inputs = [toNhwc(x), w, b ?? '', residual ? toNhwc(residual) : ''];
        while (inputs[inputs.length - 1] === '') inputs.pop();
        nodes.push({ name: node.name, op: 'ConvNhwc', inputs, outputs: [yn], attrs: node.attrs, ...fused });
      } else {
        nodes.push({ name: node.name, op: 'ConvNhwc', inputs: [toNhwc(x), w, ...(b ? [b] : [])], outputs: [yn], attrs: node.attrs, ...fused });
      }
      const back: Node = { name: fresh(`${node.name} to NCHW`), op: 'Transpose', inputs: [yn], outputs: [y], attrs: { perm: [...TO_NCHW] } };
      nodes.push(back);
      backs.add(back);
      nhwcOf.set(y, yn);
    }
    // 3. Drop reformats back to NCHW that nothing reads, then weights nothing reads.
    const read = new Set<string>(graph.outputs);
    for (const n of nodes) for (const v of n.inputs) read.add(v);
    const kept = nodes.filter((n) => !(backs.has(n) && !read.has(n.outputs[0]!)));
    const dropped = nodes.filter((n) => backs.has(n) && !read.has(n.outputs[0]!)).map((n) => n.outputs[0]!);
    return edit(graph, (g) => {
      g.nodes = kept as typeof g.nodes;
      Object.assign(g.types, types);
      Object.assign(g.constants, constants);
      for (const v of dropped) delete g.types[v];
      for (const w of replaced) {
        if (read.has(w)) continue;
        delete g.constants[w];
        delete g.types[w];
      }
    });
  },
});
