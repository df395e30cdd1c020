// Runs the extension-host suites (test/extension/suite/*.test.ts) inside code-server's real Node extension
// host. VS Code's `--extensionDevelopmentPath`/`--extensionTestsPath` are not code-server flags: the workbench
// URL takes them as its `payload` parameter, and when the tests end the workbench calls
// `window.codeAutomationExit(code)`, which Playwright exposes back to us.
//
// Usage: npx tsx test/runners/extension-host.ts [--no-build] [--grep <pattern>] [--keep]
// Env:   KEEP_RUN=1 keeps the run folder (.run/ext-host-*); it is kept anyway when a test fails.
// Exit code: mocha's (0 when every test passed).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { labSettings, launchBrowser, newRunDir, removeRunDir, repoRoot, startCodeServer, type CodeServer } from './code-server';
import type { SuiteReport } from '../extension/index';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const timeoutMs = Number(process.env.OST_EXTENSION_HOST_TIMEOUT_MS ?? 10 * 60_000);

async function main(): Promise<number> {
  if (!flag('--no-build')) execFileSync(process.execPath, ['esbuild.mjs', '--tests'], { cwd: repoRoot, stdio: 'inherit' });
  const testsEntry = join(repoRoot, 'out', 'test', 'extension', 'index.js');
  for (const f of [testsEntry, join(repoRoot, 'dist', 'extension.js')]) {
    if (!existsSync(f)) throw new Error(`"${f}" is missing: build with node esbuild.mjs --tests.`);
  }

  const runDir = newRunDir('ext-host');
  const workspace = join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const reportFile = join(runDir, 'report.json');
  const logFile = join(runDir, 'mocha.log');
  const t0 = Date.now();
  let server: CodeServer | undefined;
  let exitCode = 1;
  let session: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    server = await startCodeServer({
      runDir,
      settings: labSettings(),
      // The extension host inherits code-server's environment: the suite entry writes its report there.
      env: { OST_TEST_REPORT: reportFile, OST_TEST_LOG: logFile, ...(option('--grep') ? { OST_TEST_GREP: option('--grep') as string } : {}) },
    });
    console.log(`code-server ${server.url} ready in ${Date.now() - t0} ms (run folder ${runDir.slice(repoRoot.length + 1)})`);

    session = await launchBrowser(runDir);
    const { page } = session;
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    // The workbench's own log (OST_VERBOSE=1 prints it); errors are kept for the failure report.
    const workbenchErrors: string[] = [];
    await page.exposeFunction('codeAutomationLog', (type: string, msgArgs: unknown[]) => {
      const text = format(...(Array.isArray(msgArgs) ? msgArgs : [msgArgs]));
      if (type === 'error') workbenchErrors.push(text);
      if (process.env.OST_VERBOSE) console.log(`[workbench ${type}] ${text}`);
    });
    // mocha's reporter output, as the suite entry writes it (OST_TEST_LOG), printed as it grows.
    const follower = follow(logFile, (text) => process.stdout.write(text));

    const url = server.workbenchUrl(workspace, [
      ['extensionDevelopmentPath', server.remoteUri(repoRoot)],
      ['extensionTestsPath', server.remoteUri(testsEntry)],
    ]);
    await page.goto(url);
    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => {
        console.error(`extension-host tests did not finish within ${timeoutMs / 1000} s`);
        resolve(1);
      }, timeoutMs).unref(),
    );
    exitCode = await Promise.race([exited, timeout]);
    follower.stop();
    if (exitCode !== 0 && workbenchErrors.length) {
      console.log(`workbench errors (${workbenchErrors.length}):\n  ${workbenchErrors.slice(-10).map((e) => e.split('\n')[0]).join('\n  ')}`);
    }

    if (existsSync(reportFile)) {
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as SuiteReport;
      console.log(`extension-host: ${report.passes} passing, ${report.failures} failing, ${report.pending} pending (${report.durationMs} ms in the extension host)`);
      if (report.metrics.activationMs !== undefined) {
        console.log(`activation time: ${report.metrics.activationMs} ms in activate(), ${report.metrics.activateCallMs} ms for the activate() call (includes loading the bundle)`);
      }
    } else {
      console.error('extension-host: the suite wrote no report (did the extension host start? see code-server.log in the run folder)');
      exitCode = exitCode || 1;
    }
  } finally {
    await session?.close().catch(() => undefined);
    await server?.stop();
  }
  const keep = exitCode !== 0 || flag('--keep');
  removeRunDir(runDir, keep);
  if (keep || process.env.KEEP_RUN === '1') console.log(`run folder kept: ${runDir.slice(repoRoot.length + 1)}`);
  console.log(`extension-host tier took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return exitCode;
}

/** Calls `onText` with what is appended to `file` (polling; the file may not exist yet). */
function follow(file: string, onText: (text: string) => void): { stop(): void } {
  let offset = 0;
  const poll = () => {
    if (!existsSync(file)) return;
    const buf = readFileSync(file);
    if (buf.length > offset) {
      onText(buf.subarray(offset).toString('utf8'));
      offset = buf.length;
    }
  };
  const timer = setInterval(poll, 200);
  return {
    stop() {
      clearInterval(timer);
      poll();
    },
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`extension-host runner: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
