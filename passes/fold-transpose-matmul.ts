// FoldTransposeIntoMatMul: the swap of the last two axes inside a Transpose feeding a
// MatMul operand becomes the MatMul's own transA/transB flag (ONNX Runtime and TensorRT
// read attention's K^T this way):
//
//   k ─► Transpose[0,2,1] ─► MatMul(q, ·) ─► s       q, k ─► MatMul[transB](q, k) ─► s
//          't1'                 'mm1'         ==>            't1 + mm1'
//
// A Transpose p whose output's second-to-last axis is its input's last one is the
// permutation q (p with its last two entries swapped) followed by that swap. When q is
// the identity the Transpose goes; otherwise Transpose[q] stays but keeps the innermost
// axis in place, so it copies whole contiguous rows instead of gathering single floats
// (PyTorch's attention export writes K^T of [seq, heads, d] as one Transpose[1,2,0]:
// it becomes Transpose[1,0,2] and transB). Exact: transB reads b[.., j, i] where the
// swap wrote it, and a flag already set cancels with the swap (transposing twice).
// Every CPU gemm tactic (gemm, gemmBatched, the lowp wrappers) and the CUDA gemm take
// both flags for batched operands; gemmRows and gemv take transA 0 only, and the CPU
// tactic list leaves them out then. The Transpose's sole reader must be this MatMul,
// reading it once as `a` or `b`, and it must be no network output.
import { getOp, resolveAttrs, type Node } from '../src/ir/index.js';
import { freshIn, fusedNode, rewritePass, soleReader, type Action, type GraphIndex, type Pattern } from './rewrite.js';

interface Match {
  matmul: Node;
  /** The operand (0 = a, 1 = b) a Transpose feeds. */
  operand: 0 | 1;
  transpose: Node;
  /** What stays of the Transpose: undefined when nothing does. */
  rest: number[] | undefined;
}

/**
 * The permutation left once a final swap of the last two axes moves into a MatMul flag:
 * `perm` with its last two entries swapped, when that keeps the innermost axis in place
 * (perm puts the input's last axis second to last); otherwise undefined.
 */
export function withoutFinalSwap(perm: readonly number[]): number[] | undefined {
  const r = perm.length;
  if (r < 2 || perm[r - 2] !== r - 1) return undefined;
  return [...perm.slice(0, -2), perm[r - 1]!, perm[r - 2]!];
}

/** Check: operand a or b of a MatMul is a last-two-axes Transpose that only it reads. */
function match(ix: GraphIndex, matmul: Node): Match | undefined {
  if (matmul.op !== 'MatMul') return undefined;
  for (const operand of [0, 1] as const) {
    const value = matmul.inputs[operand]!;
    const transpose = ix.producer.get(value);
    if (transpose?.op !== 'Transpose' || soleReader(ix, value) !== matmul) continue;
    if (matmul.inputs.filter((i) => i === value).length !== 1) continue;
    const rest = withoutFinalSwap(transpose.attrs.perm as number[]);
    if (rest) return { matmul, operand, transpose, rest: rest.every((p, i) => p === i) ? undefined : rest };
  }
  return undefined;
}

/** Action: the MatMul flips its flag; it reads the Transpose's input, or the Transpose keeps the rest of its permutation. */
function action(ix: GraphIndex, m: Match): Action {
  const flag = m.operand === 0 ? 'transA' : 'transB';
  const attrs = resolveAttrs(getOp('MatMul'), m.matmul);
  const flipped = { ...m.matmul.attrs, [flag]: attrs[flag] !== true };
  if (m.rest) {
    // The Transpose's output changes shape (its last two dims swap): a fresh name and type.
    const x = m.transpose.inputs[0]!;
    const value = freshIn(ix.graph, `${m.transpose.outputs[0]!}.rows`);
    const shape = m.rest.map((a) => ix.graph.types[x]!.shape[a]!);
    const transpose = { ...m.transpose, outputs: [value], attrs: { ...m.transpose.attrs, perm: m.rest } };
    const matmul = { ...m.matmul, inputs: m.matmul.inputs.map((v, i) => (i === m.operand ? value : v)), attrs: flipped };
    return { replace: new Map([[m.matmul.name, [transpose, matmul]]]), remove: [m.transpose.name], types: { [value]: { dtype: ix.graph.types[x]!.dtype, shape } } };
  }
  const inputs = m.matmul.inputs.map((v, i) => (i === m.operand ? m.transpose.inputs[0]! : v));
  const node = { op: 'MatMul', inputs, outputs: m.matmul.outputs, attrs: flipped };
  return { replace: new Map([[m.matmul.name, fusedNode([m.transpose, m.matmul], node, ix.graph)]]), remove: [m.transpose.name] };
}

const transposeMatMul: Pattern<Match> = { name: 'FoldTransposeIntoMatMul', match, action };

export const FoldTransposeIntoMatMul = rewritePass('FoldTransposeIntoMatMul', [transposeMatMul]);
