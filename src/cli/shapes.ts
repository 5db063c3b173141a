// Shape arguments in trtexec's syntax: `name:1x3x224x224,other:1x128`. A name that
// itself holds ':' or ',' is quoted: `'in:0':1x3`. Parsing errors name the flag and
// show the expected form.
import { UsageError } from './errors.js';

export type ShapeMap = Map<string, number[]>;

export function parseShapes(flag: string, text: string): ShapeMap {
  const out: ShapeMap = new Map();
  for (const item of splitItems(flag, text)) {
    const colon = item.lastIndexOf(':');
    if (colon <= 0) throw new UsageError(`--${flag}: '${item}' is not name:dims; write e.g. --${flag} data:1x3x224x224`);
    const name = unquote(item.slice(0, colon));
    const dimsText = item.slice(colon + 1);
    const dims = dimsText === '' ? [] : dimsText.split('x').map((d) => (/^\d+$/.test(d) ? Number(d) : NaN));
    if (dims.some((d) => !Number.isSafeInteger(d))) {
      throw new UsageError(`--${flag}: dims of '${name}' must be non-negative integers joined by 'x', got '${dimsText}'; write e.g. ${name}:1x3x224x224`);
    }
    if (out.has(name)) throw new UsageError(`--${flag}: input '${name}' is given twice; give each input once`);
    out.set(name, dims);
  }
  return out;
}

function splitItems(flag: string, text: string): string[] {
  const items: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (ch === ',') {
      items.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quote) throw new UsageError(`--${flag}: unbalanced quote in '${text}'`);
  items.push(cur);
  const trimmed = items.map((s) => s.trim());
  if (trimmed.some((s) => s === '')) throw new UsageError(`--${flag}: empty entry in '${text}'; write name:dims entries separated by ','`);
  return trimmed;
}

function unquote(s: string): string {
  return /^(['"]).*\1$/.test(s) ? s.slice(1, -1) : s;
}

export function formatDims(dims: readonly number[]): string {
  return dims.join('x');
}
