import * as vscode from 'vscode';
import { agentContextValue, agentDescription } from '../../../core/explorer/network';
import { NAMESPACE_PURPOSE, namespacesOfRouter } from '../../../core/namespaces/names';
import type { NetworkAgent, Router } from '../../../core/openstack/types';
import { namespacesOnHost } from '../host-namespaces';
import { NamespaceNode } from './namespace';
import { ExplorerNode, FolderNode, item, PlaceholderNode, type NodeContext } from './node';

/**
 * An L3 agent hosting a router (host, ha_state, alive) → the namespaces on that host, found by `ip netns` and
 * `lsns -t net`: the router's own first (and a warning when its qrouter- is missing), the rest in a folder.
 */
export class L3AgentNode extends ExplorerNode {
  constructor(readonly id: string, readonly cloud: string, readonly router: Router, public agent: NetworkAgent) {
    super();
  }
  treeItem(): vscode.TreeItem {
    const a = this.agent;
    return item(this, a.host, {
      collapsible: true,
      description: agentDescription(a),
      tooltip: `${a.agentType} ${a.id} on "${a.host}"\nAlive: ${a.alive} (last heartbeat ${a.heartbeatTimestamp ?? '?'} UTC)\nMode: ${a.agentMode ?? 'legacy'}${a.haState ? `\nHA state for this router: ${a.haState}${a.haState === 'standby' ? ' (the namespace exists but carries no addresses or NAT)' : ''}` : ''}`,
      icon: a.alive ? 'server-process' : 'error',
      color: a.alive ? undefined : 'errorForeground',
      contextValue: agentContextValue(a),
    });
  }
  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    const host = this.agent.host;
    const found = await namespacesOnHost(ctx.services, host, ctx.signal);
    const routerId = this.router.id;
    const mine = new Set(namespacesOfRouter(routerId, this.router.externalGatewayInfo?.networkId));
    const out: ExplorerNode[] = [];
    const own = found.sightings.filter((s) => mine.has(s.name));
    out.push(...own.map((s) => new NamespaceNode(`${this.id}/ns/${s.name}`, this.cloud, host, s, routerId)));
    if (!own.some((s) => s.kind === 'qrouter') && this.agent.agentMode !== 'dvr_no_external') {
      out.unshift(new PlaceholderNode(`${this.id}/missing`, `qrouter-${routerId} not found on ${host}`, `Neither "ip netns" nor "lsns" shows the router's namespace on "${host}": the L3 agent has not created it (agent dead, router not yet synced, or the agent runs in another host/container). ${NAMESPACE_PURPOSE.qrouter}`, 'warning'));
    }
    const others = found.sightings.filter((s) => !mine.has(s.name));
    if (others.length) {
      const neutron = others.filter((s) => s.kind !== 'other');
      out.push(new FolderNode(`${this.id}/others`, 'Other namespaces on this host', () => Promise.resolve(others.map((s) => new NamespaceNode(`${this.id}/ns/${s.name}`, this.cloud, host, s, undefined))), {
        icon: 'list-tree',
        description: `${neutron.length} neutron, ${others.length - neutron.length} other`,
        tooltip: 'qdhcp-, other routers\' qrouter-, fip- and non-neutron namespaces (anonymous ones, e.g. of containers, are seen by lsns only).',
      }));
    }
    if (found.ipNetnsError) out.push(new PlaceholderNode(`${this.id}/ipnetns-error`, '"ip netns" failed', found.ipNetnsError, 'warning'));
    if (found.lsnsError) out.push(new PlaceholderNode(`${this.id}/lsns-error`, '"lsns" failed', found.lsnsError, 'warning'));
    return out;
  }
}
