import type {
  ComputeService,
  FloatingIp,
  Hypervisor,
  InstanceAction,
  Migration,
  NetworkAgent,
  Port,
  ProviderCapacity,
  Router,
  Server,
  ServerMigration,
} from '../openstack/types';
import type { RemoteCommand } from '../remote/command';

/**
 * The narrow seams the checks need from the rest of the core. The real implementations (src/core/remote's pool,
 * src/core/hosts' mapper, src/core/openstack's client) are adapted to these in ./adapters.ts; tests can feed
 * recorded facts straight into the pure evaluations instead.
 */

/** A remote command as data (src/core/remote runs it; argv is quoted there, never by us). */
export type { RemoteCommand };

/** Runs a command on an OpenStack host (compute service host, agent host, "controller"), mapped to its SSH target. */
export interface HostExec {
  run<T>(host: string, cmd: RemoteCommand<T>, signal: AbortSignal): Promise<T>;
}

/** The part of the OpenStack client the checks and migration actions use. Every call honours `signal`. */
export interface CheckApi {
  /** Server by id or name (admin fields included when allowed). */
  getServer(idOrName: string, signal: AbortSignal): Promise<Server>;
  listServers(opts: { host?: string; allProjects?: boolean }, signal: AbortSignal): Promise<Server[]>;
  listComputeServices(signal: AbortSignal): Promise<ComputeService[]>;
  listHypervisors(signal: AbortSignal): Promise<Hypervisor[]>;
  listNetworkAgents(opts: { host?: string }, signal: AbortSignal): Promise<NetworkAgent[]>;
  /** Placement inventories and usages of the provider named `name` (the hypervisor hostname); undefined if none. */
  providerCapacity(name: string, signal: AbortSignal): Promise<ProviderCapacity | undefined>;
  listFloatingIps(opts: { address?: string }, signal: AbortSignal): Promise<FloatingIp[]>;
  getFloatingIp(id: string, signal: AbortSignal): Promise<FloatingIp>;
  getRouter(id: string, signal: AbortSignal): Promise<Router>;
  listRouterL3Agents(routerId: string, signal: AbortSignal): Promise<NetworkAgent[]>;
  listPorts(opts: { deviceId?: string; deviceOwner?: string }, signal: AbortSignal): Promise<Port[]>;

  // migrations
  /** The compute microversion in use (e.g. "2.92"). */
  computeMicroversion(): string;
  liveMigrate(serverId: string, opts: { host?: string }, signal: AbortSignal): Promise<{ requestId?: string }>;
  coldMigrate(serverId: string, opts: { host?: string }, signal: AbortSignal): Promise<{ requestId?: string }>;
  listServerMigrations(serverId: string, signal: AbortSignal): Promise<ServerMigration[]>;
  listMigrations(opts: { instanceUuid: string }, signal: AbortSignal): Promise<Migration[]>;
  abortMigration(serverId: string, migrationId: number, signal: AbortSignal): Promise<void>;
  forceCompleteMigration(serverId: string, migrationId: number, signal: AbortSignal): Promise<void>;
  confirmResize(serverId: string, signal: AbortSignal): Promise<{ requestId?: string }>;
  revertResize(serverId: string, signal: AbortSignal): Promise<{ requestId?: string }>;
  listInstanceActions(serverId: string, signal: AbortSignal): Promise<InstanceAction[]>;
  getInstanceAction(serverId: string, requestId: string, signal: AbortSignal): Promise<InstanceAction>;
}

/** Per-host progress of a gather run: "compute1: reading nova.conf". */
export type ProgressSink = (event: { host?: string; message: string; done?: boolean }) => void;
