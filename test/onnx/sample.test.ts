// samples/onnx runs end to end on a shared model: report, build, plan file, top-5.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const lenet = resolve(root, '../shared/models/lenet.onnx');
const hasModel = existsSync(lenet);
if (!hasModel) console.log('sample:onnx: ../shared/models/lenet.onnx is absent; the sample test is skipped');

describe.skipIf(!hasModel)('sample:onnx', () => {
  it('imports, builds, saves the plan and prints the top-5', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'samples/onnx/main.ts', lenet], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('lenet.onnx: opset 17, 9 nodes (6 op types): all supported');
    expect(out).toMatch(/plan \d+ bytes written to .*out\/lenet\.plan/);
    expect(out).toContain("Top-5 of 'output' f32[1,10]:");
    expect(existsSync(resolve(root, 'out/lenet.plan'))).toBe(true);
  });
});
