// Every kernel, one list per file group. Importing this module registers them all.
import { activationKernels } from './activation.js';
import { binaryKernels } from './binary.js';
import { convKernels } from './conv.js';
import { deconvKernels } from './deconv.js';
import { elementwiseKernels } from './elementwise.js';
import { fusedKernels } from './fused.js';
import { matmulKernels } from './matmul.js';
import { layoutKernels } from './layout.js';
import { movementKernels } from './movement.js';
import { poolKernels } from './pool.js';
import { recurrentKernels } from './recurrent.js';
import { reduceKernels } from './reduce.js';
import { reduceNormKernels } from './reduce-norm.js';
import { scaleKernels } from './scale.js';
import { softmaxKernels } from './softmax.js';
import { quantKernels } from './quant.js';
import { quantNhwcKernels } from './quant-nhwc.js';
import type { KernelDef } from '../kernel.js';

export const ALL_KERNELS: readonly KernelDef[] = [
  ...activationKernels,
  ...binaryKernels,
  ...elementwiseKernels,
  ...fusedKernels,
  ...scaleKernels,
  ...convKernels,
  ...deconvKernels,
  ...recurrentKernels,
  ...poolKernels,
  ...matmulKernels,
  ...softmaxKernels,
  ...movementKernels,
  ...layoutKernels,
  ...reduceKernels,
  ...reduceNormKernels,
  ...quantKernels,
  ...quantNhwcKernels,
];

export { unary } from './activation.js';
