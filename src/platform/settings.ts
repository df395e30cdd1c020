import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Typed, flat settings (each key has a default and a description in package.json). Paths get ~ expanded. */
export class Settings {
  private get cfg() {
    return vscode.workspace.getConfiguration('openstack');
  }
  private str(key: string): string {
    return this.cfg.get<string>(key, '') ?? '';
  }
  private num(key: string, dflt: number): number {
    const v = this.cfg.get<number>(key, dflt);
    return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
  }
  /** Explicit clouds.yaml, or undefined for the openstacksdk search order. */
  get cloudsYamlPath(): string | undefined {
    return expand(this.str('cloudsYamlPath')) || undefined;
  }
  get sshConfigFile(): string {
    return expand(this.str('ssh.configFile')) || path.join(os.homedir(), '.ssh', 'config');
  }
  get knownHostsFile(): string | undefined {
    return expand(this.str('ssh.knownHostsFile')) || undefined;
  }
  get sshConnectTimeoutMs(): number {
    return this.num('ssh.connectTimeoutSeconds', 10) * 1000;
  }
  get sshCommandTimeoutMs(): number {
    return this.num('ssh.commandTimeoutSeconds', 60) * 1000;
  }
  get sshIdleCloseMs(): number {
    return this.num('ssh.idleCloseSeconds', 300) * 1000;
  }
  get sshMaxChannelsPerHost(): number {
    return this.num('ssh.maxChannelsPerHost', 8);
  }
  get hostTemplate(): string {
    return this.str('hosts.template') || '{host}';
  }
  get hostMap(): Record<string, string> {
    return this.cfg.get<Record<string, string>>('hosts.map', {}) ?? {};
  }
  get httpTimeoutMs(): number {
    return this.num('http.timeoutSeconds', 30) * 1000;
  }
  get explorerGroupBy(): 'project' | 'host' | 'status' | 'none' {
    return this.cfg.get('explorer.groupBy', 'host');
  }
  get explorerPageSize(): number {
    return this.num('explorer.pageSize', 200);
  }
  get explorerPollMs(): number {
    return this.num('explorer.pollSeconds', 60) * 1000;
  }
  get explorerTransitionalPollMs(): number {
    return this.num('explorer.transitionalPollSeconds', 5) * 1000;
  }
  get logsWindowMinutes(): number {
    return this.num('logs.windowMinutes', 30);
  }
  get logsFollowBufferLines(): number {
    return this.num('logs.followBufferLines', 20000);
  }
  get logsSources(): Record<string, string[]> {
    return this.cfg.get<Record<string, string[]>>('logs.sources', {}) ?? {};
  }
  /** OpenStack host name of the database server for the MySQL check; undefined: ask. */
  /** The user's failure signatures file (machine scope: a workspace does not choose it). */
  get diagnoseSignaturesFile(): string | undefined {
    return expand(this.str('diagnose.signaturesFile')) || undefined;
  }
  get databaseHost(): string | undefined {
    return this.str('checks.databaseHost') || undefined;
  }
  onDidChange(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('openstack')) listener(e);
    });
  }
}

function expand(p: string): string {
  if (!p) return p;
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  if (p.includes('${workspaceFolder}')) {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    return p.replaceAll('${workspaceFolder}', ws);
  }
  return p;
}
