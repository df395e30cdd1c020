// The extension-host suites under desktop VS Code, for a machine WITH internet access:
// @vscode/test-electron downloads VS Code (1.100.x, our engines floor) on first use, which fails here
// (getaddrinfo ENOTFOUND update.code.visualstudio.com), so scripts/test.sh runs the same suite entry in
// code-server instead (test/runners/extension-host.ts). Same contract: out/test/extension/index.js `run()`.
//
//   node esbuild.mjs --tests && npx tsx test/runners/test-electron.ts [--version 1.100.3]
// Headless Linux needs a display: `xvfb-run -a npx tsx test/runners/test-electron.ts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { labSettings, newRunDir, quietSettings, repoRoot } from './code-server';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--version');
  const version = i > 0 ? process.argv[i + 1] : '1.100.3';
  const runDir = newRunDir('electron');
  const userDataDir = join(runDir, 'user-data');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...labSettings() }, null, 2));
  const workspace = join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  await runTests({
    version,
    cachePath: join(repoRoot, '.cache', 'vscode-test'),
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'out', 'test', 'extension', 'index.js'),
    extensionTestsEnv: { OST_TEST_REPORT: join(runDir, 'report.json') },
    launchArgs: [workspace, '--user-data-dir', userDataDir, '--extensions-dir', join(runDir, 'extensions'), '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
}

main().catch((err: unknown) => {
  console.error(`test-electron: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
