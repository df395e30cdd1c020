import { bool, idOf, isObj, malformed, num, numOrNull, obj, type Obj, optId, str, stringMap, strings, strOrNull } from './parse';
import type {
  CpuInfo,
  ComputeService,
  Hypervisor,
  InstanceAction,
  InstanceActionEvent,
  Migration,
  Server,
  ServerAddress,
  ServerFlavor,
  ServerMigration,
} from './types';

/** Parsers of Nova's JSON (servers, hypervisors, services, migrations, instance actions) to ./types.ts. */

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
