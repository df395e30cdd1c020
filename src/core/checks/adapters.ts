import { mapHost, type HostMapConfig } from '../hosts/host-map';
import type { OpenStackClient } from '../openstack/client';
import type { RemoteCommand } from '../remote/command';
import { run } from '../remote/exec';
import type { SshPool } from '../remote/pool';
import type { CheckApi, HostExec } from './ports';

/** The checks' API seam over the real OpenStack client (src/core/openstack). */
export function checkApiOf(os: OpenStackClient): CheckApi {
  const c = os.compute;
  return {
    getServer: async (idOrName, signal) => (await c.findServer(idOrName, { signal, allProjects: os.isAdmin })).data,
    listServers: async (o, signal) => (await c.listServers({ host: o.host, allProjects: o.allProjects, signal })).data,
    listComputeServices: async (signal) => (await c.listServices({ binary: 'nova-compute', signal })).data,
    listHypervisors: async (signal) => (await c.listHypervisors({ signal })).data,
    listNetworkAgents: async (o, signal) => (await os.network.listAgents({ host: o.host, signal })).data,
    providerCapacity: async (name, signal) => (os.hasPlacement ? (await os.placement.capacityByName(name, { signal }))?.data : undefined),
    listFloatingIps: async (o, signal) => (await os.network.listFloatingIps({ signal, filters: { floating_ip_address: o.address } })).data,
    getFloatingIp: async (id, signal) => (await os.network.getFloatingIp(id, { signal })).data,
    getRouter: async (id, signal) => (await os.network.getRouter(id, { signal })).data,
    listRouterL3Agents: async (id, signal) => (await os.network.listRouterL3Agents(id, { signal })).data,
    listPorts: async (o, signal) => (await os.network.listPorts({ deviceId: o.deviceId, deviceOwner: o.deviceOwner, signal })).data,
    computeMicroversion: () => c.microversion,
    liveMigrate: async (id, o, signal) => ({ requestId: (await c.liveMigrate(id, { host: o.host ?? null, blockMigration: 'auto' }, { signal })).requestId }),
    coldMigrate: async (id, o, signal) => ({ requestId: (await c.migrate(id, o.host, { signal })).requestId }),
    listServerMigrations: async (id, signal) => (await c.listServerMigrations(id, { signal })).data,
    listMigrations: async (o, signal) => (await c.listMigrations({ instanceUuid: o.instanceUuid, signal })).data,
    abortMigration: async (id, mid, signal) => void (await c.abortServerMigration(id, mid, { signal })),
    forceCompleteMigration: async (id, mid, signal) => void (await c.forceCompleteServerMigration(id, mid, { signal })),
    confirmResize: async (id, signal) => ({ requestId: (await c.confirmResize(id, { signal })).requestId }),
    revertResize: async (id, signal) => ({ requestId: (await c.revertResize(id, { signal })).requestId }),
    listInstanceActions: async (id, signal) => (await c.listInstanceActions(id, { signal })).data,
    getInstanceAction: async (id, req, signal) => (await c.getInstanceAction(id, req, { signal })).data,
  };
}

/** Runs check commands on OpenStack hosts through the SSH pool, after mapping host names to SSH aliases. */
export function hostExecOf(pool: SshPool, cloud: string, hostMap: HostMapConfig = {}): HostExec {
  return {
    async run<T>(host: string, cmd: RemoteCommand<T>, signal: AbortSignal): Promise<T> {
      const alias = mapHost(host, cloud, hostMap).sshAlias;
      return (await run(pool, alias, cmd, { signal })).value;
    },
  };
}
