import { firewallBlocks } from '../../namespaces/iptables';
import type { NetworkAgent } from '../../openstack/types';
import { isIpAddress } from '../../remote/validate';
import type { ProbeResult } from '../commands/script';
import { reasonOf, valueOf } from '../gather';
import { finding, skipped, type Finding, type Fix } from '../types';
import { MIGRATION_PORT_MAX, MIGRATION_PORT_MIN, type ComputeHostFacts, type LiveMigrationFacts } from './facts';
import { capitalize } from './item-text';
import { configuredVxlanPort, libvirtDaemonView, migrationUri, novaConf, novaMigrationSettings, type LibvirtDaemonView } from './views';

/** Checklist items about the path between the hosts: resolution, transport, migration ports, storage, L2 agent, VXLAN (pure). */

export function resolutionItem(f: LiveMigrationFacts): Finding {
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

export function transportItem(f: LiveMigrationFacts, dst?: ComputeHostFacts): Finding {
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

export function migrationPortsItem(f: LiveMigrationFacts, dst?: ComputeHostFacts): Finding {
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

export function sharedStorageItem(f: LiveMigrationFacts, src?: ComputeHostFacts): Finding {
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

const L2_TYPES = /Open vSwitch agent|Linux bridge agent|OVN Controller|NIC Switch agent|Macvtap agent/i;

export function agentItem(f: LiveMigrationFacts): Finding {
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

export function vxlanItem(f: LiveMigrationFacts, src?: ComputeHostFacts, dst?: ComputeHostFacts): Finding {
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

/** "connected", "Connection refused", "no answer within 3 s" from a tcpProbe result. */
export function probeText(p: ProbeResult): string {
  if (p.rc === 0) return 'connected';
  if (p.rc === 124) return 'no answer within 3 s';
  const last = p.output.split('\n').filter(Boolean).pop() ?? '';
  return last.replace(/^.*\/dev\/tcp\/[^:]+:\s*/, '') || `failed (rc ${p.rc})`;
}
