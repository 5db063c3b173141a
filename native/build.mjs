// The install step: builds build/Release/kiln.node with node-gyp. node-gyp downloads
// Node's headers unless told where they are; machines without network access (CI
// here) have them next to the node binary, so point node-gyp there when they exist.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const gyp = join(dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');
const prefix = dirname(dirname(process.execPath));
const args = [gyp, 'rebuild'];
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('kiln: building the native addon failed; it needs a C++17 compiler (g++ or clang), make and python3');
  process.exit(r.status ?? 1);
}
