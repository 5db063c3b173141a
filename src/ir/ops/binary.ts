// Elementwise binary ops with numpy broadcasting (TensorRT's IElementWiseLayer).
import { defineOp } from '../op-registry.js';
import { formatType } from '../shape.js';
import { broadcastShapes } from './shape-rules.js';

export const BINARY_OPS = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Max: 'max', Min: 'min', Pow: 'pow' } as const;
export type BinaryOp = keyof typeof BINARY_OPS;

for (const name of Object.keys(BINARY_OPS)) {
  defineOp({
    name,
    group: 'binary',
    inputs: [{ name: 'a' }, { name: 'b' }],
    attrs: {},
    infer: ({ inputs, fail, need }) => {
      const [a, b] = [inputs[0]!, inputs[1]!];
      if (a.dtype !== b.dtype) fail(`inputs must have one dtype, got ${formatType(a)} and ${formatType(b)}`, { expected: a.dtype, received: b.dtype });
      const shape = broadcastShapes(a.shape, b.shape, need);
      if (typeof shape === 'string') fail(`${formatType(a)} and ${formatType(b)}: ${shape}`, { expected: formatType(a), received: formatType(b) });
      return [{ dtype: a.dtype, shape: shape as never }];
    },
  });
}
