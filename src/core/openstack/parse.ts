import { TroubleshooterError } from '../errors';
import type {
  AgentMechanism,
  CpuInfo,
  ComputeService,
  FloatingIp,
  Hypervisor,
  InstanceAction,
  InstanceActionEvent,
  Inventory,
  Migration,
  Network,
  NetworkAgent,
  Port,
  ResourceProvider,
  Router,
  Server,
  ServerAddress,
  ServerFlavor,
  ServerMigration,
  Subnet,
} from './types';

/**
 * Parsers from the APIs' JSON to ./types.ts. Lenient about what a microversion or a policy leaves out, strict about
 * what every version has (an id): a response without it is a malformed reply, reported as a typed error.
 */

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function malformed(what: string, detail: string): TroubleshooterError {
  return new TroubleshooterError('HttpError', `The service sent a malformed ${what}: ${detail}.`);
}

function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw malformed(what, `expected an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

function str(o: Obj, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' ? v : undefined;
}

function strOrNull(o: Obj, k: string): string | null | undefined {
  const v = o[k];
  if (v === null) return null;
  return typeof v === 'string' ? v : undefined;
}

function num(o: Obj, k: string): number | undefined {
  const v = o[k];
  return typeof v === 'number' ? v : undefined;
}

function numOrNull(o: Obj, k: string): number | null | undefined {
  const v = o[k];
  if (v === null) return null;
  return typeof v === 'number' ? v : undefined;
}

function bool(o: Obj, k: string): boolean | undefined {
  const v = o[k];
  return typeof v === 'boolean' ? v : undefined;
}

function idOf(o: Obj, k: string, what: string): string {
  const v = o[k];
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number') return String(v);
  throw malformed(what, `missing "${k}"`);
}

function optId(o: Obj, k: string): string | undefined {
  const v = o[k];
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  return undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The array under `key` of a list response (`{"servers": [...]}`). */
export function listOf(body: unknown, key: string): unknown[] {
  const o = obj(body, `"${key}" list`);
  const v = o[key];
  if (!Array.isArray(v)) throw malformed(`"${key}" list`, `no "${key}" array`);
  return v;
}

/** The object under `key` of a show response (`{"server": {...}}`). */
export function itemOf(body: unknown, key: string): unknown {
  const o = obj(body, `"${key}"`);
  if (!(key in o)) throw malformed(`"${key}"`, `no "${key}" object`);
  return o[key];
}

/** The `next` href of a response's `<key>_links` (Nova, Neutron) or `links` (instance actions), if any. */
export function nextLink(body: unknown, linksKey: string): string | undefined {
  if (!isObj(body)) return undefined;
  const links = body[linksKey];
  if (!Array.isArray(links)) return undefined;
  for (const l of links) if (isObj(l) && l.rel === 'next' && typeof l.href === 'string') return l.href;
  return undefined;
}

/** API timestamps → Date (naive ones are UTC: Nova `2016-01-29T13:42:02.000000`, Neutron `2018-04-08 07:32:42`). */
export function parseApiTime(s: string | null | undefined): Date | undefined {
  if (!s) return undefined;
  let t = s.trim().replace(' ', 'T');
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(t)) t += 'Z';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

// ---------------------------------------------------------------- Nova

function parseAddresses(v: unknown): ServerAddress[] {
  const out: ServerAddress[] = [];
  if (!isObj(v)) return out;
  for (const [network, list] of Object.entries(v)) {
    if (!Array.isArray(list)) continue;
    for (const a of list) {
      if (!isObj(a) || typeof a.addr !== 'string') continue;
      out.push({
        network,
        addr: a.addr,
        version: typeof a.version === 'number' ? a.version : a.addr.includes(':') ? 6 : 4,
        type: str(a, 'OS-EXT-IPS:type'),
        mac: str(a, 'OS-EXT-IPS-MAC:mac_addr'),
      });
    }
  }
  return out;
}

function parseServerFlavor(v: unknown): ServerFlavor | undefined {
  if (!isObj(v)) return undefined;
  return {
    id: optId(v, 'id'),
    name: str(v, 'original_name'),
    vcpus: num(v, 'vcpus'),
    ramMb: num(v, 'ram'),
    diskGb: num(v, 'disk'),
    ephemeralGb: num(v, 'ephemeral'),
    swapMb: num(v, 'swap'),
    extraSpecs: isObj(v.extra_specs) ? stringMap(v.extra_specs) : undefined,
  };
}

export function parseServer(v: unknown): Server {
  const o = obj(v, 'server');
  const fault = isObj(o.fault) ? o.fault : undefined;
  return {
    id: idOf(o, 'id', 'server'),
    name: str(o, 'name') ?? '',
    status: str(o, 'status') ?? 'UNKNOWN',
    projectId: str(o, 'tenant_id') ?? str(o, 'project_id'),
    userId: str(o, 'user_id'),
    host: strOrNull(o, 'OS-EXT-SRV-ATTR:host'),
    hypervisorHostname: strOrNull(o, 'OS-EXT-SRV-ATTR:hypervisor_hostname'),
    instanceName: str(o, 'OS-EXT-SRV-ATTR:instance_name'),
    hostname: str(o, 'OS-EXT-SRV-ATTR:hostname'),
    availabilityZone: str(o, 'OS-EXT-AZ:availability_zone'),
    taskState: strOrNull(o, 'OS-EXT-STS:task_state'),
    vmState: str(o, 'OS-EXT-STS:vm_state'),
    powerState: num(o, 'OS-EXT-STS:power_state'),
    hostStatus: str(o, 'host_status'),
    hostId: str(o, 'hostId'),
    addresses: parseAddresses(o.addresses),
    flavor: parseServerFlavor(o.flavor),
    imageId: isObj(o.image) ? optId(o.image, 'id') : undefined,
    keyName: strOrNull(o, 'key_name'),
    locked: bool(o, 'locked'),
    lockedReason: strOrNull(o, 'locked_reason'),
    created: str(o, 'created'),
    updated: str(o, 'updated'),
    launchedAt: strOrNull(o, 'OS-SRV-USG:launched_at'),
    fault: fault
      ? { code: num(fault, 'code'), message: str(fault, 'message') ?? '', details: str(fault, 'details'), created: str(fault, 'created') }
      : undefined,
    metadata: stringMap(o.metadata),
    tags: Array.isArray(o.tags) ? strings(o.tags) : undefined,
    raw: o,
  };
}

function parseCpuInfo(v: unknown): CpuInfo | undefined {
  let c = v;
  if (typeof c === 'string') {
    // Before 2.28 cpu_info is a JSON string (or "?" with some drivers).
    try {
      c = JSON.parse(c);
    } catch {
      return undefined;
    }
  }
  if (!isObj(c)) return undefined;
  const topo = isObj(c.topology) ? c.topology : undefined;
  return {
    arch: str(c, 'arch'),
    model: str(c, 'model'),
    vendor: str(c, 'vendor'),
    features: strings(c.features),
    topology: topo ? { cores: num(topo, 'cores'), threads: num(topo, 'threads'), sockets: num(topo, 'sockets') } : undefined,
  };
}

export function parseHypervisor(v: unknown): Hypervisor {
  const o = obj(v, 'hypervisor');
  const svc = isObj(o.service) ? o.service : undefined;
  const hasStats = 'vcpus' in o || 'memory_mb' in o || 'local_gb' in o || 'running_vms' in o;
  return {
    id: idOf(o, 'id', 'hypervisor'),
    hypervisorHostname: str(o, 'hypervisor_hostname') ?? '',
    hypervisorType: str(o, 'hypervisor_type'),
    hypervisorVersion: num(o, 'hypervisor_version'),
    hostIp: str(o, 'host_ip'),
    state: str(o, 'state'),
    status: str(o, 'status'),
    service: svc
      ? { host: str(svc, 'host') ?? '', id: optId(svc, 'id') ?? '', disabledReason: strOrNull(svc, 'disabled_reason') }
      : undefined,
    cpuInfo: 'cpu_info' in o ? parseCpuInfo(o.cpu_info) : undefined,
    stats: hasStats
      ? {
          vcpus: num(o, 'vcpus'),
          vcpusUsed: num(o, 'vcpus_used'),
          memoryMb: num(o, 'memory_mb'),
          memoryMbUsed: num(o, 'memory_mb_used'),
          localGb: num(o, 'local_gb'),
          localGbUsed: num(o, 'local_gb_used'),
          freeRamMb: num(o, 'free_ram_mb'),
          freeDiskGb: num(o, 'free_disk_gb'),
          diskAvailableLeast: numOrNull(o, 'disk_available_least'),
          runningVms: num(o, 'running_vms'),
          currentWorkload: num(o, 'current_workload'),
        }
      : undefined,
    uptime: strOrNull(o, 'uptime'),
    servers: Array.isArray(o.servers)
      ? o.servers.filter(isObj).map((s) => ({ uuid: str(s, 'uuid') ?? '', name: str(s, 'name') ?? '' }))
      : undefined,
    raw: o,
  };
}

export function parseComputeService(v: unknown): ComputeService {
  const o = obj(v, 'service');
  const binary = str(o, 'binary');
  const host = str(o, 'host');
  if (binary === undefined || host === undefined) throw malformed('service', 'missing "binary" or "host"');
  return {
    id: optId(o, 'id'),
    binary,
    host,
    zone: str(o, 'zone'),
    state: str(o, 'state'),
    status: str(o, 'status') ?? 'UNKNOWN',
    disabledReason: strOrNull(o, 'disabled_reason'),
    forcedDown: bool(o, 'forced_down'),
    updatedAt: strOrNull(o, 'updated_at'),
    raw: o,
  };
}

function intId(o: Obj, what: string): number {
  const v = o.id;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  throw malformed(what, 'missing "id"');
}

export function parseMigration(v: unknown): Migration {
  const o = obj(v, 'migration');
  const instanceUuid = str(o, 'instance_uuid');
  if (!instanceUuid) throw malformed('migration', 'missing "instance_uuid"');
  return {
    id: intId(o, 'migration'),
    uuid: str(o, 'uuid'),
    instanceUuid,
    migrationType: str(o, 'migration_type'),
    status: str(o, 'status') ?? '',
    sourceCompute: strOrNull(o, 'source_compute'),
    sourceNode: strOrNull(o, 'source_node'),
    destCompute: strOrNull(o, 'dest_compute'),
    destNode: strOrNull(o, 'dest_node'),
    destHost: strOrNull(o, 'dest_host'),
    oldInstanceTypeId: num(o, 'old_instance_type_id'),
    newInstanceTypeId: num(o, 'new_instance_type_id'),
    userId: str(o, 'user_id'),
    projectId: str(o, 'project_id'),
    createdAt: str(o, 'created_at') ?? '',
    updatedAt: strOrNull(o, 'updated_at'),
    raw: o,
  };
}

export function parseServerMigration(v: unknown): ServerMigration {
  const o = obj(v, 'server migration');
  const serverUuid = str(o, 'server_uuid');
  if (!serverUuid) throw malformed('server migration', 'missing "server_uuid"');
  return {
    id: intId(o, 'server migration'),
    uuid: str(o, 'uuid'),
    serverUuid,
    status: str(o, 'status') ?? '',
    sourceCompute: strOrNull(o, 'source_compute'),
    sourceNode: strOrNull(o, 'source_node'),
    destCompute: strOrNull(o, 'dest_compute'),
    destNode: strOrNull(o, 'dest_node'),
    destHost: strOrNull(o, 'dest_host'),
    memoryTotalBytes: numOrNull(o, 'memory_total_bytes'),
    memoryProcessedBytes: numOrNull(o, 'memory_processed_bytes'),
    memoryRemainingBytes: numOrNull(o, 'memory_remaining_bytes'),
    diskTotalBytes: numOrNull(o, 'disk_total_bytes'),
    diskProcessedBytes: numOrNull(o, 'disk_processed_bytes'),
    diskRemainingBytes: numOrNull(o, 'disk_remaining_bytes'),
    userId: str(o, 'user_id'),
    projectId: str(o, 'project_id'),
    createdAt: str(o, 'created_at') ?? '',
    updatedAt: strOrNull(o, 'updated_at'),
    raw: o,
  };
}

function parseEvent(v: unknown): InstanceActionEvent {
  const o = obj(v, 'instance action event');
  const event = str(o, 'event');
  if (!event) throw malformed('instance action event', 'missing "event"');
  return {
    event,
    startTime: strOrNull(o, 'start_time'),
    finishTime: strOrNull(o, 'finish_time'),
    result: strOrNull(o, 'result'),
    traceback: strOrNull(o, 'traceback'),
    host: str(o, 'host'),
    hostId: str(o, 'hostId'),
    details: strOrNull(o, 'details'),
  };
}

export function parseInstanceAction(v: unknown): InstanceAction {
  const o = obj(v, 'instance action');
  const requestId = str(o, 'request_id');
  if (!requestId) throw malformed('instance action', 'missing "request_id"');
  return {
    action: str(o, 'action') ?? '',
    requestId,
    instanceUuid: str(o, 'instance_uuid') ?? '',
    userId: str(o, 'user_id'),
    projectId: str(o, 'project_id'),
    startTime: str(o, 'start_time'),
    updatedAt: strOrNull(o, 'updated_at'),
    message: strOrNull(o, 'message'),
    events: Array.isArray(o.events) ? o.events.map(parseEvent) : undefined,
    raw: o,
  };
}

// ---------------------------------------------------------------- Neutron

function fixedIps(v: unknown): { subnetId: string; ipAddress: string }[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((f) => ({ subnetId: str(f, 'subnet_id') ?? '', ipAddress: str(f, 'ip_address') ?? '' }));
}

export function parseRouter(v: unknown): Router {
  const o = obj(v, 'router');
  const gw = o.external_gateway_info;
  return {
    id: idOf(o, 'id', 'router'),
    name: str(o, 'name') ?? '',
    status: str(o, 'status'),
    adminStateUp: bool(o, 'admin_state_up'),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    ha: bool(o, 'ha'),
    distributed: bool(o, 'distributed'),
    externalGatewayInfo: isObj(gw)
      ? { networkId: str(gw, 'network_id') ?? '', enableSnat: bool(gw, 'enable_snat'), externalFixedIps: fixedIps(gw.external_fixed_ips) }
      : gw === null
        ? null
        : undefined,
    availabilityZones: Array.isArray(o.availability_zones) ? strings(o.availability_zones) : undefined,
    flavorId: strOrNull(o, 'flavor_id'),
    raw: o,
  };
}

/** Tells ML2/OVS, Linux bridge and OVN agents apart by `agent_type` (and `binary` as a fallback). */
export function agentMechanism(agentType: string, binary?: string): AgentMechanism {
  const t = agentType.toLowerCase();
  const b = (binary ?? '').toLowerCase();
  if (t.startsWith('ovn') || b.startsWith('ovn') || b.includes('ovn-')) return 'ovn';
  if (t.includes('open vswitch') || b.includes('openvswitch')) return 'ovs';
  if (t.includes('linux bridge') || b.includes('linuxbridge')) return 'linuxbridge';
  if (t.includes('nic switch') || b.includes('sriov')) return 'sriov';
  if (t.includes('macvtap') || b.includes('macvtap')) return 'macvtap';
  if (b === 'neutron-ovn-metadata-agent') return 'ovn';
  return 'other';
}

export function parseAgent(v: unknown): NetworkAgent {
  const o = obj(v, 'agent');
  const conf = isObj(o.configurations) ? o.configurations : {};
  const agentType = str(o, 'agent_type') ?? '';
  const binary = str(o, 'binary');
  return {
    id: idOf(o, 'id', 'agent'),
    agentType,
    binary,
    host: str(o, 'host') ?? '',
    alive: o.alive === true,
    adminStateUp: bool(o, 'admin_state_up'),
    availabilityZone: strOrNull(o, 'availability_zone'),
    topic: str(o, 'topic'),
    heartbeatTimestamp: str(o, 'heartbeat_timestamp'),
    agentMode: typeof conf.agent_mode === 'string' ? conf.agent_mode : undefined,
    haState: 'ha_state' in o ? strOrNull(o, 'ha_state') ?? null : undefined,
    mechanism: agentMechanism(agentType, binary),
    configurations: conf,
    raw: o,
  };
}

export function parseFloatingIp(v: unknown): FloatingIp {
  const o = obj(v, 'floating IP');
  const pd = o.port_details;
  return {
    id: idOf(o, 'id', 'floating IP'),
    floatingIpAddress: str(o, 'floating_ip_address') ?? '',
    fixedIpAddress: strOrNull(o, 'fixed_ip_address'),
    portId: strOrNull(o, 'port_id'),
    routerId: strOrNull(o, 'router_id'),
    floatingNetworkId: str(o, 'floating_network_id') ?? '',
    status: str(o, 'status'),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    description: str(o, 'description'),
    portDetails: isObj(pd)
      ? {
          deviceId: str(pd, 'device_id'),
          deviceOwner: str(pd, 'device_owner'),
          networkId: str(pd, 'network_id'),
          macAddress: str(pd, 'mac_address'),
          status: str(pd, 'status'),
        }
      : pd === null
        ? null
        : undefined,
    raw: o,
  };
}

export function parsePort(v: unknown): Port {
  const o = obj(v, 'port');
  return {
    id: idOf(o, 'id', 'port'),
    name: str(o, 'name') ?? '',
    networkId: str(o, 'network_id') ?? '',
    status: str(o, 'status'),
    adminStateUp: bool(o, 'admin_state_up'),
    macAddress: str(o, 'mac_address'),
    deviceId: str(o, 'device_id'),
    deviceOwner: str(o, 'device_owner'),
    fixedIps: fixedIps(o.fixed_ips),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    bindingHostId: str(o, 'binding:host_id'),
    bindingVifType: str(o, 'binding:vif_type'),
    bindingVnicType: str(o, 'binding:vnic_type'),
    bindingVifDetails: isObj(o['binding:vif_details']) ? o['binding:vif_details'] : undefined,
    bindingProfile: isObj(o['binding:profile']) ? o['binding:profile'] : undefined,
    securityGroups: Array.isArray(o.security_groups) ? strings(o.security_groups) : undefined,
    raw: o,
  };
}

export function parseNetwork(v: unknown): Network {
  const o = obj(v, 'network');
  return {
    id: idOf(o, 'id', 'network'),
    name: str(o, 'name') ?? '',
    status: str(o, 'status'),
    adminStateUp: bool(o, 'admin_state_up'),
    shared: bool(o, 'shared'),
    external: bool(o, 'router:external'),
    mtu: num(o, 'mtu'),
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    subnets: strings(o.subnets),
    providerNetworkType: str(o, 'provider:network_type'),
    providerPhysicalNetwork: strOrNull(o, 'provider:physical_network'),
    providerSegmentationId: numOrNull(o, 'provider:segmentation_id'),
    raw: o,
  };
}

export function parseSubnet(v: unknown): Subnet {
  const o = obj(v, 'subnet');
  return {
    id: idOf(o, 'id', 'subnet'),
    name: str(o, 'name') ?? '',
    networkId: str(o, 'network_id') ?? '',
    cidr: str(o, 'cidr') ?? '',
    ipVersion: num(o, 'ip_version') ?? 4,
    gatewayIp: strOrNull(o, 'gateway_ip'),
    enableDhcp: bool(o, 'enable_dhcp'),
    allocationPools: Array.isArray(o.allocation_pools)
      ? o.allocation_pools.filter(isObj).map((p) => ({ start: str(p, 'start') ?? '', end: str(p, 'end') ?? '' }))
      : [],
    projectId: str(o, 'project_id') ?? str(o, 'tenant_id'),
    raw: o,
  };
}

// ---------------------------------------------------------------- Placement

export function parseResourceProvider(v: unknown): ResourceProvider {
  const o = obj(v, 'resource provider');
  return {
    uuid: idOf(o, 'uuid', 'resource provider'),
    name: str(o, 'name') ?? '',
    generation: num(o, 'generation'),
    parentProviderUuid: strOrNull(o, 'parent_provider_uuid'),
    rootProviderUuid: str(o, 'root_provider_uuid'),
    raw: o,
  };
}

export function parseInventories(body: unknown): Record<string, Inventory> {
  const o = obj(body, 'inventories');
  const inv = obj(o.inventories, 'inventories');
  const out: Record<string, Inventory> = {};
  for (const [rc, x] of Object.entries(inv)) {
    if (!isObj(x)) continue;
    out[rc] = {
      total: num(x, 'total') ?? 0,
      reserved: num(x, 'reserved') ?? 0,
      minUnit: num(x, 'min_unit') ?? 1,
      maxUnit: num(x, 'max_unit') ?? num(x, 'total') ?? 0,
      stepSize: num(x, 'step_size') ?? 1,
      allocationRatio: num(x, 'allocation_ratio') ?? 1,
    };
  }
  return out;
}

export function parseUsages(body: unknown): Record<string, number> {
  const o = obj(body, 'usages');
  const u = obj(o.usages, 'usages');
  const out: Record<string, number> = {};
  for (const [rc, x] of Object.entries(u)) if (typeof x === 'number') out[rc] = x;
  return out;
}

