import { projectNames, serverPageFetcher } from '../../../core/explorer/fetchers';
import { NOVA_PAGE_LIMIT } from '../../../core/openstack/compute';
import { FIRST_PAGE_ROWS, PagedList } from '../../../core/explorer/paged-list';
import { groupServers, isTransitional, novaFilterQuery, type GroupBy } from '../../../core/explorer/servers';
import type { OpenStackClient } from '../../../core/openstack/client';
import type { Server } from '../../../core/openstack/types';
import { RootNode } from '../tree';
import { InstanceNode } from './instance';
import { InstanceGroupNode } from './instance-group';
import { DetailNode, ExplorerNode, LoadMoreNode, PlaceholderNode, type NodeContext } from './node';



/**
 * The Instances view: a paged server list (small first page, then `pageSize` pages, "Load more…"/"Load all"),
 * grouped by host/project/status, filtered server-side by name/IP/id, all projects for admins.
 * Polls use `changes-since` (only servers that changed) and GET per transitional server; no poll re-reads pages.
 */
export class InstancesRoot extends RootNode {
  readonly kind = 'instances';
  list: PagedList<Server> | undefined;
  private readonly nodes = new Map<string, InstanceNode>();
  private readonly groups = new Map<string, InstanceGroupNode>();
  /** Newest `updated` seen: the `changes-since` of the next poll (server time, so clocks may differ). */
  private since: string | undefined;
  private allProjects = false;

  constructor(
    cloud: string,
    public groupBy: GroupBy,
    public filter: string | undefined,
    private readonly pageSize: number,
  ) {
    super(cloud);
  }

  /** Nova sorts by created_at desc by default; the first page is small so the first render is fast. */
  private makeList(client: OpenStackClient): PagedList<Server> {
    this.allProjects = client.isAdmin;
    const q = this.filter ? novaFilterQuery(this.filter) : undefined;
    return new PagedList<Server>((s) => s.id, serverPageFetcher(client, { allProjects: this.allProjects, query: q?.query, keep: q?.keep }), this.pageSize, Math.min(this.pageSize, FIRST_PAGE_ROWS));
  }

  private noteSince(servers: Server[]): void {
    for (const s of servers) if (s.updated && (!this.since || s.updated > this.since)) this.since = s.updated;
  }

  /** The node of a server (kept across refreshes so expansion and in-place updates work). */
  nodeOf(server: Server): InstanceNode {
    const key = `${this.groupBy}/${server.id}`;
    let n = this.nodes.get(key);
    if (n) n.server = server;
    else this.nodes.set(key, (n = new InstanceNode(this.cloud, server)));
    return n;
  }

