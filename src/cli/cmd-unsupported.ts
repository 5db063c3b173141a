// Commands kiln will have but cannot do yet, declared so they show in `kiln --help`
// and answer with exit 2 and what they wait for, instead of "unknown command".
//   debug precision: bisects which layers break accuracy in low precision (needs fp16/int8 builds).
//   debug reduce:    shrinks a failing ONNX model to a minimal one (needs ONNX export).
//   surgeon:         edits ONNX graphs (needs ONNX export).
import type { Command } from './args.js';
import { UsageError, notSupported } from './errors.js';

export const debugCommand: Command = {
  spec: {
    name: 'debug',
    positionals: ['precision|reduce', 'MODEL'],
    summary: 'Debug tools: precision (find layers that fail in low precision), reduce (shrink a failing model). Not supported yet.',
    flags: [],
    examples: ['kiln debug precision model.onnx', 'kiln debug reduce model.onnx'],
  },
  async run(_flags, [tool]) {
    if (tool === 'precision') throw notSupported('kiln debug precision', 'low-precision builds (fp16/bf16/int8), which kiln lacks', 'compare fp32 builds with kiln compare --mark-all');
    if (tool === 'reduce') throw notSupported('kiln debug reduce', 'ONNX export, which kiln lacks', 'compare intermediate tensors with kiln compare --mark-all');
    throw new UsageError(`unknown debug tool '${tool}'; the tools are precision and reduce`);
  },
};
