import { TroubleshooterError } from '../errors';
import type { ComputeService, Hypervisor, NetworkAgent, ProviderCapacity, Server } from '../openstack/types';
import { apiOutcome, HostRunner, notOk, ok, reasonOf, valueOf, type GatherContext, type Outcome } from './gather';
import {
  argValues,
  createSharedTestFile,
  fileExists,
  findProcesses,
  iptablesSave,
  isIpAddress,
  listenOnce,
  listeners,
  processTable,
  readFiles,
  removeSharedTestFile,
  resolveName,
  tcpProbe,
  unitStates,
  virsh,
  virshRemoteVersion,
  vxlanLinks,
  type Listener,
  type ProbeResult,
  type ProcessInfo,
  type ProcessTable,
  type RemoteFile,
  type Resolution,
  type UnitStates,
  type VxlanLink,
} from './host-commands';
import { iniBool, iniGet, parseIni, type Ini } from './ini';
import type { IptablesSave } from '../namespaces/iptables';
import type { CheckApi } from './ports';
import { finding, overallStatus, skipped, type CheckReport, type Finding, type Fix } from './types';
import {
  compareVersions,
  formatHypervisorVersion,
  parseCapabilities,
  parseDomainCapabilities,
  parseVirshVersion,
  type Capabilities,
  type DomainCapabilities,
} from './virsh';

/**
 * Live-migration readiness of one instance (or one source host) towards a target compute host: facts from the API
 * and both hosts, then a pure evaluation into the checklist of domain-facts §4.5, stricter where operators learned
 * to be (a plain qemu/libvirt version difference warns).
 */

export const LIBVIRT_TCP_PORT = 16509;
export const LIBVIRT_TLS_PORT = 16514;
/** libvirt qemu.conf defaults (nova's doc says 49152–49261; libvirt's own range is authoritative). */
export const MIGRATION_PORT_MIN = 49152;
export const MIGRATION_PORT_MAX = 49215;

export const LIBVIRT_UNITS = [
  'libvirtd.service',
  'libvirtd.socket',
  'libvirtd-tcp.socket',
  'libvirtd-tls.socket',
  'virtqemud.service',
  'virtproxyd.service',
  'virtproxyd-tcp.socket',
  'virtproxyd-tls.socket',
];

/** Facts of one compute host (raw command outputs, so recorded facts can be replayed through the evaluation). */
export interface ComputeHostFacts {
  host: string;
  processes: Outcome<ProcessTable>;
  tcpListeners: Outcome<Listener[]>;
  units: Outcome<UnitStates>;
  virshVersion: Outcome<ProbeResult>;
  capabilities: Outcome<ProbeResult>;
  domCapabilities: Outcome<ProbeResult>;
  /** nova-compute's config files, in the order it reads them. */
  novaFiles: Outcome<RemoteFile[]>;
  /** libvirtd.conf, qemu.conf, virtproxyd.conf, /etc/default/libvirtd, /etc/sysconfig/libvirtd. */
  libvirtFiles: Outcome<RemoteFile[]>;
  /** The L2 agent's config files. */
  agentFiles: Outcome<RemoteFile[]>;
  vxlan: Outcome<VxlanLink[]>;
  firewall: Outcome<IptablesSave>;
}

/** Facts gathered between the two hosts (from the source towards the target). */
export interface PairFacts {
  /** The address nova connects to: inbound_addr, or the target host name resolved on the source. */
  connectName: string;
  resolution: Outcome<Resolution>;
  /** Address actually probed (resolved, or the hypervisor's host_ip as a fallback). */
  address?: string;
  transportPort?: number;
  tcp: Outcome<ProbeResult>;
  virshConnect: Outcome<ProbeResult>;
  migrationPort: Outcome<{ port: number; listener: ProbeResult; probe: ProbeResult }>;
  sharedStorage: Outcome<{ dir: string; shared: boolean; file: string }>;
}

export interface LiveMigrationFacts {
  server?: Pick<Server, 'id' | 'name' | 'status' | 'host' | 'flavor' | 'instanceName'> & { configDrive?: boolean };
  source: string;
  target: string;
  services: Outcome<ComputeService[]>;
  hypervisors: Outcome<Hypervisor[]>;
  agents: Outcome<NetworkAgent[]>;
  capacity: Outcome<ProviderCapacity | undefined>;
  hosts: Record<string, ComputeHostFacts>;
  pair: PairFacts;
  unreachable: { host: string; reason: string }[];
  startedAt: string;
  durationMs: number;
}

