import { isTroubleshooterError } from '../errors';
import type { OpenStackClient } from '../openstack/client';
import { mvAtLeast } from '../openstack/microversion';
import { parseHypervisor } from '../openstack/parse-nova';
import type { QueryValue } from '../openstack/session';
import type { Hypervisor, Server } from '../openstack/types';
import type { FetchedPage, PageFetcher } from './paged-list';

/**
 * One page at a time from the client's paginated lists (the tree's "Load more…"): the first page of an async page
 * iterator started at `marker`, then the iterator is closed. The next marker is the last item's id when the
 * service said another page follows.
 */
async function firstPage<T extends { id: string }>(pages: AsyncGenerator<{ items: T[]; hasNext: boolean }>): Promise<FetchedPage<T>> {
  try {
    const first = await pages.next();
    if (first.done) return { items: [] };
    const items = first.value.items;
    return { items, nextMarker: first.value.hasNext && items.length ? items[items.length - 1].id : undefined };
  } finally {
    await pages.return(undefined);
  }
}

/** Servers (detail), all projects for admins, with Nova filters (`name`, `ip`, `uuid`…). */
export function serverPageFetcher(client: OpenStackClient, o: { allProjects: boolean; query?: Record<string, string>; keep?: (s: Server) => boolean }): PageFetcher<Server> {
  return async (marker, limit, signal) => {
    if (o.query?.uuid) {
      try {
        return { items: [(await client.compute.getServer(o.query.uuid, { signal })).data] };
      } catch (e) {
        if (isTroubleshooterError(e, 'NotFound')) return { items: [] };
        throw e;
      }
    }
    const filters: Record<string, QueryValue> = { ...(marker ? { marker } : {}), ...(o.query ?? {}) };
    const page = await firstPage(client.compute.serverPages({ allProjects: o.allProjects, limit, filters, signal }));
    return o.keep ? { ...page, items: page.items.filter(o.keep) } : page;
  };
}

/**
 * Hypervisors (detail), paged from 2.33. `withServers` (2.53+) adds every server's name and uuid: on a cloud with
 * thousands of servers that makes the list seconds slower and occupies nova-api, so the tree lists hypervisors
 * without them (their count from `running_vms`) and reads one hypervisor's servers when its Instances folder opens.
 */
export function hypervisorPageFetcher(client: OpenStackClient, o: { withServers?: boolean } = {}): PageFetcher<Hypervisor> {
  const mv = client.compute.microversion;
  return (marker, limit, signal) =>
    firstPage(client.compute.client.pages('/os-hypervisors/detail', 'hypervisors', 'hypervisors_links', parseHypervisor, {
      query: { with_servers: o.withServers && mvAtLeast(mv, '2.53') ? true : undefined, ...(marker ? { marker } : {}) },
      // 2.88 dropped the per-hypervisor stats, running_vms among them (the instance count the tree shows); the list
      // is read at 2.87 from there, a pin Nova accepts up to today, so the count costs no request per hypervisor.
      microversion: mvAtLeast(mv, '2.88') ? '2.87' : undefined,
      limit: mvAtLeast(mv, '2.33') ? limit : undefined,
      maxPages: 1,
      signal,
    }));
}

/** A Neutron collection (`routers`, `floatingips`…) page by page (`limit`/`marker`, `<resource>_links`). */
export function neutronPageFetcher<T extends { id: string }>(client: OpenStackClient, resource: string, parse: (v: unknown) => T): PageFetcher<T> {
  return (marker, limit, signal) =>
    firstPage(client.network.client.pages(`/${resource}`, resource, `${resource}_links`, parse, { query: marker ? { marker } : {}, limit, maxPages: 1, signal }));
}

/**
 * Project names for grouping by project: all projects for admins (Keystone `GET /v3/projects`), else the token's
 * own project. Best effort: an empty map when Keystone refuses (the view then shows project ids).
 */
export async function projectNames(client: OpenStackClient, signal?: AbortSignal): Promise<Record<string, string>> {
  const own: Record<string, string> = {};
  const t = client.tokenInfo;
  if (t.projectId && t.projectName) own[t.projectId] = t.projectName;
  if (!client.isAdmin) return own;
  try {
    const res = await client.identity.client.get('/projects', { signal });
    const list = (res.body as { projects?: { id?: unknown; name?: unknown }[] }).projects ?? [];
    for (const p of list) if (typeof p.id === 'string' && typeof p.name === 'string') own[p.id] = p.name;
  } catch (e) {
    if (isTroubleshooterError(e, 'Cancelled')) throw e;
  }
  return own;
}
