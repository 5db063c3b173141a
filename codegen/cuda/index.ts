// codegen/cuda: CUDA C++ emission for plan layers, and the compilers that turn it
// into the cubin a CUDA plan carries.
export { CUDA_DIALECT } from './dialect.js';
export { emitCuda, type CudaProgram, type CudaLaunchDesc, type EmitOptions } from './emit.js';
export { cudaKernelNames } from './template.js';
export { findNvcc, nvccCompiler, type CudaCompiler } from './compile.js';
export { buildCudaTarget, withCuda, parseArch, type CudaBuildOptions, type CudaNative } from './target.js';
export { CUDA_PRECISIONS, type CudaPrecision } from './precision.js';
