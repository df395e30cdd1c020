// The demo: code-server on 127.0.0.1 with the packaged extension installed and pointed at the lab.
// Run through scripts/start.sh (which does setup and `lab up` first). Stays in the foreground until Ctrl-C.
//
//   npx tsx scripts/start.ts [--folder <path>] [--port <n>]
// Everything code-server writes stays in .run/demo/ (user data, extensions, XDG dirs, HOME, TMPDIR).
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { labSettings, repoRoot, startCodeServer } from '../test/runners/code-server';
import { packageVsix } from '../test/runners/vsix';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

async function main(): Promise<void> {
  const t0 = Date.now();
  const vsix = packageVsix({ force: true });
  console.log(`[start] packaged ${relative(repoRoot, vsix.path)}: ${(vsix.bytes / 1024).toFixed(1)} KiB`);

  const runDir = join(repoRoot, '.run', 'demo');
  const folder = option('--folder') ? resolve(option('--folder') as string) : join(runDir, 'workspace');
  if (!option('--folder') && !existsSync(folder)) {
    // A workspace with real Debian config files, for the config doctor to look at.
    mkdirSync(folder, { recursive: true });
    const configs = join(repoRoot, 'test', 'fixtures', 'configs', 'debian12');
    if (existsSync(configs)) cpSync(configs, join(folder, 'debian12'), { recursive: true });
  }
  const lab = labSettings();
  if (Object.keys(lab).length === 0) console.log('[start] no lab in .lab/: the extension starts without a cloud (run lab/lab up for one)');

  const server = await startCodeServer({
    runDir,
    port: Number(option('--port') ?? 8080),
    vsix: [vsix.path],
    settings: lab,
    keepUserSettings: true,
  });
  const url = server.workbenchUrl(folder);
  console.log(`[start] code-server ${server.url} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (log: ${relative(repoRoot, server.logFile)})`);
  console.log(`\n  Open ${url}\n\n  Ctrl-C stops it.`);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[start] ${why}: stopping code-server`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('interrupted'));
  process.on('SIGTERM', () => void stop('terminated'));
  process.on('SIGHUP', () => void stop('hang-up'));
  server.process.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[start] code-server exited (${signal ?? code}); see ${relative(repoRoot, server.logFile)}`);
    process.exit(typeof code === 'number' && code !== 0 ? code : 1);
  });
}

main().catch((err: unknown) => {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
