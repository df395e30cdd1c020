import { TroubleshooterError } from '../errors';
import { classifyNamespace, type NamespaceKind } from './names';

/**
 * Two views of a host's network namespaces, and their union (domain-facts §3.5):
 * - `ip netns list` shows *named* namespaces: files under /run/netns (where neutron creates its namespaces);
 * - `lsns -t net` shows namespaces *held by a process*; a named namespace with no process in it (a qrouter- without
 *   keepalived/haproxy) is invisible to it, and container namespaces are visible to it but not to `ip netns`.
 *   Its NSFS column maps an inode back to `/run/netns/<name>`.
 */

export interface IpNetnsEntry {
  name: string;
  /** The netnsid shown as `(id: N)` when the current namespace has assigned one. */
  id?: number;
}

/** Parses `ip netns list` (`qrouter-… (id: 0)` or just the name, one per line). */
export function parseIpNetnsList(stdout: string): IpNetnsEntry[] {
  const out: IpNetnsEntry[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)(?:\s+\(id:\s*(\d+)\))?$/.exec(line);
    if (!m) throw new TroubleshooterError('CommandFailed', `Unexpected line in the output of "ip netns list": "${line.slice(0, 120)}".`);
    out.push(m[2] !== undefined ? { name: m[1], id: Number(m[2]) } : { name: m[1] });
  }
  return out;
}

export interface LsnsEntry {
  /** Namespace inode number (`net:[<inode>]`). */
  inode: number;
  nprocs: number;
  /** Lowest pid in the namespace. */
  pid?: number;
  command?: string;
  /** Bind-mount paths of the namespace file (`/run/netns/<name>`); empty for anonymous namespaces. */
  nsfs: string[];
  netnsid?: number;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** Parses `lsns -t net -J -o …` (util-linux ≥2.28 JSON; numbers are strings in older versions). */
export function parseLsnsJson(stdout: string): LsnsEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout || '{"namespaces":[]}');
  } catch {
    throw new TroubleshooterError('CommandFailed', `The output of "lsns -J" is not JSON: "${stdout.slice(0, 80).replace(/\s+/g, ' ')}".`);
  }
  const list = (doc as { namespaces?: unknown }).namespaces;
  if (!Array.isArray(list)) throw new TroubleshooterError('CommandFailed', 'The output of "lsns -J" has no "namespaces" list.');
  const out: LsnsEntry[] = [];
  for (const e of list as Record<string, unknown>[]) {
    if (e.type !== undefined && e.type !== 'net') continue;
    const inode = num(e.ns);
    if (inode === undefined) continue;
    const nsfs = typeof e.nsfs === 'string' ? e.nsfs.split('\n').map((s) => s.trim()).filter(Boolean) : [];
    out.push({
      inode,
      nprocs: num(e.nprocs) ?? 0,
      pid: num(e.pid),
      command: typeof e.command === 'string' ? e.command : undefined,
      nsfs,
      netnsid: num(e.netnsid),
    });
  }
  return out;
}

export interface NamespaceSighting {
  /** The name under /run/netns, or `net:[<inode>]` for an anonymous namespace only lsns saw. */
  name: string;
  kind: NamespaceKind;
  resourceId?: string;
  /** Listed by `ip netns list` (a file under /run/netns or /var/run/netns). */
  byIpNetns: boolean;
  /** Listed by `lsns -t net` (some process holds it). */
  byLsns: boolean;
  inode?: number;
  nprocs?: number;
  pid?: number;
  command?: string;
}

function nameFromNsfs(paths: string[]): string | undefined {
  for (const p of paths) {
    const m = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(p);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * The union of both tools' answers, by name (lsns entries are named through NSFS). Sorted: neutron namespaces first
 * (qrouter, snat, fip, qdhcp, ovnmeta), then other named ones, then anonymous ones.
 */
export function mergeSightings(ipNetns: IpNetnsEntry[], lsns: LsnsEntry[] | undefined): NamespaceSighting[] {
  const byName = new Map<string, NamespaceSighting>();
  for (const e of ipNetns) {
    const c = classifyNamespace(e.name);
    byName.set(e.name, { name: e.name, kind: c.kind, resourceId: c.resourceId, byIpNetns: true, byLsns: false });
  }
  for (const e of lsns ?? []) {
    const named = nameFromNsfs(e.nsfs);
    const name = named ?? `net:[${e.inode}]`;
    const prev = byName.get(name);
    const c = classifyNamespace(name);
    byName.set(name, {
      name,
      kind: c.kind,
      resourceId: c.resourceId,
      byIpNetns: prev?.byIpNetns ?? false,
      byLsns: true,
      inode: e.inode,
      nprocs: e.nprocs,
      pid: e.pid,
      command: e.command,
    });
  }
  const order: Record<NamespaceKind, number> = { qrouter: 0, snat: 1, fip: 2, qdhcp: 3, ovnmeta: 4, other: 5 };
  return [...byName.values()].sort((a, b) => {
    const anonA = a.name.startsWith('net:[') ? 1 : 0;
    const anonB = b.name.startsWith('net:[') ? 1 : 0;
    return anonA - anonB || order[a.kind] - order[b.kind] || a.name.localeCompare(b.name);
  });
}

/** Which tool saw a namespace, and why the other one did not — the hover text of a namespace node. */
export function explainSighting(s: NamespaceSighting): string {
  if (s.byIpNetns && s.byLsns) {
    return `Seen by both "ip netns" (a named namespace under /run/netns) and "lsns -t net" (held by ${s.nprocs ?? '?'} process${s.nprocs === 1 ? '' : 'es'}${s.command ? `, e.g. "${s.command}"` : ''}).`;
  }
  if (s.byIpNetns) {
    return 'Seen by "ip netns" only: it is a named namespace (a bind mount under /run/netns) that no process holds, and plain "lsns" only lists namespaces that have processes (util-linux ≥2.41 lists these with "lsns -P"). Normal for a qrouter- without keepalived or haproxy.';
  }
  if (s.name.startsWith('net:[')) {
    return `Seen by "lsns -t net" only: an anonymous namespace (no name under /run/netns), held by ${s.nprocs ?? '?'} process${s.nprocs === 1 ? '' : 'es'}${s.command ? ` such as "${s.command}"` : ''} — typically a container; "ip netns" lists named namespaces only.`;
  }
  return 'Seen by "lsns -t net" only: its bind mount (NSFS) exists, but "ip netns" does not list it — the mount is hidden under another mount on /run/netns, lies outside /run/netns, or the namespace was created between the two calls.';
}
