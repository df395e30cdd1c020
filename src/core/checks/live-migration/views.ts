import type { RemoteFile } from '../commands/files';
import type { Listener } from '../commands/network';
import { argValues, findProcesses, type ProcessInfo, type ProcessTable } from '../commands/processes';
import { reasonOf, valueOf } from '../gather';
import { iniBool, iniGet, parseIni, type Ini } from '../ini';
import { LIBVIRT_TCP_PORT, LIBVIRT_TLS_PORT, MIGRATION_PORT_MAX, MIGRATION_PORT_MIN, type ComputeHostFacts } from './facts';

/**
 * Derived views of a compute host's facts: nova.conf's migration settings, the libvirt daemon model that serves
 * remote connections, the L2 agent and its VXLAN port. Pure functions of recorded facts.
 */

export function novaConf(h: ComputeHostFacts | undefined): Ini | undefined {
  const files = valueOf(h?.novaFiles);
  if (!files) return undefined;
  const ini: Ini = new Map();
  for (const f of files) if (f.exists && f.content !== undefined) parseIni(f.content, f.path, ini);
  return ini;
}

function fileByName(files: RemoteFile[] | undefined, name: string): RemoteFile | undefined {
  return files?.find((f) => f.exists && f.path.endsWith(`/${name}`));
}

export interface NovaMigrationSettings {
  computeDriver?: string;
  virtType?: string;
  scheme: string;
  uri?: string;
  inboundAddr?: string;
  nativeTls: boolean;
  tunnelled: boolean;
  cpuMode?: string;
  cpuModels: string[];
  vncServerListen?: string;
  instancesPath: string;
  host?: string;
}

export function novaMigrationSettings(ini: Ini | undefined): NovaMigrationSettings {
  const g = (s: string, k: string) => (ini ? iniGet(ini, s, k)?.value : undefined) || undefined;
  const statePath = g('DEFAULT', 'state_path') ?? '/var/lib/nova';
  const models = g('libvirt', 'cpu_models') ?? g('libvirt', 'cpu_model');
  return {
    computeDriver: g('DEFAULT', 'compute_driver'),
    virtType: g('libvirt', 'virt_type'),
    scheme: (g('libvirt', 'live_migration_scheme') ?? 'tcp').toLowerCase(),
    uri: g('libvirt', 'live_migration_uri'),
    inboundAddr: g('libvirt', 'live_migration_inbound_addr'),
    nativeTls: iniBool(g('libvirt', 'live_migration_with_native_tls')) ?? false,
    tunnelled: iniBool(g('libvirt', 'live_migration_tunnelled')) ?? false,
    cpuMode: g('libvirt', 'cpu_mode')?.toLowerCase(),
    cpuModels: models ? models.split(',').map((m) => m.trim()).filter(Boolean) : [],
    vncServerListen: g('vnc', 'server_listen') ?? g('vnc', 'vncserver_listen'),
    instancesPath: (g('DEFAULT', 'instances_path') ?? `${statePath}/instances`).replace(/\$state_path|\$\{state_path\}/, statePath),
    host: g('DEFAULT', 'host'),
  };
}

/** The libvirt URI nova's source compute uses for `dest` (live_migration_uri, else the scheme; %s → dest). */
export function migrationUri(s: NovaMigrationSettings, dest: string): { uri: string; scheme: string; port: number } {
  if (s.uri) {
    const uri = s.uri.replace('%s', dest);
    const m = /^qemu\+([a-z]+):\/\/[^/]*?(?::(\d+))?\//.exec(uri);
    const scheme = m?.[1] ?? 'tcp';
    return { uri, scheme, port: m?.[2] ? Number(m[2]) : defaultPort(scheme) };
  }
  const scheme = s.scheme;
  const host = dest.includes(':') && !dest.startsWith('[') ? `[${dest}]` : dest;
  return { uri: `qemu+${scheme}://${host}/system`, scheme, port: defaultPort(scheme) };
}

function defaultPort(scheme: string): number {
  return scheme === 'tls' ? LIBVIRT_TLS_PORT : scheme === 'ssh' ? 22 : LIBVIRT_TCP_PORT;
}

export type DaemonModel = 'listen' | 'socket' | 'modular' | 'local-only' | 'not-running';

export interface LibvirtDaemonView {
  model: DaemonModel;
  /** What runs: "libvirtd (pid 812, without --listen)". */
  description: string;
  libvirtd?: ProcessInfo;
  listenFlag: boolean;
  /** libvirtd.conf values that matter (as written, or undefined for the default). */
  conf: { listenTcp?: string; listenTls?: string; tcpPort?: string; tlsPort?: string; authTcp?: string; listenAddr?: string };
  confPath: string;
  /** LIBVIRTD_ARGS / libvirtd_opts line and its file. */
  argsLine?: { file: string; text: string };
  activeUnits: string[];
  listeners: Listener[];
  systemd?: boolean;
  migrationPorts: { min: number; max: number };
}

