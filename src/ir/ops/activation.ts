// Activations: unary pointwise ops that may also be fused as a conv/matmul epilogue.
// ACTIVATIONS maps each op to the epilogue name and its (alpha, beta) parameters,
// so fusion and codegen read one table.
import { defineOp, type AttrSpec } from '../op-registry.js';
import type { Attrs } from '../graph.js';

export const ACTIVATION_NAMES = ['none', 'relu', 'sigmoid', 'tanh', 'leakyRelu', 'clip', 'gelu', 'silu', 'geluTanh'] as const;
export type Activation = (typeof ACTIVATION_NAMES)[number];

interface ActivationDef {
  epilogue: Exclude<Activation, 'none'>;
  attrs: Record<string, AttrSpec>;
  /** The epilogue's alpha and beta from the op's attributes. */
  params(attrs: Attrs): [number, number];
}

export const ACTIVATIONS: Readonly<Record<string, ActivationDef>> = {
  Relu: { epilogue: 'relu', attrs: {}, params: () => [0, 0] },
  Sigmoid: { epilogue: 'sigmoid', attrs: {}, params: () => [0, 0] },
  Tanh: { epilogue: 'tanh', attrs: {}, params: () => [0, 0] },
  Gelu: { epilogue: 'gelu', attrs: {}, params: () => [0, 0] },
  Silu: { epilogue: 'silu', attrs: {}, params: () => [0, 0] },
  // GELU's tanh approximation (ONNX Gelu approximate='tanh', BERT/GPT-2's gelu_new).
  GeluTanh: { epilogue: 'geluTanh', attrs: {}, params: () => [0, 0] },
  LeakyRelu: { epilogue: 'leakyRelu', attrs: { alpha: { kind: 'float', default: 0.01 } }, params: (a) => [a.alpha as number, 0] },
  Clip: {
    epilogue: 'clip',
    attrs: { min: { kind: 'float', default: -Infinity }, max: { kind: 'float', default: Infinity } },
    params: (a) => [a.min as number, a.max as number],
  },
};

/** The attributes a fused conv/matmul carries for its epilogue. */
export const EPILOGUE_ATTRS: Record<string, AttrSpec> = {
  activation: { kind: 'string', default: 'none', oneOf: ACTIVATION_NAMES },
  alpha: { kind: 'float', default: 0 },
  beta: { kind: 'float', default: 0 },
};

for (const [name, act] of Object.entries(ACTIVATIONS)) {
  defineOp({
    name,
    group: 'activation',
    inputs: [{ name: 'x' }],
    attrs: act.attrs,
    infer: ({ inputs, fail }) => {
      const x = inputs[0]!;
      if (x.dtype !== 'f32' && x.dtype !== 'f16' && x.dtype !== 'bf16') fail(`input 'x' must be a float tensor, got ${x.dtype}`, { argument: 'x', expected: 'f32|f16|bf16', received: x.dtype });
      return [x];
    },
  });
}
