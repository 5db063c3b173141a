// passes/: the pass manager and the passes of kiln's optimizer, plus memory planning.
export * from './pass.js';
export * from './manager.js';
export * from './rewrite.js';
export * from './affine.js';
export * from './eliminate-dead-layers.js';
export * from './fold-constants.js';
export * from './erase-identities.js';
export * from './fold-scale-into-conv.js';
export * from './recognize-activations.js';
export * from './fuse-epilogue.js';
export * from './fuse-siblings.js';
export * from './fuse-pointwise.js';
export * from './precision.js';
export * from './assign-precision.js';
export * from './plan-memory.js';
export * from './pipeline.js';
export * from './memory-report.js';