  get loadedServers(): Server[] {
    return this.list?.items ?? [];
  }

  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    if (!this.list) this.list = this.makeList(ctx.client);
    if (!this.list.loaded) {
      const first = await this.list.loadMore(ctx.signal);
      this.noteSince(first);
    }
    if (this.groupBy === 'project' && !this.projects) this.projects = await projectNames(ctx.client, ctx.signal);
    return this.render(ctx);
  }

  /** Project id → name (grouping by project), read once per view. */
  private projects: Record<string, string> | undefined;

  render(ctx: Pick<NodeContext, 'client'>): ExplorerNode[] {
    const list = this.list!;
    const servers = list.items;
    const out: ExplorerNode[] = [];
    if (this.filter) {
      out.push(new DetailNode(`${this.id}/filter`, 'Filter', `"${this.filter}" — ${servers.length}${list.hasMore ? '+' : ''} match${servers.length === 1 ? '' : 'es'}`, {
        icon: 'filter',
        tooltip: 'Name (regular expression, as Nova matches it), IP address or instance id. Click to clear.',
        command: { command: 'openstack.instances.clearFilter', title: 'Clear Filter' },
        contextValue: 'os.filter',
      }));
    }
    if (!servers.length) {
      const why = this.filter
        ? `No instance matches "${this.filter}".`
        : ctx.client.isAdmin
          ? 'The cloud has no instances.'
          : `Project "${ctx.client.tokenInfo.projectName ?? ctx.client.tokenInfo.projectId ?? '?'}" has no instances (a non-admin user sees only its own project).`;
      out.push(new PlaceholderNode(`${this.id}/empty`, 'No instances', why));
      return out;
    }
    const by = this.groupBy;
    if (by === 'none') {
      out.push(...servers.map((s) => this.nodeOf(s)));
    } else {
      const seen = new Set<string>();
      for (const g of groupServers(servers, by, this.projects ?? {})) {
        const id = `${this.cloud}/group/${by}/${g.key}`;
        seen.add(id);
        let node = this.groups.get(id);
        if (!node) this.groups.set(id, (node = new InstanceGroupNode(id, g.label, by, list.hasMore)));
        node.label = g.label;
        node.partial = list.hasMore;
        node.members = g.servers.map((s) => {
          const n = this.nodeOf(s);
          n.parent = node;
          return n;
        });
        out.push(node);
      }
      for (const id of this.groups.keys()) if (!seen.has(id)) this.groups.delete(id);
    }
    if (list.hasMore) {
      out.push(new LoadMoreNode(`${this.id}/more`, this, servers.length), new LoadMoreNode(`${this.id}/all`, this, servers.length, true));
    }
    return out;
  }

  async loadMore(ctx: NodeContext, all = false): Promise<void> {
    if (!this.list) this.list = this.makeList(ctx.client);
    if (all) await this.list.loadAll(ctx.signal, (items) => this.noteSince(items), NOVA_PAGE_LIMIT);
    else this.noteSince(await this.list.loadMore(ctx.signal));
  }

  /** Manual refresh: the loaded pages only. */
  override async refresh(ctx: NodeContext): Promise<void> {
    if (!this.list?.loaded) return;
    const d = await this.list.refreshLoaded(ctx.signal);
    this.noteSince([...d.added, ...d.changed]);
  }

  /**
   * Periodic poll: `changes-since` returns only servers that changed (including deleted ones, status DELETED).
   * Changed ones are updated in place; new ones go to the top; deleted ones disappear. Returns true when rows moved.
   */
  override async poll(ctx: NodeContext): Promise<void> {
    const list = this.list;
    if (!list?.loaded || !this.since) return;
    const q = this.filter ? novaFilterQuery(this.filter) : undefined;
    const { data: all } = await ctx.client.compute.listServers({
      allProjects: this.allProjects,
      filters: { 'changes-since': this.since, ...(q?.query ?? {}) },
      signal: ctx.signal,
    });
    const data = q?.keep ? all.filter(q.keep) : all;
    if (!data.length) return;
    this.noteSince(data);
    const current = new Map(list.items.map((s) => [s.id, s]));
    const have = new Set(current.keys());
    const deleted = data.filter((s) => s.status === 'DELETED' || s.status === 'SOFT_DELETED').map((s) => s.id);
    // `changes-since` is inclusive: the newest server comes back every time; only real changes re-render.
    const updated = data.filter((s) => have.has(s.id) && !deleted.includes(s.id) && JSON.stringify(s.raw) !== JSON.stringify(current.get(s.id)!.raw));
    const added = data.filter((s) => !have.has(s.id) && !deleted.includes(s.id));
    list.applyUpdates(updated, deleted);
    list.prepend(added);
    this.applyToNodes(ctx, updated, added.length > 0 || deleted.some((id) => have.has(id)));
  }

  /**
   * Fast poll while some loaded server is in a transitional state: the same single `changes-since` request as the
   * slow poll (one request however many servers are building or migrating), so a bulk boot does not become a
   * storm of GET /servers/{id}.
   */
  override async pollTransitional(ctx: NodeContext): Promise<void> {
    await this.poll(ctx);
  }

  override hasTransitional(): boolean {
    return (this.list?.items ?? []).some(isTransitional);
  }

  /** Renders changed servers in place; a change of group (host/status) or of membership re-renders the view. */
  private applyToNodes(ctx: Pick<NodeContext, 'changed'>, updated: Server[], structural: boolean): void {
    let regroup = structural;
    for (const s of updated) {
      const n = this.nodes.get(`${this.groupBy}/${s.id}`);
      if (!n) continue;
      const before = n.server;
      n.server = s;
      if (this.groupBy === 'host' && before.host !== s.host) regroup = true;
      if (this.groupBy === 'status' && before.status !== s.status) regroup = true;
      if (!regroup) ctx.changed(n);
    }
    if (regroup) ctx.changed(undefined);
  }
}
