// kiln/testing: what a pass author needs to property-test a pass against the
// reference interpreter: random well-typed networks (configurable ops, shapes and
// dtypes), output comparison, and `checkPass`, which asserts the whole contract.
export * from './arbitraries.js';
export * from './compare.js';
export * from './check-pass.js';
export { PATTERN_BUILDERS, STEP_COST } from './patterns.js';
export { CORE_BUILDERS, type Built, type OpBuilder } from './steps.js';
// What a pass is made of, so a pass and its test import from one place.
export { applyPass, definePass, type Pass, type PassContext } from '../pass.js';
export { insertAfter, insertBefore, runPipeline, sequential } from '../manager.js';
export { buildPipeline } from '../pipeline.js';
export { applyAction, canForward, indexGraph, rewrite, rewritePass, soleReader, type Action, type GraphIndex, type Pattern } from '../rewrite.js';
export type { Graph, Node } from '../../src/ir/index.js';
