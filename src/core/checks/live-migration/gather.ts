import { TroubleshooterError } from '../../errors';
import type { Hypervisor } from '../../openstack/types';
import { isIpAddress } from '../../remote/validate';
import { createSharedTestFile, fileExists, readFiles, removeSharedTestFile } from '../commands/files';
import { virsh } from '../commands/libvirt';
import { iptablesSave, listenOnce, listeners, resolveName, tcpProbe, virshRemoteVersion, vxlanLinks, type Resolution } from '../commands/network';
import { argValues, findProcesses, processTable } from '../commands/processes';
import type { ProbeResult } from '../commands/script';
import { unitStates } from '../commands/systemd';
import { apiOutcome, HostRunner, notOk, ok, valueOf, type GatherContext, type Outcome } from '../gather';
import type { CheckApi } from '../ports';
import { LIBVIRT_UNITS, type ComputeHostFacts, type LiveMigrationFacts, type LiveMigrationTarget, type PairFacts } from './facts';
import { l2AgentProcess, libvirtDaemonView, migrationUri, novaConf, novaMigrationSettings, type LibvirtDaemonView, type NovaMigrationSettings } from './views';

/**
 * The gathering half of the live-migration check: the facts of each compute host (commands run concurrently after
 * the process table), the probes between source and target, and the API facts. Failures become Outcomes.
 */

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
