// Bundles the extension, the CLI and the extension-host test suite.
// Usage: node esbuild.mjs [--watch] [--tests]
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  external: ['vscode'],
  // ssh2's optional native helpers: ssh2 falls back to pure JS when they are missing.
  // Keep them external so the bundle never tries to inline a .node binary.
  logLevel: 'warning',
};
const nativeExternals = ['cpu-features', './crypto/build/Release/sshcrypto.node'];

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, ...nativeExternals] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', external: [...common.external, ...nativeExternals], banner: { js: '#!/usr/bin/env node' } },
];

if (process.argv.includes('--tests')) {
  const dir = 'test/extension/suite';
  const entries = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  builds.push({ ...common, entryPoints: ['test/extension/index.ts', ...entries], outdir: 'out/test/extension', outbase: 'test/extension', external: [...common.external, ...nativeExternals, 'mocha'] });
}

if (process.argv.includes('--watch')) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
