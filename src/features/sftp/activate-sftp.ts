import * as vscode from 'vscode';
import type { Logger } from '../../core/log';
import type { SshPool } from '../../core/remote/pool';
import { RemoteFiles, type RemoteFilesOptions } from '../../core/remote/sftp';
import { SFTP_SCHEME, SftpFileSystemProvider } from './sftp-file-system';

export interface SftpServices {
  /** The extension's pool, or a getter when the pool is rebuilt on settings changes (platform/ssh.ts). */
  pool: SshPool | (() => SshPool);
  logger: Logger;
  /** How root-owned files are handled; read on every call. Default 'auto' (SFTP, then `sudo -n` on EACCES). */
  sudo?: () => RemoteFilesOptions['sudo'];
  /** Reads above this size are refused. Default 10 MiB. */
  maxReadBytes?: number;
}

/** Registers the `openstack-sftp:` file system. Returns one Disposable. */
export function activateSftp(services: SftpServices): vscode.Disposable & { provider: SftpFileSystemProvider } {
  const getPool = typeof services.pool === 'function' ? services.pool : () => services.pool as SshPool;
  let cached: { pool: SshPool; sudo: RemoteFilesOptions['sudo']; files: RemoteFiles } | undefined;
  const files = () => {
    const pool = getPool();
    const sudo = services.sudo?.() ?? 'auto';
    if (!cached || cached.pool !== pool || cached.sudo !== sudo) {
      cached = { pool, sudo, files: new RemoteFiles(pool, { sudo, maxReadBytes: services.maxReadBytes }) };
    }
    return cached.files;
  };
  const provider = new SftpFileSystemProvider(files, services.logger);
  const registration = vscode.workspace.registerFileSystemProvider(SFTP_SCHEME, provider, { isCaseSensitive: true });
  return Object.assign(new vscode.Disposable(() => registration.dispose()), { provider });
}
