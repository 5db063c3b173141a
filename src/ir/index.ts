// src/ir: dtypes, shapes, the immutable graph, the op registry (every op registered
// on import), the verifier, structural hash/equality and the printer.
import './ops/index.js';
export * from './dtype.js';
export * from './shape.js';
export * from './dim-expr.js';
export * from './errors.js';
export * from './graph.js';
export * from './op-registry.js';
export * from './ops/index.js';
export * from './verify.js';
export * from './hash.js';
export * from './print.js';
