/**
 * The few `vscode` API pieces the openstack-sftp FileSystemProvider touches, for running it in plain Node
 * against the lab (the extension-host suite runs the real thing). Semantics follow vscode.d.ts 1.100.
 */
export enum FileType { Unknown = 0, File = 1, Directory = 2, SymbolicLink = 64 }
export enum FileChangeType { Changed = 1, Created = 2, Deleted = 3 }

export class Uri {
  private constructor(readonly scheme: string, readonly authority: string, readonly path: string) {}
  static from(c: { scheme: string; authority?: string; path?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '');
  }
  toString(_skipEncoding?: boolean): string {
    return `${this.scheme}://${this.authority}${this.path}`;
  }
}

export class FileSystemError extends Error {
  constructor(messageOrUri?: string | Uri, readonly code = 'Unknown') {
    super(typeof messageOrUri === 'string' ? messageOrUri : messageOrUri ? `${code}: ${messageOrUri.toString()}` : code);
  }
  static FileNotFound(m?: string | Uri) { return new FileSystemError(m, 'FileNotFound'); }
  static FileExists(m?: string | Uri) { return new FileSystemError(m, 'FileExists'); }
  static FileNotADirectory(m?: string | Uri) { return new FileSystemError(m, 'FileNotADirectory'); }
  static FileIsADirectory(m?: string | Uri) { return new FileSystemError(m, 'FileIsADirectory'); }
  static NoPermissions(m?: string | Uri) { return new FileSystemError(m, 'NoPermissions'); }
  static Unavailable(m?: string | Uri) { return new FileSystemError(m, 'Unavailable'); }
}

export class Disposable {
  constructor(private readonly fn: () => void) {}
  dispose() { this.fn(); }
}

export class EventEmitter<T> {
  private readonly listeners: ((e: T) => void)[] = [];
  readonly event = (l: (e: T) => void) => {
    this.listeners.push(l);
    return new Disposable(() => this.listeners.splice(this.listeners.indexOf(l), 1));
  };
  fire(e: T) { for (const l of [...this.listeners]) l(e); }
  dispose() { this.listeners.length = 0; }
}

export const registered: { scheme: string; provider: unknown; options: unknown }[] = [];
export const workspace = {
  registerFileSystemProvider(scheme: string, provider: unknown, options: unknown) {
    const entry = { scheme, provider, options };
    registered.push(entry);
    return new Disposable(() => registered.splice(registered.indexOf(entry), 1));
  },
};
