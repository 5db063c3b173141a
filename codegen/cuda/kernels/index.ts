// Every CUDA kernel family, registered on import. A new family adds one line here.
import './pointwise.js';
import './movement.js';
import './softmax.js';
import './pool.js';
import './gemm.js';
import './conv.js';
import './reduce-gather.js';
import './conv-nhwc.js';
