// Matrix multiply with optional transposes, batch broadcasting over leading dims,
// and an optional bias + activation epilogue (what fusion produces from MatMul+Add+Relu).
import { defineOp } from '../op-registry.js';
import { formatType, type TensorType } from '../shape.js';
import { EPILOGUE_ATTRS } from './activation.js';
import { checkResidual } from './conv.js';
import { broadcastShapes } from './shape-rules.js';
import { dimsEqual } from '../dim-expr.js';

defineOp({
  name: 'MatMul',
  group: 'matmul',
  // residual: the fused epilogue's skip connection, y = act(a*b + bias + residual).
  inputs: [{ name: 'a' }, { name: 'b' }, { name: 'bias', optional: true }, { name: 'residual', optional: true }],
  attrs: { transA: { kind: 'bool', default: false }, transB: { kind: 'bool', default: false }, ...EPILOGUE_ATTRS },
  infer: (ctx) => {
    const { inputs, attrs, fail, need } = ctx;
    const [a, b, bias] = inputs as [TensorType, TensorType, TensorType | undefined];
    if (a.shape.length < 2) fail(`input 'a' must have rank >= 2, got ${formatType(a)}`, { argument: 'a', received: formatType(a) });
    if (b.shape.length < 2) fail(`input 'b' must have rank >= 2, got ${formatType(b)}`, { argument: 'b', received: formatType(b) });
    if (a.dtype !== b.dtype) fail(`inputs must have one dtype, got ${formatType(a)} and ${formatType(b)}`);
    const [ra, ca] = a.shape.slice(-2);
    const [rb, cb] = b.shape.slice(-2);
    const [m, ka] = attrs.transA ? [ca!, ra!] : [ra!, ca!];
    const [kb, n] = attrs.transB ? [cb!, rb!] : [rb!, cb!];
    const kEqual = dimsEqual(ka, kb);
    if (kEqual === undefined) need('eq', ka, kb, `K ${ka} == ${kb} (inner dims of ${formatType(a)} and ${formatType(b)})`);
    if (kEqual === false) {
      fail(`inner dims differ: 'a' ${formatType(a)}${attrs.transA ? ' (transposed)' : ''} has K=${ka}, 'b' ${formatType(b)}${attrs.transB ? ' (transposed)' : ''} has K=${kb}`, { expected: `K=${ka}`, received: `K=${kb}` });
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), need);
    if (typeof batch === 'string') fail(`batch dims: ${batch}`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== n || bias.dtype !== a.dtype)) {
      fail(`bias must be ${a.dtype}[${n}], got ${formatType(bias)}`, { argument: 'bias', expected: `${a.dtype}[${n}]`, received: formatType(bias) });
    }
    return [checkResidual(ctx, { dtype: a.dtype, shape: [...(batch as never[]), m, n] }, 3)];
  },
});
