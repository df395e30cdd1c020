import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Tests that need a file the code under test cannot read. As root every file is readable, so the code runs in a
 * child process with less power. Two ways, both independent of where the checkout sits (under /root, in a 0700
 * folder, with TMPDIR inside it as scripts/test.sh sets it):
 * - `NOBODY`: uid/gid 65534 with cwd "/"; it can reach only world-traversable folders, so its files go in a folder
 *   from `nobodyTempDir` (probed, not assumed).
 * - `ROOT_WITHOUT_DAC`: still uid 0 (so it reaches the checkout and node_modules it owns), but without
 *   CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so a file owned by another user with mode 0600 is unreadable to it.
 * Both need root (setpriv); callers skip when `process.getuid()` is not 0.
 */
export const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', 'env', '-C', '/'];
export const ROOT_WITHOUT_DAC = [
  'setpriv',
  '--inh-caps=-dac_override,-dac_read_search',
  '--bounding-set=-dac_override,-dac_read_search',
  '--',
  'env',
  '-C',
  '/',
];

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Whether argv (prefixed with `prefix`) exits 0. */
export function runsOk(prefix: string[], argv: string[]): boolean {
  try {
    execFileSync(prefix[0], [...prefix.slice(1), ...argv], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * A fresh 0755 folder that uid 65534 can enter and read: the first of os.tmpdir(), /tmp, /var/tmp, /dev/shm where a
 * probe file is readable to it. Undefined when there is none.
 */
export function nobodyTempDir(prefix: string): string | undefined {
  for (const base of [tmpdir(), '/tmp', '/var/tmp', '/dev/shm']) {
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(base, prefix));
      chmodSync(dir, 0o755);
      const probe = join(dir, 'probe');
      writeFileSync(probe, 'x', { mode: 0o644 });
      if (runsOk(NOBODY, ['test', '-r', probe])) {
        rmSync(probe);
        return dir;
      }
    } catch {
      /* try the next base */
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  return undefined;
}
