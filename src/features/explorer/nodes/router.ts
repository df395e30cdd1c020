import * as vscode from 'vscode';
import { routerContextValue, routerDescription, sortAgents, type NetworkBackend } from '../../../core/explorer/network';
import { isTroubleshooterError } from '../../../core/errors';
import type { Router } from '../../../core/openstack/types';
import { L3AgentNode } from './l3-agent';
import { DetailNode, ExplorerNode, item, PlaceholderNode, type NodeContext } from './node';

/** A router → the L3 agents hosting it (`routers/{id}/l3-agents`), or why there are none (OVN, no agents, no permission). */
export class RouterNode extends ExplorerNode {
  constructor(readonly cloud: string, public router: Router, private readonly backend: () => NetworkBackend | undefined) {
    super();
  }
  get id(): string {
    return `${this.cloud}/router/${this.router.id}`;
  }
  treeItem(): vscode.TreeItem {
    const r = this.router;
    return item(this, r.name || r.id, {
      collapsible: true,
      description: routerDescription(r),
      tooltip: `Router ${r.id}${r.name ? ` "${r.name}"` : ''}\nStatus: ${r.status ?? '?'}${r.ha !== undefined ? `\nHA: ${r.ha}` : ''}${r.distributed !== undefined ? `\nDistributed (DVR): ${r.distributed}` : ''}${r.externalGatewayInfo ? `\nExternal network: ${r.externalGatewayInfo.networkId}\nGateway IPs: ${r.externalGatewayInfo.externalFixedIps.map((f) => f.ipAddress).join(', ')}` : '\nNo external gateway'}`,
      icon: 'arrow-swap',
      color: r.status === 'ACTIVE' ? undefined : 'editorWarning.foreground',
      contextValue: routerContextValue(r),
    });
  }
  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    const r = this.router;
    const out: ExplorerNode[] = [];
    const gw = r.externalGatewayInfo;
    if (gw) out.push(new DetailNode(`${this.id}/gateway`, 'Gateway', `${gw.externalFixedIps.map((f) => f.ipAddress).join(', ')} on ${gw.networkId}${gw.enableSnat === false ? ' · SNAT off' : ''}`, { icon: 'globe' }));
    const backend = this.backend();
    if (backend?.kind === 'ovn') {
      out.push(new PlaceholderNode(`${this.id}/ovn`, 'No router namespaces (ML2/OVN)', backend.reason, 'info'));
      return out;
    }
    let agents;
    try {
      agents = (await ctx.client.network.listRouterL3Agents(r.id, { signal: ctx.signal })).data;
    } catch (e) {
      if (isTroubleshooterError(e, 'Forbidden') || isTroubleshooterError(e, 'NotFound')) {
        out.push(new PlaceholderNode(`${this.id}/agents`, 'Hosting agents not visible', 'Listing the L3 agents of a router needs the admin role.', 'lock'));
        return out;
      }
      throw e;
    }
    if (!agents.length) {
      const why = backend?.kind === 'none' ? backend.reason : 'No L3 agent is scheduled to host this router (are the L3 agents alive, and does the router have an interface?).';
      out.push(new PlaceholderNode(`${this.id}/agents`, 'Not hosted by any L3 agent', why, 'warning'));
      return out;
    }
    out.push(...sortAgents(agents).map((a) => new L3AgentNode(`${this.id}/agent/${a.id}`, this.cloud, r, a)));
    return out;
  }
}
