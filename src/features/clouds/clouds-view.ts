import * as vscode from 'vscode';
import { loadCloudConfig, type CloudConfig } from '../../core/openstack/clouds-config';
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
    try {
      // loadCloudConfig only: do not prompt for a password just to show details.
      cfg = loadCloudConfig(n.name, this.session.configOptions());
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (!/password|secret/.test(msg)) return [new CloudDetailNode(`${n.id}/error`, 'Configuration', msg)];
      return [new CloudDetailNode(`${n.id}/secret`, 'Password', 'in secret storage (asked on first use)')];
    }
    const a = cfg.auth;
    const rows: [string, string | undefined][] = [
      ['Auth URL', a.authUrl],
      ['Region', cfg.regionName ?? '(default)'],
      ['Project', a.projectName ?? a.projectId ?? (a.systemScope ? `system: ${a.systemScope}` : undefined)],
      ['User', a.username ?? a.userId ?? (a.applicationCredentialId ? `application credential ${a.applicationCredentialId}` : undefined)],
      ['Interface', cfg.interface],
      ['From', cfg.source ?? 'OS_* environment variables'],
    ];
    return rows.filter(([, v]) => v).map(([k, v]) => new CloudDetailNode(`${n.id}/${k}`, k, v!));
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

/** `$(cloud) lab · RegionOne` in the status bar; click to switch. */
export class CloudStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('openstack.cloud', vscode.StatusBarAlignment.Left, 10);
  private readonly sub: vscode.Disposable;

  constructor(private readonly session: CloudSession) {
    this.item.name = 'OpenStack Cloud';
    this.item.command = 'openstack.clouds.switch';
    this.sub = session.onDidChange(() => void this.update());
    void this.update();
  }

  async update(): Promise<void> {
    const name = this.session.activeCloud;
    void vscode.commands.executeCommand('setContext', 'openstack.hasCloud', !!name);
    if (!name) {
      this.item.hide();
      return;
    }
    let region: string | undefined;
    try {
      region = loadCloudConfig(name, this.session.configOptions()).regionName;
    } catch {
      region = undefined;
    }
    this.item.text = `$(cloud) ${name}${region ? ` · ${region}` : ''}`;
    this.item.tooltip = `OpenStack cloud "${name}"${region ? `, region "${region}"` : ''}. Click to switch.`;
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
