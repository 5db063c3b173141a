// The gemm family's layer checks (native/cpu/gemm-layer.cc), shared by gemm, gemmRows
// and gemv: each refuses bad parameters, mismatched inner dims, a wrong output and a
// bias of the wrong length with a message naming the layer, the kernel and the tensors,
// and gemmRows / gemv refuse the shapes they were not written for.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, kiln } from './plan-fixtures.js';

interface Case {
  kernel: string;
  as: number[];
  bs: number[];
  ys: number[];
  ints?: number[];
  bias?: number;
  weightsB?: boolean;
}

function refusal(c: Case): string {
  const p = new PlanBuilder();
  const ai = p.input('a', c.as);
  const bi = c.weightsB ? p.weight('b', c.bs, new Float32Array(c.bs.reduce((x, y) => x * y, 1))) : p.input('b', c.bs);
  const inputs = [ai, bi];
  if (c.bias !== undefined) inputs.push(p.input('bias', [c.bias]));
  const yi = p.tensor('y', c.ys);
  p.layer(c.kernel, inputs, [yi], c.ints ?? [0, 0, 0, c.bias !== undefined ? 1 : 0], [0, 0], 'fc');
  p.output(yi);
  try {
    kiln().serializePlan(p.desc());
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`kernel ${c.kernel} accepted ${JSON.stringify(c)}`);
}

describe('gemm-family layer checks', () => {
  it('refuse a parameter list of the wrong length or a flag out of range, in every kernel', () => {
    for (const [kernel, weightsB] of [['gemm', false], ['gemmRows', false], ['gemv', true]] as const) {
      expect(refusal({ kernel, as: [2, 5], bs: [5, 7], ys: [2, 7], ints: [0, 0, 0], weightsB })).toMatch(/^layer 'fc'.*transA, transB, activationCode, hasBias/);
      expect(refusal({ kernel, as: [2, 5], bs: [5, 7], ys: [2, 7], ints: [0, 2, 0, 0], weightsB })).toMatch(/^layer 'fc'.*transB/);
    }
  });

  it('gemm refuses a wrong output and a bias of the wrong length', () => {
    expect(refusal({ kernel: 'gemm', as: [3, 4, 5], bs: [5, 7], ys: [3, 4, 8] }))
      .toBe("layer 'fc': kernel gemm expects output f32[3,4,7], got 'y' f32[3,4,8]");
    expect(refusal({ kernel: 'gemm', as: [4, 5], bs: [5, 7], ys: [4, 7], bias: 6 }))
      .toBe("layer 'fc': kernel gemm expects a bias of 7 elements, got 'bias' f32[6]");
    expect(refusal({ kernel: 'gemm', as: [2, 4, 5], bs: [3, 5, 7], ys: [2, 4, 7] }))
      .toBe("layer 'fc': kernel gemm cannot broadcast the batch dims of a 'a' f32[2,4,5] and b 'b' f32[3,5,7]");
  });

  it('gemmRows and gemv refuse what they were not written for, mismatched inner dims, a wrong output and bias', () => {
    expect(refusal({ kernel: 'gemmRows', as: [3, 5, 4], bs: [5, 7], ys: [3, 4, 7], ints: [1, 0, 0, 0] }))
      .toBe("layer 'fc': kernel gemmRows needs transA 0, a of rank >= 2 and b of rank 2, got a 'a' f32[3,5,4] (transA 1) and b 'b' f32[5,7]");
    expect(refusal({ kernel: 'gemv', as: [2, 5], bs: [5, 7], ys: [2, 7] }))
      .toBe("layer 'fc': kernel gemv needs transA 0, a of rank >= 2 and constant 2-D weights b, got a 'a' f32[2,5] (transA 0) and b 'b' f32[5,7]");
    for (const [kernel, weightsB] of [['gemmRows', false], ['gemv', true]] as const) {
      expect(refusal({ kernel, as: [3, 4, 5], bs: [6, 7], ys: [3, 4, 7], weightsB }))
        .toBe(`layer 'fc': kernel ${kernel}: inner dims differ: a has K=5, b 'b' f32[6,7] has K=6`);
      expect(refusal({ kernel, as: [3, 4, 5], bs: [5, 7], ys: [12, 7], weightsB }))
        .toBe(`layer 'fc': kernel ${kernel} expects output f32[3,4,7], got 'y' f32[12,7]`);
      expect(refusal({ kernel, as: [2, 5], bs: [5, 7], ys: [2, 7], bias: 5, weightsB }))
        .toBe(`layer 'fc': kernel ${kernel} expects a bias of 7 elements, got 'bias' f32[5]`);
    }
  });
});
