// Every CPU lowering, registered on import. A new op family adds one line here.
import './lower-core.js';
import './lower-layout.js';
import './lower-reduce.js';
import './lower-recurrent.js';
import './lower-elementwise.js';
import './lower-quant.js';
import './lower-fused.js';
import './lower-nhwc.js';
export { chooseCpuKernel, hasCpuKernel, lowering, type KernelChoice, type LowerContext, type Lowering } from './kernel-table.js';
