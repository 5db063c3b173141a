// Output helpers: colour (only when stdout is a terminal and NO_COLOR is unset, so
// pipes, files and CI logs stay plain), aligned tables, byte sizes and numbers.

const useColor = process.stdout.isTTY === true && (process.env.NO_COLOR === undefined || process.env.NO_COLOR === '');

const paint = (code: string) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);

export const color = {
  bold: paint('1'),
  dim: paint('2'),
  red: paint('31'),
  green: paint('32'),
  yellow: paint('33'),
  cyan: paint('36'),
};

export function passFail(ok: boolean): string {
  return ok ? color.green('PASSED') : color.red('FAILED');
}

export type Align = 'l' | 'r';

/** Rows of cells as aligned columns; `align` per column, left by default. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => visibleLength(r[c] ?? ''))));
  const line = (r: readonly string[]) => r.map((cell, c) => pad(cell, widths[c]!, align[c] ?? 'l')).join('  ').trimEnd();
  return [color.bold(line(header)), ...rows.map(line)].join('\n');
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function pad(s: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'r' ? fill + s : s + fill;
}

/** 1536 -> '1.50 KiB'; exact bytes below 1 KiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

/** Milliseconds with 3 significant decimals where small, fewer where large. */
export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(3) : ms.toFixed(4);
}

/** A tensor value for previews: short, exact for integers, exponent for extremes. */
export function formatValue(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(5).replace(/\.?0+$/, '');
}

/** An error magnitude: 0, or an exponent with 2 decimals. */
export function formatError(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v).toLowerCase();
  return v.toExponential(2);
}
