// The extension-host suite entry: the standard `run()` contract that both our code-server runner
// (test/runners/extension-host.ts) and @vscode/test-electron (test/runners/test-electron.ts) call as
// `extensionTestsPath`. It runs every suite/*.test.js bundled next to this file (node esbuild.mjs --tests).
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import { metrics } from './support/metrics';

/** What the runner reads back when it set OST_TEST_REPORT (a JSON file path) in the environment. */
export interface SuiteReport {
  passes: number;
  failures: number;
  pending: number;
  durationMs: number;
  metrics: Record<string, number>;
}

export function run(): Promise<void> {
  // The reporter's lines also go to OST_TEST_LOG when the runner set it: the console of a remote extension
  // host only reaches the runner through the browser, reformatted.
  const logFile = process.env.OST_TEST_LOG;
  if (logFile) {
    const consoleLog = Mocha.reporters.Base.consoleLog;
    Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
      appendFileSync(logFile, format(...args) + '\n');
      consoleLog(...args);
    };
  }
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    reporter: 'spec',
    timeout: Number(process.env.OST_TEST_TIMEOUT_MS ?? 60_000),
    grep: process.env.OST_TEST_GREP || undefined,
  });
  const dir = join(__dirname, 'suite');
  // activation.test.js first: it checks that nothing activated the extension before it asked.
  const files = readdirSync(dir).filter((n) => n.endsWith('.test.js'));
  files.sort((a, b) => Number(b === 'activation.test.js') - Number(a === 'activation.test.js') || a.localeCompare(b));
  for (const f of files) mocha.addFile(join(dir, f));

  const started = Date.now();
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const report: SuiteReport = {
        passes: runner.stats?.passes ?? 0,
        failures,
        pending: runner.stats?.pending ?? 0,
        durationMs: Date.now() - started,
        metrics: { ...metrics() },
      };
      if (process.env.OST_TEST_REPORT) writeFileSync(process.env.OST_TEST_REPORT, JSON.stringify(report, null, 2));
      if (failures > 0) reject(new Error(`${failures} extension-host test${failures === 1 ? '' : 's'} failed.`));
      else resolve();
    });
  });
}
