import * as vscode from 'vscode';
import { isCancelled, isTroubleshooterError, TroubleshooterError } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { FileVersion, RemoteFiles, RemoteStat } from '../../core/remote/sftp';

/**
 * `openstack-sftp://<ssh alias>/<absolute path>`: remote files in ordinary editor tabs (config doctor, explorer
 * "open file"), over the core's RemoteFiles: atomic writes with a backup, mode/owner kept, `sudo -n` for
 * root-owned files, and a conflict check against the version this provider read (VS Code's own mtime check
 * only sees 1 s SFTP mtimes; ours also compares the content hash).
 */
export const SFTP_SCHEME = 'openstack-sftp';

/** The typed codec of the scheme. */
export function sftpUri(host: string, path: string): vscode.Uri {
  if (!host || /[\s/@?#]/.test(host)) throw new TroubleshooterError('InvalidInput', `Invalid SSH host "${host}".`);
  if (!path.startsWith('/')) throw new TroubleshooterError('InvalidInput', `Invalid absolute path "${path}".`);
  return vscode.Uri.from({ scheme: SFTP_SCHEME, authority: host, path });
}

export function parseSftpUri(uri: vscode.Uri): { host: string; path: string } {
  if (uri.scheme !== SFTP_SCHEME || !uri.authority) {
    throw vscode.FileSystemError.FileNotFound(uri);
  }
  return { host: uri.authority, path: uri.path || '/' };
}

/** TroubleshooterError → FileSystemError (the workbench shows `message`; codes drive its behaviour). */
export function toFileSystemError(e: unknown, uri: vscode.Uri): Error {
  if (e instanceof vscode.FileSystemError) return e;
  if (!isTroubleshooterError(e)) return new vscode.FileSystemError(e instanceof Error ? e.message : String(e));
  switch (e.code) {
    case 'NotFound': return vscode.FileSystemError.FileNotFound(uri);
    case 'PermissionDenied':
    case 'SudoPasswordRequired': return vscode.FileSystemError.NoPermissions(e.message);
    case 'HostUnreachable':
    case 'ConnectionLost':
    case 'Timeout':
    case 'Cancelled':
    case 'AuthFailed':
    case 'HostKeyUnknown':
    case 'HostKeyMismatch':
    case 'HostKeyRevoked': return vscode.FileSystemError.Unavailable(e.message);
    default: return new vscode.FileSystemError(e.message);
  }
}

function fileType(st: RemoteStat): vscode.FileType {
  const t = st.type === 'symlink' ? st.targetType : st.type;
  const base = t === 'file' ? vscode.FileType.File : t === 'directory' ? vscode.FileType.Directory : vscode.FileType.Unknown;
  return st.type === 'symlink' ? base | vscode.FileType.SymbolicLink : base;
}

/** Workspace start-up probes that are never there on a host; not worth a log line each. */
const QUIET_NOT_FOUND = /\/(\.vscode|\.git|node_modules|pom\.xml|\.devcontainer|package\.json)(\/|$)/;

export class SftpFileSystemProvider implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  /** The version read per URI: a save is refused (FileChanged) when the host's file differs from it. */
  private readonly versions = new Map<string, FileVersion>();
  /**
   * What this window last wrote per URI. One backup per editing session: the first save keeps the host's original
   * beside it; later saves of our own text (auto save writes every second) keep no more backups, until someone
   * else changes the file on the host.
   */
  private readonly ownWrites = new Map<string, FileVersion>();

  constructor(private readonly files: () => RemoteFiles, private readonly logger: Logger) {}

  /** Host files change without events; VS Code re-stats on focus and our save checks the version. */
  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { host, path } = parseSftpUri(uri);
    const st = await this.call(uri, () => this.files().stat(host, path));
    return {
      type: fileType(st),
      ctime: st.mtime * 1000,
      mtime: st.mtime * 1000,
      size: st.size,
    };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const { host, path } = parseSftpUri(uri);
    const list = await this.call(uri, () => this.files().readdir(host, path));
    return list.map((e) => [e.name, fileType(e.stat)]);
  }

  async createDirectory(uri: vscode.Uri): Promise<void> {
    const { host, path } = parseSftpUri(uri);
    await this.call(uri, () => this.files().mkdir(host, path));
    this.emitter.fire([{ type: vscode.FileChangeType.Created, uri }]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { host, path } = parseSftpUri(uri);
    const f = await this.call(uri, () => this.files().read(host, path, { allowBinary: true }));
    const key = uri.toString();
    this.versions.set(key, f.version);
    const own = this.ownWrites.get(key);
    if (own && own.sha256 !== f.version.sha256) this.ownWrites.delete(key);
    return f.content;
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    const { host, path } = parseSftpUri(uri);
    const key = uri.toString();
    let expected: FileVersion | null | undefined = this.versions.get(key);
    if (!expected || !options.overwrite || !options.create) {
      // Not read through us (Save As, a new file), or flags to honour: decide from the host's current state.
      const exists = await this.files().stat(host, path).then(() => true, (e) => {
        if (isTroubleshooterError(e, 'NotFound')) return false;
        throw toFileSystemError(e, uri);
      });
      if (exists && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
      if (!exists && !options.create) throw vscode.FileSystemError.FileNotFound(uri);
      if (!exists) expected = null;
      else if (!expected) expected = undefined; // overwrite confirmed by the user in the workbench
    }
    const own = this.ownWrites.get(key);
    const backup = !(own && expected && own.sha256 === expected.sha256);
    const r = await this.call(uri, () => this.files().write(host, path, Buffer.from(content), { expected, backup }));
    this.versions.set(key, r.version);
    this.ownWrites.set(key, r.version);
    if (r.backupPath) this.logger.info(`Saved "${path}" on "${host}"; previous version kept as "${r.backupPath}".`);
    this.emitter.fire([{ type: expected === null ? vscode.FileChangeType.Created : vscode.FileChangeType.Changed, uri }]);
  }

  async delete(uri: vscode.Uri, options: { recursive: boolean }): Promise<void> {
    const { host, path } = parseSftpUri(uri);
    if (options.recursive) {
      const st = await this.call(uri, () => this.files().stat(host, path));
      if (st.type === 'directory' && (await this.files().readdir(host, path)).length > 0) {
        throw vscode.FileSystemError.NoPermissions('Deleting a non-empty folder on a host is not supported.');
      }
    }
    await this.call(uri, () => this.files().delete(host, path));
    this.versions.delete(uri.toString());
    this.emitter.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  async rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { overwrite: boolean }): Promise<void> {
    const a = parseSftpUri(oldUri);
    const b = parseSftpUri(newUri);
    if (a.host !== b.host) throw vscode.FileSystemError.NoPermissions('Moving files between hosts is not supported.');
    await this.call(oldUri, () => this.files().rename(a.host, a.path, b.path, { overwrite: options.overwrite }));
    this.versions.delete(oldUri.toString());
    this.emitter.fire([{ type: vscode.FileChangeType.Deleted, uri: oldUri }, { type: vscode.FileChangeType.Created, uri: newUri }]);
  }

  /** Forgets the version read (after "Revert File" the next read sets it again). */
  forget(uri: vscode.Uri): void {
    this.versions.delete(uri.toString());
  }

  private async call<T>(uri: vscode.Uri, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      const quiet = isCancelled(e) || (isTroubleshooterError(e, 'NotFound') && QUIET_NOT_FOUND.test(uri.path));
      if (!quiet) this.logger.warn(`${uri.toString(true)}: ${e instanceof Error ? e.message : String(e)}`);
      throw toFileSystemError(e, uri);
    }
  }
}
