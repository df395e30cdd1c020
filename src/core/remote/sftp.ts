import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { isTroubleshooterError, TroubleshooterError } from '../errors';
import { logCall } from '../log';
import type { RemoteCommand } from './command';
import { classifySshError } from './errors';
import { run } from './exec';
import type { SshPool } from './pool';
import { validateAbsolutePath } from './validate';

/**
 * Remote files for editors and quick fixes: read, stat, readdir, write.
 *
 * Writes are atomic (temp file in the same folder, then posix-rename over the original), keep mode and owner,
 * keep a backup, and refuse to overwrite a file that changed since it was read (`FileChanged`).
 *
 * Backups are `<file>.bak-<UTC yyyymmddThhmmssZ>` hard links to the original inode: every edit keeps its own
 * generation (a `~` file would be overwritten by the second edit), the name sorts by time, and it does not end in
 * `.conf`, so `*.conf` include folders (limits.d, systemd drop-ins, nova.conf.d) never load a backup.
 *
 * Root-owned files go through `sudo -n` (cat/stat/mv in a small sh script) when `sudo` is 'always', or 'auto' and
 * SFTP said permission denied. SFTP mtimes have 1 s resolution, so the conflict check compares size, mtime and
 * the SHA-256 of the content that was read.
 */

export interface FileVersion {
  size: number;
  /** Modification time, seconds since the epoch (SFTP v3 resolution). */
  mtime: number;
  /** SHA-256 (hex) of the content. */
  sha256: string;
}

export interface RemoteStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** For symlinks: the type of what it points to (undefined when dangling). */
  targetType?: 'file' | 'directory' | 'other';
  size: number;
  mtime: number;
  /** Permission bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
}

export interface RemoteFile {
  content: Buffer;
  version: FileVersion;
  mode: number;
  uid: number;
  gid: number;
  viaSudo: boolean;
}

export interface WriteResult {
  version: FileVersion;
  /** Path of the backup of the previous content, when there was one. */
  backupPath?: string;
  viaSudo: boolean;
}

