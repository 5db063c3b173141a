// kiln/testing: what a pass author needs to property-test a pass against the
// reference interpreter: random well-typed networks (configurable ops, shapes and
// dtypes), output comparison, and `checkPass`, which asserts the whole contract.
export * from './arbitraries.js';
export * from './compare.js';
export * from './check-pass.js';
export { PATTERN_BUILDERS, STEP_COST } from './patterns.js';
export { CORE_BUILDERS, type Built, type OpBuilder } from './steps.js';
