import * as vscode from 'vscode';
import type { ErrorCode } from '../../core/errors';
import type { CloudConfig } from '../../core/openstack/clouds-config';
import type { CloudSession } from './cloud-session';

/** A cloud in the Clouds view: `os.cloud.active` / `os.cloud.inactive`. Clicking it makes it active. */
export class CloudNode {
  constructor(readonly name: string, readonly active: boolean) {}
  get id(): string {
    return `cloud/${this.name}`;
  }
}

export class CloudDetailNode {
  constructor(readonly id: string, readonly label: string, readonly value: string, readonly tooltip?: string) {}
}

type Node = CloudNode | CloudDetailNode;

/** The Clouds view: every cloud of clouds.yaml (and the OS_* cloud), the active one marked, its details below it. */
export class CloudsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly session: CloudSession) {
    this.sub = session.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n instanceof CloudNode) {
      const ti = new vscode.TreeItem(n.name, n.active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      ti.id = n.id;
      ti.contextValue = `os.cloud.${n.active ? 'active' : 'inactive'}`;
      ti.iconPath = new vscode.ThemeIcon(n.active ? 'pass-filled' : 'cloud');
      ti.description = n.active ? 'active' : undefined;
      if (!n.active) ti.command = { command: 'openstack.clouds.switch', title: 'Switch to Cloud', arguments: [n] };
      return ti;
    }
    const ti = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
    ti.id = n.id;
    ti.description = n.value;
    ti.tooltip = n.tooltip ?? `${n.label}: ${n.value}`;
    ti.contextValue = 'os.cloudDetail';
    return ti;
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (!n) {
      const active = this.session.activeCloud;
      return this.session.listClouds().map((name) => new CloudNode(name, name === active));
    }
    if (!(n instanceof CloudNode)) return [];
    let cfg: CloudConfig;
    let secretElsewhere: boolean;
    try {
      // Never prompts for a password just to show details.
      ({ config: cfg, secretElsewhere } = this.session.describe(n.name));
    } catch (e) {
      return [new CloudDetailNode(`${n.id}/error`, 'Configuration', e instanceof Error ? e.message : String(e))];
    }
    const a = cfg.auth;
    const rows: [string, string | undefined][] = [
      ['Auth URL', a.authUrl],
      ['Region', cfg.regionName ?? '(default)'],
      ['Project', a.projectName ?? a.projectId ?? (a.systemScope ? `system: ${a.systemScope}` : undefined)],
      ['User', a.username ?? a.userId ?? (a.applicationCredentialId ? `application credential ${a.applicationCredentialId}` : undefined)],
      ['Interface', cfg.interface],
      ['From', cfg.source ?? 'OS_* environment variables'],
      [cfg.authType === 'v3applicationcredential' ? 'Secret' : 'Password', secretElsewhere ? 'in secret storage (asked on first use)' : undefined],
    ];
    return rows.filter(([, v]) => v).map(([k, v]) => new CloudDetailNode(`${n.id}/${k}`, k, v!));
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

/** What the status bar says when connecting fails, by error code (the full one-line error is in the tooltip). */
const FAILURE: Partial<Record<ErrorCode, string>> = {
  AuthFailed: 'credentials refused',
  Unauthorized: 'credentials refused',
  HostUnreachable: 'unreachable',
  Timeout: 'not answering',
  TlsError: 'TLS error',
  ConfigInvalid: 'invalid configuration',
  EndpointNotFound: 'no identity endpoint',
};

/**
 * `$(cloud) lab · RegionOne` in the status bar; click to switch. When the last connect to the active cloud failed:
 * `$(error) lab · RegionOne: credentials refused` on the error background, the one-line error in the tooltip.
 */
export class CloudStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('openstack.cloud', vscode.StatusBarAlignment.Left, 10);
  private readonly subs: vscode.Disposable[];

  constructor(private readonly session: CloudSession) {
    this.item.name = 'OpenStack Cloud';
    this.item.command = 'openstack.clouds.switch';
    this.subs = [session.onDidChange(() => void this.update()), session.onDidChangeState(() => void this.update())];
    void this.update();
  }

  /** What the item shows (tests read it: an extension cannot read another's status bar). */
  get shown(): { visible: boolean; text: string; tooltip: string; error: boolean } {
    return { visible: this.visible, text: this.item.text, tooltip: String(this.item.tooltip ?? ''), error: this.item.backgroundColor !== undefined };
  }
  private visible = false;

  async update(): Promise<void> {
    const name = this.session.activeCloud;
    void vscode.commands.executeCommand('setContext', 'openstack.hasCloud', !!name);
    if (!name) {
      this.item.hide();
      this.visible = false;
      return;
    }
    let region: string | undefined;
    try {
      region = this.session.describe(name).config.regionName;
    } catch {
      region = undefined;
    }
    const where = `${name}${region ? ` · ${region}` : ''}`;
    const state = this.session.state;
    if (state.kind === 'failed' && state.cloud === name) {
      this.item.text = `$(error) ${where}: ${(state.code && FAILURE[state.code]) || 'cannot connect'}`;
      this.item.tooltip = `${state.message} Click to switch clouds.`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.item.accessibilityInformation = { label: `OpenStack cloud ${name}: ${state.message}` };
    } else {
      this.item.text = `$(cloud) ${where}`;
      this.item.tooltip = `OpenStack cloud "${name}"${region ? `, region "${region}"` : ''}. Click to switch.`;
      this.item.backgroundColor = undefined;
      this.item.accessibilityInformation = { label: `OpenStack cloud ${name}${region ? `, region ${region}` : ''}` };
    }
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
