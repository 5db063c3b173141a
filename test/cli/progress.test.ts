// The terminal status line of kiln build: the phase and time so far; while autotuning,
// a bar with layer k of n and the time left at the rate of the layers done.
import { describe, expect, it } from 'vitest';
import { progressLine, type ProgressClock } from '../../src/cli/progress.js';

describe('progressLine', () => {
  it('shows the phase and elapsed time outside autotuning', () => {
    expect(progressLine('pass FuseEpilogues', { start: 0 }, 1500)).toBe('building: pass FuseEpilogues (1.5 s)');
  });

  it('draws a bar for layer k of n and estimates the time left from the layers done', () => {
    const clock: ProgressClock = { start: 0 };
    expect(progressLine("autotuning layer 1 of 4 'conv1'", clock, 1000)).toBe(`[${'-'.repeat(20)}] autotuning layer 1 of 4 'conv1' (1.0 s)`);
    // Layers 1 and 2 took 2 s together (1 s each); 2 of 4 remain: 2 s left.
    expect(progressLine("autotuning layer 3 of 4 'fc'", clock, 3000)).toBe(`[${'#'.repeat(10)}${'-'.repeat(10)}] autotuning layer 3 of 4 'fc' (3.0 s, 2.0 s left)`);
    expect(progressLine('serializing', clock, 4000)).toBe('building: serializing (4.0 s)');
  });
});
