// The support report: what an import found, before any build. Every unsupported node
// is listed at once (not just the first), each with its index, name, op, the opset it
// was read at and why, so a user sees the whole gap in one run, as trtexec's parser
// summary shows it.

export const UNSUPPORTED_REASONS = [
  'op unknown',
  'attribute value unsupported',
  'dtype unsupported',
  'data-dependent shape',
  'shape unsupported',
  'output unsupported',
  'input unsupported',
] as const;
export type UnsupportedReason = (typeof UNSUPPORTED_REASONS)[number];

export interface UnsupportedNode {
  /** Position in the model's node list; undefined for graph-level entries (inputs, outputs). */
  index?: number;
  name: string;
  opType: string;
  domain: string;
  opset: number;
  reason: UnsupportedReason;
  detail: string;
  attribute?: string;
  value?: string;
  /** For 'data-dependent shape': the ONNX value known only at run time (a graph input can be fixed with ImportOptions.shapeValues). */
  tensor?: string;
}

export interface SupportReport {
  file: string;
  opset: number;
  irVersion: number;
  producer: string;
  /** Nodes in the model's graph. */
  nodes: number;
  /** Node count per op type, in first-seen order. */
  ops: Record<string, number>;
  unsupported: UnsupportedNode[];
  /** IR layers emitted, after import-time folding. */
  layers: number;
  /** ONNX nodes that became no layer: shape computations and folded constants. */
  folded: number;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

/** A human-readable table of the report. */
export function formatSupportReport(report: SupportReport): string {
  const head = `${report.file}: opset ${report.opset}, ${report.nodes} nodes (${Object.keys(report.ops).length} op types)`;
  const lines: string[] = [];
  if (report.unsupported.length === 0) {
    lines.push(`${head}: all supported -> ${report.layers} layers (${report.folded} nodes folded at import)`);
  } else {
    const n = report.unsupported.length;
    lines.push(`${head}: ${n} unsupported node${n === 1 ? '' : 's'}`);
    const rows = [['node', 'name', 'op', 'reason', 'detail']];
    for (const u of report.unsupported) {
      const op = u.domain && u.domain !== 'ai.onnx' ? `${u.domain}.${u.opType}` : u.opType;
      rows.push([u.index === undefined ? '-' : String(u.index), u.name, op, u.reason, u.detail]);
    }
    lines.push(...table(rows).map((l) => `  ${l}`));
  }
  const ops = Object.entries(report.ops).map(([op, count]) => {
    const bad = report.unsupported.some((u) => u.opType === op) ? '!' : '';
    return `${op}${bad} x${count}`;
  });
  lines.push(`  ops: ${ops.join(', ')}`);
  return lines.join('\n');
}
