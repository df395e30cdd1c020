import { errorMessage } from '../../core/errors';
import { ipNetnsListCommand, lsnsNetCommand } from '../../core/namespaces/commands';
import { mergeSightings, type NamespaceSighting } from '../../core/namespaces/netns';
import type { ExplorerServices } from './services';

export interface HostNamespaces {
  host: string;
  sightings: NamespaceSighting[];
  /** Why one of the two tools gave no answer (the other one's answer is still used). */
  ipNetnsError?: string;
  lsnsError?: string;
  at: number;
}

const TTL_MS = 10_000;
const cache = new Map<string, Promise<HostNamespaces>>();

/**
 * A host's network namespaces from `ip netns list` AND `lsns -t net` (union, each marked with the tool that saw
 * it). Both run concurrently over the pooled SSH session; a result is reused for 10 s so that expanding several
 * agents/routers on one host costs one round trip. Fails only when both tools fail.
 */
export function namespacesOnHost(services: ExplorerServices, host: string, signal?: AbortSignal, fresh = false): Promise<HostNamespaces> {
  const hit = cache.get(host);
  if (hit && !fresh) return hit;
  const p = (async () => {
    const [netns, lsns] = await Promise.allSettled([
      services.runOnHost(host, ipNetnsListCommand(), signal),
      services.runOnHost(host, lsnsNetCommand(), signal),
    ]);
    if (netns.status === 'rejected' && lsns.status === 'rejected') throw netns.reason;
    return {
      host,
      sightings: mergeSightings(netns.status === 'fulfilled' ? netns.value : [], lsns.status === 'fulfilled' ? lsns.value : undefined),
      ipNetnsError: netns.status === 'rejected' ? errorMessage(netns.reason) : undefined,
      lsnsError: lsns.status === 'rejected' ? errorMessage(lsns.reason) : undefined,
      at: Date.now(),
    };
  })();
  cache.set(host, p);
  p.then(
    () => setTimeout(() => cache.get(host) === p && cache.delete(host), TTL_MS).unref(),
    () => cache.get(host) === p && cache.delete(host),
  );
  return p;
}

export function forgetHostNamespaces(): void {
  cache.clear();
}
