// Packages the extension as a .vsix (build + `vsce package --no-dependencies`) and inspects a bundle's
// runtime requires. The bundle (dist/extension.js) holds ssh2 and every other runtime dependency, so the
// package ships no node_modules; ssh2's optional native helpers stay out (it falls back to pure JS).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { repoRoot } from './code-server';

/** The only non-builtin modules the bundle may require: the host's API and ssh2's optional natives (in try/catch). */
export const allowedBundleRequires: readonly string[] = ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'];

export interface Vsix {
  path: string;
  bytes: number;
}

function manifest(): { name: string; version: string } {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
}

/** dist/<name>-<version>.vsix */
export function vsixPath(): string {
  const { name, version } = manifest();
  return join(repoRoot, 'dist', `${name}-${version}.vsix`);
}

const newer = (a: string, b: string) => existsSync(b) && statSync(b).mtimeMs > statSync(a).mtimeMs;

/**
 * Builds the bundle and packages it, unless the .vsix is newer than the bundle, package.json and
 * .vscodeignore (`force` packages anyway). Quiet unless vsce fails.
 */
// No repository URL: README links stay relative (--no-rewrite-relative-links); the README's screenshot
// ships in the package (.vscodeignore) so the extension's details page shows it.
export function packageVsix(opts: { build?: boolean; force?: boolean } = {}): Vsix {
  if (opts.build !== false) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  const out = vsixPath();
  const inputs = ['dist/extension.js', 'package.json', '.vscodeignore', 'README.md', 'LICENSE'].map((f) => join(repoRoot, f));
  const stale = opts.force || !existsSync(out) || inputs.some((f) => newer(out, f));
  if (stale) {
    const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
    try {
      execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 180_000,
      });
    } catch (e) {
      const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
      throw new Error(`vsce package failed: ${(err.stderr?.toString() || err.stdout?.toString() || err.message).trim()}`);
    }
  }
  return { path: out, bytes: statSync(out).size };
}

/** The module specifiers a bundle passes to require(), without Node's builtins. */
export function bundleRequires(bundleText: string): string[] {
  const builtins = new Set(builtinModules);
  const found = new Set<string>();
  for (const m of bundleText.matchAll(/\brequire\(\s*(["'])([^"'\n]+)\1\s*\)/g)) {
    const id = m[2];
    if (id.startsWith('node:') || builtins.has(id) || builtins.has(id.split('/')[0])) continue;
    found.add(id);
  }
  return [...found].sort();
}

// npx tsx test/runners/vsix.ts [--no-build]: builds, packages (always) and prints the path and size.
if (require.main === module) {
  const t0 = Date.now();
  const v = packageVsix({ build: !process.argv.includes('--no-build'), force: true });
  console.log(`packaged ${relative(repoRoot, v.path)}: ${(v.bytes / 1024).toFixed(1)} KiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
