// codegen/: lowering of an optimized graph to the plan description.
export * from './plan-desc.js';
export { lowerToPlan, type LowerOptions, type Lowered } from './lower.js';
export { chooseCpuKernel, hasCpuKernel } from './cpu/kernel-table.js';
