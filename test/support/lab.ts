import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file is test/support/lab.ts). */
export const repoRoot = resolve(__dirname, '..', '..');
export const labDir = join(repoRoot, '.lab');

/** KEY=VALUE pairs from .lab/env, written by `lab/lab up`. */
export function labEnv(): Record<string, string> {
  const file = join(labDir, 'env');
  if (!existsSync(file)) throw new Error(`The lab is not up: "${file}" is missing. Run lab/lab up.`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return env;
}

let ensured = false;
/** Starts the lab once per test process (fast when it is already up). */
export function ensureLab(): Record<string, string> {
  if (!ensured) {
    if (process.env.LAB_SKIP_UP !== '1') {
      execFileSync(join(repoRoot, 'lab', 'lab'), ['up'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
    }
    ensured = true;
  }
  return labEnv();
}

/** Path to the shared workplace fixtures, or undefined when this clone has none. */
export function sharedFixtures(...parts: string[]): string | undefined {
  const p = resolve(repoRoot, '..', 'shared', 'fixtures', ...parts);
  return existsSync(p) ? p : undefined;
}
