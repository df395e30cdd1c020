import * as vscode from 'vscode';
import { contextValue } from '../../../core/explorer/servers';
import type { Port, Subnet } from '../../../core/openstack/types';
import { ExplorerNode, item } from './node';

/** A Neutron port of an instance: `os.port.<status>`. Binding fields only for admins. */
export class PortNode extends ExplorerNode {
  constructor(readonly id: string, readonly port: Port, readonly subnets: Subnet[]) {
    super();
  }
  treeItem(): vscode.TreeItem {
    const p = this.port;
    const ips = p.fixedIps.map((f) => {
      const sn = this.subnets.find((s) => s.id === f.subnetId);
      return `${f.ipAddress}${sn ? ` (${sn.name || sn.id}, ${sn.cidr})` : ''}`;
    });
    const tooltip = [
      `Port ${p.id}${p.name ? ` "${p.name}"` : ''}`,
      `Status: ${p.status ?? '?'}${p.adminStateUp === false ? ' (admin down)' : ''}`,
      `MAC: ${p.macAddress ?? '?'}`,
      `Network: ${p.networkId}`,
      `Fixed IPs: ${ips.join(', ') || 'none'}`,
      p.deviceOwner ? `Device owner: ${p.deviceOwner}` : '',
      p.bindingHostId !== undefined ? `Bound to host: ${p.bindingHostId || '(unbound)'}` : '',
      p.bindingVifType ? `VIF type: ${p.bindingVifType}` : '',
      p.bindingVnicType ? `VNIC type: ${p.bindingVnicType}` : '',
    ].filter(Boolean).join('\n');
    return item(this, p.name || p.id.slice(0, 13), {
      description: [p.status, ips.join(', '), p.bindingHostId ? `on ${p.bindingHostId}` : ''].filter(Boolean).join(' · '),
      tooltip,
      icon: 'plug',
      color: p.status === 'ACTIVE' ? undefined : 'editorWarning.foreground',
      contextValue: contextValue('port', p.status ?? 'unknown', { bound: !!p.bindingHostId }),
    });
  }
}
