import { TroubleshooterError } from '../errors';
import {
  coldMigrateBody,
  liveMigrateBody,
  mvAtLeast,
  serviceUpdateRequest,
  type LiveMigrateOptions,
  type ServiceUpdate,
} from './microversion';
import { itemOf, listOf } from './parse';
import { parseComputeService, parseHypervisor, parseInstanceAction, parseMigration, parseServer, parseServerMigration } from './parse-nova';
import type { QueryValue } from './session';
import type { ServiceClient } from './service';
import type {
  ApiList,
  ApiResult,
  ComputeService,
  Hypervisor,
  InstanceAction,
  Migration,
  Page,
  Server,
  ServerMigration,
} from './types';

/** Highest compute microversion this client reads (parsers cover every sample up to 2.104). */
export const COMPUTE_CLIENT_MAX = '2.100';
/** Nova's default `[api] max_limit`: lists are silently capped at this many rows per page. */
export const NOVA_PAGE_LIMIT = 1000;

export interface Signal {
  signal?: AbortSignal;
}

export interface ServerListOptions extends Signal {
  /** `all_tenants=1` (admin). */
  allProjects?: boolean;
  /** Compute service host (admin; silently ignored for others). */
  host?: string;
  /** Hypervisor node (admin). */
  node?: string;
  status?: string;
  projectId?: string;
  /** Regex on the name (Nova semantics). */
  name?: string;
  /** Regex on fixed/floating addresses. */
  ip?: string;
  /** Page size requested explicitly (default 1000, Nova's cap). */
  limit?: number;
  /** Extra raw filters. */
  filters?: Record<string, QueryValue>;
}

export interface HypervisorListOptions extends Signal {
  withServers?: boolean;
  /** Pin ≤ 2.87 so `cpu_info` and resource stats are returned (they are gone from 2.88). */
  withCpuInfo?: boolean;
  /** `hypervisor_hostname_pattern` (2.53+; no paging with a pattern). */
  pattern?: string;
  limit?: number;
}

export interface MigrationListOptions extends Signal {
  host?: string;
  instanceUuid?: string;
  migrationType?: 'live-migration' | 'migration' | 'resize' | 'evacuation';
  sourceCompute?: string;
  status?: string;
  /** 2.59+ */
  changesSince?: string;
  /** 2.66+ */
  changesBefore?: string;
  /** 2.80+ */
  projectId?: string;
  userId?: string;
  limit?: number;
}

export interface ActionListOptions extends Signal {
  /** 2.58+ */
  changesSince?: string;
  limit?: number;
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function requireMv(client: ServiceClient, min: string, what: string): string {
  const mv = client.microversion ?? '2.1';
  if (!mvAtLeast(mv, min)) {
    throw new TroubleshooterError('Unsupported', `${what} needs compute microversion ${min}; the cloud speaks "${mv}".`);
  }
  return mv;
}

/** Nova. Every method takes an AbortSignal; every result carries the request id. */
export class ComputeApi {
  constructor(readonly client: ServiceClient) {}

  /** The negotiated microversion, e.g. "2.93". */
  get microversion(): string {
    return this.client.microversion ?? '2.1';
  }

  // ------------------------------------------------------------ servers

  private serverQuery(o: ServerListOptions): Record<string, QueryValue> {
    return {
      all_tenants: o.allProjects ? 1 : undefined,
      host: o.host,
      node: o.node,
      status: o.status,
      project_id: o.projectId,
      name: o.name,
      ip: o.ip,
      ...o.filters,
    };
  }

  /** `GET /servers/detail` page by page (follows `servers_links`; Nova caps a page at 1000). */
  serverPages(o: ServerListOptions = {}): AsyncGenerator<Page<Server>> {
    return this.client.pages('/servers/detail', 'servers', 'servers_links', parseServer, {
      query: this.serverQuery(o),
      limit: o.limit ?? NOVA_PAGE_LIMIT,
      signal: o.signal,
    });
  }

  listServers(o: ServerListOptions = {}): Promise<ApiList<Server>> {
    return this.client.list('/servers/detail', 'servers', 'servers_links', parseServer, {
      query: this.serverQuery(o),
      limit: o.limit ?? NOVA_PAGE_LIMIT,
      signal: o.signal,
    });
  }

  async getServer(id: string, o: Signal = {}): Promise<ApiResult<Server>> {
    const res = await this.client.get(`/servers/${enc(id)}`, o);
    return { data: parseServer(itemOf(res.body, 'server')), requestId: res.requestId };
  }

