import { parseHostClock } from './clock';
import type { HostClock } from './types';

/**
 * Where an OpenStack host keeps its logs, per deployment tool (domain-facts §1.8):
 * - packaged (RDO, Ubuntu/Debian, this lab): /var/log/<service>, Apache in /var/log/httpd or /var/log/apache2,
 *   libvirt in /var/log/libvirt (qemu domain logs in /var/log/libvirt/qemu/<instance_name>.log);
 * - Kolla-Ansible: /var/log/kolla/<service> (Horizon's Apache ErrorLog is /var/log/kolla/horizon/horizon.log);
 * - TripleO: /var/log/containers/<service> (and /var/log/containers/httpd/<service>);
 * - OpenStack-Ansible (since Train) and DevStack: systemd-journald, read with journalctl.
 * Detected per host with one command; settings can replace the list.
 */

export const PACKAGED_DIRS = [
  '/var/log/nova',
  '/var/log/neutron',
  '/var/log/keystone',
  '/var/log/placement',
  '/var/log/glance',
  '/var/log/cinder',
  '/var/log/horizon',
  '/var/log/httpd',
  '/var/log/apache2',
  '/var/log/libvirt',
];
export const KOLLA_DIR = '/var/log/kolla';
export const TRIPLEO_DIR = '/var/log/containers';

export type DeploymentKind = 'packaged' | 'kolla' | 'tripleo' | 'journald';

/** Per-host log sources, overridable by settings (`openstack.logs.sources`). */
export interface LogSourceSettings {
  /** Replaces detection: directories to search on every host. */
  dirs?: string[];
  /** Search journald too (OpenStack-Ansible, DevStack). `auto`: when no log directory exists and journalctl does. */
  journald?: boolean | 'auto';
  /** journald units to read (`devstack@n-cpu.service`); empty: all units. */
  journaldUnits?: string[];
}

export interface HostSources {
  host: string;
  kind: DeploymentKind[];
  /** Existing log directories on the host. */
  dirs: string[];
  /** Read journald with these units (empty: all), or undefined for no journald. */
  journald?: string[];
  clock: HostClock;
}

/**
 * The one detection command: which candidate directories exist, whether journalctl and a journal exist, and the
 * host's clock (`date +%z %Z` and the IANA zone). The script is a constant; directories are positional arguments.
 */
export const DETECT_SCRIPT = [
  'for d in "$@"; do [ -d "$d" ] && printf "D %s\\n" "$d"; done',
  'date "+T %z %Z"',
  'z=""; [ -r /etc/timezone ] && z=$(head -n 1 /etc/timezone)',
  '[ -z "$z" ] && [ -L /etc/localtime ] && z=$(readlink /etc/localtime | sed -n "s|.*zoneinfo/||p")',
  'printf "Z %s\\n" "$z"',
  'command -v journalctl >/dev/null 2>&1 && { [ -d /var/log/journal ] || [ -d /run/log/journal ]; } && echo J',
  'exit 0',
].join('\n');

/** The directories looked for on every host: the settings' list, else every deployment kind's. */
export function candidateDirs(settings: LogSourceSettings = {}): string[] {
  return settings.dirs ?? [...PACKAGED_DIRS, KOLLA_DIR, TRIPLEO_DIR];
}

export function detectArgv(root = '', settings: LogSourceSettings = {}): string[] {
  const dirs = candidateDirs(settings);
  return ['sh', '-c', DETECT_SCRIPT, 'sh', ...dirs.map((d) => root + d)];
}

export function parseDetect(host: string, stdout: string, root = '', settings: LogSourceSettings = {}): HostSources {
  const dirs: string[] = [];
  let offset: string | undefined;
  let abbr: string | undefined;
  let zone: string | undefined;
  let journal = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('D ')) dirs.push(line.slice(2).slice(root.length));
    else if (line.startsWith('T ')) [offset, abbr] = line.slice(2).split(' ');
    else if (line.startsWith('Z ')) zone = line.slice(2).trim() || undefined;
    else if (line === 'J') journal = true;
  }
  const kind: DeploymentKind[] = [];
  if (dirs.some((d) => PACKAGED_DIRS.includes(d))) kind.push('packaged');
  if (dirs.includes(KOLLA_DIR)) kind.push('kolla');
  if (dirs.includes(TRIPLEO_DIR)) kind.push('tripleo');
  const wantJournal = settings.journald === true || ((settings.journald ?? 'auto') === 'auto' && journal && dirs.length === 0);
  if (wantJournal) kind.push('journald');
  return {
    host,
    kind,
    dirs,
    journald: wantJournal ? (settings.journaldUnits ?? []) : undefined,
    clock: parseHostClock(offset, abbr, zone),
  };
}

const APACHE_DIRS = new Set(['httpd', 'apache2']);
const SERVICE_PREFIX: Record<string, string> = { neutron: 'neutron-', glance: 'glance-', cinder: 'cinder-' };

/**
 * The service a log file belongs to, from its path: `nova-compute.log.1.gz` → nova-compute; `error.log` under
 * apache2/httpd → httpd (and `keystone_wsgi_error.log` → httpd:keystone_wsgi_error); neutron's RHEL-era
 * `server.log` → neutron-server; `/var/log/libvirt/qemu/instance-00000001.log` → qemu; journald → its identifier.
 */
export function serviceOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const base = parts[parts.length - 1] ?? path;
  const dir = parts[parts.length - 2] ?? '';
  const parent = parts[parts.length - 3] ?? '';
  let stem = base
    .replace(/\.(gz|xz|bz2|zst)$/, '')
    .replace(/-\d{8}$/, '')
    .replace(/\.\d+$/, '')
    .replace(/-\d{8}$/, '')
    .replace(/\.(log|txt)$/, '')
    .replace(/_log$/, '');
  if (dir === 'qemu' && (parent === 'libvirt' || /^instance-/.test(stem))) return 'qemu';
  if (APACHE_DIRS.has(dir) || (APACHE_DIRS.has(parent) && dir !== 'qemu')) {
    if (stem === 'error' || stem === 'ssl_error' || stem === 'access' || stem === 'ssl_access' || stem === 'other_vhosts_access') return 'httpd';
    return `httpd:${stem}`;
  }
  if (dir === 'horizon' && stem === 'horizon') return 'horizon';
  const prefix = SERVICE_PREFIX[dir];
  if (prefix && !stem.startsWith(prefix) && !stem.startsWith(dir)) stem = prefix + stem;
  return stem || base;
}
