// The 'cublasLt' tactic: a conv or gemm layer that is one plain GEMM against constant
// weights runs as a cuBLASLt matmul record instead of a generated kernel (the plan's
// CUDA section carries the record; native/cuda/cublaslt.cc makes the call). Offered
// only where the library loads and the build is for this machine's GPU (ctx.cublasLt),
// so the autotuner times it against the generated tiles like any other tactic.
//
// Layers are row-major: Y[M,N] = op(a)[M,K] op(b)[K,N]. cuBLAS is column-major, where a
// row-major matrix is its transpose, so the record computes Y^T (N x M, ld = Y's row
// length) = op(b)^T op(a)^T: cuBLAS's A is the plan's b, its B the plan's a, m = N,
// n = M. A bias per output column of Y is per row of Y^T, which is what cuBLASLt's bias
// epilogue adds; a residual is C with beta 1 (same layout as D); relu comes last.
//
// - convNhwc, 1x1, stride 1, no padding, groups 1: Y = pixels x Cout, a = x as [P, C],
//   b = W^T with W [Cout, C] (K contiguous): D (Cout x P, ld Cout) = W^T' x X^T'.
// - gemm with constant 2-D b and one batch entry (after folding leading dims into rows).
import { ACTIVATION_CODES, type PlanCublasLt, type PlanTensor } from '../../plan-desc.js';
import { numel, overlaps } from '../render.js';
import { unsupported, type EmittedKernel, type KernelCtx } from '../template.js';

export const CUBLASLT_TACTIC = 'cublasLt';

type LtType = PlanCublasLt['typeAB'];

/** A row-major matrix operand: `trans` when stored [cols-of-op][rows-of-op], `ld` elements per stored row. */
interface Operand {
  tensor: number;
  trans: boolean;
  ld: number;
}

/** One GEMM in the plan's row-major terms, with its fused epilogue. */
export interface RowMajorGemm {
  M: number;
  N: number;
  K: number;
  typeAB: LtType;
  typeCD: LtType;
  a: Operand;
  b: Operand;
  y: number;
  /** Elements per row of Y (and of the residual). */
  ldy: number;
  bias?: number;
  residual?: number;
  relu: boolean;
}

/** The record for a row-major GEMM (see the file's header for the arithmetic). */
export function cublasLtRecord(g: RowMajorGemm): PlanCublasLt {
  return {
    typeAB: g.typeAB, typeCD: g.typeCD,
    transA: g.b.trans ? 1 : 0, transB: g.a.trans ? 1 : 0,
    m: g.N, n: g.M, k: g.K,
    lda: g.b.ld, ldb: g.a.ld, ldc: g.ldy,
    batch: 1, strideA: 0, strideB: 0, strideC: 0,
    epilogue: g.bias !== undefined ? (g.relu ? 'reluBias' : 'bias') : g.relu ? 'relu' : 'none',
    beta: g.residual !== undefined ? 1 : 0,
    a: g.b.tensor, b: g.a.tensor, ...(g.residual !== undefined ? { c: g.residual } : {}), d: g.y,
    ...(g.bias !== undefined ? { bias: g.bias } : {}),
  };
}

/** How a tensor is stored on the device, as a cuBLASLt type (undefined: not a float type it takes). */
function deviceType(ctx: KernelCtx, t: PlanTensor): LtType | undefined {
  if (ctx.st.isHalf(t)) return ctx.st.format;
  return t.dtype === 'f32' || t.dtype === 'f16' || t.dtype === 'bf16' ? t.dtype : undefined;
}

/** What the operands of a GEMM layer are, before the constants are made. */
export interface GemmOperands {
  M: number;
  N: number;
  K: number;
  /** The activation operand (row-major, ld as stored) and whether it is stored transposed ([K, M]). */
  a: PlanTensor;
  aIndex: number;
  transA: boolean;
  /** The constant weights: [K, N] row-major, or [N, K] when transB. */
  w: PlanTensor;
  transB: boolean;
  y: PlanTensor;
  yIndex: number;
  bias?: { tensor: PlanTensor; index: number };
  residual?: { tensor: PlanTensor; index: number };
  act: number;
  /** Half weights, K contiguous, rows padded to `ld` (gemm.ts's copy); called only for 16-bit operands. */
  halfWeights: () => { tensor: number; ld: number };
}