  /**
   * A server by UUID, or by exact name (among all projects when `allProjects`). Throws NotFound or InvalidInput
   * (several servers with that name).
   */
  async findServer(idOrName: string, o: Signal & { allProjects?: boolean } = {}): Promise<ApiResult<Server>> {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrName)) return this.getServer(idOrName, o);
    const escaped = idOrName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const res = await this.listServers({ ...o, name: `^${escaped}$` });
    const hits = res.data.filter((s) => s.name === idOrName);
    if (hits.length === 0) throw new TroubleshooterError('NotFound', `No server named "${idOrName}".`, { subject: idOrName, requestId: res.requestId });
    if (hits.length > 1) throw new TroubleshooterError('InvalidInput', `Several servers are named "${idOrName}"; use its ID.`, { subject: idOrName });
    return { data: hits[0], requestId: res.requestId };
  }

  private async action(id: string, body: unknown, o: Signal & { microversion?: string } = {}): Promise<ApiResult<void>> {
    const res = await this.client.call('POST', `/servers/${enc(id)}/action`, { json: body, signal: o.signal, microversion: o.microversion });
    return { data: undefined, requestId: res.requestId };
  }

  /**
   * Live migration (`os-migrateLive`), body by microversion. `host` is the target compute *service* host. From 2.34
   * the API answers 202 and pre-check failures only show in the instance action's events: read them with
   * `getInstanceAction(server, requestId)` using the returned request id.
   */
  liveMigrate(id: string, opts: LiveMigrateOptions = {}, o: Signal = {}): Promise<ApiResult<void>> {
    return this.action(id, liveMigrateBody(this.microversion, opts), o);
  }

  /** Cold migration (`migrate`); a target host needs 2.56. Ends in VERIFY_RESIZE: confirm or revert. */
  migrate(id: string, host?: string, o: Signal = {}): Promise<ApiResult<void>> {
    return this.action(id, coldMigrateBody(this.microversion, host), o);
  }

  confirmResize(id: string, o: Signal = {}): Promise<ApiResult<void>> {
    return this.action(id, { confirmResize: null }, o);
  }

  revertResize(id: string, o: Signal = {}): Promise<ApiResult<void>> {
    return this.action(id, { revertResize: null }, o);
  }

  // ------------------------------------------------------------ server migrations (in-progress live migrations)

  async listServerMigrations(id: string, o: Signal = {}): Promise<ApiResult<ServerMigration[]>> {
    requireMv(this.client, '2.23', 'Listing the migrations of a server');
    const res = await this.client.get(`/servers/${enc(id)}/migrations`, o);
    return { data: listOf(res.body, 'migrations').map(parseServerMigration), requestId: res.requestId };
  }

  async getServerMigration(id: string, migrationId: number | string, o: Signal = {}): Promise<ApiResult<ServerMigration>> {
    requireMv(this.client, '2.23', 'Showing a server migration');
    const res = await this.client.get(`/servers/${enc(id)}/migrations/${enc(String(migrationId))}`, o);
    return { data: parseServerMigration(itemOf(res.body, 'migration')), requestId: res.requestId };
  }

  /** Abort an in-progress live migration (2.24; `queued`/`preparing` too from 2.65). */
  async abortServerMigration(id: string, migrationId: number | string, o: Signal = {}): Promise<ApiResult<void>> {
    requireMv(this.client, '2.24', 'Aborting a live migration');
    const res = await this.client.call('DELETE', `/servers/${enc(id)}/migrations/${enc(String(migrationId))}`, o);
    return { data: undefined, requestId: res.requestId };
  }

  /** Force an in-progress live migration to complete (2.22). */
  async forceCompleteServerMigration(id: string, migrationId: number | string, o: Signal = {}): Promise<ApiResult<void>> {
    requireMv(this.client, '2.22', 'Forcing a live migration to complete');
    const res = await this.client.call('POST', `/servers/${enc(id)}/migrations/${enc(String(migrationId))}/action`, {
      json: { force_complete: null },
      signal: o.signal,
    });
    return { data: undefined, requestId: res.requestId };
  }

  // ------------------------------------------------------------ os-migrations

  private migrationQuery(o: MigrationListOptions): Record<string, QueryValue> {
    const mv = this.microversion;
    if (o.changesSince && !mvAtLeast(mv, '2.59')) requireMv(this.client, '2.59', 'Filtering migrations by changes-since');
    if (o.changesBefore && !mvAtLeast(mv, '2.66')) requireMv(this.client, '2.66', 'Filtering migrations by changes-before');
    if ((o.projectId || o.userId) && !mvAtLeast(mv, '2.80')) requireMv(this.client, '2.80', 'Filtering migrations by project or user');
    return {
      host: o.host,
      instance_uuid: o.instanceUuid,
      migration_type: o.migrationType,
      source_compute: o.sourceCompute,
      status: o.status,
      'changes-since': o.changesSince,
      'changes-before': o.changesBefore,
      project_id: o.projectId,
      user_id: o.userId,
    };
  }

  /** `GET /os-migrations` page by page (paging from 2.59, follows `migrations_links`). */
  migrationPages(o: MigrationListOptions = {}): AsyncGenerator<Page<Migration>> {
    const paged = mvAtLeast(this.microversion, '2.59');
    return this.client.pages('/os-migrations', 'migrations', 'migrations_links', parseMigration, {
      query: this.migrationQuery(o),
      limit: paged ? (o.limit ?? NOVA_PAGE_LIMIT) : undefined,
      signal: o.signal,
    });
  }

  listMigrations(o: MigrationListOptions = {}): Promise<ApiList<Migration>> {
    const paged = mvAtLeast(this.microversion, '2.59');
    return this.client.list('/os-migrations', 'migrations', 'migrations_links', parseMigration, {
      query: this.migrationQuery(o),
      limit: paged ? (o.limit ?? NOVA_PAGE_LIMIT) : undefined,
      signal: o.signal,
    });
  }

  // ------------------------------------------------------------ instance actions

  /** Actions of a server, newest first (paging with `links` from 2.58). Works for deleted servers from 2.21. */
  listInstanceActions(id: string, o: ActionListOptions = {}): Promise<ApiList<InstanceAction>> {
    const paged = mvAtLeast(this.microversion, '2.58');
    return this.client.list(`/servers/${enc(id)}/os-instance-actions`, 'instanceActions', 'links', parseInstanceAction, {
      query: { 'changes-since': o.changesSince },
      limit: paged ? (o.limit ?? NOVA_PAGE_LIMIT) : undefined,
      signal: o.signal,
    });
  }

  /** One action with its events (traceback for admins; events for non-admins from 2.51). */
  async getInstanceAction(id: string, requestId: string, o: Signal = {}): Promise<ApiResult<InstanceAction>> {
    const res = await this.client.get(`/servers/${enc(id)}/os-instance-actions/${enc(requestId)}`, o);
    return { data: parseInstanceAction(itemOf(res.body, 'instanceAction')), requestId: res.requestId };
  }

  // ------------------------------------------------------------ hypervisors

  private hypervisorOptions(o: HypervisorListOptions) {
    const mv = this.microversion;
    const pin = o.withCpuInfo && mvAtLeast(mv, '2.88') ? '2.87' : undefined;
    const effective = pin ?? mv;
    if (o.withServers && !mvAtLeast(effective, '2.53')) requireMv(this.client, '2.53', 'Listing hypervisors with servers');
    const usePattern = o.pattern !== undefined;
    return {
      query: {
        with_servers: o.withServers ? true : undefined,
        hypervisor_hostname_pattern: usePattern && mvAtLeast(effective, '2.53') ? o.pattern : undefined,
      },
      // A pattern cannot be combined with paging; paging itself exists from 2.33.
      limit: usePattern || !mvAtLeast(effective, '2.33') ? undefined : (o.limit ?? NOVA_PAGE_LIMIT),
      microversion: pin,
      signal: o.signal,
    };
  }

  hypervisorPages(o: HypervisorListOptions = {}): AsyncGenerator<Page<Hypervisor>> {
    return this.client.pages('/os-hypervisors/detail', 'hypervisors', 'hypervisors_links', parseHypervisor, this.hypervisorOptions(o));
  }

  listHypervisors(o: HypervisorListOptions = {}): Promise<ApiList<Hypervisor>> {
    return this.client.list('/os-hypervisors/detail', 'hypervisors', 'hypervisors_links', parseHypervisor, this.hypervisorOptions(o));
  }

  async getHypervisor(id: string, o: Signal & { withServers?: boolean; withCpuInfo?: boolean } = {}): Promise<ApiResult<Hypervisor>> {
    const pin = o.withCpuInfo && mvAtLeast(this.microversion, '2.88') ? '2.87' : undefined;
    const res = await this.client.get(`/os-hypervisors/${enc(id)}`, {
      query: { with_servers: o.withServers ? true : undefined },
      microversion: pin,
      signal: o.signal,
    });
    return { data: parseHypervisor(itemOf(res.body, 'hypervisor')), requestId: res.requestId };
  }

  // ------------------------------------------------------------ services

  async listServices(o: Signal & { host?: string; binary?: string } = {}): Promise<ApiResult<ComputeService[]>> {
    const res = await this.client.get('/os-services', { query: { host: o.host, binary: o.binary }, signal: o.signal });
    return { data: listOf(res.body, 'services').map(parseComputeService), requestId: res.requestId };
  }

  /**
   * Enable, disable (with a reason) or force down a compute service. From 2.53 by the service's UUID, before by
   * host+binary. Returns the service as Nova reports it after the change.
   */
  async updateService(service: { id?: string; host: string; binary: string }, update: ServiceUpdate, o: Signal = {}): Promise<ApiResult<ComputeService>> {
    const req = serviceUpdateRequest(this.microversion, service, update);
    const res = await this.client.call('PUT', req.path, { json: req.body, signal: o.signal });
    const item = itemOf(res.body, 'service');
    // Before 2.53 the response echoes only the changed fields.
    const data = parseComputeService({ host: service.host, binary: service.binary, ...(item as object) });
    return { data, requestId: res.requestId };
  }

  disableService(service: { id?: string; host: string; binary: string }, reason?: string, o: Signal = {}): Promise<ApiResult<ComputeService>> {
    return this.updateService(service, { action: 'disable', reason }, o);
  }

  enableService(service: { id?: string; host: string; binary: string }, o: Signal = {}): Promise<ApiResult<ComputeService>> {
    return this.updateService(service, { action: 'enable' }, o);
  }

  forceDownService(service: { id?: string; host: string; binary: string }, down: boolean, o: Signal = {}): Promise<ApiResult<ComputeService>> {
    return this.updateService(service, { action: 'force-down', down }, o);
  }
}
