// The self-contained HTML page of `kiln draw`: inline CSS, inline SVG and a few lines
// of inline script (no network access, no external files), so it can be attached to an
// issue or opened from a CI artifact. Clicking a layer highlights its counterparts in
// the other graph (a fused layer <-> the layers it was fused from) and the tensors it
// writes in the memory timeline.
import { PRECISION_COLORS, esc } from './draw-svg.js';

export interface PageSection {
  title: string;
  note?: string;
  /** Trusted markup made by draw-svg.ts. */
  svg?: string;
}

const CSS = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 12px 20px; background: #2b2b2b; color: #eee; }
header h1 { font-size: 17px; margin: 0 0 4px; }
header p { margin: 0; color: #bbb; }
main { padding: 8px 20px 40px; }
section { margin: 14px 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; }
section h2 { font-size: 15px; margin: 0 0 6px; }
.note { color: #666; margin: 0 0 8px; }
.scroll { overflow: auto; max-height: 80vh; text-align: center; }
.row { display: flex; gap: 14px; align-items: flex-start; flex-wrap: wrap; }
.row > section { flex: 1 1 420px; min-width: 0; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -2px; margin-right: 4px; }
svg text { font: 12px system-ui, sans-serif; }
.node { cursor: pointer; }
.node rect { stroke: #333; stroke-width: 0.8; }
.node text { fill: #fff; text-anchor: middle; pointer-events: none; }
.node-input text, .node-output text { fill: #222; }
.node .detail { font-size: 10.5px; opacity: 0.9; }
.node.hl rect { stroke: #e15759; stroke-width: 3.5; }
.edge { fill: none; stroke: #999; stroke-width: 1.3; }
.plot { fill: #f4f4f4; stroke: #ccc; }
.grid { stroke: #ddd; }
.axis { fill: #555; font-size: 11px; }
.layer-name { font-size: 10px; }
.tensor rect { stroke: #fff; stroke-width: 0.6; }
.tensor text { font-size: 10.5px; fill: #222; pointer-events: none; }
.tensor.hl rect { stroke: #e15759; stroke-width: 2.5; }
#info { position: fixed; right: 14px; bottom: 14px; max-width: 420px; white-space: pre-wrap; background: #fff; border: 1px solid #bbb;
  border-radius: 6px; padding: 8px 10px; box-shadow: 0 2px 8px rgba(0,0,0,.15); display: none; font: 12px ui-monospace, monospace; }
`;

// Click a node: highlight every node sharing one of its original layer names, and the
// timeline bars of the tensors it writes; show its tooltip text in the info box.
const SCRIPT = `
(function () {
  var info = document.getElementById('info');
  function clear() { document.querySelectorAll('.hl').forEach(function (e) { e.classList.remove('hl'); }); }
  document.querySelectorAll('.node').forEach(function (node) {
    node.addEventListener('click', function () {
      clear();
      var names = (node.getAttribute('data-fused') || '').split('|').filter(Boolean);
      document.querySelectorAll('.node').forEach(function (other) {
        var theirs = (other.getAttribute('data-fused') || '').split('|');
        if (other === node || names.some(function (n) { return theirs.indexOf(n) >= 0; })) other.classList.add('hl');
      });
      var title = node.querySelector('title');
      var text = title ? title.textContent : '';
      var outs = /outputs: ([^\\n]*)/.exec(text);
      if (outs) outs[1].split(', ').forEach(function (o) {
        var n = o.split(' ')[0];
        document.querySelectorAll('.tensor').forEach(function (t) { if (t.getAttribute('data-name') === n) t.classList.add('hl'); });
      });
      info.textContent = text;
      info.style.display = 'block';
    });
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { clear(); info.style.display = 'none'; } });
  document.body.setAttribute('data-ready', String(document.querySelectorAll('.node').length));
})();
`;

export function legendHtml(precisions: readonly string[]): string {
  const items = precisions.map((p) => `<span><i style="background:${PRECISION_COLORS[p] ?? '#888'}"></i>${esc(p === 'io' ? 'network input / output' : p)}</span>`);
  return `<div class="legend">${items.join('')}</div>`;
}

function sectionHtml(s: PageSection): string {
  return `<section><h2>${esc(s.title)}</h2>${s.note ? `<p class="note">${esc(s.note)}</p>` : ''}${s.svg ? `<div class="scroll">${s.svg}</div>` : ''}</section>`;
}

/** `graphs` sit side by side; `below` (the timeline) spans the page. */
export function page(title: string, subtitle: string, legend: string, graphs: readonly PageSection[], below: readonly PageSection[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header>
<main>
${legend}
<div class="row">
${graphs.map(sectionHtml).join('\n')}
</div>
${below.map(sectionHtml).join('\n')}
</main>
<div id="info"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
