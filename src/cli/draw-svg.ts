// SVG for `kiln draw`: a laid-out graph (boxes coloured by precision, edges along
// tensors) and the memory plan as a timeline (x: layer index, y: arena offset; one
// bar per tensor for as long as it is live). Plain strings, every text escaped, so
// the page needs nothing but a browser.
import type { DrawGraph, Layout } from './draw-layout.js';
import { formatBytes } from './style.js';

export const PRECISION_COLORS: Readonly<Record<string, string>> = {
  f32: '#4e79a7', f16: '#59a14f', bf16: '#76b7b2', i8: '#f28e2b', u8: '#edc948',
  i32: '#b07aa1', i64: '#9c6b98', bool: '#9c755f', io: '#bab0ac',
};

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const colorOf = (precision: string) => PRECISION_COLORS[precision] ?? '#888888';

export function graphSvg(g: DrawGraph, layout: Layout, id: string): string {
  const parts: string[] = [];
  for (const e of g.edges) {
    const a = layout.placed.get(e.from)!;
    const b = layout.placed.get(e.to)!;
    const [x1, y1, x2, y2] = [a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y];
    const my = (y1 + y2) / 2;
    parts.push(`<path class="edge" d="M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2 - 4}" marker-end="url(#arrow-${id})"><title>${esc(e.tensor)}</title></path>`);
  }
  for (const p of layout.placed.values()) {
    const n = p.node;
    const rx = n.kind === 'layer' ? 6 : p.h / 2;
    const fill = colorOf(n.precision);
    parts.push(
      `<g class="node node-${n.kind}" data-name="${esc(n.id.replace(/^(layer|in|out):/, ''))}" data-fused="${esc(n.fused.join('|'))}" data-precision="${esc(n.precision)}" transform="translate(${p.x.toFixed(1)},${p.y.toFixed(1)})">` +
      `<title>${esc(n.tooltip)}</title>` +
      `<rect width="${p.w}" height="${p.h}" rx="${rx}" fill="${fill}"/>` +
      `<text x="${p.w / 2}" y="17" class="label">${esc(n.label)}</text>` +
      `<text x="${p.w / 2}" y="33" class="detail">${esc(n.detail)}</text></g>`,
    );
  }
  return `<svg class="graph" id="${id}" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" xmlns="http://www.w3.org/2000/svg">` +
    `<defs><marker id="arrow-${id}" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>` +
    `${parts.join('\n')}</svg>`;
}

export interface TimelineTensor {
  name: string;
  type: string;
  offset: number;
  bytes: number;
  first: number;
  last: number;
}

/** Distinct, stable colours per tensor name (a hash onto the hue circle). */
function hue(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) % 360;
}

export function timelineSvg(tensors: readonly TimelineTensor[], layerNames: readonly string[], arenaBytes: number): string {
  const steps = layerNames.length;
  const left = 70;
  const top = 16;
  const colW = Math.max(18, Math.min(60, 900 / (steps + 2)));
  const plotW = colW * (steps + 2);
  const plotH = 320;
  const width = left + plotW + 20;
  const height = top + plotH + 110;
  // Steps run from -1 (network inputs) to `steps` (outputs, alive at the end).
  const x = (step: number) => left + (step + 1) * colW;
  const y = (offset: number) => top + (arenaBytes > 0 ? (offset / arenaBytes) * plotH : 0);
  const parts: string[] = [`<rect class="plot" x="${left}" y="${top}" width="${plotW}" height="${plotH}"/>`];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const b = Math.round(arenaBytes * f);
    parts.push(`<line class="grid" x1="${left}" x2="${left + plotW}" y1="${y(b)}" y2="${y(b)}"/><text class="axis" x="${left - 6}" y="${y(b) + 4}" text-anchor="end">${formatBytes(b)}</text>`);
  }
  for (let s = -1; s <= steps; s++) {
    const label = s < 0 ? 'in' : s === steps ? 'out' : String(s);
    const name = s < 0 ? 'network inputs' : s === steps ? 'network outputs' : layerNames[s]!;
    parts.push(`<text class="axis step" x="${x(s) + colW / 2}" y="${top + plotH + 14}" text-anchor="middle">${label}<title>${esc(name)}</title></text>`);
    if (s >= 0 && s < steps) parts.push(`<text class="axis layer-name" transform="translate(${x(s) + colW / 2},${top + plotH + 24}) rotate(45)">${esc(truncate(name, 14))}</text>`);
  }
  for (const t of tensors) {
    const x0 = x(t.first);
    const w = x(Math.min(t.last, steps)) + colW - x0;
    const h = Math.max(2, y(t.offset + t.bytes) - y(t.offset));
    const tip = `${t.name} ${t.type}: ${t.bytes} B at offset ${t.offset}, live ${t.first < 0 ? 'in' : t.first}..${t.last >= steps ? 'out' : t.last}`;
    parts.push(`<g class="tensor" data-name="${esc(t.name)}"><title>${esc(tip)}</title>` +
      `<rect x="${x0 + 1}" y="${y(t.offset)}" width="${Math.max(2, w - 2)}" height="${h}" fill="hsl(${hue(t.name)},55%,62%)"/>` +
      (h >= 12 && w >= 7 * Math.min(t.name.length, 18) ? `<text x="${x0 + 5}" y="${y(t.offset) + Math.min(h, 24) / 2 + 4}">${esc(truncate(t.name, 18))}</text>` : '') + '</g>');
  }
  parts.push(`<text class="axis" x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">layer index (time) →</text>`);
  parts.push(`<text class="axis" transform="translate(12,${top + plotH / 2}) rotate(-90)" text-anchor="middle">arena offset (bytes) ↓</text>`);
  return `<svg class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('\n')}</svg>`;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export interface ProfileBar {
  name: string;
  ms: number;
  percent: number;
  tactic?: string;
  precision: string;
}

/** The per-layer profile as horizontal bars in plan order, coloured by precision, length by median time. */
export function profileSvg(bars: readonly ProfileBar[]): string {
  const [left, rowH, barMax] = [230, 20, 420];
  const top = 8;
  const most = Math.max(...bars.map((b) => b.ms), 1e-9);
  const width = left + barMax + 230;
  const height = top + rowH * bars.length + 8;
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (b.ms / most) * barMax);
    const label = `${b.ms.toFixed(4)} ms · ${b.percent.toFixed(1)}%${b.tactic ? ` · ${b.tactic}` : ''}`;
    return `<g class="profile-row" data-name="${esc(b.name)}"><title>${esc(`${b.name}: ${label} (${b.precision})`)}</title>` +
      `<text class="axis" x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(truncate(b.name, 34))}</text>` +
      `<rect x="${left}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${colorOf(b.precision)}"/>` +
      `<text class="axis" x="${left + w + 6}" y="${y + 14}">${esc(label)}</text></g>`;
  });
  return `<svg class="profile" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${rows.join('\n')}</svg>`;
}
