import { errorMessage, isCancelled, isTroubleshooterError } from '../errors';
import type { CorrelationKey } from '../logs/keys';
import type { OpenStackClient } from '../openstack/client';
import type { Server } from '../openstack/types';
import { isInstanceName, looksLikeRequestId, validateRequestId } from '../remote/validate';

/**
 * The first step of the central journey: from what the user clicked (a request id, an instance) to what to search
 * (correlation keys) and where (the cloud's hosts as SSH aliases). Pure orchestration over the client; the search
 * itself is src/core/logs.
 */
export interface LogPlanHost {
  /** The OpenStack host name (service or agent host), or the API endpoint's address. */
  openstackHost: string;
  /** The ssh alias that reaches it. */
  alias: string;
  /** Why this host is searched: "nova-compute", "API endpoint", "instance host"… */
  role: string;
}

export interface LogPlan {
  title: string;
  keys: CorrelationKey[];
  hosts: LogPlanHost[];
  instanceUuid?: string;
  instanceName?: string;
  /** Oldest time of interest (epoch ms): rotated files older than this are skipped. */
  sinceMs?: number;
  /** What could not be found out (no admin rights, hosts without an ssh mapping…), shown in the document header. */
  notes: string[];
}

export interface HostMapping {
  /** OpenStack host name → ssh alias (settings: map, template, same name). Throws for an invalid name. */
  mapHost(openstackHost: string): string;
  /** An address or DNS name from an endpoint URL → the ssh alias whose HostName is that address, if any. */
  aliasForAddress(address: string): string | undefined;
  /** Whether an alias can be used (exists in the ssh config or resolves). */
  known?(alias: string): boolean;
  /**
   * A host that will be searched: start connecting to it now (best effort, never throws), so its login shell runs
   * while the plan is still reading the API.
   */
  warm?(alias: string): void;
}

/** Every host of the cloud worth searching: compute services' hosts, network agents' hosts, API endpoint hosts. */
export async function cloudHosts(client: OpenStackClient, mapping: HostMapping, signal?: AbortSignal): Promise<{ hosts: LogPlanHost[]; notes: string[] }> {
  const notes: string[] = [];
  const found = new Map<string, LogPlanHost>();
  const add = (openstackHost: string, role: string, alias?: string) => {
    let a = alias;
    try {
      a ??= mapping.mapHost(openstackHost);
    } catch (e) {
      notes.push(`Host "${openstackHost}" is skipped: ${errorMessage(e)}`);
      return;
    }
    if (mapping.known && !mapping.known(a)) {
      notes.push(`Host "${openstackHost}" (${role}) has no SSH target "${a}": set "openstack.hosts.map" or "openstack.hosts.template".`);
      return;
    }
    const prev = found.get(a);
    if (prev) {
      if (!prev.role.split(', ').includes(role)) prev.role += `, ${role}`;
    } else found.set(a, { openstackHost, alias: a, role });
  };

  // API endpoints: nova-api, neutron-server, keystone, placement, glance, horizon's httpd are not "services"
  // in os-services, but their logs matter most. Their hosts come from the catalog, mapped by address.
  try {
    const catalog = await client.identity.catalog({ signal });
    for (const svc of catalog) {
      for (const ep of svc.endpoints) {
        let hostName: string;
        try {
          hostName = new URL(ep.url).hostname.replace(/^\[|\]$/g, '');
        } catch {
          continue;
        }
        const alias = mapping.aliasForAddress(hostName);
        if (alias) add(alias, `${svc.type} API`, alias);
      }
    }
    // API hosts are searched in every plan: connect while services, agents and instance actions are read.
    for (const h of found.values()) mapping.warm?.(h.alias);
  } catch (e) {
    if (isCancelled(e)) throw e;
    notes.push(`The service catalog could not be read: ${errorMessage(e)}`);
  }

  try {
    const services = await client.compute.listServices({ signal });
    for (const s of services.data) add(s.host, s.binary);
  } catch (e) {
    if (isCancelled(e)) throw e;
    notes.push(isTroubleshooterError(e, 'Forbidden') ? 'Compute services are admin-only: only the API hosts are searched.' : `Compute services could not be listed: ${errorMessage(e)}`);
  }
  if (client.hasNetwork) {
    try {
      const agents = await client.network.listAgents({ signal });
      for (const a of agents.data) if (a.host) add(a.host, a.binary ?? a.agentType ?? 'neutron agent');
    } catch (e) {
      if (isCancelled(e)) throw e;
      if (!isTroubleshooterError(e, 'Forbidden')) notes.push(`Network agents could not be listed: ${errorMessage(e)}`);
    }
  }
  return { hosts: [...found.values()], notes };
}

