// The MatMul kernel: C = op(A) * op(B) over broadcast batch dims, plus the optional
// bias along the last dim, the fused residual (the output's shape) and activation. The transposes are expressed as
// strides into the stored matrices, so no operand is ever copied.
import type { Activation } from '../../ir/index.js';
import { activationFn } from '../activation-fns.js';
import { broadcastIndexMap } from '../indexing.js';
import { defineKernel, floatInput, floatOutput, optionalFloatInput, type KernelDef } from '../kernel.js';

const matmul = defineKernel('MatMul', (ctx) => {
  const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const [as, bs, bias, residual] = [floatInput(ctx, 0), floatInput(ctx, 1), optionalFloatInput(ctx, 2), optionalFloatInput(ctx, 3)];
  const outShape = ctx.outputs[0]!.shape;
  const act = activationFn(ctx.attrs.activation as Activation, ctx.attrs.alpha as number, ctx.attrs.beta as number);
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const transA = ctx.attrs.transA as boolean;
  const transB = ctx.attrs.transB as boolean;
  const [M, K] = transA ? [ca, ra] : [ra, ca];
  const N = transB ? rb : cb;
  // op(A)[i][p] = as[i * aRow + p * aCol]; op(B)[p][j] = bs[p * bRow + j * bCol].
  const [aRow, aCol] = transA ? [1, ca] : [ca, 1];
  const [bRow, bCol] = transB ? [1, cb] : [cb, 1];
  const batchShape = outShape.slice(0, -2);
  const aBatch = broadcastIndexMap(a.shape.slice(0, -2), batchShape);
  const bBatch = broadcastIndexMap(b.shape.slice(0, -2), batchShape);
  const out = new Float64Array(aBatch.length * M * N);

  for (let batch = 0; batch < aBatch.length; batch++) {
    const aBase = aBatch[batch]! * ra * ca;
    const bBase = bBatch[batch]! * rb * cb;
    const oBase = batch * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let p = 0; p < K; p++) acc += as[aBase + i * aRow + p * aCol]! * bs[bBase + p * bRow + j * bCol]!;
        const o = oBase + i * N + j;
        out[o] = act(acc + (bias ? bias[j]! : 0) + (residual ? residual[o]! : 0));
      }
    }
  }
  return [floatOutput(ctx, out)];
});

export const matmulKernels: readonly KernelDef[] = [matmul];
