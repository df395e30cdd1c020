import { detectNetworkBackend, type NetworkBackend } from '../../../core/explorer/network';
import { neutronPageFetcher } from '../../../core/explorer/fetchers';
import { PagedList } from '../../../core/explorer/paged-list';
import { isTroubleshooterError } from '../../../core/errors';
import { parseFloatingIp, parseRouter } from '../../../core/openstack/parse-neutron';
import type { FloatingIp, Router } from '../../../core/openstack/types';
import { forgetHostNamespaces } from '../host-namespaces';
import { RootNode } from '../tree';
import { FloatingIpNode } from './floating-ip';
import { ExplorerNode, PlaceholderNode, type NodeContext } from './node';
import { PagedFolderNode } from './paged-folder';
import { RouterNode } from './router';

/** The Network view: the backend (L3 agents / OVN / none), Routers and Floating IPs, each paged. */
export class NetworkRoot extends RootNode {
  readonly kind = 'network';
  backend: NetworkBackend | undefined;
  routers: PagedFolderNode<Router> | undefined;
  floatingIps: PagedFolderNode<FloatingIp> | undefined;

  constructor(cloud: string, private readonly pageSize: number) {
    super(cloud);
  }

  override async children(ctx: NodeContext): Promise<ExplorerNode[]> {
    const client = ctx.client;
    if (!client.hasNetwork) return [new PlaceholderNode(`${this.id}/none`, 'No network service', `The catalog of cloud "${this.cloud}" has no network (Neutron) endpoint.`, 'circle-slash')];
    if (!this.backend) {
      try {
        this.backend = detectNetworkBackend((await client.network.listAgents({ signal: ctx.signal })).data);
      } catch (e) {
        if (!isTroubleshooterError(e, 'Forbidden') && !isTroubleshooterError(e, 'NotFound')) throw e;
        this.backend = detectNetworkBackend(undefined);
      }
    }
    const backend = () => this.backend;
    if (!this.routers) {
      this.routers = new PagedFolderNode<Router>(
        `${this.id}/routers`, 'Routers',
        new PagedList((r) => r.id, neutronPageFetcher(client, 'routers', parseRouter), this.pageSize),
        (r) => r.id,
        (r, old) => {
          if (old instanceof RouterNode) {
            old.router = r;
            return old;
          }
          return new RouterNode(this.cloud, r, backend);
        },
        () => new PlaceholderNode(`${this.id}/routers/empty`, 'No routers', client.isAdmin ? 'The cloud has no routers.' : 'This project has no routers.'),
        { icon: 'arrow-swap', tooltip: 'Routers → the L3 agents hosting them → the namespaces on those hosts.' },
      );
      this.floatingIps = new PagedFolderNode<FloatingIp>(
        `${this.id}/floatingips`, 'Floating IPs',
        new PagedList((f) => f.id, neutronPageFetcher(client, 'floatingips', parseFloatingIp), this.pageSize),
        (f) => f.id,
        (f, old) => {
          if (old instanceof FloatingIpNode) {
            old.fip = f;
            return old;
          }
          return new FloatingIpNode(this.cloud, f, backend);
        },
        () => new PlaceholderNode(`${this.id}/floatingips/empty`, 'No floating IPs', client.isAdmin ? 'The cloud has no floating IPs.' : 'This project has no floating IPs.'),
        { icon: 'globe', tooltip: 'Floating IPs → router, fixed IP, port and the NAT rules that implement them.' },
      );
    }
    const out: ExplorerNode[] = [];
    if (this.backend.kind === 'ovn') out.push(new PlaceholderNode(`${this.id}/backend`, 'ML2/OVN: no router namespaces', this.backend.reason, 'info'));
    else if (this.backend.kind === 'none') out.push(new PlaceholderNode(`${this.id}/backend`, 'No L3 agents visible', this.backend.reason, 'info'));
    out.push(this.routers, this.floatingIps!);
    return out;
  }

  override async refresh(ctx: NodeContext): Promise<void> {
    forgetHostNamespaces();
    this.backend = undefined;
    await Promise.all([this.routers?.list.loaded && this.routers.refresh(ctx), this.floatingIps?.list.loaded && this.floatingIps.refresh(ctx)]);
  }

  override async poll(ctx: NodeContext): Promise<void> {
    await Promise.all([this.routers?.list.loaded && this.routers.refresh(ctx), this.floatingIps?.list.loaded && this.floatingIps.refresh(ctx)]);
    if (this.routers) ctx.changed(this.routers);
    if (this.floatingIps) ctx.changed(this.floatingIps);
  }
}
