import * as vscode from 'vscode';
import { contextValue, migrationProgress } from '../../../core/explorer/servers';
import type { ServerMigration } from '../../../core/openstack/types';
import { ExplorerNode, item } from './node';

/** An in-progress live migration with its progress (memory processed / total): `os.migration.<status>`. */
export class ServerMigrationNode extends ExplorerNode {
  constructor(readonly id: string, public migration: ServerMigration) {
    super();
  }
  override isTransitional(): boolean {
    return true;
  }
  treeItem(): vscode.TreeItem {
    const m = this.migration;
    const pct = migrationProgress(m);
    const mib = (b: number | null | undefined) => (b == null ? '?' : `${Math.round(b / 1048576)} MiB`);
    return item(this, `${m.sourceCompute ?? '?'} → ${m.destCompute ?? '?'}`, {
      description: `${m.status}${pct !== undefined ? ` · ${pct}%` : ''}`,
      tooltip: `Live migration ${m.id} (${m.status})\nSource: ${m.sourceCompute ?? '?'} (node ${m.sourceNode ?? '?'})\nDestination: ${m.destCompute ?? '?'} (node ${m.destNode ?? '?'}, address ${m.destHost ?? '?'})\nMemory: ${mib(m.memoryProcessedBytes)} of ${mib(m.memoryTotalBytes)} processed, ${mib(m.memoryRemainingBytes)} remaining\nDisk: ${mib(m.diskProcessedBytes)} of ${mib(m.diskTotalBytes)}\nStarted ${m.createdAt}`,
      icon: 'sync~spin',
      contextValue: contextValue('migration', m.status, { abortable: ['running', 'queued', 'preparing'].includes(m.status) }),
    });
  }
}
