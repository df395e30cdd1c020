import * as vscode from 'vscode';
import { contextValue, type GroupBy } from '../../../core/explorer/servers';
import { ExplorerNode, item } from './node';
import type { InstanceNode } from './instance';

/** A group of loaded instances (by host, project or status): `os.group.<by>`. */
export class InstanceGroupNode extends ExplorerNode {
  members: InstanceNode[] = [];
  constructor(readonly id: string, public label: string, readonly by: Exclude<GroupBy, 'none'>, public partial: boolean) {
    super();
  }
  treeItem(): vscode.TreeItem {
    const icon = this.by === 'host' ? 'server' : this.by === 'project' ? 'project' : 'symbol-enum';
    const n = this.members.length;
    return item(this, this.label, {
      collapsible: true,
      description: `${n}${this.partial ? ' loaded' : ''}`,
      tooltip: `${n} instance${n === 1 ? '' : 's'}${this.partial ? ' among the pages loaded so far ("Load more…" at the end of the list loads the rest)' : ''}.`,
      icon,
      contextValue: contextValue('group', this.by),
    });
  }
  override children(): Promise<ExplorerNode[]> {
    return Promise.resolve(this.members);
  }
}
