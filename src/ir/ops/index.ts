// Registers every op. Import this module (src/ir/index.ts does) before using the registry.
export * from './activation.js';
export * from './binary.js';
export * from './conv.js';
export * from './deconv.js';
export * from './recurrent.js';
export * from './elementwise.js';
export * from './fused.js';
import './matmul.js';
import './normalization.js';
export * from './movement.js';
export * from './layout.js';
export * from './reduce.js';
export * from './reduce-norm.js';
import './quant.js';
import './quant-nhwc.js';
export * from './shape-rules.js';
