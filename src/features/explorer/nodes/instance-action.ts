import * as vscode from 'vscode';
import { contextValue } from '../../../core/explorer/servers';
import type { InstanceAction } from '../../../core/openstack/types';
import { DetailNode, ExplorerNode, item, PlaceholderNode, type NodeContext } from './node';

/**
 * One instance action (`live-migration`, `create`…) with its request id; click opens the correlated logs of that
 * request (`openstack.logs.correlate { requestId, cloud }`); children are its events (result, host, traceback).
 */
export class InstanceActionNode extends ExplorerNode {
  constructor(readonly id: string, readonly cloud: string, public action: InstanceAction) {
    super();
  }
  treeItem(): vscode.TreeItem {
    const a = this.action;
    const failed = /error|fail/i.test(a.message ?? '');
    return item(this, a.action, {
      collapsible: true,
      description: `${a.requestId} · ${a.startTime ?? ''}${a.message ? ` · ${a.message}` : ''}`,
      tooltip: `${a.action} — request ${a.requestId}\nStarted: ${a.startTime ?? '?'}${a.updatedAt ? `\nUpdated: ${a.updatedAt}` : ''}${a.message ? `\nMessage: ${a.message}` : ''}${a.userId ? `\nUser: ${a.userId}` : ''}\nClick to open every log line of this request across hosts.`,
      icon: failed ? 'error' : 'history',
      color: failed ? 'errorForeground' : undefined,
      contextValue: contextValue('action', failed ? 'error' : 'ok', { request: true }),
      command: { command: 'openstack.instances.correlateAction', title: 'Show Correlated Logs', arguments: [this] },
    });
  }
  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    const { data } = await ctx.client.compute.getInstanceAction(this.action.instanceUuid, this.action.requestId, { signal: ctx.signal });
    const events = data.events ?? [];
    if (!events.length) return [new PlaceholderNode(`${this.id}/none`, 'No events', 'Events are visible to non-admins from microversion 2.51.')];
    return events.map((e, i) => new DetailNode(`${this.id}/event/${i}/${e.event}`, e.event, [e.result ?? 'running', e.host ?? '', e.startTime ?? ''].filter(Boolean).join(' · '), {
      icon: e.result === 'Error' ? 'error' : e.result === 'Success' ? 'pass' : 'loading~spin',
      tooltip: [`${e.event}: ${e.result ?? 'running'}`, e.startTime ? `start ${e.startTime}` : '', e.finishTime ? `finish ${e.finishTime}` : '', e.host ? `host ${e.host}` : '', e.details ?? '', e.traceback ?? ''].filter(Boolean).join('\n'),
      contextValue: contextValue('event', (e.result ?? 'running').toLowerCase()),
    }));
  }
}
