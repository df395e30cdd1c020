import { setMaxListeners } from 'node:events';
import * as vscode from 'vscode';
import { errorMessage, isCancelled, isTroubleshooterError } from '../../core/errors';
import type { OpenStackClient } from '../../core/openstack/client';
import { renderingOf } from '../../platform/error-table';
import { ErrorNode, ExplorerNode, PlaceholderNode, type NodeContext } from './nodes/node';
import type { ExplorerServices } from './services';

/** The invisible root of a view; one per active cloud. */
export abstract class RootNode extends ExplorerNode {
  constructor(readonly cloud: string) {
    super();
  }
  get id(): string {
    return `${this.cloud}/${this.kind}`;
  }
  abstract readonly kind: string;
  treeItem(): vscode.TreeItem {
    return new vscode.TreeItem(this.kind);
  }
  /** Periodic refresh while the view is visible: cheap (changes only / loaded pages only). */
  poll(_ctx: NodeContext): Promise<void> {
    return Promise.resolve();
  }
  /** Fast refresh of nodes in transitional states. */
  pollTransitional(_ctx: NodeContext): Promise<void> {
    return Promise.resolve();
  }
  /** Manual refresh: re-read what is loaded. */
  refresh(_ctx: NodeContext): Promise<void> {
    return Promise.resolve();
  }
  hasTransitional(): boolean {
    return false;
  }
}

/**
 * One tree provider for the Instances, Hypervisors and Network views: lazy children from the nodes, failures turned
 * into error nodes (click → log) or placeholders that say why (no permission, no endpoint), in-place refresh by node.
 */
export class ExplorerTree<R extends RootNode> implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private rootNode: R | undefined;
  private abort = this.newAbort();
  private readonly subs: vscode.Disposable[] = [];
  readonly view: vscode.TreeView<ExplorerNode>;
  /** Resolves when the root's first children were returned (bench/tests). */
  lastRootChildren: ExplorerNode[] = [];

  constructor(
    readonly viewId: string,
    readonly services: ExplorerServices,
    private readonly makeRoot: (cloud: string) => R,
  ) {
    this.view = vscode.window.createTreeView(viewId, { treeDataProvider: this, showCollapseAll: true });
    this.subs.push(
      this.view,
      services.session.onDidChange(() => this.reset()),
    );
  }

  /** Drops everything loaded (a cloud switch, a new page size): in-flight requests are cancelled, the view reloads. */
  reset(): void {
    this.abort.abort();
    this.abort = this.newAbort();
    this.rootNode = undefined;
    this.emitter.fire(undefined);
  }

  /** "Retry" on an error node: loads its parent's children again (a failed connect is retried too). */
  retry(node: ExplorerNode): void {
    this.changed(node.parent);
  }

  /** The root of the active cloud (created on first use). */
  get root(): R | undefined {
    const cloud = this.services.session.activeCloud;
    if (!cloud) return undefined;
    if (!this.rootNode || this.rootNode.cloud !== cloud) this.rootNode = this.makeRoot(cloud);
    return this.rootNode;
  }

  private newAbort(): AbortController {
    const c = new AbortController();
    // Every request of the view listens on this one signal (expanding many nodes at once is normal).
    setMaxListeners(0, c.signal);
    return c;
  }

  async context(): Promise<NodeContext> {
    const root = this.root;
    if (!root) throw new Error('No cloud is configured.');
    const signal = this.abort.signal;
    const client: OpenStackClient = await this.services.session.client(signal);
    return { cloud: root.cloud, client, signal, services: this.services, changed: (n) => this.changed(n) };
  }

  changed(node?: ExplorerNode): void {
    this.emitter.fire(node === this.rootNode ? undefined : node);
  }

  getTreeItem(n: ExplorerNode): vscode.TreeItem {
    return n.treeItem();
  }

  getParent(n: ExplorerNode): ExplorerNode | undefined {
    return n.parent === this.rootNode ? undefined : n.parent;
  }

  async getChildren(n?: ExplorerNode): Promise<ExplorerNode[]> {
    const root = this.root;
    if (!root) return [];
    const target = n ?? root;
    const load = async () => {
      let kids: ExplorerNode[];
      try {
        const ctx = await this.context();
        kids = await target.children(ctx);
      } catch (e) {
        kids = [this.failureNode(target, e)];
      }
      for (const k of kids) k.parent = target;
      if (!n) this.lastRootChildren = kids;
      return kids;
    };
    // Show a progress bar in the view itself while the root or a folder loads.
    return vscode.window.withProgress({ location: { viewId: this.viewId } }, load);
  }

  private failureNode(target: ExplorerNode, e: unknown): ExplorerNode {
    const what = target === this.rootNode ? this.rootNode.kind : (target.treeItem().label?.toString() ?? 'items');
    const id = `${target.id}/error`;
    // Quiet placeholders (why the list is empty) and error nodes come from the one error table.
    const quiet = renderingOf(isCancelled(e) ? 'Cancelled' : isTroubleshooterError(e) ? e.code : undefined).node;
    if (quiet) return new PlaceholderNode(id, quiet.label, quiet.text(errorMessage(e), what), quiet.icon);
    this.services.logger.error(`Loading ${what} failed: ${errorMessage(e)}${isTroubleshooterError(e) ? ` [${e.code}]` : ''}`);
    return new ErrorNode(id, what, errorMessage(e));
  }

  /** Manual refresh: re-reads what is loaded and renders in place. */
  async refresh(): Promise<void> {
    const root = this.root;
    if (!root) return this.emitter.fire(undefined);
    try {
      const ctx = await this.context();
      await vscode.window.withProgress({ location: { viewId: this.viewId } }, () => root.refresh(ctx));
    } catch (e) {
      if (!isCancelled(e)) this.services.logger.warn(`Refreshing ${root.kind} failed: ${errorMessage(e)}`);
    }
    this.emitter.fire(undefined);
  }

  dispose(): void {
    this.abort.abort();
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
