// kiln draw: the page is self-contained (nothing fetched), holds one node element per
// layer before and after optimization plus the memory timeline, and renders in a real
// browser: headless Chromium's DOM has the nodes and its screenshot is not one flat
// colour. Skips the browser part, saying so, where Chromium is not installed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { MLP, MNIST, colorStats, decodePng, kiln, tempDir } from './helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM) console.warn('test/cli/draw: chromium not found (apt-get install -y chromium); skipping the headless-browser checks');

const dir = tempDir();
const mnistPage = join(dir, 'mnist.html');
const planPage = join(dir, 'plan.html');

/** Runs headless Chromium on a page; resolves with stdout (the DOM with --dump-dom). */
function chromium(args: string[], page: string): Promise<string> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', `--user-data-dir=${tempDir('kiln-chromium-')}`, '--window-size=1200,900'];
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM!, [...flags, ...args, pathToFileURL(page).href], { timeout: 60_000 });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`chromium exited ${code}: ${err.slice(-500)}`))));
  });
}

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe('kiln draw', () => {
  beforeAll(async () => {
    const plan = join(dir, 'mlp.plan');
    const [a, b] = await Promise.all([
      kiln(['draw', MNIST, '--output', mnistPage]),
      kiln(['build', MLP, '--shapes', 'x:2x48', '--save-plan', plan]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^wrote .*mnist\.html \([\d.]+ KiB\): 12 layers before optimization, \d+ after, memory plan drawn$/m);
    expect(b.code, b.stderr).toBe(0);
    const c = await kiln(['draw', plan, '--output', planPage, '--profile']);
    expect(c.code, c.stderr).toBe(0);
  });

  it('writes a self-contained page: before and after graphs, precision legend, memory timeline', () => {
    const html = readFileSync(mnistPage, 'utf8');
    // Nothing is fetched: no external scripts, styles, images or fonts.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/@import/);
    const before = html.slice(html.indexOf('id="before"'), html.indexOf('id="after"'));
    const after = html.slice(html.indexOf('id="after"'), html.indexOf('class="timeline"'));
    // 12 layers + 1 input + 1 output before; the fused layer after.
    expect(count(before, /<g class="node node-layer"/g)).toBe(12);
    expect(count(before, /<g class="node node-(input|output)"/g)).toBe(2);
    expect(after).toContain('data-name="fc1 + bias + relu1" data-fused="fc1|fc1.bias_add|relu1" data-precision="f32"');
    expect(count(after, /<g class="node node-layer"/g)).toBeLessThan(12);
    expect(html).toMatch(/<div class="legend"><span><i style="background:#4e79a7"><\/i>f32<\/span>/);
    expect(html).toMatch(/Memory plan: arena [\d.]+ KiB/);
    expect(count(html, /<g class="tensor"/g)).toBeGreaterThanOrEqual(8);
  });

  it('draws a PLAN from its layers and says why the timeline is missing', () => {
    const html = readFileSync(planPage, 'utf8');
    expect(count(html, /<g class="node node-layer"/g)).toBe(3);
    expect(html).toContain('data-name="fc1 + bias + relu1"');
    expect(html).toContain('the native plan reader does not expose yet');
  });

  it('--profile adds the per-layer profile: one bar per plan layer with its median time and share', () => {
    const html = readFileSync(planPage, 'utf8');
    expect(html).toMatch(/Per-layer profile: [\d.]+ ms per run/);
    const rows = [...html.matchAll(/<g class="profile-row" data-name="([^"]+)"><title>[^<]*: ([\d.]+) ms · ([\d.]+)%/g)];
    expect(rows.map((r) => r[1])).toEqual(['fc1 + bias + relu1', 'fc2 + bias', 'prob']);
    const shares = rows.map((r) => Number(r[3]));
    expect(shares.reduce((a, b) => a + b, 0)).toBeGreaterThan(95);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThan(105);
  });

  it.skipIf(!CHROMIUM)('renders in headless Chromium: every node is in the DOM after the script ran', async () => {
    const dom = await chromium(['--dump-dom'], mnistPage);
    const nodes = count(dom, /<g class="node /g);
    expect(nodes).toBeGreaterThan(20);
    // The page's script ran and counted the same nodes.
    expect(dom).toContain(`data-ready="${nodes}"`);
    expect(dom).toContain('fc1 + bias + relu1');
    expect(count(dom, /<g class="tensor"/g)).toBeGreaterThanOrEqual(8);
  });

  it.skipIf(!CHROMIUM)('its screenshot shows a drawing, not one flat colour', async () => {
    const png = join(dir, 'mnist.png');
    await chromium([`--screenshot=${png}`], mnistPage);
    const img = decodePng(new Uint8Array(readFileSync(png)));
    expect([img.width, img.height]).toEqual([1200, 900]);
    const { distinct, nonDominant } = colorStats(img);
    // Boxes in the precision colours, text, edges and the header: many colours, and a
    // good share of the page is not background.
    expect(distinct).toBeGreaterThan(50);
    expect(nonDominant).toBeGreaterThan(0.1);
    // The f32 layer colour (#4e79a7) is on screen.
    let f32 = 0;
    for (let i = 0; i < img.width * img.height; i++) {
      if (img.rgba[i * 4] === 0x4e && img.rgba[i * 4 + 1] === 0x79 && img.rgba[i * 4 + 2] === 0xa7) f32++;
    }
    expect(f32).toBeGreaterThan(1000);
  });
});
