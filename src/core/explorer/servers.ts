import type { Port, Server, ServerMigration, Subnet } from '../openstack/types';

/** Pure presentation logic for instances: grouping, filtering, states, addresses with subnets, migration progress. */

export type GroupBy = 'project' | 'host' | 'status' | 'none';

/** Nova statuses during which the server changes by itself: these get the fast poll. */
const TRANSITIONAL = new Set([
  'BUILD', 'MIGRATING', 'RESIZE', 'REBUILD', 'REBOOT', 'HARD_REBOOT', 'PASSWORD', 'REVERT_RESIZE',
  'RESCUE', 'SHELVED', 'DELETED', 'SOFT_DELETED',
]);
const STABLE = new Set(['ACTIVE', 'SHUTOFF', 'ERROR', 'PAUSED', 'SUSPENDED', 'SHELVED_OFFLOADED', 'VERIFY_RESIZE', 'RESCUE', 'UNKNOWN', 'SHELVED']);

/** True while the server is moving between states (status transitional, or any task_state set). */
export function isTransitional(s: Pick<Server, 'status' | 'taskState'>): boolean {
  if (s.taskState) return true;
  return TRANSITIONAL.has(s.status) && !STABLE.has(s.status);
}

/** Nova's power_state integers (nova/compute/power_state.py). */
export const POWER_STATES: Record<number, string> = {
  0: 'NOSTATE', 1: 'Running', 3: 'Paused', 4: 'Shutdown', 6: 'Crashed', 7: 'Suspended',
};

export function powerStateName(p: number | undefined): string | undefined {
  return p === undefined ? undefined : POWER_STATES[p] ?? `state ${p}`;
}

/** `os.<kind>.<state>` plus `+flag`s (STYLE.md). */
export function contextValue(kind: string, state: string, flags: Record<string, boolean | undefined> = {}): string {
  const st = state.toLowerCase().replace(/[^a-z0-9_-]+/g, '_') || 'unknown';
  return `os.${kind}.${st}${Object.entries(flags).filter(([, v]) => v).map(([k]) => `+${k}`).join('')}`;
}

export function serverContextValue(s: Server): string {
  return contextValue('instance', s.status, {
    migratable: s.status === 'ACTIVE' || s.status === 'SHUTOFF',
    migrating: s.status === 'MIGRATING' || s.taskState === 'migrating',
    transitional: isTransitional(s),
    admin: s.host !== undefined,
  });
}

/** The one-line description next to an instance: status, task, and (admins) the compute host. */
export function serverDescription(s: Server): string {
  const parts = [s.status + (s.taskState ? ` (${s.taskState})` : '')];
  if (s.host) parts.push(s.host);
  else if (s.host === null) parts.push('not scheduled');
  const ip = s.addresses.find((a) => a.type !== 'floating')?.addr;
  if (ip) parts.push(ip);
  return parts.join(' · ');
}

export interface ServerGroup {
  /** Stable key (host name, project id, status). */
  key: string;
  label: string;
  servers: Server[];
}

/** Groups servers; groups sorted by label, servers by name then id; missing keys become an explained group. */
export function groupServers(servers: Server[], by: Exclude<GroupBy, 'none'>, projectNames: Record<string, string> = {}): ServerGroup[] {
  const groups = new Map<string, ServerGroup>();
  for (const s of servers) {
    let key: string;
    let label: string;
    if (by === 'host') {
      key = s.host ?? (s.host === null ? '(not scheduled)' : '(host hidden)');
      label = key;
    } else if (by === 'project') {
      key = s.projectId ?? '(unknown project)';
      label = projectNames[key] ? `${projectNames[key]} (${key})` : key;
    } else {
      key = s.status;
      label = s.status;
    }
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, label, servers: [] }));
    g.servers.push(s);
  }
  // Explanatory groups ("(not scheduled)", "(host hidden)") after the real ones.
  const special = (g: ServerGroup) => (g.label.startsWith('(') ? 1 : 0);
  const list = [...groups.values()].sort((a, b) => special(a) - special(b) || a.label.localeCompare(b.label));
  for (const g of list) g.servers.sort(compareServers);
  return list;
}