// ---------------------------------------------------------------- derived views of host facts

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
function l2AgentProcess(table: ProcessTable | undefined): ProcessInfo | undefined {
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

// ---------------------------------------------------------------- gathering

export interface LiveMigrationTarget {
  /** Compute service host of the instance (or of the source host for a host-only check). */
  source: string;
  /** Candidate target service hosts (empty: every other nova-compute host). */
  targets?: string[];
  server?: string;
}

/** Gathers the facts of one compute host (the commands run concurrently after the process table). */
export async function gatherComputeHost(run: HostRunner, host: string): Promise<ComputeHostFacts> {
  const processes = await run.run(host, 'list processes', processTable());
  const table = valueOf(processes);
  const nova = table ? findProcesses(table, /^nova-compute$/)[0] : undefined;
  const novaPaths = nova ? [...argValues(nova.argv, '--config-file'), ...argValues(nova.argv, '--config-dir').map((d) => (d.endsWith('/') ? d : `${d}/`))] : [];
  if (novaPaths.length === 0) novaPaths.push('/etc/nova/nova.conf', '/etc/nova/nova.conf.d/');
  const libvirtd = table ? findProcesses(table, /^libvirtd$/)[0] : undefined;
  const libvirtConf = libvirtd ? [...argValues(libvirtd.argv, '--config'), ...argValues(libvirtd.argv, '-f')][0] : undefined;
  const agent = l2AgentProcess(table);
  const agentPaths = agent ? [...argValues(agent.argv, '--config-file'), ...argValues(agent.argv, '--config-dir').map((d) => (d.endsWith('/') ? d : `${d}/`))] : [];
  if (agentPaths.length === 0) agentPaths.push('/etc/neutron/plugins/ml2/linuxbridge_agent.ini', '/etc/neutron/plugins/ml2/openvswitch_agent.ini');
  const [tcpListeners, units, virshVersion, capabilities, domCapabilities, novaFiles, libvirtFiles, agentFiles, vxlan, firewall] = await Promise.all([
    run.run(host, 'list TCP listeners', listeners('tcp')),
    run.run(host, 'systemd units of libvirt', unitStates(LIBVIRT_UNITS)),
    run.run(host, 'virsh version', virsh(['version', '--daemon'])),
    run.run(host, 'virsh capabilities', virsh(['capabilities'])),
    run.run(host, 'virsh domcapabilities', virsh(['domcapabilities'])),
    run.run(host, 'read nova.conf', readFiles(novaPaths, { sudo: true })),
    run.run(host, 'read libvirt config', readFiles([libvirtConf ?? '/etc/libvirt/libvirtd.conf', '/etc/libvirt/qemu.conf', '/etc/libvirt/virtproxyd.conf', '/etc/default/libvirtd', '/etc/sysconfig/libvirtd'], { sudo: true })),
    run.run(host, 'read neutron agent config', readFiles(agentPaths, { sudo: true })),
    run.run(host, 'list VXLAN links', vxlanLinks()),
    run.run(host, 'read iptables', iptablesSave('filter')),
  ]);
  run.ctx.progress({ host, message: 'facts gathered', done: true });
  return { host, processes, tcpListeners, units, virshVersion, capabilities, domCapabilities, novaFiles, libvirtFiles, agentFiles, vxlan, firewall };
}

/** Probes between source and target: resolution, transport, migration port, shared instances_path. */
export async function gatherPair(
  run: HostRunner,
  source: ComputeHostFacts,
  target: ComputeHostFacts,
  targetHypervisor: Hypervisor | undefined,
): Promise<PairFacts> {
  const srcNova = novaMigrationSettings(novaConf(source));
  const dstNova = novaMigrationSettings(novaConf(target));
  const connectName = dstNova.inboundAddr ?? target.host;
  let resolution: Outcome<Resolution>;
  if (isIpAddress(connectName)) resolution = ok({ name: connectName, addresses: [connectName] });
  else resolution = await run.run(source.host, `resolve "${connectName}"`, resolveName(connectName));
  const address = valueOf(resolution)?.addresses[0] ?? targetHypervisor?.hostIp;
  const { uri, port, scheme } = migrationUri(srcNova, address ?? connectName);
  const pending = (why: string): Outcome<never> => notOk(why);
  if (!address) {
    const why = `No address for "${connectName}" (it does not resolve on "${source.host}" and the API gives no host_ip).`;
    return { connectName, resolution, tcp: pending(why), virshConnect: pending(why), migrationPort: pending(why), sharedStorage: await sharedStorage(run, source, target, srcNova, dstNova) };
  }
  const view = libvirtDaemonView(target);
  const [tcp, virshConnect, migrationPort, shared] = await Promise.all([
    run.run(source.host, `connect to ${address}:${port}`, tcpProbe(address, port)),
    scheme === 'ssh' ? Promise.resolve(notOk<ProbeResult>('qemu+ssh: the libvirt connection uses the nova user\'s SSH key, which this check does not use.')) : run.run(source.host, `virsh -c ${uri} version`, virshRemoteVersion(uri)),
    migrationPortProbe(run, source.host, target, address, view),
    sharedStorage(run, source, target, srcNova, dstNova),
  ]);
  return { connectName, resolution, address, transportPort: port, tcp, virshConnect, migrationPort, sharedStorage: shared };
}

async function migrationPortProbe(
  run: HostRunner,
  source: string,
  target: ComputeHostFacts,
  address: string,
  view: LibvirtDaemonView,
): Promise<Outcome<{ port: number; listener: ProbeResult; probe: ProbeResult }>> {
  const used = new Set((valueOf(target.tcpListeners) ?? []).map((l) => l.port));
  let port = view.migrationPorts.min;
  while (used.has(port) && port < view.migrationPorts.max) port++;
  if (used.has(port)) return notOk(`Every port of ${view.migrationPorts.min}–${view.migrationPorts.max} is in use on "${target.host}".`);
  const listener = run.run(target.host, `listen on ${port}`, listenOnce(port, 6));
  // Give the listener time to bind before connecting (an SSH exec takes a few hundred ms to start).
  await new Promise((r) => setTimeout(r, 1500));
  const probe = await run.run(source, `connect to ${address}:${port}`, tcpProbe(address, port));
  const l = await listener;
  if (!l.ok) return notOk(l.reason, l.unreachable);
  if (!probe.ok) return notOk(probe.reason, probe.unreachable);
  return ok({ port, listener: l.value, probe: probe.value });
}

async function sharedStorage(
  run: HostRunner,
  source: ComputeHostFacts,
  target: ComputeHostFacts,
  srcNova: NovaMigrationSettings,
  dstNova: NovaMigrationSettings,
): Promise<Outcome<{ dir: string; shared: boolean; file: string }>> {
  // nova: the destination creates a temp file in its instances_path, the source looks for it in its own.
  const created = await run.run(target.host, 'create a test file in instances_path', createSharedTestFile(dstNova.instancesPath));
  if (!created.ok) return notOk(created.reason, created.unreachable);
  const file = created.value;
  const name = file.slice(file.lastIndexOf('/') + 1);
  const onSource = `${srcNova.instancesPath.replace(/\/$/, '')}/${name}`;
  const seen = await run.run(source.host, 'look for the test file', fileExists(onSource));
  await run.run(target.host, 'remove the test file', removeSharedTestFile(file));
  if (!seen.ok) return notOk(seen.reason, seen.unreachable);
  return ok({ dir: dstNova.instancesPath, shared: seen.value, file: name });
}

/**
 * Gathers readiness facts for a source and each target (host facts of the source are gathered once). `server`
 * (id or name) pins the source to the instance's host and adds the flavor for the capacity item.
 */
export async function gatherLiveMigration(api: CheckApi, ctx: GatherContext, req: LiveMigrationTarget): Promise<LiveMigrationFacts[]> {
  const started = Date.now();
  const t0 = performance.now();
  const run = new HostRunner(ctx);
  let server: LiveMigrationFacts['server'];
  let source = req.source;
  if (req.server) {
    const s = await api.getServer(req.server, ctx.signal);
    server = { id: s.id, name: s.name, status: s.status, host: s.host, flavor: s.flavor, instanceName: s.instanceName, configDrive: s.raw.config_drive === 'True' || s.raw.config_drive === true };
    if (s.host) source = s.host;
  }
  if (!source) {
    throw new TroubleshooterError('InvalidInput', req.server ? `The host of "${req.server}" is not visible: OS-EXT-SRV-ATTR:host needs an admin role.` : 'No source compute host given.');
  }
  const [services, hypervisors, agents] = await Promise.all([
    apiOutcome(ctx, 'list compute services', (sig) => api.listComputeServices(sig)),
    apiOutcome(ctx, 'list hypervisors', (sig) => api.listHypervisors(sig)),
    apiOutcome(ctx, 'list network agents', (sig) => api.listNetworkAgents({}, sig)),
  ]);
  let targets = req.targets?.filter((t) => t !== source) ?? [];
  if (!req.targets || req.targets.length === 0) {
    targets = (valueOf(services) ?? []).filter((s) => s.binary === 'nova-compute' && s.host !== source).map((s) => s.host);
  }
  const hostFacts: Record<string, ComputeHostFacts> = {};
  await Promise.all([source, ...targets].map(async (h) => (hostFacts[h] = await gatherComputeHost(run, h))));
  const out: LiveMigrationFacts[] = [];
  await Promise.all(
    targets.map(async (target) => {
      const hv = (valueOf(hypervisors) ?? []).find((x) => x.service?.host === target);
      const [pair, capacity] = await Promise.all([
        gatherPair(run, hostFacts[source], hostFacts[target], hv),
        apiOutcome(ctx, `placement capacity of "${target}"`, (sig) => api.providerCapacity(hv?.hypervisorHostname ?? target, sig)),
      ]);
      out.push({ server, source, target, services, hypervisors, agents, capacity, hosts: { [source]: hostFacts[source], [target]: hostFacts[target] }, pair, unreachable: [], startedAt: '', durationMs: 0 });
    }),
  );
  const unreachable = run.unreachable();
  const durationMs = Math.round(performance.now() - t0);
  for (const f of out) {
    f.unreachable = unreachable.filter((u) => u.host === f.source || u.host === f.target);
    f.startedAt = new Date(started).toISOString();
    f.durationMs = durationMs;
  }
  return out.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));
}

