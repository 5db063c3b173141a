// kiln bench: the performance summary (trtexec's fields), the JSON export with every
// latency and consistent statistics, and --dump-profile, which times every layer and
// prints its median time, share and tactic.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MLP, MNIST, kiln, tempDir } from './helpers.js';

const dir = tempDir();

describe.concurrent('kiln bench', () => {
  it('prints throughput and latency percentiles and exports them as JSON', async () => {
    const json = join(dir, 'bench.json');
    const r = await kiln(['bench', MLP, '--shapes', 'x:8x48', '--iterations', '40', '--warmup', '5', '--threads', '1', '--export-json', json]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^=== Performance summary ===$/m);
    expect(r.stdout).toMatch(/^Throughput: [\d.]+ qps$/m);
    expect(r.stdout).toMatch(/^Latency: min = [\d.]+ ms, max = [\d.]+ ms, mean = [\d.]+ ms, median = [\d.]+ ms, percentile\(90%\) = [\d.]+ ms, percentile\(95%\) = [\d.]+ ms, percentile\(99%\) = [\d.]+ ms$/m);
    expect(r.stdout).toMatch(/^Iterations: 40 \(after 5 warm-up runs in [\d.]+ ms\); threads: 1; inputs: x f32\[8,48\]$/m);

    const b = JSON.parse(readFileSync(json, 'utf8'));
    expect(b.iterations).toBe(40);
    expect(b.timesMs).toHaveLength(40);
    expect(b.warmup.runs).toBe(5);
    expect(b.config).toMatchObject({ threads: 1, iterations: 40, durationS: 0 });
    const l = b.latencyMs;
    expect(l.min).toBeGreaterThan(0);
    expect([l.min, l.median, l.p90, l.p95, l.p99, l.max]).toEqual([...[l.min, l.median, l.p90, l.p95, l.p99, l.max]].sort((x, y) => x - y));
    expect(l.mean).toBeGreaterThanOrEqual(l.min);
    expect(l.mean).toBeLessThanOrEqual(l.max);
    expect(l.min).toBe(Math.min(...b.timesMs));
    expect(l.max).toBe(Math.max(...b.timesMs));
    const sum = b.timesMs.reduce((a: number, x: number) => a + x, 0);
    expect(l.mean).toBeCloseTo(sum / 40, 9);
    expect(b.walltimeMs).toBeGreaterThanOrEqual(sum);
    expect(b.throughputQps).toBeCloseTo(40 / (b.walltimeMs / 1000), 6);
    expect(b.build).toMatchObject({ layersBefore: 6, layersAfter: 3 });
    expect(b.profile.layers.map((x: { name: string }) => x.name)).toEqual(['fc1 + bias + relu1', 'fc2 + bias', 'prob']);
    expect(b.profile.iterations).toBe(20);
    for (const l of b.profile.layers) expect(l.medianMs).toBeGreaterThan(0);
    expect(b.profile.layers.reduce((a: number, l: { percent: number }) => a + l.percent, 0)).toBeCloseTo(100, 0);
  });

  it('--duration keeps timing for that long; warm-up may be a time', async () => {
    const json = join(dir, 'duration.json');
    const r = await kiln(['bench', MNIST, '--duration', '0.3', '--warmup', '50ms', '--export-json', json]);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(readFileSync(json, 'utf8'));
    expect(b.walltimeMs).toBeGreaterThanOrEqual(300);
    expect(b.warmup.ms).toBeGreaterThanOrEqual(50);
    expect(b.iterations).toBe(b.timesMs.length);
  });

  it('--dump-profile prints each layer with its median time, share and tactic', async () => {
    const r = await kiln(['bench', MLP, '--shapes', 'x:1x48', '--iterations', '3', '--warmup', '0', '--dump-profile']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^=== Profile === \(median of 20 profiled runs; layers sum to \d+\.\d+ ms\)$/m);
    expect(r.stdout).toMatch(/^0 +fc1 \+ bias \+ relu1 +MatMul +(gemm|gemv|gemmPacked) +\S+ +\d+\.\d+ +\d+\.\d +fc1, fc1\.bias_add, relu1$/m);
  });
});
