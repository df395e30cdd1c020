import * as vscode from 'vscode';
import type { OpenStackClient } from '../../../core/openstack/client';
import type { ExplorerServices } from '../services';

/** What a node's `children()` gets: the live client of the active cloud, a cancellation signal, the services. */
export interface NodeContext {
  cloud: string;
  client: OpenStackClient;
  signal: AbortSignal;
  services: ExplorerServices;
  /** Re-renders one node (or the whole view) in place. */
  changed(node?: ExplorerNode): void;
}

/**
 * A tree node: a stable id (`<cloud>/server/<uuid>`), a TreeItem, lazy children. Node objects are kept and updated
 * in place so that `changed(node)` refreshes one row and VS Code keeps what was expanded.
 */
export abstract class ExplorerNode {
  abstract readonly id: string;
  parent: ExplorerNode | undefined;
  abstract treeItem(): vscode.TreeItem;
  children(_ctx: NodeContext): Promise<ExplorerNode[]> {
    return Promise.resolve([]);
  }
  /** Nodes with live state return true; the poller refreshes them fast while true. */
  isTransitional(): boolean {
    return false;
  }
}

export function item(
  node: ExplorerNode,
  label: string | vscode.TreeItemLabel,
  o: {
    collapsible?: boolean | 'expanded';
    description?: string;
    tooltip?: string | vscode.MarkdownString;
    icon?: string | vscode.ThemeIcon;
    color?: string;
    contextValue: string;
    command?: vscode.Command;
    resourceUri?: vscode.Uri;
  },
): vscode.TreeItem {
  const state =
    o.collapsible === 'expanded'
      ? vscode.TreeItemCollapsibleState.Expanded
      : o.collapsible
        ? vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None;
  const ti = new vscode.TreeItem(label, state);
  ti.id = node.id;
  ti.description = o.description;
  ti.tooltip = o.tooltip;
  ti.contextValue = o.contextValue;
  if (o.icon) ti.iconPath = typeof o.icon === 'string' ? new vscode.ThemeIcon(o.icon, o.color ? new vscode.ThemeColor(o.color) : undefined) : o.icon;
  ti.command = o.command;
  if (o.resourceUri) ti.resourceUri = o.resourceUri;
  // Screen readers (and UI tests) get "label, description" instead of the long tooltip.
  const text = typeof label === 'string' ? label : label.label;
  ti.accessibilityInformation = { label: o.description ? `${text}, ${o.description}` : text };
  return ti;
}

/** A row that explains (empty list, no permission, OVN…): `os.empty`. */
export class PlaceholderNode extends ExplorerNode {
  constructor(readonly id: string, readonly label: string, readonly why?: string, readonly icon = 'info') {
    super();
  }
  treeItem(): vscode.TreeItem {
    return item(this, this.label, { tooltip: this.why ?? this.label, icon: this.icon, contextValue: 'os.empty', description: this.why && this.why !== this.label ? this.why : undefined });
  }
}

/** A label/value row (details of an instance, a capacity line): `os.detail`. */
export class DetailNode extends ExplorerNode {
  constructor(readonly id: string, readonly label: string, readonly value: string, readonly o: { tooltip?: string; icon?: string; command?: vscode.Command; contextValue?: string } = {}) {
    super();
  }
  treeItem(): vscode.TreeItem {
    return item(this, this.label, { description: this.value, tooltip: this.o.tooltip ?? `${this.label}: ${this.value}`, icon: this.o.icon, command: this.o.command, contextValue: this.o.contextValue ?? 'os.detail' });
  }
}

/** "Failed to load … (click for log)": `os.error`, opens the log; its inline Retry loads the parent again. */
export class ErrorNode extends ExplorerNode {
  constructor(readonly id: string, readonly what: string, readonly message: string) {
    super();
  }
  treeItem(): vscode.TreeItem {
    return item(this, `Failed to load ${this.what}`, {
      description: this.message,
      tooltip: new vscode.MarkdownString(`**Failed to load ${this.what}**\n\n${this.message.replace(/[\\`*_{}[\]()#+\-.!|]/g, '\\$&')}\n\nClick to open the log; Retry loads it again.`),
      icon: 'error',
      color: 'errorForeground',
      contextValue: 'os.error',
      command: { command: 'openstack.showLog', title: 'Show Log' },
    });
  }
}

/** "Load more…" at the end of a paged list: `os.loadMore`. */
export class LoadMoreNode extends ExplorerNode {
  constructor(readonly id: string, readonly owner: ExplorerNode | undefined, readonly loadedCount: number, readonly all = false) {
    super();
  }
  treeItem(): vscode.TreeItem {
    return item(this, this.all ? 'Load all' : 'Load more…', {
      description: this.all ? 'every remaining page' : `${this.loadedCount} loaded`,
      icon: this.all ? 'fold-down' : 'more',
      contextValue: this.all ? 'os.loadAll' : 'os.loadMore',
      command: { command: this.all ? 'openstack.explorer.loadAll' : 'openstack.explorer.loadMore', title: 'Load more', arguments: [this] },
    });
  }
}

/** A folder of children fetched on expansion (Ports, Actions, Migrations…). */
export class FolderNode extends ExplorerNode {
  constructor(
    readonly id: string,
    readonly label: string,
    readonly load: (ctx: NodeContext) => Promise<ExplorerNode[]>,
    readonly o: { icon?: string; description?: string; tooltip?: string; contextValue?: string; expanded?: boolean } = {},
  ) {
    super();
  }
  treeItem(): vscode.TreeItem {
    return item(this, this.label, { collapsible: this.o.expanded ? 'expanded' : true, icon: this.o.icon ?? 'folder', description: this.o.description, tooltip: this.o.tooltip, contextValue: this.o.contextValue ?? 'os.folder' });
  }
  override children(ctx: NodeContext): Promise<ExplorerNode[]> {
    return this.load(ctx);
  }
}
