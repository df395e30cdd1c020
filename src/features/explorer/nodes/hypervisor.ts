import * as vscode from 'vscode';
import {
  capacityFromHypervisor, capacityFromPlacement, formatCapacity, HOST_CONFIG_FILES, hypervisorContextValue,
  hypervisorDescription, hypervisorStatsInApi, serviceHealth,
} from '../../../core/explorer/hypervisors';
import { contextValue } from '../../../core/explorer/servers';
import { mvAtLeast } from '../../../core/openstack/microversion';
import type { ComputeService, Hypervisor } from '../../../core/openstack/types';
import { DetailNode, ExplorerNode, FolderNode, item, PlaceholderNode, type NodeContext } from './node';

/**
 * A hypervisor with its compute service: `os.hypervisor.<up|down>+enabled|+disabled+forcedDown+service`.
 * Children: the compute service, capacity (Nova stats ≤2.87, Placement from 2.88), config files, instances.
 */
export class HypervisorNode extends ExplorerNode {
  constructor(readonly cloud: string, public hypervisor: Hypervisor, public service: ComputeService | undefined) {
    super();
  }
  get id(): string {
    return `${this.cloud}/hypervisor/${this.hypervisor.id}`;
  }
  /** The compute service host (the SSH/host-mapping name and the live-migrate target), else the node name. */
  get serviceHost(): string {
    return this.service?.host ?? this.hypervisor.service?.host ?? this.hypervisor.hypervisorHostname;
  }
  treeItem(): vscode.TreeItem {
    const h = this.hypervisor;
    const s = this.service;
    const health = serviceHealth(s);
    const disabled = (s?.status ?? h.status) === 'disabled';
    const icon = h.state === 'down' || health === 'down' || health === 'forced-down' ? 'error' : disabled ? 'circle-slash' : 'server';
    const color = icon === 'error' ? 'errorForeground' : disabled ? 'editorWarning.foreground' : 'testing.iconPassed';
    return item(this, h.hypervisorHostname, {
      collapsible: true,
      description: hypervisorDescription(h, s),
      tooltip: [
        `Hypervisor node: ${h.hypervisorHostname} (${h.hypervisorType ?? '?'} ${h.hypervisorVersion ?? ''})`,
        `Service host: ${this.serviceHost} (the live-migration target name)`,
        `State: ${h.state ?? '?'}, status: ${h.status ?? '?'}`,
        s ? `nova-compute: ${health}${s.status === 'disabled' ? `, disabled${s.disabledReason ? `: "${s.disabledReason}"` : ''}` : ', enabled'}` : 'nova-compute service: not visible',
        h.hostIp ? `Host IP: ${h.hostIp}` : '',
      ].filter(Boolean).join('\n'),
      icon,
      color,
      contextValue: hypervisorContextValue(h, s),
    });
  }

