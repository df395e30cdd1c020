import * as vscode from 'vscode';
import { floatingIpContextValue, floatingIpDescription, sortAgents, type NetworkBackend } from '../../../core/explorer/network';
import { iptablesNatCommand } from '../../../core/namespaces/commands';
import { floatingIpRules, RULE_LABEL } from '../../../core/namespaces/iptables';
import { errorMessage, isTroubleshooterError } from '../../../core/errors';
import type { FloatingIp } from '../../../core/openstack/types';
import { namespaceDocumentUri } from '../namespace-document';
import { DetailNode, ExplorerNode, FolderNode, item, PlaceholderNode, type NodeContext } from './node';

/** A floating IP → its router, fixed IP and port, and the NAT rules that implement it on the router's host. */
export class FloatingIpNode extends ExplorerNode {
  constructor(readonly cloud: string, public fip: FloatingIp, private readonly backend: () => NetworkBackend | undefined) {
    super();
  }
  get id(): string {
    return `${this.cloud}/floatingip/${this.fip.id}`;
  }
  treeItem(): vscode.TreeItem {
    const f = this.fip;
    return item(this, f.floatingIpAddress, {
      collapsible: true,
      description: floatingIpDescription(f),
      tooltip: `Floating IP ${f.floatingIpAddress} (${f.id})\nStatus: ${f.status ?? '?'}\nFixed IP: ${f.fixedIpAddress ?? '—'}\nPort: ${f.portId ?? '—'}\nRouter: ${f.routerId ?? '—'}\nExternal network: ${f.floatingNetworkId}`,
      icon: 'globe',
      color: f.status === 'ACTIVE' ? undefined : f.portId ? 'editorWarning.foreground' : 'descriptionForeground',
      contextValue: floatingIpContextValue(f),
    });
  }
  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    const f = this.fip;
    const base = this.id;
    const out: ExplorerNode[] = [];
    if (!f.portId || !f.fixedIpAddress) return [new PlaceholderNode(`${base}/unassociated`, 'Not associated', 'No port is associated, so no router has NAT rules for it.')];
    let routerName = f.routerId ?? '';
    if (f.routerId) {
      try {
        routerName = (await ctx.client.network.getRouter(f.routerId, { signal: ctx.signal })).data.name || f.routerId;
      } catch {
        /* name only */
      }
    }
    out.push(new DetailNode(`${base}/router`, 'Router', `${routerName}${f.routerId && routerName !== f.routerId ? ` (${f.routerId})` : ''}`, { icon: 'arrow-swap' }));
    const pd = f.portDetails;
    const isServer = pd?.deviceOwner?.startsWith('compute:') && pd.deviceId;
    out.push(new DetailNode(`${base}/fixed`, 'Fixed IP', `${f.fixedIpAddress} · port ${f.portId}`, {
      icon: 'symbol-interface',
      tooltip: `Port ${f.portId}${pd ? `\nDevice: ${pd.deviceOwner ?? '?'} ${pd.deviceId ?? ''}\nStatus: ${pd.status ?? '?'}\nMAC: ${pd.macAddress ?? '?'}` : ''}${isServer ? '\nClick to open the instance\'s correlated logs.' : ''}`,
      command: isServer ? { command: 'openstack.instances.showLogs', title: 'Show Correlated Logs', arguments: [{ serverId: pd!.deviceId, cloud: this.cloud }] } : undefined,
    }));
    const backend = this.backend();
    if (backend?.kind === 'ovn') {
      out.push(new PlaceholderNode(`${base}/ovn`, 'NAT is in OVN, not iptables', backend.reason));
      return out;
    }
    if (f.routerId) out.push(new FolderNode(`${base}/rules`, 'NAT rules', (c) => this.rules(c), { icon: 'list-filter', expanded: true, tooltip: 'DNAT (PREROUTING, OUTPUT) and SNAT (float-snat) rules for this floating IP in the router\'s namespace, read with iptables-save on the hosting L3 agent\'s host.' }));
    return out;
  }

  private async rules(ctx: NodeContext): Promise<ExplorerNode[]> {
    const f = this.fip;
    const base = `${this.id}/rules`;
    let agents;
    try {
      agents = sortAgents((await ctx.client.network.listRouterL3Agents(f.routerId!, { signal: ctx.signal })).data);
    } catch (e) {
      if (isTroubleshooterError(e, 'Forbidden')) return [new PlaceholderNode(`${base}/forbidden`, 'Hosting agent not visible', 'Finding the router\'s host needs the admin role.', 'lock')];
      throw e;
    }
    const agent = agents.find((a) => a.alive && a.haState !== 'standby') ?? agents[0];
    if (!agent) return [new PlaceholderNode(`${base}/none`, 'No L3 agent hosts the router', 'Without a hosting agent no namespace has NAT rules for this floating IP.', 'warning')];
    const ns = `qrouter-${f.routerId}`;
    let nat;
    try {
      nat = await ctx.services.runOnHost(agent.host, iptablesNatCommand(ns), ctx.signal);
    } catch (e) {
      return [new PlaceholderNode(`${base}/error`, `Cannot read the nat table of ${ns} on ${agent.host}`, errorMessage(e), 'warning')];
    }
    const r = floatingIpRules(nat.parsed, f.floatingIpAddress, f.fixedIpAddress!);
    const doc = namespaceDocumentUri({ cloud: this.cloud, host: agent.host, namespace: ns, routerId: f.routerId! });
    const open = { command: 'openstack.network.openNamespace', title: 'Open Namespace', arguments: [doc] };
    const out: ExplorerNode[] = r.found.map((x) => new DetailNode(`${base}/${x.kind}`, x.kind === 'snat' ? 'SNAT' : 'DNAT', `-A ${x.rule.chain} ${x.rule.spec}`, {
      icon: 'pass',
      tooltip: `${RULE_LABEL[x.kind]}\n-A ${x.rule.chain} ${x.rule.spec}\nin ${ns} on ${agent.host}. Click to open the namespace.`,
      command: open,
      contextValue: `os.natRule.${x.kind}`,
    }));
    for (const m of r.missing) {
      out.push(new PlaceholderNode(`${base}/missing-${m}`, `Missing: ${RULE_LABEL[m]}`, `No such rule in ${ns} on ${agent.host}: the floating IP will not work in this direction. Is the L3 agent on "${agent.host}" alive and synced?`, 'warning'));
    }
    return out;
  }
}
