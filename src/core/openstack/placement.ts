import { listOf } from './parse';
import { parseInventories, parseResourceProvider, parseUsages } from './parse-placement';
import type { ServiceClient } from './service';
import type { ApiResult, ProviderCapacity, ResourceProvider } from './types';

/** Highest placement microversion this client asks for. */
export const PLACEMENT_CLIENT_MAX = '1.39';

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Placement: resource providers with inventories and usages (the capacity a migration target has left). */
export class PlacementApi {
  constructor(readonly client: ServiceClient) {}

  async listResourceProviders(o: { name?: string; signal?: AbortSignal } = {}): Promise<ApiResult<ResourceProvider[]>> {
    const res = await this.client.get('/resource_providers', { query: { name: o.name }, signal: o.signal });
    return { data: listOf(res.body, 'resource_providers').map(parseResourceProvider), requestId: res.requestId };
  }

  async getResourceProvider(uuid: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<ResourceProvider>> {
    const res = await this.client.get(`/resource_providers/${enc(uuid)}`, o);
    return { data: parseResourceProvider(res.body), requestId: res.requestId };
  }

  /** Inventories, usages and what is free, per resource class (VCPU, MEMORY_MB, DISK_GB…). */
  async capacity(provider: ResourceProvider, o: { signal?: AbortSignal } = {}): Promise<ApiResult<ProviderCapacity>> {
    const [inv, use] = await Promise.all([
      this.client.get(`/resource_providers/${enc(provider.uuid)}/inventories`, o),
      this.client.get(`/resource_providers/${enc(provider.uuid)}/usages`, o),
    ]);
    const inventories = parseInventories(inv.body);
    const usages = parseUsages(use.body);
    const free: Record<string, number> = {};
    for (const [rc, i] of Object.entries(inventories)) {
      free[rc] = Math.floor((i.total - i.reserved) * i.allocationRatio) - (usages[rc] ?? 0);
    }
    return { data: { provider, inventories, usages, free }, requestId: inv.requestId };
  }

  /** Capacity of the provider named like a hypervisor (the compute node's provider has its hypervisor_hostname). */
  async capacityByName(name: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<ProviderCapacity> | undefined> {
    const { data } = await this.listResourceProviders({ name, signal: o.signal });
    return data[0] ? this.capacity(data[0], o) : undefined;
  }
}
