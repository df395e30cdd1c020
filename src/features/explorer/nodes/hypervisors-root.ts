import { computeServiceOf } from '../../../core/explorer/hypervisors';
import { hypervisorPageFetcher } from '../../../core/explorer/fetchers';
import { PagedList } from '../../../core/explorer/paged-list';
import type { OpenStackClient } from '../../../core/openstack/client';
import type { ComputeService, Hypervisor } from '../../../core/openstack/types';
import { RootNode } from '../tree';
import { HypervisorNode } from './hypervisor';
import { ExplorerNode, LoadMoreNode, PlaceholderNode, type NodeContext } from './node';

/** The Hypervisors view: paged hypervisors (with their servers from 2.53) joined with the nova-compute services. */
export class HypervisorsRoot extends RootNode {
  readonly kind = 'hypervisors';
  list: PagedList<Hypervisor> | undefined;
  services: ComputeService[] = [];
  private readonly nodes = new Map<string, HypervisorNode>();

  constructor(cloud: string, private readonly pageSize: number) {
    super(cloud);
  }

  private makeList(client: OpenStackClient): PagedList<Hypervisor> {
    return new PagedList<Hypervisor>((h) => h.id, hypervisorPageFetcher(client), this.pageSize);
  }

  nodeOf(h: Hypervisor): HypervisorNode {
    const svc = computeServiceOf(h, this.services);
    let n = this.nodes.get(h.id);
    if (n) {
      n.hypervisor = h;
      n.service = svc;
    } else this.nodes.set(h.id, (n = new HypervisorNode(this.cloud, h, svc)));
    return n;
  }

  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    if (!this.list) this.list = this.makeList(ctx.client);
    if (!this.list.loaded) {
      const [svc] = await Promise.all([
        ctx.client.compute.listServices({ binary: 'nova-compute', signal: ctx.signal }),
        this.list.loadMore(ctx.signal),
      ]);
      this.services = svc.data;
    }
    const items = this.list.items;
    if (!items.length) return [new PlaceholderNode(`${this.id}/empty`, 'No hypervisors', 'Nova lists no compute nodes (is a nova-compute service running and discovered with "nova-manage cell_v2 discover_hosts"?).')];
    const out: ExplorerNode[] = [...items].sort((a, b) => a.hypervisorHostname.localeCompare(b.hypervisorHostname)).map((h) => this.nodeOf(h));
    if (this.list.hasMore) out.push(new LoadMoreNode(`${this.id}/more`, this, items.length));
    return out;
  }

  async loadMore(ctx: NodeContext, all = false): Promise<void> {
    if (!this.list) this.list = this.makeList(ctx.client);
    if (all) await this.list.loadAll(ctx.signal);
    else await this.list.loadMore(ctx.signal);
  }

  /** Refresh/poll: the loaded pages and the services list (two requests for one page). */
  override async refresh(ctx: NodeContext): Promise<void> {
    if (!this.list?.loaded) return;
    const [svc] = await Promise.all([ctx.client.compute.listServices({ binary: 'nova-compute', signal: ctx.signal }), this.list.refreshLoaded(ctx.signal)]);
    this.services = svc.data;
  }

  override async poll(ctx: NodeContext): Promise<void> {
    await this.refresh(ctx);
    ctx.changed(undefined);
  }
}
