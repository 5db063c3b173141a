// src/onnx/export: the IR back to ONNX (exportOnnx), with the per-op exporters.
export { exportOnnx, exportModelObject, EXPORT_OPSET, type ExportOptions } from './export.js';
export { ExportError } from './context.js';
export { exportedOps } from './ops.js';
