// RNN, GRU and LSTM: one IR layer each, over the whole sequence, with ONNX's inputs in
// ONNX's order (absent optional ones stay absent) and its attributes renamed. The IR
// layer always has every output; ONNX outputs the model leaves out are simply unread.
import type { AttrValue } from '../../ir/index.js';
import { defineImporter } from '../import/registry.js';

const OUTPUTS = { RNN: 2, GRU: 2, LSTM: 3 } as const;

for (const op of ['RNN', 'GRU', 'LSTM'] as const) {
  defineImporter(op, {
    import: (ctx) => {
      const count = op === 'LSTM' ? 8 : 6;
      const inputs = Array.from({ length: Math.min(ctx.inputCount, count) }, (_, i) => (ctx.has(i) ? ctx.value(i) : ''));
      while (inputs.length > 3 && inputs[inputs.length - 1] === '') inputs.pop();
      const attrs: Record<string, AttrValue> = {
        direction: ctx.attrs.string('direction', 'forward'),
        hiddenSize: ctx.attrs.int('hidden_size', 0),
        activations: ctx.attrs.strings('activations') ?? [],
        activationAlpha: ctx.attrs.floats('activation_alpha', []),
        activationBeta: ctx.attrs.floats('activation_beta', []),
        clip: ctx.attrs.float('clip', Infinity),
        layout: ctx.attrs.int('layout', 0),
      };
      if (op === 'GRU') attrs.linearBeforeReset = ctx.attrs.int('linear_before_reset', 0) !== 0;
      if (op === 'LSTM') attrs.inputForget = ctx.attrs.int('input_forget', 0) !== 0;
      ctx.emitMulti(op, inputs, attrs, OUTPUTS[op]);
    },
  });
}
