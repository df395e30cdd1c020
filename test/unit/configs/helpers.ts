import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConfigFacts } from '../../../src/core/configs/facts';
import { gatherFacts } from '../../../src/core/configs/facts';
import { localReader } from '../../../src/core/configs/file-store';
import { lintConfig } from '../../../src/core/configs/lint';
import type { Finding } from '../../../src/core/configs/model';

/** Debian 12's own default files, laid out as a root file system (see test/fixtures/configs/README.md). */
export const DEBIAN12 = resolve(__dirname, '..', '..', 'fixtures', 'configs', 'debian12');

export function fixture(path: string): string {
  return readFileSync(join(DEBIAN12, path), 'utf8');
}

/** Lints `text` as if it were at `path` on a host whose other files are the Debian 12 defaults (or `root`). */
export async function lintOnHost(path: string, text: string, given: ConfigFacts = {}, root = DEBIAN12): Promise<Finding[]> {
  const facts = await gatherFacts(localReader(root), { path, text }, given);
  return lintConfig({ path, text, facts }).findings;
}

/** `code@line:start-end` (1-based line, 0-based columns as VS Code ranges) — what the assertions compare. */
export function where(f: Finding): string {
  const r = f.range;
  const end = r.end.line === r.start.line ? `${r.end.character}` : `${r.end.line + 1}:${r.end.character}`;
  return `${f.code}@${r.start.line + 1}:${r.start.character}-${end}`;
}

export function summary(findings: Finding[]): string[] {
  return findings.map((f) => `${f.severity} ${where(f)}`);
}
