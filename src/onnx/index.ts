// src/onnx: the ONNX importer. importOnnx reads a model into a kiln IR graph (or
// throws OnnxUnsupportedError with the support report listing every unsupported
// node); checkOnnx returns the report alone; decodeTensorFile reads a TensorProto .pb.
export { importOnnx, checkOnnx, MIN_OPSET, MAX_OPSET, type ImportOptions, type OnnxImport } from './import/import.js';
export { OnnxUnsupportedError } from './import/unsupported-error.js';
export { type IOTensor } from './import/graph-io.js';
export { supportedOnnxOps } from './import/registry.js';
export { OnnxError } from './errors.js';
export { formatSupportReport, UNSUPPORTED_REASONS, type SupportReport, type UnsupportedNode, type UnsupportedReason } from './report.js';
export { decodeTensorFile } from './proto/decode.js';
export { onnxDTypeName, kilnDType } from './proto/dtypes.js';
export { type DecodedTensor } from './proto/tensor-data.js';
export { exportOnnx, ExportError, EXPORT_OPSET, type ExportOptions } from './export/index.js';