/** Which libvirt daemon model serves remote connections on this host, from processes, units, sockets and files. */
export function libvirtDaemonView(h: ComputeHostFacts): LibvirtDaemonView {
  const table = valueOf(h.processes);
  const libvirtd = table ? findProcesses(table, /^libvirtd$/)[0] : undefined;
  const virtproxyd = table ? findProcesses(table, /^virtproxyd$/)[0] : undefined;
  const virtqemud = table ? findProcesses(table, /^virtqemud$/)[0] : undefined;
  const listenFlag = libvirtd ? libvirtd.argv.some((a) => a === '--listen' || a === '-l') : false;
  const confArg = libvirtd ? [...argValues(libvirtd.argv, '--config'), ...argValues(libvirtd.argv, '-f')][0] : undefined;
  const files = valueOf(h.libvirtFiles);
  const confPath = confArg ?? '/etc/libvirt/libvirtd.conf';
  const confFile = files?.find((f) => f.exists && f.path === confPath) ?? fileByName(files, 'libvirtd.conf');
  const ini = confFile?.content !== undefined ? parseIni(confFile.content, confFile.path) : undefined;
  const c = (k: string) => (ini ? iniGet(ini, '', k)?.value : undefined);
  const qemuConf = fileByName(files, 'qemu.conf');
  const qini = qemuConf?.content !== undefined ? parseIni(qemuConf.content) : undefined;
  const qmin = Number(qini ? iniGet(qini, '', 'migration_port_min')?.value : NaN);
  const qmax = Number(qini ? iniGet(qini, '', 'migration_port_max')?.value : NaN);
  let argsLine: LibvirtDaemonView['argsLine'];
  for (const f of files ?? []) {
    if (!f.exists || !/\/(?:default|sysconfig)\/libvirtd$/.test(f.path)) continue;
    const line = f.content?.split('\n').find((l) => /^\s*(?:LIBVIRTD_ARGS|libvirtd_opts)\s*=/.test(l));
    if (line) argsLine = { file: f.path, text: line.trim() };
  }
  const units = valueOf(h.units);
  const activeUnits = units ? Object.entries(units.states).filter(([, s]) => s === 'active' || s === 'listening').map(([u]) => u) : [];
  const ls = (valueOf(h.tcpListeners) ?? []).filter((l) => l.port === LIBVIRT_TCP_PORT || l.port === LIBVIRT_TLS_PORT || l.processes.some((p) => /libvirt|virtproxy/.test(p)));
  let model: DaemonModel;
  let description: string;
  if (virtproxyd || activeUnits.some((u) => u.startsWith('virtproxyd')) || (virtqemud && !libvirtd)) {
    model = 'modular';
    description = `modular daemons (${[virtqemud && `virtqemud pid ${virtqemud.pid}`, virtproxyd ? `virtproxyd pid ${virtproxyd.pid}` : 'no virtproxyd running'].filter(Boolean).join(', ')})`;
  } else if (activeUnits.some((u) => /^libvirtd(-tcp|-tls)?\.socket$/.test(u)) && !listenFlag) {
    model = 'socket';
    description = `libvirtd with systemd socket activation (${activeUnits.filter((u) => u.endsWith('.socket')).join(', ')})`;
  } else if (libvirtd && listenFlag) {
    model = 'listen';
    description = `libvirtd (pid ${libvirtd.pid}) with --listen`;
  } else if (libvirtd) {
    model = 'local-only';
    description = `libvirtd (pid ${libvirtd.pid}) without --listen`;
  } else {
    model = 'not-running';
    description = table ? 'no libvirtd, virtqemud or virtproxyd process' : `processes unknown (${reasonOf(h.processes)})`;
  }
  return {
    model,
    description,
    libvirtd,
    listenFlag,
    conf: { listenTcp: c('listen_tcp'), listenTls: c('listen_tls'), tcpPort: c('tcp_port'), tlsPort: c('tls_port'), authTcp: c('auth_tcp'), listenAddr: c('listen_addr') },
    confPath: confFile?.path ?? confPath,
    argsLine,
    activeUnits,
    listeners: ls,
    systemd: units?.systemd,
    migrationPorts: { min: Number.isFinite(qmin) ? qmin : MIGRATION_PORT_MIN, max: Number.isFinite(qmax) ? qmax : MIGRATION_PORT_MAX },
  };
}

/** The neutron L2 agent process of a host (linuxbridge or openvswitch) and its config files. */
export function l2AgentProcess(table: ProcessTable | undefined): ProcessInfo | undefined {
  if (!table) return undefined;
  return findProcesses(table, /^neutron-(?:linuxbridge|openvswitch|macvtap|sriov-nic)-agent$/)[0];
}

/** The VXLAN UDP port an L2 agent is configured with (linuxbridge `[vxlan] udp_dstport`, OVS `[agent] vxlan_udp_port`). */
export function configuredVxlanPort(files: RemoteFile[] | undefined): { port: number; source: string; explicit: boolean } | undefined {
  if (!files) return undefined;
  const ini: Ini = new Map();
  for (const f of files) if (f.exists && f.content !== undefined) parseIni(f.content, f.path, ini);
  const lb = iniGet(ini, 'vxlan', 'udp_dstport');
  if (lb?.value) return { port: Number(lb.value), source: `${lb.file}:${lb.line} udp_dstport = ${lb.value}`, explicit: true };
  const ovs = iniGet(ini, 'agent', 'vxlan_udp_port');
  if (ovs?.value) return { port: Number(ovs.value), source: `${ovs.file}:${ovs.line} vxlan_udp_port = ${ovs.value}`, explicit: true };
  const names = files.filter((f) => f.exists).map((f) => f.path);
  if (names.some((n) => /linuxbridge/.test(n))) return { port: 8472, source: 'linuxbridge agent without [vxlan] udp_dstport: the kernel default 8472', explicit: false };
  if (names.some((n) => /openvswitch/.test(n))) return { port: 4789, source: 'OVS agent without [agent] vxlan_udp_port: the default 4789', explicit: false };
  return undefined;
}