/** Why the layer cannot run on cuBLASLt, or undefined when it can. */
export function cublasLtRefusal(ctx: KernelCtx, g: GemmOperands): string | undefined {
  if (g.w.location !== 'weights' || g.a.location === 'weights') return 'needs an activation operand times constant weights';
  if (g.act !== ACTIVATION_CODES.none && g.act !== ACTIVATION_CODES.relu) return 'fuses only relu (or no activation)';
  const ab = deviceType(ctx, g.a), cd = deviceType(ctx, g.y);
  if (ab === undefined || cd === undefined || (ab === 'f32' && cd !== 'f32') || (ab !== 'f32' && cd !== ab && cd !== 'f32'))
    return `takes f32/f32, f16 or bf16 in with the same or f32 out, got ${ab ?? g.a.dtype} in and ${cd ?? g.y.dtype} out`;
  if (g.residual && deviceType(ctx, g.residual.tensor) !== cd) return 'needs the residual stored like the output';
  if (g.residual && overlaps(g.residual.tensor, g.y) && g.residual.tensor.offset !== g.y.offset) return 'needs the residual to be the output exactly or apart from it';
  if (g.bias && g.bias.tensor.location !== 'weights' && deviceType(ctx, g.bias.tensor) !== cd) return 'needs a constant bias or one stored like the output';
  if (overlaps(g.a, g.y)) return 'cannot write over its input';
  return undefined;
}

/** The layer as one cuBLASLt record (throws, naming the layer, where it cannot be one). */
export function renderCublasLt(ctx: KernelCtx, g: GemmOperands): EmittedKernel[] {
  const why = cublasLtRefusal(ctx, g);
  if (why) unsupported(ctx, `has no tactic '${CUBLASLT_TACTIC}' here: cuBLASLt ${why}`);
  const typeAB = deviceType(ctx, g.a)!, typeCD = deviceType(ctx, g.y)!;
  const b = typeAB === 'f32'
    ? { tensor: ctx.layer.inputs[ctx.ins.indexOf(g.w)]!, trans: g.transB, ld: g.transB ? g.K : g.N }
    : { ...g.halfWeights(), trans: true };
  let bias: number | undefined;
  if (g.bias) {
    const t = g.bias.tensor;
    bias = t.location !== 'weights' || typeCD === 'f32' ? g.bias.index : ctx.constant(`${t.name}:${typeCD}`, typeCD, [g.N], () => {
      const bytes = ctx.plan.weights.slice(t.offset, t.offset + 4 * g.N);
      return ctx.st.rows(new Float32Array(bytes.buffer, bytes.byteOffset, g.N), 1, g.N, g.N);
    });
  }
  const record = cublasLtRecord({
    M: g.M, N: g.N, K: g.K, typeAB, typeCD,
    a: { tensor: g.aIndex, trans: g.transA, ld: g.transA ? g.M : g.K }, b,
    y: g.yIndex, ldy: g.N, bias, residual: g.residual?.index, relu: g.act === ACTIVATION_CODES.relu,
  });
  // The module gets a comment in its place: the code digest of the tuning cache sees the
  // call's shape (not its tensors), and the cubin has nothing to launch for it.
  const { a: _a, b: _b, c: _c, d: _d, bias: _bias, ...shape } = record;
  return [{
    function: ctx.name,
    source: `// ${ctx.name}: cuBLASLt matmul ${JSON.stringify(shape)}`,
    grid: [1, 1, 1], block: [1, 1, 1], sharedBytes: 0,
    args: [record.a, record.b, ...(record.c !== undefined ? [record.c] : []), record.d, ...(record.bias !== undefined ? [record.bias] : [])],
    cublasLt: record,
  }];
}

