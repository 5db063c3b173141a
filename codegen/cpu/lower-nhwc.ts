// The CPU lowering of ConvNhwc (src/ir/ops/conv.ts), the depthwise conv on NHWC
// tensors that layout assignment creates: conv's ints and floats
// (native/PLAN_FORMAT.md) for kernel convDepthwiseNhwc.
import { windowParams } from '../../src/ir/index.js';
import { ACTIVATION_CODES, POOL_MODE_CODES, type ActivationName } from '../plan-desc.js';
import { lowering } from './kernel-table.js';

// Groups 1 (the CUDA layout's convs) lowers to kernel convNhwc with conv's ints,
// the residual flag appended when there is one.
lowering(['ConvNhwc'], ({ node, attrs, inputs }) => {
  const kernel = inputs[1]!.shape.slice(2) as number[];
  const w = windowParams(attrs, kernel);
  if (typeof w === 'string') throw new Error(`layer '${node.name}': ${w}`);
  const dense = attrs.groups === 1;
  return {
    kernel: dense ? 'convNhwc' : 'convDepthwiseNhwc',
    ints: [2, attrs.groups as number, ACTIVATION_CODES[attrs.activation as ActivationName], ...w.strides, ...w.padsBegin, ...w.padsEnd, ...w.dilations,
      ...(dense && inputs[3] ? [1] : [])],
    floats: [attrs.alpha as number, attrs.beta as number],
  };
});

// PoolNhwc (a pool inside an NHWC region): kernel poolNhwc with pool's ints for 2 spatial
// dims [2, mode, countIncludePad, kernel[2], strides[2], padsBegin[2], padsEnd[2]].
lowering(['PoolNhwc'], ({ node, attrs }) => {
  const kernel = attrs.kernel as number[];
  const w = windowParams(attrs, kernel);
  if (typeof w === 'string') throw new Error(`layer '${node.name}': ${w}`);
  return {
    kernel: 'poolNhwc',
    ints: [2, POOL_MODE_CODES[attrs.mode as 'max' | 'avg'], attrs.countIncludePad ? 1 : 0, ...kernel, ...w.strides, ...w.padsBegin, ...w.padsEnd],
    floats: [],
  };
});
