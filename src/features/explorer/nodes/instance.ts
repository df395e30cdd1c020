import * as vscode from 'vscode';
import { addressesWithSubnets, isTransitional, powerStateName, serverContextValue, serverDescription } from '../../../core/explorer/servers';
import type { Port, Server, Subnet } from '../../../core/openstack/types';
import { InstanceActionNode } from './instance-action';
import { DetailNode, ExplorerNode, FolderNode, item, PlaceholderNode, type NodeContext } from './node';
import { PortNode } from './port';
import { ServerMigrationNode } from './server-migration';

const ICONS: Record<string, [string, string?]> = {
  ACTIVE: ['vm-running', 'testing.iconPassed'],
  SHUTOFF: ['vm-outline', 'disabledForeground'],
  ERROR: ['error', 'errorForeground'],
  PAUSED: ['debug-pause'],
  SUSPENDED: ['debug-pause'],
  SHELVED_OFFLOADED: ['archive'],
  VERIFY_RESIZE: ['question', 'editorWarning.foreground'],
};

export function flavorLabel(s: Server): string | undefined {
  const f = s.flavor;
  if (!f) return undefined;
  const size = f.vcpus !== undefined ? ` (${f.vcpus} vCPU, ${f.ramMb} MiB, ${f.diskGb} GB)` : '';
  return `${f.name ?? f.id ?? '?'}${size}`;
}

/** An instance: `<cloud>/server/<uuid>`, `os.instance.<status>+flags`; click opens its correlated logs and follows them. */
export class InstanceNode extends ExplorerNode {
  constructor(
    readonly cloud: string,
    public server: Server,
    /** Id prefix of the parent (a group), so one server under two groupings never collides. */
    private readonly scope = '',
  ) {
    super();
  }

  get id(): string {
    return `${this.cloud}/${this.scope}server/${this.server.id}`;
  }

  override isTransitional(): boolean {
    return isTransitional(this.server);
  }

  treeItem(): vscode.TreeItem {
    const s = this.server;
    const transitional = isTransitional(s);
    const [icon, color] = transitional ? ['sync~spin'] : (ICONS[s.status] ?? ['vm']);
    return item(this, s.name || s.id, {
      collapsible: true,
      description: serverDescription(s),
      tooltip: instanceTooltip(s),
      icon,
      color,
      contextValue: serverContextValue(s),
      command: { command: 'openstack.instances.showLogs', title: 'Show Correlated Logs', arguments: [this] },
    });
  }

  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    const s = this.server;
    const base = this.id;
    const out: ExplorerNode[] = [];
    const row = (key: string, label: string, value: string | undefined | null, tooltip?: string) => {
      if (value !== undefined && value !== null && value !== '') out.push(new DetailNode(`${base}/d/${key}`, label, value, { tooltip }));
    };
    row('status', 'Status', `${s.status}${s.vmState ? ` (vm_state ${s.vmState})` : ''}`);
    row('task', 'Task state', s.taskState ?? 'none');
    row('power', 'Power state', powerStateName(s.powerState));
    row('host', 'Service host', s.host === null ? 'not scheduled' : s.host, 'OS-EXT-SRV-ATTR:host — the nova-compute service host: what live-migrate "host" and the "host" filter mean.');
    row('node', 'Hypervisor node', s.hypervisorHostname, 'OS-EXT-SRV-ATTR:hypervisor_hostname — the hypervisor (node) name; what the openstack CLI shows as "Host". It can differ from the service host.');
    row('hoststatus', 'Host status', s.hostStatus);
    row('iname', 'Libvirt domain', s.instanceName, 'OS-EXT-SRV-ATTR:instance_name — the name virsh and /var/log/libvirt/qemu/<name>.log use.');
    row('flavor', 'Flavor', flavorLabel(s));
    row('project', 'Project', s.projectId);
    row('az', 'Availability zone', s.availabilityZone);
    if (s.fault) row('fault', 'Fault', s.fault.message, s.fault.details);

