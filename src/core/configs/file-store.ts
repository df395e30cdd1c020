import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { TroubleshooterError, throwIfAborted } from '../errors';
import { readRegularFile } from '../local-file';
import { decodeConfigBytes, MAX_CONFIG_BYTES, tooLargeError } from './lint';
import type { ConfigReader } from './option-file';

/** Identity of a file's content at read time; a write is refused when the file no longer matches it. */
export interface FileVersion {
  sha256: string;
  size: number;
  mtimeMs: number;
}

export interface StoredFile {
  /** Undefined when the file does not exist (a drop-in to create). */
  text: string | undefined;
  /** Null when the file does not exist. */
  version: FileVersion | null;
  /** Permission bits (e.g. 0o644), when it exists. */
  mode?: number;
}

export interface WriteResult {
  /** Where the previous content was saved (none when the file was created). */
  backupPath?: string;
  version: FileVersion;
}

/**
 * Where config files are read and written: the local file system, or a host over SFTP (src/core/remote plugs in
 * with the same guarantees). `host` is an SSH target name, or "local".
 *
 * Guarantees of `write`: atomic (temp file in the same directory + rename), the previous content kept as
 * `<path>.bak-<UTC stamp>` beside it (a name no `!includedir`, limits.d or systemd drop-in directory reads),
 * mode and owner preserved, and a `FileChanged` error — nothing written — when the file is not `expected` any more
 * (`expected: null` = it must not exist yet).
 */
export interface ConfigFileStore {
  read(host: string, path: string, signal?: AbortSignal): Promise<StoredFile>;
  write(host: string, path: string, text: string, expected: FileVersion | null, signal?: AbortSignal): Promise<WriteResult>;
}

export function versionOf(bytes: Uint8Array, mtimeMs: number): FileVersion {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, mtimeMs };
}