export interface RemoteFilesOptions {
  /** 'auto' (default): SFTP first, `sudo -n` on permission denied. */
  sudo?: 'never' | 'auto' | 'always';
  /** Refuse reads above this size. Default 10 MiB. */
  maxReadBytes?: number;
  /** Keep a backup on write. Default true. */
  backup?: boolean;
  /** Clock for backup names (tests). */
  now?: () => Date;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `<file>.bak-20261125T201500Z` */
export function backupName(path: string, now: Date): string {
  return `${path}.bak-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

function typeOf(mode: number): RemoteStat['type'] {
  const t = mode & 0o170000;
  return t === 0o100000 ? 'file' : t === 0o040000 ? 'directory' : t === 0o120000 ? 'symlink' : 'other';
}

function toStat(a: Stats): RemoteStat {
  return { type: typeOf(a.mode), size: a.size, mtime: a.mtime, mode: a.mode & 0o7777, uid: a.uid, gid: a.gid };
}

const NUL_SCAN = 8000;

/** True when the buffer looks binary (a NUL byte in its first 8000 bytes, as git decides). */
export function looksBinary(data: Buffer): boolean {
  return data.subarray(0, NUL_SCAN).includes(0);
}

const SUDO_READ = [
  'p=$1; max=$2',
  '[ -e "$p" ] || { echo "ost-notfound" >&2; exit 91; }',
  '[ -d "$p" ] && { echo "ost-isdir" >&2; exit 92; }',
  '[ -f "$p" ] || { echo "ost-notregular" >&2; exit 94; }',
  's=$(stat -L -c "%s %Y %a %u %g" -- "$p") || exit 1',
  'set -- $s',
  '[ "$1" -le "$max" ] || { echo "ost-toolarge $1" >&2; exit 93; }',
  'printf "%s\\n" "$s"',
  // never more than max + 1 bytes, whatever stat said (the file may grow meanwhile)
  'exec head -c "$((max + 1))" -- "$p"',
].join('\n');

const SUDO_STAT = [
  'p=$1',
  '[ -e "$p" ] || [ -L "$p" ] || { echo "ost-notfound" >&2; exit 91; }',
  'exec stat -c "%s %Y %f %u %g" -- "$p"',
].join('\n');

/** args: path, expected ("" = no check, "-" = must not exist, else "size mtime sha256"), backup suffix ("" = none) */
const SUDO_WRITE = [
  'set -e',
  'p=$1; exp=$2; b=$3; bk=',
  'if [ -L "$p" ]; then p=$(readlink -f -- "$p"); fi',
  'if [ -e "$p" ]; then',
  '  if [ "$exp" = "-" ]; then echo "ost-conflict exists" >&2; exit 90; fi',
  '  if [ -n "$exp" ]; then',
  '    cur="$(stat -c "%s %Y" -- "$p") $(sha256sum < "$p" | cut -d" " -f1)"',
  '    [ "$cur" = "$exp" ] || { echo "ost-conflict $cur" >&2; exit 90; }',
  '  fi',
  'elif [ -n "$exp" ] && [ "$exp" != "-" ]; then echo "ost-conflict deleted" >&2; exit 90; fi',
  'd=$(dirname -- "$p")',
  't=$(mktemp "$d/.$(basename -- "$p").ost-XXXXXX")',
  'trap \'rm -f -- "$t"\' EXIT',
  'cat > "$t"',
  'if [ -e "$p" ]; then',
  '  chmod --reference="$p" -- "$t"; chown --reference="$p" -- "$t"',
  '  if [ -n "$b" ]; then bk="$p$b"; n=2; while [ -e "$bk" ]; do bk="$p$b-$n"; n=$((n+1)); done; ln -- "$p" "$bk"; fi',
  'else chmod 0644 -- "$t"; fi',
  'mv -f -- "$t" "$p"',
  'trap - EXIT',
  'printf "%s %s\\n" "$(stat -c "%s %Y" -- "$p")" "$bk"',
].join('\n');

export class RemoteFiles {
  private readonly sudoMode: 'never' | 'auto' | 'always';
  readonly maxReadBytes: number;
  private readonly backup: boolean;
  private readonly now: () => Date;

  constructor(private readonly pool: SshPool, options: RemoteFilesOptions = {}) {
    this.sudoMode = options.sudo ?? 'auto';
    this.maxReadBytes = options.maxReadBytes ?? 10 * 1024 * 1024;
    this.backup = options.backup ?? true;
    this.now = options.now ?? (() => new Date());
  }

  /** One SFTP call under the pool's deadline, logged once as `> sftp <alias> <what> <path> [ms]`. */
  private async op<T>(alias: string, what: string, path: string, signal: AbortSignal | undefined, fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const started = performance.now();
    const shown = `sftp ${alias} ${what} ${path}`;
    try {
      const { sftp, connection } = await this.pool.sftp(alias, signal);
      const v = await this.pool.withOpDeadline(`SFTP ${what} of "${path}" on "${alias}"`, signal, connection, () => fn(sftp));
      logCall(this.pool.logger, shown, started);
      return v;
    } catch (e) {
      const err = classifySshError(e, { subject: alias, phase: `sftp ${what}`, path });
      logCall(this.pool.logger, shown, started, err);
      throw err;
    }
  }

  private useSudoAfter(e: unknown, force?: boolean): boolean {
    if (force) return true;
    return this.sudoMode === 'auto' && isTroubleshooterError(e, 'PermissionDenied');
  }

  /** lstat, plus the link target's type for symlinks. */
  async stat(alias: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<RemoteStat> {
    const p = validateAbsolutePath(path);
    if (this.sudoMode === 'always') return this.sudoStat(alias, p, opts.signal);
    try {
      return await this.op(alias, 'stat', p, opts.signal, async (sftp) => {
        const st = toStat(await call<Stats>((cb) => sftp.lstat(p, cb)));
        if (st.type === 'symlink') {
          try {
            const t = toStat(await call<Stats>((cb) => sftp.stat(p, cb)));
            st.targetType = t.type === 'symlink' ? 'other' : t.type;
            st.size = t.size;
            st.mtime = t.mtime;
          } catch {
            // dangling link
          }
        }
        return st;
      });
    } catch (e) {
      if (this.useSudoAfter(e)) return this.sudoStat(alias, p, opts.signal);
      throw e;
    }
  }

  async readdir(alias: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<{ name: string; stat: RemoteStat }[]> {
    const p = validateAbsolutePath(path);
    return this.op(alias, 'readdir', p, opts.signal, async (sftp) => {
      const list = await call<{ filename: string; attrs: Stats }[]>((cb) => sftp.readdir(p, cb as never));
      return list.filter((e) => e.filename !== '.' && e.filename !== '..')
        .map((e) => ({ name: e.filename, stat: toStat(e.attrs) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  /**
   * Reads a whole file (bounded by maxReadBytes → FileTooLarge). Text callers get BinaryFile for NUL bytes
   * unless `allowBinary`. The returned version is what `write` checks against.
   */
  async read(alias: string, path: string, opts: { signal?: AbortSignal; allowBinary?: boolean; sudo?: boolean } = {}): Promise<RemoteFile> {
    const p = validateAbsolutePath(path);
    let file: RemoteFile;
    if (opts.sudo || this.sudoMode === 'always') file = await this.sudoRead(alias, p, opts.signal);
    else {
      try {
        file = await this.op(alias, 'read', p, opts.signal, async (sftp) => {
          const st = await call<Stats>((cb) => sftp.stat(p, cb));
          if (typeOf(st.mode) === 'directory') throw new TroubleshooterError('Unsupported', `"${p}" on "${alias}" is a folder.`, { subject: alias, path: p });
          if (typeOf(st.mode) !== 'file') throw notRegular(alias, p);
          this.checkSize(alias, p, st.size);
          const content = await readBounded(sftp, p, this.maxReadBytes, (n) => this.checkSize(alias, p, n), () => notRegular(alias, p));
          return { content, version: { size: content.length, mtime: st.mtime, sha256: sha256(content) }, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, viaSudo: false };
        });
      } catch (e) {
        if (!this.useSudoAfter(e)) throw e;
        file = await this.sudoRead(alias, p, opts.signal);
      }
    }
    if (!opts.allowBinary && looksBinary(file.content)) {
      throw new TroubleshooterError('BinaryFile', `"${p}" on "${alias}" is a binary file.`, { subject: alias, path: p });
    }
    return file;
  }

  private checkSize(alias: string, p: string, size: number) {
    if (size > this.maxReadBytes) {
      throw new TroubleshooterError('FileTooLarge', `"${p}" on "${alias}" is ${(size / 1048576).toFixed(1)} MiB, more than the ${Math.round(this.maxReadBytes / 1048576)} MiB limit.`,
        { subject: alias, path: p, size });
    }
  }

  /**
   * Atomically replaces (or creates) a file. `expected`: the version read (conflict check), null: the file must
   * not exist yet, undefined: no check (only for callers that just created the content themselves).
   */
  async write(alias: string, path: string, content: Buffer, opts: { signal?: AbortSignal; expected?: FileVersion | null; sudo?: boolean; backup?: boolean } = {}): Promise<WriteResult> {
    const p = validateAbsolutePath(path);
    const backup = opts.backup ?? this.backup;
    if (opts.sudo || this.sudoMode === 'always') return this.sudoWrite(alias, p, content, opts.expected, backup, opts.signal);
    try {
      return await this.sftpWrite(alias, p, content, opts.expected, backup, opts.signal);
    } catch (e) {
      if (!this.useSudoAfter(e)) throw e;
      return this.sudoWrite(alias, p, content, opts.expected, backup, opts.signal);
    }
  }

  private async sftpWrite(alias: string, path: string, content: Buffer, expected: FileVersion | null | undefined, backup: boolean, signal?: AbortSignal): Promise<WriteResult> {
    return this.op(alias, 'write', path, signal, async (sftp) => {
      // write through symlinks: replace the file the link points to, not the link
      let real = path;
      let cur: Stats | undefined;
      try {
        cur = await call<Stats>((cb) => sftp.stat(path, cb));
        real = await call<string>((cb) => sftp.realpath(path, cb));
      } catch (e) {
        if (classifySshError(e, { subject: alias }).code !== 'NotFound') throw e;
      }
      await this.checkConflict(alias, path, expected, cur && { size: cur.size, mtime: cur.mtime },
        () => readBounded(sftp, real, this.maxReadBytes, (n) => this.checkSize(alias, real, n), () => notRegular(alias, real)));

      const dir = posix.dirname(real);
      const tmp = posix.join(dir, `.${posix.basename(real)}.ost-${randomBytes(4).toString('hex')}.tmp`);
      const mode = cur ? cur.mode & 0o7777 : 0o644;
      let backupPath: string | undefined;
      try {
        const handle = await call<Buffer>((cb) => sftp.open(tmp, 'wx', { mode }, cb));
        try {
          await writeAll(sftp, handle, content);
          await call<void>((cb) => sftp.fchmod(handle, mode, cb));
          if (cur) {
            try {
              await call<void>((cb) => sftp.fchown(handle, cur!.uid, cur!.gid, cb));
            } catch (e) {
              const st = await call<Stats>((cb) => sftp.fstat(handle, cb));
              if (st.uid !== cur.uid || st.gid !== cur.gid) {
                throw new TroubleshooterError('PermissionDenied', `Cannot keep the owner of "${path}" on "${alias}".`, { subject: alias, path }, { cause: e });
              }
            }
          }
        } finally {
          await call<void>((cb) => sftp.close(handle, cb)).catch(() => undefined);
        }
        if (cur && backup) {
          // a second save within the same second gets -2, -3…: no backup is ever overwritten
          const base = backupName(real, this.now());
          for (let n = 1; ; n++) {
            const candidate = n === 1 ? base : `${base}-${n}`;
            const taken = await call<Stats>((cb) => sftp.lstat(candidate, cb)).then(() => true, () => false);
            if (!taken) { backupPath = candidate; break; }
            if (n >= 100) throw new TroubleshooterError('Conflict', `Too many backups of "${path}" on "${alias}" this second.`, { subject: alias, path });
          }
          await call<void>((cb) => sftp.ext_openssh_hardlink(real, backupPath!, cb));
        }
        await call<void>((cb) => sftp.ext_openssh_rename(tmp, real, cb));
      } catch (e) {
        await call<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
        throw e;
      }
      const st = await call<Stats>((cb) => sftp.stat(real, cb));
      return { version: { size: st.size, mtime: st.mtime, sha256: sha256(content) }, backupPath, viaSudo: false };
    });
  }

  private async checkConflict(alias: string, path: string, expected: FileVersion | null | undefined,
    cur: { size: number; mtime: number } | undefined, readCurrent: () => Promise<Buffer>): Promise<void> {
    if (expected === undefined) return;
    const changed = (why: string) => new TroubleshooterError('FileChanged',
      `"${path}" on "${alias}" changed since it was read (${why}); reload it before saving.`, { subject: alias, path });
    if (expected === null) {
      if (cur) throw changed('it exists now');
      return;
    }
    if (!cur) throw changed('it was deleted');
    if (cur.size !== expected.size || cur.mtime !== expected.mtime) throw changed('size or time differ');
    if (sha256(await readCurrent()) !== expected.sha256) throw changed('content differs');
  }

  // --- sudo paths ----------------------------------------------------------------------------------------------

  private async sudoRun(alias: string, argv: string[], signal: AbortSignal | undefined, input?: Buffer) {
    const cmd: RemoteCommand<string> = { argv, sudo: true, parse: (s) => s };
    return run(this.pool, alias, cmd, { signal, input });
  }

  private mapSudoError(e: unknown, alias: string, path: string): unknown {
    if (!isTroubleshooterError(e, 'CommandFailed')) return e;
    const code = e.details.exitCode;
    const stderr = String(e.details.stderr ?? '');
    if (code === 91) return new TroubleshooterError('NotFound', `No such file on "${alias}": "${path}".`, { subject: alias, path });
    if (code === 92) return new TroubleshooterError('Unsupported', `"${path}" on "${alias}" is a folder.`, { subject: alias, path });
    if (code === 93) {
      const size = Number(/ost-toolarge (\d+)/.exec(stderr)?.[1] ?? 0);
      return new TroubleshooterError('FileTooLarge', `"${path}" on "${alias}" is ${(size / 1048576).toFixed(1)} MiB, more than the ${Math.round(this.maxReadBytes / 1048576)} MiB limit.`, { subject: alias, path, size });
    }
    if (code === 94) return notRegular(alias, path);
    if (code === 90) {
      const why = /ost-conflict (exists|deleted)/.exec(stderr)?.[1];
      return new TroubleshooterError('FileChanged', `"${path}" on "${alias}" changed since it was read (${why === 'exists' ? 'it exists now' : why === 'deleted' ? 'it was deleted' : 'content differs'}); reload it before saving.`, { subject: alias, path });
    }
    return e;
  }

  private async sudoStat(alias: string, path: string, signal?: AbortSignal): Promise<RemoteStat> {
    try {
      const r = await this.sudoRun(alias, ['sh', '-c', SUDO_STAT, 'sh', path], signal);
      const [size, mtime, rawMode, uid, gid] = r.stdout.trim().split(' ');
      const mode = parseInt(rawMode, 16);
      return { type: typeOf(mode), size: Number(size), mtime: Number(mtime), mode: mode & 0o7777, uid: Number(uid), gid: Number(gid) };
    } catch (e) {
      throw this.mapSudoError(e, alias, path);
    }
  }

  private async sudoRead(alias: string, path: string, signal?: AbortSignal): Promise<RemoteFile> {
    try {
      const r = await this.sudoRun(alias, ['sh', '-c', SUDO_READ, 'sh', path, String(this.maxReadBytes)], signal);
      const nl = r.stdoutBytes.indexOf(0x0a);
      const [, mtime, mode, uid, gid] = r.stdoutBytes.subarray(0, nl).toString('utf8').split(' ');
      const content = r.stdoutBytes.subarray(nl + 1);
      this.checkSize(alias, path, content.length);
      return { content, version: { size: content.length, mtime: Number(mtime), sha256: sha256(content) }, mode: parseInt(mode, 8), uid: Number(uid), gid: Number(gid), viaSudo: true };
    } catch (e) {
      throw this.mapSudoError(e, alias, path);
    }
  }

  private async sudoWrite(alias: string, path: string, content: Buffer, expected: FileVersion | null | undefined, backup: boolean, signal?: AbortSignal): Promise<WriteResult> {
    const exp = expected === undefined ? '' : expected === null ? '-' : `${expected.size} ${expected.mtime} ${expected.sha256}`;
    const suffix = backup ? backupName('', this.now()) : '';
    try {
      const r = await this.sudoRun(alias, ['sh', '-c', SUDO_WRITE, 'sh', path, exp, suffix], signal, content);
      const m = /^(\d+) (\d+) (.*)$/.exec(r.stdout.replace(/\n$/, ''));
      if (!m) throw new TroubleshooterError('CommandFailed', `Unexpected answer while writing "${path}" on "${alias}".`, { subject: alias, path });
      return {
        version: { size: Number(m[1]), mtime: Number(m[2]), sha256: sha256(content) },
        backupPath: m[3] || undefined,
        viaSudo: true,
      };
    } catch (e) {
      throw this.mapSudoError(e, alias, path);
    }
  }

  async mkdir(alias: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const p = validateAbsolutePath(path);
    await this.op(alias, 'mkdir', p, opts.signal, (sftp) => call<void>((cb) => sftp.mkdir(p, cb)));
  }

  /** Deletes a file (or an empty folder). */
  async delete(alias: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const p = validateAbsolutePath(path);
    await this.op(alias, 'delete', p, opts.signal, async (sftp) => {
      const st = await call<Stats>((cb) => sftp.lstat(p, cb));
      if (typeOf(st.mode) === 'directory') await call<void>((cb) => sftp.rmdir(p, cb));
      else await call<void>((cb) => sftp.unlink(p, cb));
    });
  }

  async rename(alias: string, from: string, to: string, opts: { signal?: AbortSignal; overwrite?: boolean } = {}): Promise<void> {
    const a = validateAbsolutePath(from);
    const b = validateAbsolutePath(to);
    await this.op(alias, 'rename', `${a} -> ${b}`, opts.signal, async (sftp) => {
      if (opts.overwrite) await call<void>((cb) => sftp.ext_openssh_rename(a, b, cb));
      else await call<void>((cb) => sftp.rename(a, b, cb));
    });
  }
}

function call<T>(fn: (cb: (err: Error | undefined | null, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, v) => (err ? reject(err) : resolve(v)));
    } catch (e) {
      reject(e);
    }
  });
}

function notRegular(alias: string, p: string): TroubleshooterError {
  return new TroubleshooterError('Unsupported', `Not a regular file on "${alias}" (a device, FIFO or socket is never read): "${p}".`, { subject: alias, path: p });
}

/**
 * Reads a regular file through an open handle, at most `max` + 1 bytes whatever stat said (a device reports size 0
 * and never ends; a file may grow while read): `tooLarge(n)` throws past `max`.
 */
async function readBounded(sftp: SFTPWrapper, p: string, max: number, tooLarge: (n: number) => void, notFile: () => Error): Promise<Buffer> {
  const handle = await call<Buffer>((cb) => sftp.open(p, 'r', cb));
  try {
    const st = await call<Stats>((cb) => sftp.fstat(handle, cb));
    if (typeOf(st.mode) !== 'file') throw notFile(); // replaced between stat and open
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(32 * 1024, max + 1 - total));
      const n = await call<number>((cb) => sftp.read(handle, buf, 0, buf.length, total, cb as never));
      if (!n) return Buffer.concat(parts, total);
      parts.push(buf.subarray(0, n));
      total += n;
      if (total > max) tooLarge(total);
    }
  } finally {
    await call<void>((cb) => sftp.close(handle, cb)).catch(() => undefined);
  }
}

async function writeAll(sftp: SFTPWrapper, handle: Buffer, data: Buffer): Promise<void> {
  const chunk = 32 * 1024;
  let pos = 0;
  if (data.length === 0) return;
  while (pos < data.length) {
    const n = Math.min(chunk, data.length - pos);
    await call<void>((cb) => sftp.write(handle, data, pos, n, pos, cb as never));
    pos += n;
  }
}
