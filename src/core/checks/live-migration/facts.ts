import type { IptablesSave } from '../../namespaces/iptables';
import type { ComputeService, Hypervisor, NetworkAgent, ProviderCapacity, Server } from '../../openstack/types';
import type { RemoteFile } from '../commands/files';
import type { Listener, Resolution, VxlanLink } from '../commands/network';
import type { ProcessTable } from '../commands/processes';
import type { ProbeResult } from '../commands/script';
import type { UnitStates } from '../commands/systemd';
import type { Outcome } from '../gather';

/**
 * Live-migration readiness of one instance (or one source host) towards a target compute host: facts from the API
 * and both hosts, then a pure evaluation into the checklist of domain-facts §4.5, stricter where operators learned
 * to be (a plain qemu/libvirt version difference warns).
 *
 * The check is split along its seam: facts.ts (what is gathered, as data), views.ts (derived readings of nova.conf,
 * libvirt and the agents), gather.ts (the commands and API calls), items-*.ts (pure evaluations, one function per
 * checklist item), evaluate.ts (the checklist and the report), check.ts (the registry entry).
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

export interface LiveMigrationTarget {
  /** Compute service host of the instance (or of the source host for a host-only check). */
  source: string;
  /** Candidate target service hosts (empty: every other nova-compute host). */
  targets?: string[];
  server?: string;
}