// ---------------------------------------------------------------- evaluation

/** Pure: the readiness checklist for one source → target pair. */
export function evaluateLiveMigration(f: LiveMigrationFacts): Finding[] {
  const src = f.hosts[f.source];
  const dst = f.hosts[f.target];
  const findings: Finding[] = [
    servicesItem(f),
    hypervisorItem(f, src, dst),
    cpuItem(f, src, dst),
    resolutionItem(f),
    transportItem(f, dst),
    migrationPortsItem(f, dst),
    sharedStorageItem(f, src),
    vncItem(f, src, dst),
    capacityItem(f),
    agentItem(f),
    vxlanItem(f, src, dst),
    configChangedItem(f, [src, dst]),
  ];
  return findings;
}

export function liveMigrationReport(f: LiveMigrationFacts): CheckReport {
  const findings = evaluateLiveMigration(f);
  const subject: Record<string, string> = { source: f.source, target: f.target };
  if (f.server) {
    subject.server = `${f.server.name} (${f.server.id})`;
  }
  return {
    kind: 'live-migration',
    title: `Live-migration readiness${f.server ? ` of "${f.server.name}"` : ''} from "${f.source}" to "${f.target}"`,
    subject,
    status: overallStatus(findings),
    findings,
    startedAt: f.startedAt,
    durationMs: f.durationMs,
    unreachable: f.unreachable,
  };
}

/** One line per candidate for a target picker: "pass", or the first failing items. */
export function readinessSummary(report: CheckReport): string {
  const fails = report.findings.filter((x) => x.status === 'fail');
  const warns = report.findings.filter((x) => x.status === 'warn');
  if (fails.length) return `✗ ${fails.map((x) => x.title).join(', ')}`;
  if (warns.length) return `⚠ ${warns.map((x) => x.title).join(', ')}`;
  if (report.status === 'skip') return 'not checked';
  return '✓ ready';
}

function hostSkip(id: string, title: string, h: ComputeHostFacts | undefined, o: Outcome<unknown> | undefined, host: string): Finding {
  return skipped(id, title, `Skipped: ${reasonOf(o, h ? 'not gathered' : `no facts from "${host}"`)}`, [host]);
}

function servicesItem(f: LiveMigrationFacts): Finding {
  const title = 'Compute services up, enabled, not forced down';
  const services = valueOf(f.services);
  if (!services) return skipped('services', title, `Skipped: ${reasonOf(f.services)}`);
  const evidence: string[] = [];
  const problems: string[] = [];
  const commands: { command: string }[] = [];
  for (const host of [f.source, f.target]) {
    const s = services.find((x) => x.binary === 'nova-compute' && x.host === host);
    if (!s) {
      problems.push(`no nova-compute service on "${host}"`);
      continue;
    }
    evidence.push(`nova-compute@${host}: state ${s.state ?? '?'}, status ${s.status}${s.forcedDown ? ', forced down' : ''}${s.disabledReason ? `, disabled reason "${s.disabledReason}"` : ''}, updated ${s.updatedAt ?? '?'}`);
    if (s.state !== 'up') problems.push(`nova-compute on "${host}" is ${s.state ?? 'in an unknown state'}`);
    if (s.status !== 'enabled') {
      problems.push(`nova-compute on "${host}" is disabled${s.disabledReason ? ` ("${s.disabledReason}")` : ''}`);
      commands.push({ command: `openstack compute service set --enable ${host} nova-compute` });
    }
    if (s.forcedDown) {
      problems.push(`nova-compute on "${host}" is forced down`);
      commands.push({ command: `openstack compute service set --up ${host} nova-compute` });
    }
  }
  if (problems.length === 0) return finding('services', title, 'pass', 'Both nova-compute services are up and enabled.', evidence, undefined, [f.source, f.target]);
  return finding('services', title, 'fail', `${capitalize(problems.join('; '))}.`, evidence, {
    text: 'Nova refuses to migrate to or from a compute service that is down, disabled or forced down (conductor _check_host_is_up and the scheduler\'s ComputeFilter). Start the service, or enable it once maintenance is over.',
    commands,
  }, [f.source, f.target]);
}

function hypervisorItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
  const title = 'Hypervisor type and version';
  const hvs = valueOf(f.hypervisors);
  if (!hvs) return skipped('hypervisor', title, `Skipped: ${reasonOf(f.hypervisors)}`);
  const a = hvs.find((h) => h.service?.host === f.source);
  const b = hvs.find((h) => h.service?.host === f.target);
  if (!a || !b) return skipped('hypervisor', title, `Skipped: no hypervisor record for "${!a ? f.source : f.target}".`);
  const evidence = [
    `API ${f.source}: ${a.hypervisorType} ${a.hypervisorVersion !== undefined ? `${a.hypervisorVersion} (${formatHypervisorVersion(a.hypervisorVersion)})` : '?'}`,
    `API ${f.target}: ${b.hypervisorType} ${b.hypervisorVersion !== undefined ? `${b.hypervisorVersion} (${formatHypervisorVersion(b.hypervisorVersion)})` : '?'}`,
  ];
  const va = parseVirshVersion(valueOf(src?.virshVersion)?.output ?? '');
  const vb = parseVirshVersion(valueOf(dst?.virshVersion)?.output ?? '');
  if (va.library || vb.library) {
    evidence.push(`virsh ${f.source}: libvirt ${va.library ?? '?'}, ${va.hypervisor ?? 'hypervisor'} ${va.hypervisorVersion ?? '?'}`);
    evidence.push(`virsh ${f.target}: libvirt ${vb.library ?? '?'}, ${vb.hypervisor ?? 'hypervisor'} ${vb.hypervisorVersion ?? '?'}`);
  }
  const drv = [src, dst].map((h) => novaMigrationSettings(novaConf(h)).computeDriver).filter(Boolean);
  if (drv.length) evidence.push(`compute_driver: ${[...new Set(drv)].join(', ')}`);
  const hosts = [f.source, f.target];
  if (a.hypervisorType !== b.hypervisorType) {
    return finding('hypervisor', title, 'fail', `The hypervisor types differ ("${a.hypervisorType}" on "${f.source}", "${b.hypervisorType}" on "${f.target}"): nova refuses (InvalidHypervisorType).`, evidence, { text: 'Live migration only works between hosts of the same hypervisor type; pick a target of the same type.' }, hosts);
  }
  if (a.hypervisorVersion !== undefined && b.hypervisorVersion !== undefined && a.hypervisorVersion > b.hypervisorVersion) {
    return finding('hypervisor', title, 'fail', `The target's hypervisor is older (${formatHypervisorVersion(b.hypervisorVersion)} < ${formatHypervisorVersion(a.hypervisorVersion)}): nova refuses (DestinationHypervisorTooOld).`, evidence, {
      text: `Upgrade qemu/libvirt on "${f.target}" to at least the source's version, or migrate to a host that is not older. ([workarounds] skip_hypervisor_version_check_on_lm exists but hides a real risk.)`,
    }, hosts);
  }
  if (va.hypervisorVersion && vb.hypervisorVersion && compareVersions(va.hypervisorVersion, vb.hypervisorVersion) > 0) {
    return finding('hypervisor', title, 'fail', `QEMU on the target is older (${vb.hypervisorVersion} < ${va.hypervisorVersion}): a guest cannot move to an older QEMU.`, evidence, { text: `Upgrade QEMU on "${f.target}" (or migrate to a host with the same or a newer QEMU).` }, hosts);
  }
  const diffs: string[] = [];
  if (a.hypervisorVersion !== b.hypervisorVersion) diffs.push('hypervisor_version');
  if (va.library && vb.library && va.library !== vb.library) diffs.push(`libvirt (${va.library} vs ${vb.library})`);
  if (va.hypervisorVersion && vb.hypervisorVersion && va.hypervisorVersion !== vb.hypervisorVersion) diffs.push(`QEMU (${va.hypervisorVersion} vs ${vb.hypervisorVersion})`);
  if (diffs.length) {
    return finding('hypervisor', title, 'warn', `Same type, target not older, but versions differ: ${diffs.join(', ')}.`, evidence, {
      text: 'Nova accepts a newer target, but mixed qemu/libvirt package versions are where migrations fail in practice (machine types, CPU flags); keep compute hosts on the same packages.',
    }, hosts);
  }
  return finding('hypervisor', title, 'pass', `Both hosts run ${a.hypervisorType} at the same version.`, evidence, undefined, hosts);
}

function cpuItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
  const id = 'cpu';
  const title = 'CPU compatibility';
  const capsOut = (h?: ComputeHostFacts) => (h?.capabilities.ok && h.capabilities.value.rc === 0 ? h.capabilities.value.output : undefined);
  const dcOut = (h?: ComputeHostFacts) => (h?.domCapabilities.ok && h.domCapabilities.value.rc === 0 ? h.domCapabilities.value.output : undefined);
  const ca = capsOut(src);
  const cb = capsOut(dst);
  if (!ca || !cb) {
    const which = !ca ? src : dst;
    const o = !ca ? src?.capabilities : dst?.capabilities;
    const why = o?.ok ? `virsh capabilities failed: ${o.value.output.split('\n')[0]}` : reasonOf(o);
    return skipped(id, title, `Skipped: ${why}`, [which?.host ?? (!ca ? f.source : f.target)]);
  }
  let a: Capabilities, b: Capabilities;
  let da: DomainCapabilities | undefined, db: DomainCapabilities | undefined;
  try {
    a = parseCapabilities(ca);
    b = parseCapabilities(cb);
    const xa = dcOut(src);
    const xb = dcOut(dst);
    da = xa ? parseDomainCapabilities(xa) : undefined;
    db = xb ? parseDomainCapabilities(xb) : undefined;
  } catch (e) {
    return skipped(id, title, `Skipped: ${(e as Error).message}`);
  }
  const ns = novaMigrationSettings(novaConf(src));
  const nd = novaMigrationSettings(novaConf(dst));
  const mode = ns.cpuMode ?? (ns.virtType === 'qemu' ? 'none' : 'host-model');
  const evidence = [
    `${f.source}: ${a.cpu.arch} ${a.cpu.vendor ?? ''} ${a.cpu.model ?? ''}, ${a.cpu.features.length} features${a.cpu.signature ? `, family ${a.cpu.signature.family} model ${a.cpu.signature.model}` : ''}`,
    `${f.target}: ${b.cpu.arch} ${b.cpu.vendor ?? ''} ${b.cpu.model ?? ''}, ${b.cpu.features.length} features${b.cpu.signature ? `, family ${b.cpu.signature.family} model ${b.cpu.signature.model}` : ''}`,
    `nova [libvirt] cpu_mode: ${ns.cpuMode ?? `(unset: ${mode})`} on ${f.source}, ${nd.cpuMode ?? '(unset)'} on ${f.target}; cpu_models: ${ns.cpuModels.join(',') || '-'} / ${nd.cpuModels.join(',') || '-'}`,
  ];
  if (da?.hostModel) evidence.push(`host-model guest CPU on ${f.source}: ${da.hostModel.model} + ${da.hostModel.features.length} features`);
  if (db?.hostModel) evidence.push(`host-model guest CPU on ${f.target}: ${db.hostModel.model} + ${db.hostModel.features.length} features`);
  const hosts = [f.source, f.target];
  const cpuFix = (text: string): Fix => ({ text, links: ['https://docs.openstack.org/nova/latest/admin/cpu-models.html'] });
  if (a.cpu.arch && b.cpu.arch && a.cpu.arch !== b.cpu.arch) {
    return finding(id, title, 'fail', `Different architectures (${a.cpu.arch} vs ${b.cpu.arch}).`, evidence, cpuFix('Live migration needs the same CPU architecture.'), hosts);
  }
  if ((ns.cpuMode ?? '') !== (nd.cpuMode ?? '') || ns.cpuModels.join(',') !== nd.cpuModels.join(',')) {
    return finding(id, title, 'warn', 'nova\'s cpu_mode/cpu_models differ between the hosts: guests started on one host may not be acceptable on the other.', evidence, cpuFix('Use the same [libvirt] cpu_mode and cpu_models on every compute host of a migration domain (for mixed generations: cpu_mode = custom with the oldest model).'), hosts);
  }
  if (mode === 'custom') {
    const unusable = nd.cpuModels.length && db ? ns.cpuModels.filter((m) => db!.customModels.find((x) => x.name === m)?.usable === 'no') : [];
    if (unusable.length) {
      return finding(id, title, 'fail', `cpu_models ${unusable.join(', ')} not usable on "${f.target}" (domcapabilities usable='no').`, evidence, cpuFix(`Choose a cpu_models entry that every host can run (check "virsh domcapabilities" on "${f.target}").`), hosts);
    }
    return finding(id, title, 'pass', `cpu_mode = custom (${ns.cpuModels.join(', ') || 'no model'}): the guest CPU is fixed and usable on the target.`, evidence, undefined, hosts);
  }
  if (mode === 'none') return finding(id, title, 'pass', 'No CPU model is exposed (cpu_mode none / virt_type qemu): nothing CPU-specific to match.', evidence, undefined, hosts);
  if (a.cpu.vendor && b.cpu.vendor && a.cpu.vendor !== b.cpu.vendor) {
    return finding(id, title, 'fail', `CPU vendors differ (${a.cpu.vendor} vs ${b.cpu.vendor}): ${mode} guests cannot move.`, evidence, cpuFix('Use cpu_mode = custom with a model both vendors run, or migrate within one vendor.'), hosts);
  }
  // The guest's CPU is the source's host-model (or the host CPU itself for host-passthrough): all of its features
  // must exist on the target, and for host-model its named base model must be usable there.
  if (mode === 'host-model' && da?.hostModel?.model && db?.hostModel?.model && da.hostModel.model !== db.hostModel.model) {
    const usable = db.customModels.find((x) => x.name === da.hostModel!.model)?.usable;
    if (usable === 'no') {
      return finding(id, title, 'fail', `Guests on "${f.source}" get the CPU model ${da.hostModel.model} (host-model), which "${f.target}" cannot run (its host-model is ${db.hostModel.model}; domcapabilities usable='no').`, evidence, cpuFix(`Migrate to a host with the same CPU generation, or set cpu_mode = custom with cpu_models = ${db.hostModel.model} (the older model) on every host.`), hosts);
    }
  }
  const guestFeatures = mode === 'host-passthrough' ? a.cpu.features : (da?.hostModel?.features ?? a.cpu.features);
  const targetFeatures = new Set(mode === 'host-passthrough' ? b.cpu.features : [...(db?.hostModel?.features ?? []), ...b.cpu.features]);
  const missing = guestFeatures.filter((x) => !targetFeatures.has(x));
  if (missing.length) {
    return finding(id, title, 'fail', `The target lacks CPU features the guest uses (${mode}): ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ` and ${missing.length - 12} more` : ''}.`, evidence, cpuFix(`Migrate to a host with the same or a newer CPU, or use cpu_mode = custom with a model older hosts run (e.g. the model of "${f.target}").`), hosts);
  }
  if (mode === 'host-passthrough' && (a.cpu.model !== b.cpu.model || a.cpu.signature?.model !== b.cpu.signature?.model || a.cpu.microcode !== b.cpu.microcode)) {
    return finding(id, title, 'warn', 'host-passthrough: the CPU models, steppings or microcode differ; nova\'s docs require identical hosts for passthrough.', evidence, cpuFix('Keep host-passthrough only for identical hosts; otherwise use host-model or a custom model.'), hosts);
  }
  const ma = mode === 'host-model' ? (da?.hostModel?.model ?? a.cpu.model) : a.cpu.model;
  const mb = mode === 'host-model' ? (db?.hostModel?.model ?? b.cpu.model) : b.cpu.model;
  if (ma !== mb) {
    return finding(id, title, 'warn', `Different CPU models (${ma} on "${f.source}", ${mb} on "${f.target}"); the target has every feature of the guest CPU, but host-model is "not always possible in both directions".`, evidence, cpuFix('For hosts of mixed generations use cpu_mode = custom with the oldest model on every host.'), hosts);
  }
  return finding(id, title, 'pass', `Same CPU model ${ma} (${a.cpu.vendor ?? 'vendor unknown'}); the target has every feature of the guest CPU (${mode}).`, evidence, undefined, hosts);
}

