// codegen/: lowering of an optimized graph to the plan description.
export * from './plan-desc.js';
export { lowerToPlan, type LowerOptions, type Lowered } from './lower.js';
export { chooseCpuKernel, hasCpuKernel, lowering, type KernelChoice, type LowerContext, type Lowering } from './cpu/index.js';
