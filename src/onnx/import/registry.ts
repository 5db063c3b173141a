// The importer registry: one small importer per ONNX op, registered from per-family
// files (src/onnx/ops/*.ts). An op whose inputs or attributes changed across opsets
// (Reshape, Clip, Squeeze, Slice, ...) registers one importer per version it reads,
// and the model's opset picks the newest one at or below it, as ONNX's own schemas
// are versioned. Registering the same (op, version) twice is an error.
import type { NodeContext } from './context.js';

export interface ImporterDef {
  /** The opset this importer reads from (default 1: every opset the op exists in). */
  sinceVersion?: number;
  import(ctx: NodeContext): void;
}

interface Entry { sinceVersion: number; import(ctx: NodeContext): void }

const importers = new Map<string, Entry[]>();

export function defineImporter(opType: string, def: ImporterDef): void {
  const sinceVersion = def.sinceVersion ?? 1;
  const list = importers.get(opType) ?? [];
  if (list.some((e) => e.sinceVersion === sinceVersion)) throw new Error(`ONNX importer for ${opType} (since opset ${sinceVersion}) is registered twice`);
  list.push({ sinceVersion, import: def.import });
  list.sort((a, b) => b.sinceVersion - a.sinceVersion);
  importers.set(opType, list);
}

/** The importer for an op at an opset, if any. */
export function findImporter(opType: string, opset: number): Entry | undefined {
  return importers.get(opType)?.find((e) => e.sinceVersion <= opset);
}

/** Every ONNX op type some importer handles, sorted. */
export function supportedOnnxOps(): string[] {
  return [...importers.keys()].sort();
}