function resolutionItem(f: LiveMigrationFacts): Finding {
  const title = 'Name resolution of the target';
  const p = f.pair;
  const r = valueOf(p.resolution);
  const dstNova = novaMigrationSettings(novaConf(f.hosts[f.target]));
  const how = dstNova.inboundAddr ? `live_migration_inbound_addr "${dstNova.inboundAddr}" of "${f.target}"` : `the target's host name "${f.target}" (no live_migration_inbound_addr)`;
  if (!p.resolution.ok) return skipped('resolution', title, `Skipped: ${p.resolution.reason}`, [f.source]);
  if (isIpAddress(p.connectName)) return finding('resolution', title, 'pass', `Nova connects to ${how}, an address: nothing to resolve.`, [], undefined, [f.source]);
  if (!r || r.addresses.length === 0) {
    return finding('resolution', title, 'fail', `"${p.connectName}" does not resolve on "${f.source}", and nova connects to ${how}.`, [`getent hosts ${p.connectName} on ${f.source}: (nothing)`], {
      text: `Add "${p.connectName}" to /etc/hosts (or DNS) on every compute host, identically, or set [libvirt] live_migration_inbound_addr on "${f.target}" to its migration-network address.`,
    }, [f.source]);
  }
  const hv = valueOf(f.hypervisors)?.find((h) => h.service?.host === f.target);
  const evidence = [`getent hosts ${p.connectName} on ${f.source}: ${r.addresses.join(' ')}`];
  if (hv?.hostIp) evidence.push(`hypervisor host_ip of ${f.target}: ${hv.hostIp}`);
  if (hv?.hostIp && !r.addresses.includes(hv.hostIp) && !dstNova.inboundAddr) {
    return finding('resolution', title, 'warn', `"${p.connectName}" resolves to ${r.addresses.join(', ')} on "${f.source}", not to the target's host_ip ${hv.hostIp}.`, evidence, {
      text: 'Make sure the name resolves to the address libvirt listens on; name resolution must be identical on all compute hosts (or set live_migration_inbound_addr).',
    }, [f.source]);
  }
  return finding('resolution', title, 'pass', `Nova connects to ${how}; it resolves to ${r.addresses.join(', ')} on "${f.source}".`, evidence, undefined, [f.source]);
}

function transportItem(f: LiveMigrationFacts, dst?: ComputeHostFacts): Finding {
  const srcNova = novaMigrationSettings(novaConf(f.hosts[f.source]));
  const p = f.pair;
  const { scheme, port, uri } = migrationUri(srcNova, p.address ?? p.connectName);
  const title = `Migration transport (qemu+${scheme}, port ${port})`;
  if (!dst) return skipped('transport', title, `Skipped: no facts from "${f.target}".`, [f.target]);
  const view = libvirtDaemonView(dst);
  const evidence: string[] = [`${f.target}: ${view.description}`];
  if (view.systemd === false) evidence.push(`${f.target}: no systemd (socket units do not apply)`);
  else if (view.activeUnits.length) evidence.push(`${f.target}: active units ${view.activeUnits.join(', ')}`);
  const listening = view.listeners.filter((l) => l.port === port);
  evidence.push(`${f.target}: ${listening.length ? listening.map((l) => `listening on ${l.address}:${l.port} (${l.processes.join(',') || 'process unknown'})`).join('; ') : `nothing listens on TCP ${port}`}`);
  const c = view.conf;
  evidence.push(`${view.confPath}: listen_tcp = ${c.listenTcp ?? '(default 0)'}, listen_tls = ${c.listenTls ?? '(default 1)'}, auth_tcp = ${c.authTcp ?? '(default "sasl")'}${c.tcpPort ? `, tcp_port = ${c.tcpPort}` : ''}`);
  if (view.argsLine) evidence.push(`${view.argsLine.file}: ${view.argsLine.text}`);
  const tcp = valueOf(p.tcp);
  const vc = valueOf(p.virshConnect);
  if (tcp) evidence.push(`${f.source} → ${p.address}:${port}: ${probeText(tcp)}`);
  if (vc) evidence.push(`${f.source}: virsh -c ${uri} version → ${vc.rc === 0 ? 'ok' : vc.output.split('\n').filter(Boolean).join(' | ')}`);
  const hosts = [f.source, f.target];
  if (!p.tcp.ok) return finding('transport', title, 'skip', `Skipped: ${p.tcp.reason}`, evidence, undefined, hosts);
  if (tcp!.rc === 0 && (scheme === 'ssh' || (vc && vc.rc === 0))) {
    return finding('transport', title, 'pass', `"${f.source}" reaches libvirt on "${f.target}" at ${p.address}:${port} (${view.description}).`, evidence, undefined, hosts);
  }
  if (tcp!.rc === 0 && vc && vc.rc !== 0) {
    const auth = /authentication|sasl|auth/i.test(vc.output);
    return finding('transport', title, 'fail', `The port answers but libvirt refuses the connection: ${vc.output.split('\n').filter(Boolean).pop()}`, evidence, {
      text: auth
        ? `libvirtd on "${f.target}" requires authentication (auth_tcp = "${c.authTcp ?? 'sasl'}"): create SASL credentials for nova (saslpasswd2 -a libvirt nova) and the client auth file, or move migration to TLS (live_migration_with_native_tls / qemu+tls).`
        : `Check libvirtd's log on "${f.target}" for why it refused the connection.`,
    }, hosts);
  }
  if (tcp!.rc === 0 && !vc && scheme !== 'ssh') {
    return finding('transport', title, 'warn', `The port answers; the libvirt handshake was not tested (${reasonOf(p.virshConnect)}).`, evidence, undefined, hosts);
  }
  // Not reachable: say why through the daemon model actually active on the target.
  const refused = /refused/i.test(tcp!.output);
  if (listening.length && !refused) {
    return finding('transport', title, 'fail', `libvirt listens on "${f.target}" but "${f.source}" gets no answer on ${p.address}:${port}: a firewall or routing problem.`, evidence, {
      text: `Allow TCP ${port} from the compute hosts to "${f.target}" (iptables/nftables/security groups of the migration network).`,
      commands: [{ host: f.target, command: `iptables -I INPUT -p tcp --dport ${port} -s <migration network> -j ACCEPT` }],
    }, hosts);
  }
  return finding('transport', title, 'fail', `libvirt on "${f.target}" does not accept ${scheme.toUpperCase()} connections on ${port} (${view.description}): ${probeText(tcp!)}.`, evidence, transportFix(f.target, view, scheme, port), hosts);
}

