// src/io: reading and writing tensors in real file formats (.npy, .safetensors),
// dependency-free, so weights and test data made by NumPy/PyTorch load into kiln.
export * from './tensor-data.js';
export * from './npy.js';
export * from './safetensors.js';
