// kiln's public API, shaped like TensorRT's object model: Logger; Builder,
// BuilderConfig, OptimizationProfile and the DSL Network; buildSerializedNetwork ->
// plan bytes; Runtime.deserializeEngine -> Engine -> ExecutionContext -> run.
export { Logger, SEVERITIES, type Severity, type LogSink } from './builder/logger.js';
export { Builder, type BuildReport } from './builder/builder.js';
export { BuilderConfig } from './builder/builder-config.js';
export { OptimizationProfile, profileBindings, validateProfile, shapeBinding, type ProfileBindings, type ProfileBound } from './builder/profile.js';
export { ArrayCalibrator, calibrate, readCalibrationText, writeCalibrationText, type Int8Calibrator, type CalibrationAlgorithm } from './builder/calibrator.js';
export { Runtime } from './runtime/runtime.js';
export { Engine, type IOTensorInfo, type LayerInfo } from './runtime/engine.js';
export { ExecutionContext, type HostTensor, type LayerProfile, type LayerTiming, type OutputTensor } from './runtime/context.js';
export { Network, NetworkTensor, type WeightTensor, type WeightsArg } from '../dsl/index.js';
export { KilnError, ShapeError, GraphError, printGraph, formatType, type DType, type Dim, type Graph, type TypedArray } from './ir/index.js';
export { parseDim, formatDim, canonicalDim, evalDim, dimSymbols, dimsEqual, dimAdd, dimSub, dimMul, dimFloorDiv, dimCeilDiv, dimMod, dimMax, dimMin, shapeNeeds, type DimNode, type ShapeNeed } from './ir/index.js';
export { interpret, type Tensor } from './interpret/index.js';
export { importOnnx, checkOnnx, formatSupportReport, supportedOnnxOps, decodeTensorFile, OnnxError, OnnxUnsupportedError, type OnnxImport, type ImportOptions, type SupportReport, type UnsupportedNode } from './onnx/index.js';
export { exportOnnx, ExportError, type ExportOptions } from './onnx/index.js';
export { KILN_VERSION } from './version.js';
// Custom passes and pipelines (README: writing a pass), from the package root.
export { definePass, applyPass, type Pass, type PassSpec, type PassContext } from '../passes/pass.js';
export { sequential, runPipeline, insertBefore, insertAfter, type Sequential, type PipelineItem, type PassReport, type RunOptions, type PipelineResult, type PassInsertion } from '../passes/manager.js';
export { buildPipeline, DEFAULT_OPT_LEVEL, type PipelineOptions } from '../passes/pipeline.js';