    // Addresses with their subnets: port → fixed_ips subnet_id → subnet.
    let ports: Port[] = [];
    let subnets: Subnet[] = [];
    let portError: string | undefined;
    if (ctx.client.hasNetwork) {
      try {
        ports = (await ctx.client.network.listPorts({ deviceId: s.id, signal: ctx.signal })).data;
        const ids = [...new Set(ports.flatMap((p) => p.fixedIps.map((f) => f.subnetId)))];
        if (ids.length) subnets = (await ctx.client.network.listSubnets({ filters: { id: ids }, signal: ctx.signal })).data;
      } catch (e) {
        portError = e instanceof Error ? e.message : String(e);
      }
    }
    for (const a of addressesWithSubnets(s, ports, subnets)) {
      const where = a.subnet ? `${a.subnet.name || a.subnet.id} ${a.subnet.cidr}`.trim() : a.type === 'floating' ? 'floating IP' : 'subnet unknown';
      out.push(new DetailNode(`${base}/addr/${a.address}`, a.address, `${where} · ${a.network}`, {
        icon: a.type === 'floating' ? 'globe' : 'symbol-interface',
        tooltip: `${a.address} on network "${a.network}"${a.subnet ? `, subnet "${a.subnet.name}" (${a.subnet.cidr}, ${a.subnet.id})` : ''}${a.portId ? `, port ${a.portId}` : ''}${a.mac ? `, MAC ${a.mac}` : ''}`,
        contextValue: 'os.address',
      }));
    }
    out.push(
      new FolderNode(`${base}/ports`, 'Ports', async () => {
        if (portError) return [new PlaceholderNode(`${base}/ports/error`, 'Ports could not be read', portError, 'warning')];
        if (!ctx.client.hasNetwork) return [new PlaceholderNode(`${base}/ports/none`, 'No network service in the catalog')];
        if (!ports.length) return [new PlaceholderNode(`${base}/ports/none`, 'No ports', 'Neutron has no port with this device id.')];
        return ports.map((p) => new PortNode(`${base}/port/${p.id}`, p, subnets));
      }, { icon: 'plug', description: ctx.client.hasNetwork && !portError ? String(ports.length) : undefined }),
      new FolderNode(`${base}/actions`, 'Actions', async (c) => {
        const { data } = await c.client.compute.listInstanceActions(s.id, { signal: c.signal });
        if (!data.length) return [new PlaceholderNode(`${base}/actions/none`, 'No actions recorded')];
        return data.map((a) => new InstanceActionNode(`${base}/action/${a.requestId}`, this.cloud, a));
      }, { icon: 'history', tooltip: 'Instance actions, newest first; each with its request id (click: correlated logs of that request).' }),
    );
    if (ctx.client.isAdmin) {
      out.push(
        new FolderNode(`${base}/migrations`, 'Migrations in progress', async (c) => {
          const { data } = await c.client.compute.listServerMigrations(s.id, { signal: c.signal });
          if (!data.length) return [new PlaceholderNode(`${base}/migrations/none`, 'None in progress', 'Nova lists only running live migrations here (GET /servers/{id}/migrations).')];
          return data.map((m) => new ServerMigrationNode(`${base}/migration/${m.id}`, m));
        }, { icon: 'send', expanded: s.status === 'MIGRATING' }),
      );
    }
    return out;
  }
}

function instanceTooltip(s: Server): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(s.name)}** \`${s.id}\`\n\n`);
  const rows: [string, string | undefined | null][] = [
    ['Status', `${s.status}${s.taskState ? ` · task ${s.taskState}` : ''}${s.powerState !== undefined ? ` · power ${powerStateName(s.powerState)}` : ''}`],
    ['Service host', s.host],
    ['Hypervisor node', s.hypervisorHostname],
    ['Flavor', flavorLabel(s)],
    ['Addresses', s.addresses.map((a) => `${a.addr} (${a.network}${a.type ? `, ${a.type}` : ''})`).join(', ')],
    ['Project', s.projectId],
  ];
  for (const [k, v] of rows) if (v) md.appendMarkdown(`${k}: ${escape(v)}  \n`);
  md.appendMarkdown('\nClick to open its correlated logs (followed live).');
  return md;
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