/** The fix for "libvirt does not listen", specific to the daemon model that runs on the host. */
export function transportFix(host: string, view: LibvirtDaemonView, scheme: string, port: number): Fix {
  const tls = scheme === 'tls';
  if (scheme === 'ssh') return { text: `Start sshd on "${host}" and allow TCP ${port}; nova's user needs passwordless SSH between compute hosts.` };
  if (view.model === 'modular') {
    const unit = tls ? 'virtproxyd-tls.socket' : 'virtproxyd-tcp.socket';
    return { text: `This host runs the modular daemons: remote access goes through virtproxyd, and libvirtd.conf is ignored. Enable ${unit} (its settings live in virtproxyd.conf).`, commands: [{ host, command: `systemctl enable --now ${unit}` }] };
  }
  if (view.model === 'socket') {
    const unit = tls ? 'libvirtd-tls.socket' : 'libvirtd-tcp.socket';
    return {
      text: `libvirtd is socket-activated here (libvirt ≥ 5.6): listen_tcp/listen_tls in libvirtd.conf are ignored. Enable ${unit}, and make sure LIBVIRTD_ARGS does not contain --listen.`,
      commands: [{ host, command: `systemctl enable --now ${unit}` }, { host, command: 'systemctl restart libvirtd' }],
    };
  }
  if (view.model === 'not-running') {
    return { text: `libvirtd is not running on "${host}": start it (and make it listen for migrations).`, commands: [{ host, command: view.systemd === false ? 'libvirtd --listen --daemon' : 'systemctl start libvirtd' }] };
  }
  const key = tls ? 'listen_tls' : 'listen_tcp';
  const confSays = tls ? view.conf.listenTls : view.conf.listenTcp;
  const confOn = confSays !== undefined ? confSays.trim() !== '0' : tls;
  const steps: string[] = [];
  const tlsOff = view.conf.listenTls !== undefined && view.conf.listenTls.trim() === '0';
  if (!confOn) steps.push(`set ${key} = 1 in ${view.confPath}${tls || tlsOff ? '' : ' (and listen_tls = 0 unless TLS certificates exist: with --listen libvirtd will not start without them)'}`);
  if (!view.listenFlag) steps.push(`start libvirtd with --listen (${view.argsLine ? `${view.argsLine.file}: LIBVIRTD_ARGS="--listen"` : 'LIBVIRTD_ARGS="--listen" in /etc/default/libvirtd, or /etc/sysconfig/libvirtd'}); without it ${key} is silently ignored`);
  steps.push('restart libvirtd (running guests keep running)');
  const fix: Fix = {
    text: `${capitalize(steps.join('; '))}.${view.model === 'local-only' && confOn ? ` ${view.confPath} already enables ${key}, but libvirtd runs without --listen.` : ''}`,
    commands: [{ host, command: view.systemd === false ? 'service libvirtd restart' : 'systemctl restart libvirtd' }],
    links: ['https://libvirt.org/remote.html', 'https://docs.openstack.org/nova/latest/admin/configuring-migrations.html'],
  };
  if (!confOn) fix.quickFix = { host, file: view.confPath, rule: tls ? 'libvirt/tls-disabled' : 'libvirt/tcp-disabled' };
  return fix;
}

function migrationPortsItem(f: LiveMigrationFacts, dst?: ComputeHostFacts): Finding {
  const view = dst ? libvirtDaemonView(dst) : undefined;
  const range = view ? `${view.migrationPorts.min}–${view.migrationPorts.max}` : `${MIGRATION_PORT_MIN}–${MIGRATION_PORT_MAX}`;
  const title = `Migration port range ${range}`;
  const hosts = [f.source, f.target];
  const mp = f.pair.migrationPort;
  const fw = dst ? valueOf(dst.firewall) : undefined;
  const blocking = fw && view ? firewallBlocks(fw, view.migrationPorts.min, view.migrationPorts.max) : [];
  const evidence: string[] = [];
  if (blocking.length) evidence.push(...blocking.map((r) => `${f.target} iptables: -A ${r}`));
  if (mp.ok) {
    const { port, listener, probe } = mp.value;
    evidence.push(`${f.target}: test listener on ${port}: ${listener.output.split('\n').join(' ') || `rc ${listener.rc}`}`);
    evidence.push(`${f.source} → ${f.pair.address}:${port}: ${probeText(probe)}`);
    if (probe.rc === 0 && /accepted/.test(listener.output)) {
      return finding('migration-ports', title, 'pass', `A test listener on ${f.target}:${port} accepted a connection from "${f.source}".`, evidence, undefined, hosts);
    }
    if (listener.rc === 127 || /not found|No module/i.test(listener.output)) {
      // no python3: fall through to the firewall analysis below
    } else if (/listening/.test(listener.output)) {
      return finding('migration-ports', title, 'fail', `"${f.source}" cannot connect to a test listener on ${f.target}:${port}: the migration data ports are blocked.`, evidence, {
        text: `Allow TCP ${range} from the other compute hosts to "${f.target}" (libvirt's qemu.conf migration_port_min/max; nova's doc mentions 49152–49261).`,
        commands: [{ host: f.target, command: `iptables -I INPUT -p tcp -m multiport --dports ${range.replace('–', ':')} -j ACCEPT` }],
      }, hosts);
    }
  } else {
    evidence.push(`probe: ${mp.reason}`);
  }
  if (!fw) return skipped('migration-ports', title, `Skipped: ${mp.ok ? 'the test listener could not run' : mp.reason}; iptables not readable (${reasonOf(dst?.firewall)}).`, hosts);
  if (blocking.length) {
    return finding('migration-ports', title, 'fail', `The firewall on "${f.target}" drops part of ${range}.`, evidence, {
      text: `Allow TCP ${range} from the compute hosts before the DROP/REJECT rule.`,
      commands: [{ host: f.target, command: `iptables -I INPUT -p tcp -m multiport --dports ${range.replace('–', ':')} -j ACCEPT` }],
    }, hosts);
  }
  return finding('migration-ports', title, 'pass', `No firewall rule on "${f.target}" blocks ${range} (iptables INPUT).`, evidence, undefined, hosts);
}

