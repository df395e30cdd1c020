import { isTroubleshooterError } from '../errors';
import { textCommand, type RemoteCommand } from '../remote/command';
import { run } from '../remote/exec';
import type { SshPool } from '../remote/pool';
import { RemoteFiles } from '../remote/sftp';
import type { HostCommandRunner } from './apply-to-hosts';
import type { ConfigFileStore, FileVersion, StoredFile, WriteResult } from './file-store';
import { decodeConfigBytes, MAX_CONFIG_BYTES } from './lint';
import type { HostCommand } from './model';
import type { ConfigProbe } from './restart-pending';

/**
 * ConfigFileStore over SSH/SFTP (src/core/remote): the same guarantees as the local store — atomic write,
 * `.bak-<stamp>` backup, mode/owner kept, FileChanged when the file moved on since it was read; `sudo -n` when
 * SFTP is denied. `host` is an SSH alias.
 */
export class SftpConfigFileStore implements ConfigFileStore {
  readonly files: RemoteFiles;

  constructor(pool: SshPool, files?: RemoteFiles) {
    this.files = files ?? new RemoteFiles(pool, { maxReadBytes: MAX_CONFIG_BYTES, now: distinctSeconds });
  }

  async read(host: string, path: string, signal?: AbortSignal): Promise<StoredFile> {
    try {
      const f = await this.files.read(host, path, { signal });
      return { text: decodeConfigBytes(f.content, `${host}:${path}`), version: { sha256: f.version.sha256, size: f.version.size, mtimeMs: f.version.mtime * 1000 }, mode: f.mode };
    } catch (e) {
      if (isTroubleshooterError(e, 'NotFound')) return { text: undefined, version: null };
      throw e;
    }
  }

  async list(host: string, dir: string, signal?: AbortSignal): Promise<string[] | undefined> {
    try {
      return (await this.files.readdir(host, dir, { signal })).map((e) => e.name);
    } catch {
      return undefined;
    }
  }

  async write(host: string, path: string, text: string, expected: FileVersion | null, signal?: AbortSignal): Promise<WriteResult> {
    if (expected === null) {
      // A new drop-in: its folder may not exist yet.
      const dir = path.slice(0, path.lastIndexOf('/')) || '/';
      await this.files.mkdir(host, dir, { signal }).catch(() => undefined);
    }
    // a UTF-8 byte order mark survives: decoding dropped it from `text` (one more read, only for an existing file)
    let bom = false;
    if (expected !== null && !text.startsWith('\uFEFF')) {
      const cur = await this.files.read(host, path, { signal, allowBinary: true }).catch(() => undefined);
      bom = cur !== undefined && cur.content[0] === 0xef && cur.content[1] === 0xbb && cur.content[2] === 0xbf;
    }
    const data = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
    const r = await this.files.write(host, path, data, {
      signal,
      expected: expected === null ? null : { size: expected.size, mtime: Math.round(expected.mtimeMs / 1000), sha256: expected.sha256 },
    });
    return { backupPath: r.backupPath, version: { sha256: r.version.sha256, size: r.version.size, mtimeMs: r.version.mtime * 1000 } };
  }
}

let lastSecond = 0;
/**
 * Backup names have one-second resolution (`.bak-20261125T201500Z`) and the SFTP layer hard-links the old file to
 * that name, which fails when a second write of the same file lands in the same second (apply a fix, then the
 * next one). A clock that never returns the same second twice keeps every generation.
 */
function distinctSeconds(): Date {
  const s = Math.max(Math.floor(Date.now() / 1000), lastSecond + 1);
  lastSecond = s;
  return new Date(s * 1000);
}

/** Runs a config probe (restart-pending facts) on a host over the pool. */
export function sshProbeRunner(pool: SshPool, host: string, signal?: AbortSignal) {
  return async <T>(probe: ConfigProbe<T> & { okExitCodes?: number[] }): Promise<T> => (await run(pool, host, probe, { signal })).value;
}

/** Runs HostCommands (systemctl restart …) over the pool, sudo as the command says; no shell string. */
export function sshCommandRunner(pool: SshPool): HostCommandRunner {
  return {
    async run(host: string, command: HostCommand, signal?: AbortSignal) {
      const cmd: RemoteCommand<string> = { ...textCommand(command.argv, { sudo: command.sudo, timeoutMs: 120_000 }), okExitCodes: Array.from({ length: 256 }, (_, i) => i) };
      const r = await run(pool, host, cmd, { signal });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/** Open-files limits of a running process: `cat /proc/<pid>/limits` → {soft, hard} ("unlimited" → Infinity). */
export function processNofileCommand(pid: number): RemoteCommand<{ soft: number; hard: number } | undefined> {
  return {
    argv: ['cat', `/proc/${Math.trunc(pid)}/limits`],
    timeoutMs: 10_000,
    parse: (out) => parseProcLimitsNofile(out),
  };
}

export function parseProcLimitsNofile(text: string): { soft: number; hard: number } | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m[1]), hard: n(m[2]) };
}
