import { defineConfig } from 'tsup';

// The package: ESM + CJS + .d.ts for the library, ESM for the CLI (bin `kiln`).
export default defineConfig([
  {
    // kiln/testing (checkPass, arbitraries) shares the library's chunks, so both see one
    // op registry; fast-check stays external, the user's own copy drives their tests.
    entry: { index: 'src/index.ts', testing: 'passes/testing/index.ts' },
    external: ['fast-check'],
    format: ['esm', 'cjs'],
    dts: true,
    shims: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    shims: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
