// CPU tactics: the kernels of the native library that can run one plan layer,
// each a kernel name plus parameters (the plan records which one won; its name
// goes into the layer's info). Lowering (lower-core.ts) picks the general
// kernel; this table lists the alternatives with the same parameters, in order
// of preference, so the first valid one is the build's choice when nothing is
// timed (optimization level 0) and the autotuner (src/builder/autotune.ts)
// times the others. Validity here mirrors each kernel's native validate().
import type { PlanLayer, PlanTensor } from '../plan-desc.js';
import { f32KernelOf, lowpTactics } from './tactics-lowp.js';

export interface Tactic {
  /** Stable name, recorded in the layer info and the timing cache. */
  name: string;
  kernel: string;
  ints: number[];
  floats: number[];
}

interface ConvShape {
  nSpatial: number;
  groups: number;
  channels: number;
  outChannels: number;
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

function convShape(layer: PlanLayer, tensors: readonly PlanTensor[]): ConvShape {
  const [n, groups] = layer.ints as [number, number];
  const x = tensors[layer.inputs[0]!]!, w = tensors[layer.inputs[1]!]!, y = tensors[layer.outputs[0]!]!;
  return {
    nSpatial: n, groups, channels: x.shape[1]!, outChannels: y.shape[1]!, kernel: w.shape.slice(2),
    strides: layer.ints.slice(3, 3 + n), pads: layer.ints.slice(3 + n, 3 + 3 * n), dilations: layer.ints.slice(3 + 3 * n, 3 + 4 * n),
  };
}

const same = (layer: PlanLayer, name: string, kernel: string): Tactic => ({ name, kernel, ints: layer.ints, floats: layer.floats });
const all = (xs: readonly number[], v: number) => xs.every((x) => x === v);

function convTactics(layer: PlanLayer, tensors: readonly PlanTensor[]): Tactic[] {
  const c = convShape(layer, tensors);
  const pointwise = all(c.kernel, 1) && all(c.strides, 1) && all(c.pads, 0);
  const gemm = same(layer, pointwise ? 'gemm-1x1' : 'im2col-gemm', 'conv');
  // Only conv and Winograd read a fused residual (the int after the window).
  const residual = layer.ints.length > 3 + 4 * c.nSpatial && layer.ints[3 + 4 * c.nSpatial] === 1;
  const depthwise = !residual && c.groups === c.channels && c.groups > 1 && c.nSpatial <= 2 && c.kernel.reduce((a, b) => a * b, 1) <= 4096;
  // The 8-channel kernel takes one input plane per output (no multiplier) and no residual.
  const blocked = c.outChannels === c.channels && !(layer.ints[3 + 4 * c.nSpatial] ?? 0) ? [same(layer, 'depthwise-8c', 'convDepthwise8c')] : [];
  if (depthwise) return [...blocked, same(layer, 'depthwise', 'convDepthwise'), gemm];
  // The 4x24 register tile pads fewer rows for output channel counts of 16, 20, 64...,
  // and measured faster even at some multiples of 6 (24): always worth timing.
  const wide = [same(layer, `${gemm.name}-4x24`, 'convWide')];
  if (c.groups === 1 && c.nSpatial <= 2 && tensors[layer.inputs[1]!]!.location === 'weights') wide.push(same(layer, 'direct-6x16', 'convDirect'));
  // Stems (1-4 input channels): a 4x24 tile per output row over phase-split input rows (kernel-conv-small-c.cc).
  if (c.groups === 1 && c.nSpatial === 2 && c.channels <= 4 && !residual && layer.inputs.slice(1).every((t) => tensors[t]!.location === 'weights')) wide.push(same(layer, 'small-c-4x24', 'convSmallC'));
  // Pointwise with constant weights and bias: X read in place by a 4x24 tile (kernel-conv-1x1.cc); past 2^16 weights (a
  // classifier's 512x1000) each chunk of pixels rereads them all and the GEMM's packed panels win. Streaming stores only
  // for outputs of 4 MiB and more: smaller ones stay in cache for the next layer.
  if (pointwise && c.groups === 1 && c.channels * c.outChannels <= 65536 && layer.inputs.slice(1, layer.inputs.length - (residual ? 1 : 0)).every((t) => tensors[t]!.location === 'weights')) {
    wide.push(same(layer, 'pointwise-4x24', 'conv1x1'));
    if (tensors[layer.outputs[0]!]!.shape.reduce((a, b) => a * b, 4) >= 1 << 22) wide.push(same(layer, 'pointwise-4x24-nt', 'conv1x1Stream'));
  }
  const winograd = c.nSpatial === 2 && c.groups === 1 && all(c.kernel, 3) && all(c.strides, 1) && all(c.dilations, 1)
    && tensors[layer.inputs[1]!]!.location === 'weights';
  if (winograd) return [gemm, ...wide, same(layer, 'winograd-2x2', 'convWinograd'), same(layer, 'winograd-2x2-4x24', 'convWinogradWide'), same(layer, 'winograd-2x2-fused', 'convWinogradFused'), same(layer, 'winograd-4x4-fused', 'convWinogradF43')];
  return [gemm, ...wide];
}

function gemmTactics(layer: PlanLayer, tensors: readonly PlanTensor[]): Tactic[] {
  const blocked = same(layer, 'gemm-blocked', 'gemm');
  const [transA] = layer.ints as [number];
  const a = tensors[layer.inputs[0]!]!, b = tensors[layer.inputs[1]!]!;
  // A runtime b (no packed-B path): the 4x24 tile pads fewer rows when M is 64, 256...
  const wide = b.location !== 'weights' ? [same(layer, 'gemm-blocked-4x24', 'gemmWide')] : [];
  // One small b per entry (attention's Q*K^T, scores*V): each b packed whole once (the kernel caps K*N at 2^18).
  if (b.shape.length > 2 && b.shape.at(-1)! * b.shape.at(-2)! <= 65536) return [same(layer, 'gemm-batched', 'gemmBatched'), blocked];
  if (transA !== 0 || b.shape.length !== 2) return [blocked, ...wide];
  const k = a.shape[a.shape.length - 1]!;
  const rows = a.shape.reduce((p, d) => p * d, 1) / k;
  const out: Tactic[] = [];
  // Constant weights packed once, the epilogue (GELU too) in registers: transformer projections and FFNs.
  if (b.location === 'weights' && a.shape.length >= 2) out.push(same(layer, 'gemm-packed', 'gemmPacked'));
  // A batch of a against one b is just more rows: one GEMM instead of one per entry.
  if (a.shape.length > 2 && rows > a.shape[a.shape.length - 2]!) out.push(same(layer, 'gemm-rows', 'gemmRows'));
  out.push(blocked, ...wide);
  // The GEMV path streams constant weights once per 4 rows: worth timing only for few rows.
  if (b.location === 'weights' && rows <= 64) {
    const gemv = same(layer, 'gemv', 'gemv');
    if (rows <= 4) out.unshift(gemv);
    else out.push(gemv);
  }
  return out;
}

function poolTactics(layer: PlanLayer, tensors: readonly PlanTensor[]): Tactic[] {
  // i8 / u8 codes: only poolI8 reads them (pool and pool2d are f32-only, poolI8 8-bit only).
  if (['i8', 'u8'].includes(tensors[layer.inputs[0]!]!.dtype)) return [same(layer, 'pool-i8', 'poolI8')];
  const generic = same(layer, 'pool-nd', 'pool');
  return layer.ints[0]! <= 2 ? [same(layer, 'pool-2d', 'pool2d'), generic] : [generic];
}

// AVX2 + FMA rows (kernel-softmax-rows.cc) where the axis is contiguous: attention's scores.
function softmaxTactics(layer: PlanLayer, tensors: readonly PlanTensor[]): Tactic[] {
  const x = tensors[layer.inputs[0]!]!;
  const rows = x.dtype === 'f32' && x.shape.slice(layer.ints[0]! + 1).every((d) => d === 1);
  return rows ? [same(layer, 'softmax-rows-avx2', 'softmaxRows'), same(layer, 'softmax', 'softmax')] : [same(layer, 'softmax', 'softmax')];
}

// 8x8 register tiles (kernel-transpose-tiled.cc) where the innermost dim moves: attention's K^T,
// an int8 network's reformat of i8 codes.
function transposeTactics(layer: PlanLayer, tensors: readonly PlanTensor[]): Tactic[] {
  const generic = same(layer, 'transpose', 'transpose');
  const x = tensors[layer.inputs[0]!]!, rank = layer.ints.length;
  const tiled = ['f32', 'i32', 'i8', 'u8'].includes(x.dtype) && rank >= 2 && layer.ints[rank - 1] !== rank - 1;
  return tiled ? [same(layer, 'transpose-8x8', 'transposeTiled'), generic] : [generic];
}

/** Kernels that write an output as a strided view (native KernelDef::stridedOutput; the loader
 *  refuses one for any other kernel). A kernel opts in here once it honours the output's image stride. */
export const STRIDED_OUTPUT_KERNELS: ReadonlySet<string> = new Set(['conv', 'convWide', 'convDirect', 'convWinograd', 'convWinogradWide', 'convWinogradFused', 'convWinogradF43', 'conv1x1', 'conv1x1Stream']);

/** The candidate tactics of a layer, best guess first; a single one means nothing to choose.
 *  A layer writing a strided view (concat elimination at batch > 1) gets only the kernels that can. */
export function cpuTactics(layer: PlanLayer, tensors: readonly PlanTensor[]): Tactic[] {
  const all = layerTactics(layer, tensors);
  return layer.outputs.some((o) => tensors[o]!.imageStride) ? all.filter((t) => STRIDED_OUTPUT_KERNELS.has(t.kernel)) : all;
}

function layerTactics(layer: PlanLayer, tensors: readonly PlanTensor[]): Tactic[] {
  const f32 = f32KernelOf(layer.kernel);
  if (f32 !== undefined) return lowpTactics(layer, tensors, cpuTactics({ ...layer, kernel: f32 }, tensors));
  switch (layer.kernel) {
    case 'conv': return convTactics(layer, tensors);
    case 'gemm': return gemmTactics(layer, tensors);
    case 'pool': case 'poolI8': return poolTactics(layer, tensors);
    case 'softmax': return softmaxTactics(layer, tensors);
    case 'transpose': return transposeTactics(layer, tensors);
    default: return [same(layer, layer.kernel, layer.kernel)];
  }
}