  override async children(_ctx: NodeContext): Promise<ExplorerNode[]> {
    const h = this.hypervisor;
    const s = this.service;
    const base = this.id;
    const out: ExplorerNode[] = [];
    if (s) {
      const health = serviceHealth(s);
      out.push(new DetailNode(`${base}/service`, 'nova-compute', [
        health === 'forced-down' ? 'forced down' : health,
        s.status,
        s.disabledReason ? `"${s.disabledReason}"` : '',
        s.updatedAt ? `heartbeat ${s.updatedAt}` : '',
      ].filter(Boolean).join(' · '), {
        icon: health === 'up' ? 'pulse' : 'debug-disconnect',
        tooltip: `Compute service ${s.id ?? ''} on "${s.host}" (zone ${s.zone ?? '?'}): state ${s.state ?? '?'}, status ${s.status}${s.forcedDown ? ', forced down' : ''}${s.disabledReason ? `\nDisabled reason: ${s.disabledReason}` : ''}\nLast heartbeat: ${s.updatedAt ?? '?'}`,
        contextValue: contextValue('service', s.status, { up: health === 'up', forcedDown: health === 'forced-down' }),
      }));
    } else {
      out.push(new PlaceholderNode(`${base}/service`, 'nova-compute service not found', 'No nova-compute service with this host is listed by /os-services.', 'warning'));
    }
    out.push(new FolderNode(`${base}/capacity`, 'Capacity', async (c) => {
      const mv = c.client.compute.microversion;
      let lines = hypervisorStatsInApi(mv) ? capacityFromHypervisor(h) : [];
      let source = `Nova hypervisor stats (compute API ${mv})`;
      if (!lines.length) {
        if (!c.client.hasPlacement) return [new PlaceholderNode(`${base}/capacity/none`, 'No capacity data', `Compute API ${mv} (≥2.88) no longer reports resources, and the catalog has no Placement endpoint.`)];
        const cap = await c.client.placement.capacityByName(h.hypervisorHostname, { signal: c.signal });
        if (!cap) return [new PlaceholderNode(`${base}/capacity/none`, 'No resource provider', `Placement has no provider named "${h.hypervisorHostname}".`)];
        lines = capacityFromPlacement(cap.data);
        source = `Placement provider ${cap.data.provider.uuid} (compute API ${mv} ≥2.88 reports no resources)`;
      }
      return lines.map((l) => new DetailNode(`${base}/capacity/${l.resource}`, l.label, formatCapacity(l), {
        icon: 'dashboard',
        tooltip: `${l.label}: ${l.used} used of ${l.total}${l.source === 'placement' ? ' ((total − reserved) × allocation ratio)' : ''}.\nSource: ${source}`,
        contextValue: contextValue('capacity', l.resource),
      }));
    }, { icon: 'dashboard' }));
    out.push(new FolderNode(`${base}/configs`, 'Config files', async (c) => {
      let target: string;
      try {
        target = c.services.sshTargetOf(this.serviceHost);
      } catch (e) {
        return [new PlaceholderNode(`${base}/configs/none`, 'No SSH target', e instanceof Error ? e.message : String(e), 'warning')];
      }
      return HOST_CONFIG_FILES.map((f) => {
        const uri = vscode.Uri.from({ scheme: 'openstack-sftp', authority: target, path: f.path });
        return new DetailNode(`${base}/config/${f.label}`, f.label, f.path, {
          icon: 'file',
          tooltip: `${uri.toString(true)} — opens over SFTP on "${target}"`,
          command: { command: 'vscode.open', title: 'Open', arguments: [uri] },
          contextValue: 'os.configFile',
        });
      });
    }, { icon: 'gear', tooltip: 'libvirtd.conf, nova.conf, my.cnf and limits.conf of this host, opened over SFTP.' }));
    out.push(new FolderNode(`${base}/servers`, 'Instances', async (c) => {
      // The list is read without servers (fast at scale); this hypervisor's own are read when the folder opens.
      if (h.servers === undefined && mvAtLeast(c.client.compute.microversion, '2.53')) {
        const one = await c.client.compute.getHypervisor(h.id, { withServers: true, signal: c.signal });
        h.servers = one.data.servers ?? [];
        c.changed(this);
      }
      const servers = h.servers;
      if (servers === undefined) return [new PlaceholderNode(`${base}/servers/none`, 'Not listed', 'The compute API lists a hypervisor\'s servers from microversion 2.53.')];
      if (!servers.length) return [new PlaceholderNode(`${base}/servers/none`, 'No instances on this hypervisor')];
      return [...servers].sort((a, b) => a.name.localeCompare(b.name)).map((sv) => new DetailNode(`${base}/server/${sv.uuid}`, sv.name || sv.uuid, sv.uuid, {
        icon: 'vm',
        tooltip: `${sv.name} (${sv.uuid}) — click to open its correlated logs`,
        command: { command: 'openstack.instances.showLogs', title: 'Show Correlated Logs', arguments: [{ serverId: sv.uuid, cloud: this.cloud, name: sv.name || undefined }] },
        contextValue: 'os.instanceRef',
      }));
    }, { icon: 'vm', description: h.servers ? String(h.servers.length) : undefined }));
    return out;
  }
}