/** A request id: search it on every host of the cloud. */
export async function planRequestLogs(client: OpenStackClient, requestId: string, mapping: HostMapping, signal?: AbortSignal): Promise<LogPlan> {
  const id = validateRequestId(requestId, { normalize: true });
  const { hosts, notes } = await cloudHosts(client, mapping, signal);
  return { title: id, keys: [{ kind: 'request', value: id }], hosts, notes };
}

/**
 * An instance: its uuid, its libvirt domain name and the request ids of its instance actions, on the API hosts,
 * the control hosts and every compute host it ever ran on (current host, migration sources and destinations).
 */
export async function planInstanceLogs(client: OpenStackClient, serverId: string, mapping: HostMapping, signal?: AbortSignal): Promise<LogPlan & { server: Server }> {
  const server = (await client.compute.getServer(serverId, { signal })).data;
  if (server.host) {
    try {
      mapping.warm?.(mapping.mapHost(server.host));
    } catch {
      /* reported below, where the host is mapped for the plan */
    }
  }
  const { hosts: all, notes } = await cloudHosts(client, mapping, signal);
  const keys: CorrelationKey[] = [{ kind: 'instance', value: server.id.toLowerCase() }];
  let sinceMs: number | undefined;
  try {
    const actions = await client.compute.listInstanceActions(server.id, { signal });
    for (const a of actions.data) {
      if (looksLikeRequestId(a.requestId)) keys.push({ kind: 'request', value: a.requestId });
      const t = a.startTime ? Date.parse(a.startTime.endsWith('Z') ? a.startTime : `${a.startTime}Z`) : NaN;
      if (Number.isFinite(t)) sinceMs = Math.min(sinceMs ?? t, t);
    }
  } catch (e) {
    if (isCancelled(e)) throw e;
    notes.push(`Instance actions could not be read: ${errorMessage(e)}`);
  }
  if (server.instanceName && isInstanceName(server.instanceName)) keys.push({ kind: 'instanceName', value: server.instanceName });

  // Computes it ran on; other computes are left out (their logs cannot mention it), control hosts stay.
  const computes = new Set<string>();
  if (server.host) computes.add(server.host);
  try {
    const migrations = await client.compute.listMigrations({ instanceUuid: server.id, signal });
    for (const m of migrations.data) {
      if (m.sourceCompute) computes.add(m.sourceCompute);
      if (m.destCompute) computes.add(m.destCompute);
    }
  } catch (e) {
    if (isCancelled(e)) throw e;
    if (!isTroubleshooterError(e, 'Forbidden')) notes.push(`Migrations could not be read: ${errorMessage(e)}`);
  }
  const computeAliases = new Set<string>();
  for (const c of computes) {
    try {
      computeAliases.add(mapping.mapHost(c));
    } catch (e) {
      notes.push(`Compute host "${c}" is skipped: ${errorMessage(e)}`);
    }
  }
  const hosts = all.filter((h) => !/^nova-compute$/.test(h.role) || computeAliases.has(h.alias));
  for (const a of computeAliases) if (!hosts.some((h) => h.alias === a)) hosts.push({ openstackHost: a, alias: a, role: 'instance host' });
  if (!server.host) notes.push('The instance\'s host is admin-only: every host of the cloud is searched.');
  return {
    title: `${server.name || server.id}`,
    keys,
    hosts: server.host ? hosts : all,
    instanceUuid: server.id.toLowerCase(),
    instanceName: server.instanceName,
    sinceMs: sinceMs !== undefined ? sinceMs - 10 * 60_000 : undefined,
    notes,
    server,
  };
}
