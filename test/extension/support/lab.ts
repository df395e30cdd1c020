import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * KEY=VALUE pairs of the lab's `.lab/env`, or undefined when the lab is not up. Suites are bundled one per file into
 * out/test/extension/suite/, so the repository root is four folders up from the running bundle.
 */
export function labEnv(): Record<string, string> | undefined {
  const file = join(__dirname, '..', '..', '..', '..', '.lab', 'env');
  if (!existsSync(file)) return undefined;
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return env;
}
