// QConvNhwc's 3x3 stride-1 rows on 64 channels and more against the interpreter, to
// the bit, in this process (the rows of whatever this CPU runs). Cases: depthwise-groups-case.ts.
import { describe, expect, it } from 'vitest';
import { rowsMismatch } from './depthwise-nhwc-case.js';
import { GROUP_CASES } from './depthwise-groups-case.js';

describe('QConvNhwc 3x3 rows on channel groups against the interpreter', () => {
  for (const c of GROUP_CASES) {
    it(c.name, async () => {
      expect(await rowsMismatch(c, true)).toBeUndefined();
    });
  }
});
