import * as vscode from 'vscode';
import { contextValue } from '../../../core/explorer/servers';
import { NAMESPACE_PURPOSE } from '../../../core/namespaces/names';
import { explainSighting, type NamespaceSighting } from '../../../core/namespaces/netns';
import { namespaceDocumentUri } from '../namespace-document';
import { ExplorerNode, item } from './node';

/**
 * A network namespace on a host: `os.netns.<kind>+ipnetns+lsns+router`. The description says which tool saw it; the
 * hover explains why the other did not. Click opens its document (addresses, routes, rules, nat table).
 */
export class NamespaceNode extends ExplorerNode {
  constructor(
    readonly id: string,
    readonly cloud: string,
    readonly host: string,
    public sighting: NamespaceSighting,
    readonly routerId?: string,
  ) {
    super();
  }
  get ofRouter(): boolean {
    return !!this.routerId && this.sighting.resourceId === this.routerId;
  }
  treeItem(): vscode.TreeItem {
    const s = this.sighting;
    const seen = s.byIpNetns && s.byLsns ? 'ip netns + lsns' : s.byIpNetns ? 'ip netns only' : 'lsns only';
    const tooltip = [
      `${s.name} on ${this.host}`,
      NAMESPACE_PURPOSE[s.kind],
      explainSighting(s),
      s.inode ? `Inode net:[${s.inode}]${s.pid ? `, first pid ${s.pid}` : ''}` : '',
    ].filter(Boolean).join('\n\n');
    const named = !s.name.startsWith('net:[');
    return item(this, s.name, {
      description: `${seen}${this.ofRouter ? ' · this router' : ''}${s.nprocs ? ` · ${s.nprocs} proc${s.nprocs === 1 ? '' : 's'}` : ''}`,
      tooltip,
      icon: s.kind === 'qrouter' || s.kind === 'snat' ? 'symbol-namespace' : s.kind === 'fip' ? 'globe' : s.kind === 'qdhcp' ? 'symbol-property' : 'symbol-misc',
      color: s.byIpNetns && s.byLsns ? undefined : 'descriptionForeground',
      contextValue: contextValue('netns', s.kind, { ipnetns: s.byIpNetns, lsns: s.byLsns, router: this.ofRouter, named }),
      command: named
        ? { command: 'openstack.network.openNamespace', title: 'Open Namespace', arguments: [namespaceDocumentUri({ cloud: this.cloud, host: this.host, namespace: s.name, routerId: this.routerId ?? (s.kind === 'qrouter' || s.kind === 'snat' ? s.resourceId : undefined) })] }
        : undefined,
    });
  }
}