/** INPUT rules (or a DROP policy) that would stop TCP to ports min..max; a crude but honest reading. */
export function firewallBlocks(fw: IptablesSave, min: number, max: number): string[] {
  const out: string[] = [];
  const input = fw.rules.filter((r) => r.table === 'filter' && r.chain === 'INPUT');
  for (const r of input) {
    const target = r.opts['-j'];
    if (target !== 'DROP' && target !== 'REJECT') continue;
    if (/-p (?!tcp)\w+/.test(r.spec)) continue;
    const dports = /--dports? (\S+)/.exec(r.spec)?.[1];
    if (!dports) {
      if (!/-s |-i |-m state|-m conntrack|--ctstate|--state/.test(r.spec)) out.push(`INPUT ${r.spec}`);
      continue;
    }
    for (const part of dports.split(',')) {
      const [lo, hi] = part.split(':').map(Number);
      if ((hi ?? lo) >= min && lo <= max) out.push(`INPUT ${r.spec}`);
    }
  }
  const policy = fw.chains.find((c) => c.table === 'filter' && c.name === 'INPUT')?.policy;
  if (policy === 'DROP' && !input.some((r) => r.opts['-j'] === 'ACCEPT' && /--dports? (\S+)/.exec(r.spec)?.[1]?.split(',').some((p) => Number(p.split(':')[0]) <= min && Number(p.split(':')[1] ?? p) >= max))) {
    out.push(`INPUT policy DROP without an ACCEPT for ${min}:${max}`);
  }
  return out;
}

function sharedStorageItem(f: LiveMigrationFacts, src?: ComputeHostFacts): Finding {
  const title = 'Shared instances_path';
  const s = f.pair.sharedStorage;
  const hosts = [f.source, f.target];
  if (!s.ok) return skipped('shared-storage', title, `Skipped: ${s.reason}`, hosts);
  const nova = novaMigrationSettings(novaConf(src));
  const evidence = [`${f.target} created ${s.value.dir}/${s.value.file}; ${f.source} ${s.value.shared ? 'sees' : 'does not see'} it (nova's own test)`];
  if (s.value.shared) return finding('shared-storage', title, 'pass', `${s.value.dir} is shared between the hosts: nova does a plain live migration (no disk copy).`, evidence, undefined, hosts);
  if (nova.tunnelled) {
    return finding('shared-storage', title, 'fail', `${s.value.dir} is not shared, so nova needs block migration, which is incompatible with live_migration_tunnelled = True.`, evidence, { text: 'Disable live_migration_tunnelled (deprecated) or use shared storage.' }, hosts);
  }
  if (f.server?.configDrive) {
    return finding('shared-storage', title, 'warn', `${s.value.dir} is not shared and the instance has a config drive: block migration of config drives needs config_drive_format = vfat (iso9660 is read-only).`, evidence, { text: 'Set [DEFAULT] config_drive_format = vfat or use shared storage.' }, hosts);
  }
  return finding('shared-storage', title, 'pass', `${s.value.dir} is not shared: nova will use block migration (block_migration "auto"), which copies the disks and takes longer.`, evidence, undefined, hosts);
}

function vncItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
  const title = '[vnc] server_listen';
  if (!src?.novaFiles.ok) return hostSkip('vnc', title, src, src?.novaFiles, f.source);
  const s = novaMigrationSettings(novaConf(src)).vncServerListen ?? '127.0.0.1';
  const d = dst?.novaFiles.ok ? novaMigrationSettings(novaConf(dst)).vncServerListen ?? '127.0.0.1' : undefined;
  const ok = (v: string) => ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost'].includes(v);
  const evidence = [`${f.source}: server_listen = ${s}`, ...(d ? [`${f.target}: server_listen = ${d}`] : [])];
  if (ok(s) && (d === undefined || ok(d))) return finding('vnc', title, 'pass', `server_listen is ${s === d || !d ? `"${s}"` : `"${s}" / "${d}"`}: a wildcard or loopback address the target can bind.`, evidence, undefined, [f.source, f.target]);
  return finding('vnc', title, 'fail', `server_listen is a host address ("${ok(s) ? d : s}"): the guest's VNC listen address travels with it and the target cannot bind it.`, evidence, {
    text: 'Set [vnc] server_listen = 0.0.0.0 (or leave the default 127.0.0.1 behind a proxy) on every compute host and restart nova-compute.',
  }, [f.source, f.target]);
}

function capacityItem(f: LiveMigrationFacts): Finding {
  const title = 'Capacity on the target (Placement)';
  const cap = f.capacity;
  if (!cap.ok) return skipped('capacity', title, `Skipped: ${cap.reason}`, [f.target]);
  if (!cap.value) return finding('capacity', title, 'fail', `Placement has no resource provider for "${f.target}".`, [], { text: 'nova-compute creates its provider at start-up; check the service and nova-compute\'s log.' }, [f.target]);
  const flavor = f.server?.flavor;
  const free = cap.value.free;
  const evidence = Object.entries(cap.value.inventories).map(([rc, inv]) => `${rc}: total ${inv.total}, reserved ${inv.reserved}, ratio ${inv.allocationRatio}, used ${cap.value!.usages[rc] ?? 0}, free ${Math.floor(free[rc] ?? 0)}`);
  if (!flavor || flavor.vcpus === undefined) return finding('capacity', title, 'pass', `Free on "${f.target}": ${Object.entries(free).map(([k, v]) => `${k} ${Math.floor(v)}`).join(', ')} (no flavor to compare).`, evidence, undefined, [f.target]);
  const need: Record<string, number> = { VCPU: flavor.vcpus ?? 0, MEMORY_MB: flavor.ramMb ?? 0, DISK_GB: (flavor.diskGb ?? 0) + (flavor.ephemeralGb ?? 0) + Math.ceil((flavor.swapMb ?? 0) / 1024) };
  evidence.unshift(`flavor ${flavor.name ?? flavor.id ?? ''}: ${need.VCPU} VCPU, ${need.MEMORY_MB} MB RAM, ${need.DISK_GB} GB disk`);
  const short = Object.entries(need).filter(([rc, n]) => n > 0 && rc in cap.value!.inventories && (free[rc] ?? 0) < n);
  if (short.length) {
    return finding('capacity', title, 'fail', `Not enough ${short.map(([rc, n]) => `${rc} (needs ${n}, free ${Math.floor(free[rc] ?? 0)})`).join(', ')} on "${f.target}".`, evidence, { text: 'Pick another target, free resources on this one, or raise the allocation ratio if overcommit is intended.' }, [f.target]);
  }
  return finding('capacity', title, 'pass', `"${f.target}" has room for the flavor (${Object.entries(need).map(([k, v]) => `${k} ${v}/${Math.floor(free[k] ?? 0)} free`).join(', ')}).`, evidence, undefined, [f.target]);
}

