/**
 * Typed models of the Nova, Neutron and Placement resources the troubleshooter reads. Parsers (./parse.ts) turn the
 * API's JSON into these, keeping every field below at every microversion; `raw` is the object as the API sent it
 * (the same object, not a copy) for views that show "all fields".
 *
 * Conventions: camelCase names; absent-at-this-microversion or admin-only fields are `undefined`; `null` from the API
 * stays `null` where it means something ("no task", "no HA state"). Timestamps stay the API's strings: Nova's are
 * naive UTC (`2016-01-29T13:42:02.000000`), Neutron agents' use a space (`2018-04-08 07:32:42`); see `parseApiTime`.
 */

export type Raw = Readonly<Record<string, unknown>>;

/** Every API result carries the service's request id (X-OpenStack-Request-ID / X-Compute-Request-Id). */
export interface ApiResult<T> {
  data: T;
  /** Local request id the service logged this call under (grep it in the service's logs). */
  requestId: string | undefined;
}

/** A collected list: the items of all pages, and the request id of each page in order. */
export interface ApiList<T> extends ApiResult<T[]> {
  requestIds: string[];
}

/** One page of a paginated list (what the async iterators yield). */
export interface Page<T> {
  items: T[];
  requestId: string | undefined;
  /** True when the service returned a `next` link (another page follows). */
  hasNext: boolean;
}

// ---------------------------------------------------------------- Nova

export interface ServerAddress {
  network: string;
  addr: string;
  version: 4 | 6 | number;
  /** "fixed" or "floating" (OS-EXT-IPS:type). */
  type?: string;
  mac?: string;
}

/** The flavor as embedded in a server: `{id}` before 2.47, the flavor's values from 2.47. */
export interface ServerFlavor {
  id?: string;
  /** `original_name` (2.47+). */
  name?: string;
  vcpus?: number;
  ramMb?: number;
  diskGb?: number;
  ephemeralGb?: number;
  swapMb?: number;
  extraSpecs?: Record<string, string>;
}

export interface Server {
  id: string;
  name: string;
  /** ACTIVE, BUILD, MIGRATING, VERIFY_RESIZE, ERROR, SHUTOFF, … (UNKNOWN for down-cell records). */
  status: string;
  projectId?: string;
  userId?: string;
  /** Compute service host (`OS-EXT-SRV-ATTR:host`, admin): what live-migrate `host` and the `host` filter mean. */
  host?: string | null;
  /** Hypervisor node (`OS-EXT-SRV-ATTR:hypervisor_hostname`, admin): what OSC's "Host" column shows. */
  hypervisorHostname?: string | null;
  /** libvirt domain name (`OS-EXT-SRV-ATTR:instance_name`, admin), e.g. instance-00000001. */
  instanceName?: string;
  /** Guest hostname (`OS-EXT-SRV-ATTR:hostname`; admin until 2.90). */
  hostname?: string;
  availabilityZone?: string;
  taskState?: string | null;
  vmState?: string;
  /** 0 NOSTATE, 1 RUNNING, 3 PAUSED, 4 SHUTDOWN, 6 CRASHED, 7 SUSPENDED. */
  powerState?: number;
  /** UP, DOWN, MAINTENANCE, UNKNOWN or "" (2.16+). */
  hostStatus?: string;
  /** Obfuscated host id (sha224 of project+host); equal for servers on the same host. */
  hostId?: string;
  addresses: ServerAddress[];
  flavor?: ServerFlavor;
  imageId?: string;
  keyName?: string | null;
  locked?: boolean;
  lockedReason?: string | null;
  created?: string;
  updated?: string;
  launchedAt?: string | null;
  fault?: { code?: number; message: string; details?: string; created?: string };
  metadata: Record<string, string>;
  tags?: string[];
  raw: Raw;
}

export interface CpuInfo {
  arch?: string;
  model?: string;
  vendor?: string;
  features: string[];
  topology?: { cores?: number; threads?: number; sockets?: number };
}

