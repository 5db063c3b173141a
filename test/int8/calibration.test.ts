// Calibration: the three amax algorithms on histograms whose answer is known, the
// single-pass histogram's growth, the cache text round trip, and calibrate() on a
// small network (a cache hit runs no batch).
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { tensor } from '../../src/interpret/index.js';
import { AbsHistogram, HISTOGRAM_BINS, entropyAmax, percentileAmax } from '../../src/builder/calibration-histogram.js';
import { ArrayCalibrator, calibrate, readCalibrationText, scaleOf, writeCalibrationText } from '../../src/builder/calibrator.js';

const ramp = (n: number, top: number) => Float32Array.from({ length: n }, (_, i) => ((i + 0.5) / n) * top);

describe('calibration histograms', () => {
  it('min-max is the largest |x|, negatives included', () => {
    const h = new AbsHistogram();
    h.add([0.5, -3, 2]);
    h.add([1, -0.25]);
    expect(h.max).toBe(3);
    expect(h.range).toBeGreaterThanOrEqual(3);
  });

  it('growing the range merges bin pairs and keeps every count', () => {
    const h = new AbsHistogram();
    h.add(ramp(4096, 1));
    expect(h.bins.reduce((a, b) => a + b, 0)).toBe(4096);
    h.add([3.5]);
    expect(h.range).toBeCloseTo(4, 2); // the first range was the ramp's max, just under 1
    expect(h.bins.reduce((a, b) => a + b, 0)).toBe(4097);
    // The ramp now fills the first quarter, 4 values a bin.
    expect(h.bins[0]).toBe(8);
    expect(h.bins[HISTOGRAM_BINS / 4 + 1]).toBe(0);
  });

  it('percentile drops rare outliers', () => {
    const h = new AbsHistogram();
    h.add(ramp(100000, 1));
    h.add([50]);
    expect(percentileAmax(h, 100)).toBe(50);
    const p = percentileAmax(h, 99.99);
    expect(p).toBeGreaterThan(0.95);
    expect(p).toBeLessThan(1.05);
  });

  it('entropy keeps a uniform range whole and clips a long sparse tail', () => {
    const uniform = new AbsHistogram();
    uniform.add(ramp(200000, 2));
    expect(entropyAmax(uniform)).toBeCloseTo(2, 2);
    const tailed = new AbsHistogram();
    tailed.add(Float64Array.from({ length: 200000 }, (_, i) => -Math.log((i + 0.5) / 200000)));
    tailed.add(Float32Array.from({ length: 20 }, (_, i) => 100 + i * 4));
    const amax = entropyAmax(tailed);
    expect(amax).toBeLessThan(tailed.max / 4);
    expect(amax).toBeGreaterThan(4);
  });

  it('entropy ignores a ReLU output\'s spike of exact zeros (bin 0 counts as bin 1)', () => {
    // Laplace-like magnitudes alone, then with as many exact zeros again: the same threshold
    // (counting the zeros, KL picked 1.5 of the 12.2 range, clipping most of the tail).
    const laplace = () => Float64Array.from({ length: 100000 }, (_, i) => -Math.log((i + 0.5) / 100000));
    const plain = new AbsHistogram();
    plain.add(laplace());
    const relu = new AbsHistogram();
    relu.add(new Float32Array(100000));
    relu.add(laplace());
    expect(relu.bins[0]).toBeGreaterThan(100000);
    expect(entropyAmax(relu)).toBe(entropyAmax(plain));
    expect(entropyAmax(relu)).toBeGreaterThan(4);
  });

  it('entropy of a bell-shaped histogram clips below the max', () => {
    const h = new AbsHistogram();
    // Deterministic Laplace-like magnitudes: -ln(u) over a uniform grid of u.
    h.add(Float64Array.from({ length: 100000 }, (_, i) => -Math.log((i + 0.5) / 100000)));
    const amax = entropyAmax(h);
    expect(amax).toBeLessThan(h.max);
    expect(amax).toBeGreaterThan(4);
  });
});

describe('calibration cache', () => {
  it('round-trips scales bit-exactly, sorted by name', () => {
    const scales = new Map([['b', scaleOf(1.7)], ['a', scaleOf(0.001)], ['conv1:0 out', scaleOf(300)]]);
    const text = writeCalibrationText(scales, 'entropy');
    expect(text.split('\n')[0]).toBe('kiln-int8-calibration v1 entropy');
    expect(text.split('\n')[1]!.startsWith('a: ')).toBe(true);
    const back = readCalibrationText(text);
    expect([...back.entries()].sort()).toEqual([...scales.entries()].sort());
    expect(writeCalibrationText(back, 'entropy')).toBe(text);
  });

  it('rejects text that is not a cache', () => {
    expect(() => readCalibrationText('hello')).toThrow(/must start with/);
    expect(() => readCalibrationText('kiln-int8-calibration v1 minmax\nx: zz')).toThrow(/8 hex digits/);
  });

  it('calibrate() scales every float tensor, writes the cache, and reads it back without batches', () => {
    const net = new Network({ name: 'cal' });
    const y = net.input('x', 'f32', [2, 3]).relu('r').scale({ name: 's', mode: 'uniform', scale: 2, shift: 0 });
    net.markOutput(y, 'y');
    const batches = [{ x: tensor('f32', [2, 3], [1, -2, 3, 0.5, -6, 0]) }, { x: tensor('f32', [2, 3], [4, 1, 1, 1, 1, 1]) }];
    const cal = new ArrayCalibrator(batches, 'minmax');
    const scales = calibrate(net.graph, cal);
    expect(scales.get('x')).toBe(scaleOf(6));
    expect(scales.get('y')).toBe(scaleOf(8));
    expect(cal.cache).toContain('x: ');
    const again = new ArrayCalibrator([], 'minmax', { cache: cal.cache });
    expect(calibrate(net.graph, again)).toEqual(scales);
  });
});