const L2_TYPES = /Open vSwitch agent|Linux bridge agent|OVN Controller|NIC Switch agent|Macvtap agent/i;

function agentItem(f: LiveMigrationFacts): Finding {
  const title = 'Neutron L2 agent on the target';
  const agents = valueOf(f.agents);
  if (!agents) return skipped('neutron-agent', title, `Skipped: ${reasonOf(f.agents)}`, [f.target]);
  const on = (h: string) => agents.filter((a) => a.host === h && L2_TYPES.test(a.agentType));
  const dst = on(f.target);
  const src = on(f.source);
  const evidence = [...src, ...dst].map((a) => `${a.agentType} on ${a.host}: ${a.alive ? 'alive' : 'DEAD'}, admin ${a.adminStateUp === false ? 'down' : 'up'}, heartbeat ${a.heartbeatTimestamp ?? '?'}`);
  if (dst.length === 0) {
    if (agents.length && !agents.some((a) => L2_TYPES.test(a.agentType))) return finding('neutron-agent', title, 'pass', 'This cloud reports no L2 agents (a mechanism driver without agents): nothing to check.', evidence, undefined, [f.target]);
    return finding('neutron-agent', title, 'fail', `No neutron L2 agent on "${f.target}": nova cannot bind the instance's ports there.`, evidence, { text: `Install and start the L2 agent (the same mechanism as on "${f.source}") on "${f.target}".` }, [f.target]);
  }
  const dead = dst.filter((a) => !a.alive || a.adminStateUp === false);
  if (dead.length === dst.length) {
    return finding('neutron-agent', title, 'fail', `The L2 agent on "${f.target}" is ${dead[0].alive ? 'administratively down' : 'not alive'}: port binding on the target fails (PortBindingFailed).`, evidence, { text: `Restart the agent on "${f.target}" and check its log.`, commands: [{ host: f.target, command: `systemctl restart ${dst[0].binary ?? 'neutron-linuxbridge-agent'}` }] }, [f.target]);
  }
  const types = (list: NetworkAgent[]) => [...new Set(list.map((a) => a.agentType))].sort().join(', ');
  if (src.length && types(src) !== types(dst)) {
    return finding('neutron-agent', title, 'warn', `Different L2 mechanisms: ${types(src)} on "${f.source}", ${types(dst)} on "${f.target}".`, evidence, { text: 'Ports are rebound on the target; mixed mechanisms need the right vif types on both sides.' }, [f.target]);
  }
  return finding('neutron-agent', title, 'pass', `${types(dst)} on "${f.target}" is alive.`, evidence, undefined, [f.target]);
}

function vxlanItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
  const title = 'VXLAN UDP port';
  const per = [src, dst].map((h) => (h ? { host: h.host, conf: configuredVxlanPort(valueOf(h.agentFiles)), links: valueOf(h.vxlan) ?? [] } : undefined));
  const known = per.filter((x): x is NonNullable<typeof x> => x !== undefined && (x.conf !== undefined || x.links.some((l) => l.dstport !== undefined)));
  if (known.length < 2) return skipped('vxlan', title, 'Skipped: no VXLAN configuration found on both hosts (no L2 agent config or VXLAN devices).', [f.source, f.target]);
  const port = (x: (typeof known)[number]) => x.links.find((l) => l.dstport !== undefined)?.dstport ?? x.conf?.port;
  const evidence = known.map((x) => `${x.host}: ${x.conf ? x.conf.source : 'no agent setting'}; kernel: ${x.links.filter((l) => l.dstport !== undefined).map((l) => `${l.name} dstport ${l.dstport}`).join(', ') || 'no vxlan devices'}`);
  const [a, b] = known.map(port);
  if (a !== b) {
    return finding('vxlan', title, 'warn', `The hosts use different VXLAN ports (${a} on "${known[0].host}", ${b} on "${known[1].host}"): the migration itself works, but the instance's overlay traffic will not reach hosts on the other port.`, evidence, {
      text: 'Use one VXLAN UDP port on every node (linuxbridge: [vxlan] udp_dstport = 4789; OVS: [agent] vxlan_udp_port) and restart the agents. Run the VXLAN check for the whole cloud.',
    }, [f.source, f.target]);
  }
  return finding('vxlan', title, 'pass', `Both hosts use VXLAN UDP port ${a}.`, evidence, undefined, [f.source, f.target]);
}

function configChangedItem(f: LiveMigrationFacts, hosts: (ComputeHostFacts | undefined)[]): Finding {
  const title = 'Configuration changed since the service started';
  const stale: string[] = [];
  const evidence: string[] = [];
  let looked = false;
  for (const h of hosts) {
    if (!h) continue;
    const table = valueOf(h.processes);
    if (!table) continue;
    const pairs: [ProcessInfo | undefined, RemoteFile[] | undefined, string][] = [
      [findProcesses(table, /^nova-compute$/)[0], valueOf(h.novaFiles), 'nova-compute'],
      [findProcesses(table, /^libvirtd$/)[0], valueOf(h.libvirtFiles)?.filter((x) => /libvirtd\.conf$|qemu\.conf$|\/libvirtd$/.test(x.path)), 'libvirtd'],
      [l2AgentProcess(table), valueOf(h.agentFiles), 'the L2 agent'],
    ];
    for (const [proc, files, name] of pairs) {
      if (!proc || !files) continue;
      looked = true;
      const startedAt = table.now - proc.elapsedSeconds;
      for (const file of files) {
        if (!file.exists || file.mtime === undefined) continue;
        if (file.mtime > startedAt) {
          stale.push(`${h.host}: ${file.path} (changed ${iso(file.mtime)}, ${name} started ${iso(startedAt)})`);
        }
      }
      evidence.push(`${h.host}: ${name} pid ${proc.pid} started ${iso(startedAt)}`);
    }
  }
  if (!looked) return skipped('config-changed', title, 'Skipped: no process or file facts.', [f.source, f.target]);
  if (stale.length) {
    return finding('config-changed', title, 'warn', `${stale.length} config file${stale.length > 1 ? 's were' : ' was'} changed after its service started; the running service does not use the change yet.`, [...stale, ...evidence], {
      text: 'Restart the service to apply the change (or revert the file if the change was not meant to be applied).',
    }, [f.source, f.target]);
  }
  return finding('config-changed', title, 'pass', 'Every config file is older than the service that reads it.', evidence, undefined, [f.source, f.target]);
}

/** "connected", "Connection refused", "no answer within 3 s" from a tcpProbe result. */
export function probeText(p: ProbeResult): string {
  if (p.rc === 0) return 'connected';
  if (p.rc === 124) return 'no answer within 3 s';
  const last = p.output.split('\n').filter(Boolean).pop() ?? '';
  return last.replace(/^.*\/dev\/tcp\/[^:]+:\s*/, '') || `failed (rc ${p.rc})`;
}

function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
