import { itemOf, listOf } from './parse';
import { parseAgent, parseFloatingIp, parseNetwork, parsePort, parseRouter, parseSubnet } from './parse-neutron';
import type { QueryValue } from './session';
import type { ServiceClient } from './service';
import type { AgentMechanism, ApiList, ApiResult, FloatingIp, Network, NetworkAgent, Port, Router, Subnet } from './types';

/** Neutron (v2.0). Lists are paged with an explicit `limit`, following `<resource>_links`. */

export interface NetworkListOptions {
  signal?: AbortSignal;
  /** Raw Neutron filters, e.g. `{ device_owner: 'network:router_gateway' }`. */
  filters?: Record<string, QueryValue>;
  /** Restrict to one project (admins see all projects by default). */
  projectId?: string;
  limit?: number;
}

const PAGE = 1000;

function enc(s: string): string {
  return encodeURIComponent(s);
}

export class NetworkApi {
  constructor(readonly client: ServiceClient) {}

  private list<T>(resource: string, parse: (v: unknown) => T, o: NetworkListOptions = {}): Promise<ApiList<T>> {
    return this.client.list(`/${resource}`, resource, `${resource}_links`, parse, {
      query: { project_id: o.projectId, ...o.filters },
      limit: o.limit ?? PAGE,
      signal: o.signal,
    });
  }

  private async show<T>(resource: string, key: string, id: string, parse: (v: unknown) => T, signal?: AbortSignal): Promise<ApiResult<T>> {
    const res = await this.client.get(`/${resource}/${enc(id)}`, { signal });
    return { data: parse(itemOf(res.body, key)), requestId: res.requestId };
  }

  listRouters(o: NetworkListOptions = {}): Promise<ApiList<Router>> {
    return this.list('routers', parseRouter, o);
  }

  getRouter(id: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<Router>> {
    return this.show('routers', 'router', id, parseRouter, o.signal);
  }

  /** The L3 agents hosting a router (which network node holds `qrouter-<id>`), with `ha_state` for HA routers. */
  async listRouterL3Agents(routerId: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<NetworkAgent[]>> {
    const res = await this.client.get(`/routers/${enc(routerId)}/l3-agents`, { signal: o.signal });
    return { data: listOf(res.body, 'agents').map(parseAgent), requestId: res.requestId };
  }

  /** Routers hosted by one L3 agent. */
  async listAgentRouters(agentId: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<Router[]>> {
    const res = await this.client.get(`/agents/${enc(agentId)}/l3-routers`, { signal: o.signal });
    return { data: listOf(res.body, 'routers').map(parseRouter), requestId: res.requestId };
  }

  async listAgents(o: NetworkListOptions & { agentType?: string; host?: string; binary?: string } = {}): Promise<ApiResult<NetworkAgent[]>> {
    // Neutron's agent list is not paginated; the filters are server-side.
    const res = await this.client.get('/agents', {
      query: { agent_type: o.agentType, host: o.host, binary: o.binary, ...o.filters },
      signal: o.signal,
    });
    return { data: listOf(res.body, 'agents').map(parseAgent), requestId: res.requestId };
  }

  getAgent(id: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<NetworkAgent>> {
    return this.show('agents', 'agent', id, parseAgent, o.signal);
  }

  listFloatingIps(o: NetworkListOptions = {}): Promise<ApiList<FloatingIp>> {
    return this.client.list('/floatingips', 'floatingips', 'floatingips_links', parseFloatingIp, {
      query: { project_id: o.projectId, ...o.filters },
      limit: o.limit ?? PAGE,
      signal: o.signal,
    });
  }

  getFloatingIp(id: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<FloatingIp>> {
    return this.show('floatingips', 'floatingip', id, parseFloatingIp, o.signal);
  }

  /** Ports; `deviceId` = a server's UUID gives its ports (with `binding:host_id` for admins). */
  listPorts(o: NetworkListOptions & { deviceId?: string; deviceOwner?: string; networkId?: string; hostId?: string } = {}): Promise<ApiList<Port>> {
    return this.list('ports', parsePort, {
      ...o,
      filters: { device_id: o.deviceId, device_owner: o.deviceOwner, network_id: o.networkId, 'binding:host_id': o.hostId, ...o.filters },
    });
  }

  getPort(id: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<Port>> {
    return this.show('ports', 'port', id, parsePort, o.signal);
  }

  listNetworks(o: NetworkListOptions = {}): Promise<ApiList<Network>> {
    return this.list('networks', parseNetwork, o);
  }

  getNetwork(id: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<Network>> {
    return this.show('networks', 'network', id, parseNetwork, o.signal);
  }

  listSubnets(o: NetworkListOptions = {}): Promise<ApiList<Subnet>> {
    return this.list('subnets', parseSubnet, o);
  }

  getSubnet(id: string, o: { signal?: AbortSignal } = {}): Promise<ApiResult<Subnet>> {
    return this.show('subnets', 'subnet', id, parseSubnet, o.signal);
  }

  /**
   * The cloud's ML2 mechanism from its agents: `ovn` (no qrouter- namespaces at all), `ovs`, `linuxbridge`, or
   * `unknown` when no agent is registered (e.g. a cloud without agents).
   */
  async mechanism(o: { signal?: AbortSignal } = {}): Promise<AgentMechanism | 'unknown'> {
    const { data } = await this.listAgents(o);
    const counts = new Map<AgentMechanism, number>();
    for (const a of data) counts.set(a.mechanism, (counts.get(a.mechanism) ?? 0) + 1);
    for (const m of ['ovn', 'ovs', 'linuxbridge'] as const) if (counts.get(m)) return m;
    return data.length ? 'other' : 'unknown';
  }
}

