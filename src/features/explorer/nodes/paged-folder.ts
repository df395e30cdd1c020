import * as vscode from 'vscode';
import { PagedList } from '../../../core/explorer/paged-list';
import { ExplorerNode, item, LoadMoreNode, PlaceholderNode, type NodeContext } from './node';

/** A folder over a paged list (Routers, Floating IPs) with "Load more…"; nodes kept by key across refreshes. */
export class PagedFolderNode<T> extends ExplorerNode {
  private readonly nodes = new Map<string, ExplorerNode>();
  constructor(
    readonly id: string,
    readonly label: string,
    readonly list: PagedList<T>,
    private readonly keyOf: (x: T) => string,
    private readonly render: (x: T, existing: ExplorerNode | undefined) => ExplorerNode,
    private readonly empty: (ctx: NodeContext) => PlaceholderNode,
    readonly o: { icon: string; tooltip?: string },
  ) {
    super();
  }
  treeItem(): vscode.TreeItem {
    const n = this.list.items.length;
    return item(this, this.label, {
      collapsible: 'expanded',
      icon: this.o.icon,
      description: this.list.loaded ? `${n}${this.list.hasMore ? '+' : ''}` : undefined,
      tooltip: this.o.tooltip,
      contextValue: 'os.folder.paged',
    });
  }
  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    if (!this.list.loaded) await this.list.loadMore(ctx.signal);
    const items = this.list.items;
    if (!items.length) return [this.empty(ctx)];
    const out = items.map((x) => {
      const k = this.keyOf(x);
      const n = this.render(x, this.nodes.get(k));
      this.nodes.set(k, n);
      return n;
    });
    if (this.list.hasMore) out.push(new LoadMoreNode(`${this.id}/more`, this, items.length));
    return out;
  }
  async loadMore(ctx: NodeContext, all = false): Promise<void> {
    if (all) await this.list.loadAll(ctx.signal);
    else await this.list.loadMore(ctx.signal);
  }
  async refresh(ctx: NodeContext): Promise<void> {
    await this.list.refreshLoaded(ctx.signal);
  }
}