export interface Hypervisor {
  /** Integer before 2.53, UUID from 2.53; always a string here (use it as-is in URLs). */
  id: string;
  hypervisorHostname: string;
  hypervisorType?: string;
  /** QEMU version as major·10⁶+minor·10³+micro (libvirt `getVersion()`). */
  hypervisorVersion?: number;
  hostIp?: string;
  /** up/down */
  state?: string;
  /** enabled/disabled */
  status?: string;
  /** The compute service: `service.host` is the live-migrate target host (may differ from hypervisorHostname). */
  service?: { host: string; id: string; disabledReason?: string | null };
  /** Dict from 2.28 (a JSON string before), gone from 2.88. */
  cpuInfo?: CpuInfo;
  /** Resource stats: present below 2.88 only. */
  stats?: {
    vcpus?: number;
    vcpusUsed?: number;
    memoryMb?: number;
    memoryMbUsed?: number;
    localGb?: number;
    localGbUsed?: number;
    freeRamMb?: number;
    freeDiskGb?: number;
    diskAvailableLeast?: number | null;
    runningVms?: number;
    currentWorkload?: number;
  };
  /** Inline from 2.88. */
  uptime?: string | null;
  /** With `with_servers` (2.53+) or always from 2.75. */
  servers?: { uuid: string; name: string }[];
  raw: Raw;
}

export interface ComputeService {
  /** Integer before 2.53, UUID from 2.53; a string here. Undefined for down-cell records (2.69+). */
  id?: string;
  binary: string;
  host: string;
  zone?: string;
  /** up/down */
  state?: string;
  /** enabled/disabled (UNKNOWN for down-cell records) */
  status: string;
  disabledReason?: string | null;
  forcedDown?: boolean;
  updatedAt?: string | null;
  raw: Raw;
}

export type MigrationType = 'live-migration' | 'migration' | 'resize' | 'evacuation' | string;

/** A row of `GET /os-migrations` (any type, any state). Note `instanceUuid` here vs `serverUuid` in ServerMigration. */
export interface Migration {
  /** Integer id (always present). */
  id: number;
  /** UUID (2.59+): the paging marker. */
  uuid?: string;
  instanceUuid: string;
  migrationType?: MigrationType;
  status: string;
  sourceCompute?: string | null;
  sourceNode?: string | null;
  /** Destination compute service host. */
  destCompute?: string | null;
  destNode?: string | null;
  /** Destination host IP address (not a name). */
  destHost?: string | null;
  oldInstanceTypeId?: number;
  newInstanceTypeId?: number;
  userId?: string;
  projectId?: string;
  createdAt: string;
  updatedAt?: string | null;
  raw: Raw;
}

/** An in-progress live migration of one server (`GET /servers/{id}/migrations[/{mid}]`, 2.23+). */
export interface ServerMigration {
  id: number;
  uuid?: string;
  serverUuid: string;
  status: string;
  sourceCompute?: string | null;
  sourceNode?: string | null;
  destCompute?: string | null;
  destNode?: string | null;
  destHost?: string | null;
  memoryTotalBytes?: number | null;
  memoryProcessedBytes?: number | null;
  memoryRemainingBytes?: number | null;
  diskTotalBytes?: number | null;
  diskProcessedBytes?: number | null;
  diskRemainingBytes?: number | null;
  userId?: string;
  projectId?: string;
  createdAt: string;
  updatedAt?: string | null;
  raw: Raw;
}

export interface InstanceActionEvent {
  event: string;
  startTime?: string | null;
  finishTime?: string | null;
  /** Success / Error (null while running). */
  result?: string | null;
  /** Admin only. */
  traceback?: string | null;
  /** 2.62+ (host only for admin). */
  host?: string;
  hostId?: string;
  /** 2.84+, may be null. */
  details?: string | null;
}

export interface InstanceAction {
  action: string;
  /** nova-api's local request id: grep it in the nova logs of every host. */
  requestId: string;
  instanceUuid: string;
  userId?: string;
  projectId?: string;
  startTime?: string;
  updatedAt?: string | null;
  message?: string | null;
  /** Only from the show call. */
  events?: InstanceActionEvent[];
  raw: Raw;
}

// ---------------------------------------------------------------- Neutron