/** The tactic list's addition: ['cublasLt'] where the library is here and the layer fits. */
export function cublasLtTactics(ctx: KernelCtx, g: GemmOperands | undefined): string[] {
  return ctx.cublasLt && g && cublasLtRefusal(ctx, g) === undefined ? [CUBLASLT_TACTIC] : [];
}

/**
 * A convNhwc layer as a GEMM when it is one (1x1, stride 1, no padding, groups 1):
 * pixels x C times W^T. `halfWeights` makes W's 16-bit copy ([Cout][C], padded rows).
 */
export function convNhwcGemm(ctx: KernelCtx): GemmOperands | undefined {
  const ints = ctx.layer.ints;
  const [spatial, groups, act, SH, SW, ...pads] = ints as number[];
  const hasResidual = ints[11] === 1;
  const w = ctx.ins[1]!;
  if (spatial !== 2 || groups !== 1 || SH !== 1 || SW !== 1 || pads.slice(0, 4).some((p) => p !== 0)) return undefined;
  if (w.shape[2] !== 1 || w.shape[3] !== 1) return undefined;
  const x = ctx.ins[0]!, y = ctx.outs[0]!;
  const C = x.shape[3]!, CO = y.shape[3]!;
  const nIn = ctx.ins.length - (hasResidual ? 1 : 0);
  return {
    M: numel(x.shape.slice(0, 3)), N: CO, K: C, a: x, aIndex: ctx.layer.inputs[0]!, transA: false, w, transB: true,
    y, yIndex: ctx.layer.outputs[0]!, act: act!,
    ...(nIn === 3 ? { bias: { tensor: ctx.ins[2]!, index: ctx.layer.inputs[2]! } } : {}),
    ...(hasResidual ? { residual: { tensor: ctx.ins[ctx.ins.length - 1]!, index: ctx.layer.inputs[ctx.ins.length - 1]! } } : {}),
    halfWeights: () => {
      const h = halfOperand(ctx, w, CO, C, true);
      return { tensor: h.tensor, ld: h.kp };
    },
  };
}

/**
 * A constant operand of one matrix (no batch) as 16-bit rows with K contiguous, padded to
 * a multiple of 8 (`kp`): gemm's tensor-core tiles and cuBLASLt read this copy.
 */
export function halfOperand(ctx: KernelCtx, t: PlanTensor, rows: number, K: number, kContiguous: boolean): { tensor: number; kp: number } {
  const kp = Math.ceil(K / 8) * 8;
  const tensor = ctx.constant(`${t.name}:${ctx.st.format}x${kp}${kContiguous ? '' : 't'}`, ctx.st.format, [rows, kp], () => {
    const bytes = ctx.plan.weights.slice(t.offset, t.offset + 4 * rows * K);
    const src = new Float32Array(bytes.buffer, bytes.byteOffset, rows * K);
    if (kContiguous) return ctx.st.rows(src, rows, K, kp);
    const tr = new Float32Array(rows * K);  // src is [K][rows]
    for (let k = 0; k < K; k++) for (let r = 0; r < rows; r++) tr[r * K + k] = src[k * rows + r]!;
    return ctx.st.rows(tr, rows, K, kp);
  });
  return { tensor, kp };
}

/** convNhwc's 'cublasLt' tactic (1x1, stride 1, no padding, groups 1). */
export function convCublasLt(ctx: KernelCtx): EmittedKernel[] {
  return renderCublasLt(ctx, convNhwcGemm(ctx) ?? unsupported(ctx, `has no tactic '${CUBLASLT_TACTIC}' here: cuBLASLt runs only 1x1 convs of stride 1 without padding`));
}

export const convCublasLtTactics = (ctx: KernelCtx): string[] => cublasLtTactics(ctx, convNhwcGemm(ctx));