/** `<file>.bak-20261125T201500Z`, the same scheme as the SFTP layer (src/core/remote/sftp.ts). */
export function backupName(path: string, now = new Date()): string {
  return `${path}.bak-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

function fsError(e: unknown, path: string, action: string): TroubleshooterError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return new TroubleshooterError('PermissionDenied', `Permission denied to ${action} "${path}".`, { subject: path }, { cause: e });
  if (code === 'ENOENT') return new TroubleshooterError('NotFound', `No such file or directory: "${path}".`, { subject: path }, { cause: e });
  if (code === 'EISDIR') return new TroubleshooterError('InvalidInput', `This is a directory, not a file: "${path}".`, { subject: path }, { cause: e });
  return new TroubleshooterError('CommandFailed', `Could not ${action} "${path}": ${(e as Error)?.message ?? String(e)}.`, { subject: path }, { cause: e });
}

/** The local file system (host is ignored). `root` maps absolute paths below another directory (tests, chroots). */
export class LocalConfigFileStore implements ConfigFileStore {
  constructor(private readonly root = '/') {}

  private real(path: string): string {
    return this.root === '/' ? path : join(this.root, path);
  }

  async read(_host: string, path: string, signal?: AbortSignal): Promise<StoredFile> {
    throwIfAborted(signal, `Reading "${path}"`);
    let r;
    try {
      // only regular files, at most MAX_CONFIG_BYTES: /dev/zero, a FIFO or /dev/stdin are refused, not read
      r = await readRegularFile(this.real(path), { maxBytes: MAX_CONFIG_BYTES, shownAs: path, tooLarge: (size) => tooLargeError(size, path) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { text: undefined, version: null };
      if (e instanceof TroubleshooterError) throw e;
      throw fsError(e, path, 'read');
    }
    return { text: decodeConfigBytes(r.bytes, path), version: versionOf(r.bytes, r.stat.mtimeMs), mode: r.stat.mode & 0o7777 };
  }

  /** Saves the old content beside the (real) file under a name that does not exist yet (never overwrites a backup). */
  private async writeBackup(real: string, bytes: Buffer, mode: number): Promise<string> {
    const base = backupName(real);
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? base : `${base}-${n}`;
      try {
        await fs.writeFile(candidate, bytes, { mode, flag: 'wx' });
        return candidate;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw e;
      }
    }
  }

  /** Names in a directory (undefined when it does not exist or cannot be read). */
  async list(_host: string, dir: string): Promise<string[] | undefined> {
    try {
      return await fs.readdir(this.real(dir));
    } catch {
      return undefined;
    }
  }

  /** Where a write of `path` lands: through symlinks (Debian's my.cnf → /etc/alternatives/my.cnf → mariadb.cnf), to the file they point to. */
  private async target(path: string): Promise<{ real: string; shown: string }> {
    const real = this.real(path);
    let resolved: string;
    try {
      if (!(await fs.lstat(real)).isSymbolicLink()) return { real, shown: path };
      resolved = await fs.realpath(real);
    } catch {
      return { real, shown: path }; // missing (a drop-in to create) or a dangling link: written where named
    }
    const root = this.root === '/' ? '' : this.root.replace(/\/+$/, '');
    const shown = !root ? resolved : resolved.startsWith(`${root}/`) ? resolved.slice(root.length) : resolved;
    return { real: resolved, shown };
  }

  async write(_host: string, path: string, text: string, expected: FileVersion | null, signal?: AbortSignal): Promise<WriteResult> {
    throwIfAborted(signal, `Writing "${path}"`);
    // the file a symlink points to is replaced, the link stays a link
    const { real, shown } = await this.target(path);
    const dir = dirname(real);
    const check = async (): Promise<{ mode: number; uid: number; gid: number; bytes: Buffer } | null> => {
      let st;
      try {
        st = await fs.stat(real);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(e, path, 'read');
        if (expected !== null) throw new TroubleshooterError('FileChanged', `The file was deleted since it was read; nothing was written: "${path}".`, { subject: path });
        return null;
      }
      if (expected === null) throw new TroubleshooterError('FileChanged', `The file was created by someone else since it was checked; nothing was written: "${path}".`, { subject: path });
      const bytes = await readRegularFile(real, { maxBytes: MAX_CONFIG_BYTES, shownAs: path, tooLarge: (size) => tooLargeError(size, path) }).then(
        (r) => r.bytes,
        (e) => {
          throw e instanceof TroubleshooterError ? e : fsError(e, path, 'read');
        },
      );
      if (versionOf(bytes, st.mtimeMs).sha256 !== expected.sha256) {
        throw new TroubleshooterError('FileChanged', `The file changed since it was read; nothing was written. Reload it and apply the fix again: "${path}".`, { subject: path });
      }
      return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, bytes };
    };
    const before = await check();
    if (before === null) await fs.mkdir(dir, { recursive: true }).catch((e) => {
      throw fsError(e, dirname(path), 'create the directory');
    });
    const tmp = join(dir, `.${basename(real)}.${randomBytes(6).toString('hex')}.tmp`);
    // a UTF-8 byte order mark survives: decoding dropped it from `text`, so it is put back
    const bom = before !== null && before.bytes[0] === 0xef && before.bytes[1] === 0xbb && before.bytes[2] === 0xbf && !text.startsWith('\uFEFF');
    const data = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
    try {
      const fh = await fs.open(tmp, 'wx', before?.mode ?? 0o644);
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (before) {
        await fs.chmod(tmp, before.mode);
        if (process.getuid?.() === 0) await fs.chown(tmp, before.uid, before.gid);
      }
      let backupPath: string | undefined;
      if (before) {
        // Re-check right before replacing: the window for a lost update is the rename alone.
        const again = await check();
        if (!again) throw new TroubleshooterError('FileChanged', `The file was deleted while it was being written; nothing was written: "${path}".`, { subject: path });
        const backupReal = await this.writeBackup(real, before.bytes, before.mode);
        if (process.getuid?.() === 0) await fs.chown(backupReal, before.uid, before.gid);
        backupPath = shown + backupReal.slice(real.length);
      }
      await fs.rename(tmp, real);
      const st = await fs.stat(real);
      return { backupPath, version: versionOf(data, st.mtimeMs) };
    } catch (e) {
      await fs.rm(tmp, { force: true });
      if (e instanceof TroubleshooterError) throw e;
      throw fsError(e, path, 'write');
    }
  }
}

/** A ConfigReader over the local file system (optionally below `root`). Unreadable files read as absent. */
export function localReader(root = '/'): ConfigReader {
  const real = (p: string) => (root === '/' ? p : join(root, p));
  return {
    async read(path) {
      try {
        const { bytes } = await readRegularFile(real(path), { maxBytes: MAX_CONFIG_BYTES });
        return bytes.includes(0) ? undefined : bytes.toString('utf8');
      } catch {
        return undefined;
      }
    },
    async list(dir) {
      try {
        return await fs.readdir(real(dir));
      } catch {
        return undefined;
      }
    },
  };
}