export interface Router {
  id: string;
  name: string;
  status?: string;
  adminStateUp?: boolean;
  projectId?: string;
  /** Admin-visible (l3-ha extension). */
  ha?: boolean;
  /** Admin-visible (dvr extension). */
  distributed?: boolean;
  externalGatewayInfo?: {
    networkId: string;
    enableSnat?: boolean;
    externalFixedIps: { subnetId: string; ipAddress: string }[];
  } | null;
  availabilityZones?: string[];
  flavorId?: string | null;
  raw: Raw;
}

/** Which ML2 mechanism an agent belongs to. */
export type AgentMechanism = 'ovs' | 'linuxbridge' | 'ovn' | 'sriov' | 'macvtap' | 'other';

export interface NetworkAgent {
  /** Trimmed (the api-ref sample has a leading space). */
  id: string;
  agentType: string;
  binary?: string;
  host: string;
  alive: boolean;
  adminStateUp?: boolean;
  availabilityZone?: string | null;
  topic?: string;
  heartbeatTimestamp?: string;
  /** `configurations.agent_mode` of L3 agents: legacy | dvr | dvr_snat | dvr_no_external. */
  agentMode?: string;
  /** From routers/{id}/l3-agents: active | standby | unknown for HA routers, null otherwise. */
  haState?: string | null;
  mechanism: AgentMechanism;
  configurations: Record<string, unknown>;
  raw: Raw;
}

export interface FloatingIp {
  id: string;
  floatingIpAddress: string;
  fixedIpAddress?: string | null;
  portId?: string | null;
  routerId?: string | null;
  floatingNetworkId: string;
  status?: string;
  projectId?: string;
  description?: string;
  portDetails?: {
    deviceId?: string;
    deviceOwner?: string;
    networkId?: string;
    macAddress?: string;
    status?: string;
  } | null;
  raw: Raw;
}

export interface Port {
  id: string;
  name: string;
  networkId: string;
  status?: string;
  adminStateUp?: boolean;
  macAddress?: string;
  deviceId?: string;
  /** compute:<az>, network:router_interface, network:router_gateway, network:floatingip, network:dhcp, … */
  deviceOwner?: string;
  fixedIps: { subnetId: string; ipAddress: string }[];
  projectId?: string;
  /** Admin only. */
  bindingHostId?: string;
  bindingVifType?: string;
  bindingVnicType?: string;
  bindingVifDetails?: Record<string, unknown>;
  bindingProfile?: Record<string, unknown>;
  securityGroups?: string[];
  raw: Raw;
}

export interface Network {
  id: string;
  name: string;
  status?: string;
  adminStateUp?: boolean;
  shared?: boolean;
  external?: boolean;
  mtu?: number;
  projectId?: string;
  subnets: string[];
  providerNetworkType?: string;
  providerPhysicalNetwork?: string | null;
  providerSegmentationId?: number | null;
  raw: Raw;
}

export interface Subnet {
  id: string;
  name: string;
  networkId: string;
  cidr: string;
  ipVersion: number;
  gatewayIp?: string | null;
  enableDhcp?: boolean;
  allocationPools: { start: string; end: string }[];
  projectId?: string;
  raw: Raw;
}

// ---------------------------------------------------------------- Placement

export interface ResourceProvider {
  uuid: string;
  name: string;
  generation?: number;
  parentProviderUuid?: string | null;
  rootProviderUuid?: string;
  raw: Raw;
}

export interface Inventory {
  total: number;
  reserved: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
  allocationRatio: number;
}

/** A provider with its inventories and usages keyed by resource class (VCPU, MEMORY_MB, DISK_GB, …). */
export interface ProviderCapacity {
  provider: ResourceProvider;
  inventories: Record<string, Inventory>;
  usages: Record<string, number>;
  /** (total − reserved) × allocation_ratio − used, per resource class. */
  free: Record<string, number>;
}

// ---------------------------------------------------------------- Keystone

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string;
  regionId?: string;
  url: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface TokenInfo {
  expiresAt: Date;
  issuedAt?: Date;
  methods: string[];
  userId?: string;
  userName?: string;
  projectId?: string;
  projectName?: string;
  domainId?: string;
  roles: string[];
  isAdmin: boolean;
  catalog: CatalogService[];
}
