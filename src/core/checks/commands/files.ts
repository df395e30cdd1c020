import { TroubleshooterError } from '../../errors';
import type { RemoteCommand } from '../../remote/command';
import { invalidArgument, validatePlainAbsolutePath } from '../../remote/validate';
import { script } from './script';

/**
 * Remote command builders for the checks (argv + parser, nothing runs here): reading config files with their mtimes, and nova's shared instances_path test. Every value that comes from
 * the API or the user is validated (core/remote/validate.ts) before it becomes an argument; shell snippets are constants that
 * receive their inputs as positional parameters ("$1"…), never by interpolation.
 */

// ---------------------------------------------------------------- files

export interface RemoteFile {
  path: string;
  exists: boolean;
  /** Modification time, epoch seconds. */
  mtime?: number;
  content?: string;
}

const FILE_MARK = '@@ost-file ';

/**
 * Reads files (and every `*.conf`/`*.ini`/`*.cnf` in paths ending with "/"), each with its mtime. Missing or
 * unreadable files come back with `exists: false`; the command itself does not fail.
 */
export function readFiles(paths: string[], opts: { sudo?: boolean } = {}): RemoteCommand<RemoteFile[]> {
  for (const p of paths) validatePlainAbsolutePath(p);
  const body = [
    'emit() { if [ -f "$1" ] && [ -r "$1" ]; then printf \'' + FILE_MARK + '%s %s\\n\' "$(stat -c %Y "$1")" "$1"; cat "$1"; printf \'\\n\'; else printf \'' + FILE_MARK + '- %s\\n\' "$1"; fi; }',
    'for f; do case "$f" in */) for g in "$f"*.conf "$f"*.ini "$f"*.cnf; do [ -e "$g" ] && emit "$g"; done ;; *) emit "$f" ;; esac; done; true',
  ].join('\n');
  return { argv: script(body, paths), sudo: opts.sudo, timeoutMs: 20_000, parse: parseFiles };
}

export function parseFiles(stdout: string): RemoteFile[] {
  const out: RemoteFile[] = [];
  let cur: RemoteFile | undefined;
  let buf: string[] = [];
  const flush = () => {
    if (cur && cur.exists) cur.content = buf.join('\n').replace(/\n$/, '');
    buf = [];
  };
  for (const line of stdout.replace(/\n$/, '').split('\n')) {
    if (line.startsWith(FILE_MARK)) {
      flush();
      const m = /^(\S+) (.*)$/.exec(line.slice(FILE_MARK.length));
      if (!m) continue;
      cur = m[1] === '-' ? { path: m[2], exists: false } : { path: m[2], exists: true, mtime: Number(m[1]) };
      out.push(cur);
    } else if (cur) buf.push(line);
  }
  flush();
  return out;
}

// ---------------------------------------------------------------- shared instances_path (nova's method)

export const SHARED_TEST_PREFIX = '.ost-shared-check.';

/** Creates an empty temp file in `dir` (on the destination, as nova does) and prints its path. */
export function createSharedTestFile(dir: string): RemoteCommand<string> {
  return {
    argv: ['mktemp', '-p', validatePlainAbsolutePath(dir), `${SHARED_TEST_PREFIX}XXXXXX`],
    sudo: true,
    timeoutMs: 10_000,
    parse: (s) => {
      const p = s.trim();
      if (!p.startsWith(dir.replace(/\/$/, '') + '/' + SHARED_TEST_PREFIX)) throw new TroubleshooterError('CommandFailed', `mktemp printed an unexpected path: "${p}".`);
      return p;
    },
  };
}

/** Whether `path` exists on this host (the source's half of nova's shared-storage test). */
export function fileExists(path: string): RemoteCommand<boolean> {
  return { argv: script('if [ -e "$1" ]; then echo yes; else echo no; fi', [validatePlainAbsolutePath(path)]), sudo: true, timeoutMs: 10_000, parse: (s) => s.trim() === 'yes' };
}

/** Removes a file this check created (only ever a shared-test file). */
export function removeSharedTestFile(path: string): RemoteCommand<void> {
  validatePlainAbsolutePath(path);
  if (!(path.split('/').pop() ?? '').startsWith(SHARED_TEST_PREFIX)) invalidArgument('shared-test file', path);
  return { argv: ['rm', '-f', '--', path], sudo: true, timeoutMs: 10_000, parse: () => undefined };
}