export function compareServers(a: Server, b: Server): number {
  return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/** Filter text matches a name (substring, case-insensitive), an id (prefix), or an address (exact or prefix). */
export function matchesFilter(s: Server, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  if (s.name.toLowerCase().includes(f)) return true;
  if (s.id.toLowerCase().startsWith(f)) return true;
  return s.addresses.some((a) => a.addr.toLowerCase() === f || a.addr.toLowerCase().startsWith(f));
}

export interface NovaFilter {
  kind: 'id' | 'ip' | 'name';
  query: Record<string, string>;
  /** Exact match applied to what Nova returns (its `ip` filter is a substring match through Neutron). */
  keep?: (s: Server) => boolean;
}

/**
 * Server-side filters for Nova when the filter text is unambiguous: an IP address (Nova asks Neutron for ports whose
 * address contains it — anchors are not honoured — so the rows are then kept only on an exact match), a UUID (shown
 * directly), else `name` (a regular expression in Nova; the text is escaped).
 */
export function novaFilterQuery(filter: string): NovaFilter | undefined {
  const f = filter.trim();
  if (!f) return undefined;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(f)) return { kind: 'id', query: { uuid: f.toLowerCase() } };
  const exactIp = (s: Server) => s.addresses.some((a) => a.addr.toLowerCase() === f.toLowerCase());
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(f)) return { kind: 'ip', query: { ip: f }, keep: exactIp };
  if (/^[0-9a-f:]+$/i.test(f) && f.includes(':')) return { kind: 'ip', query: { ip6: f }, keep: exactIp };
  return { kind: 'name', query: { name: f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') } };
}

export interface AddressWithSubnet {
  address: string;
  network: string;
  type?: string;
  mac?: string;
  portId?: string;
  subnet?: { id: string; name: string; cidr: string };
}

/**
 * "Which subnet did it land on": each fixed address with the subnet that holds it (port → fixed_ips → subnet).
 * Floating addresses keep no subnet (they belong to the external network).
 */
export function addressesWithSubnets(server: Server, ports: Port[], subnets: Subnet[]): AddressWithSubnet[] {
  const subnetById = new Map(subnets.map((s) => [s.id, s]));
  const byIp = new Map<string, { port: Port; subnetId: string }>();
  for (const p of ports) for (const f of p.fixedIps) byIp.set(f.ipAddress, { port: p, subnetId: f.subnetId });
  const out: AddressWithSubnet[] = server.addresses.map((a) => {
    const hit = a.type === 'floating' ? undefined : byIp.get(a.addr);
    const sn = hit ? subnetById.get(hit.subnetId) : undefined;
    return {
      address: a.addr,
      network: a.network,
      type: a.type,
      mac: a.mac,
      portId: hit?.port.id,
      subnet: hit ? { id: hit.subnetId, name: sn?.name ?? '', cidr: sn?.cidr ?? '' } : undefined,
    };
  });
  // Ports Nova has not (yet) put into `addresses` (info cache lag) still show.
  const shown = new Set(out.map((a) => a.address));
  for (const [ip, { port, subnetId }] of byIp) {
    if (shown.has(ip)) continue;
    const sn = subnetById.get(subnetId);
    out.push({ address: ip, network: port.networkId, portId: port.id, mac: port.macAddress, subnet: { id: subnetId, name: sn?.name ?? '', cidr: sn?.cidr ?? '' } });
  }
  return out;
}

/** Progress of an in-progress live migration (memory processed / total), or undefined while unknown. */
export function migrationProgress(m: Pick<ServerMigration, 'memoryProcessedBytes' | 'memoryTotalBytes' | 'memoryRemainingBytes'>): number | undefined {
  const total = m.memoryTotalBytes ?? 0;
  if (!total) return undefined;
  const processed = m.memoryProcessedBytes ?? (m.memoryRemainingBytes != null ? total - m.memoryRemainingBytes : undefined);
  if (processed === undefined || processed === null) return undefined;
  return Math.max(0, Math.min(100, Math.round((processed / total) * 100)));
}
