import type { NetworkAgent } from '../../core/openstack/types';
import type { CliCommand } from '../command';
import { COMMON_USAGE, parseCommon, printList, withCloud } from './openstack-common';

/** `routers`: routers with HA/DVR flags, gateway, and (with --agents) the L3 agents hosting each (ha_state). */
export const routersCommand: CliCommand = {
  name: 'routers',
  summary: 'List routers with HA/distributed flags, external gateway and the L3 agents that host them.',
  usage: `routers ${COMMON_USAGE} [--agents]`,
  async run(args, io) {
    const o = parseCommon(args, [], ['--agents']);
    const withAgents = o.flags.has('agents');
    const rows = await withCloud(io, o, async (c) => {
      const { data } = await c.network.listRouters({ signal: io.signal });
      const agents = new Map<string, NetworkAgent[]>();
      if (withAgents) {
        await Promise.all(data.map(async (r) => agents.set(r.id, (await c.network.listRouterL3Agents(r.id, { signal: io.signal })).data)));
      }
      return data.map((r) => ({ ...r, l3Agents: withAgents ? agents.get(r.id) ?? [] : undefined }));
    });
    const headers = ['ID', 'Name', 'Status', 'HA', 'Distributed', 'Gateway IPs', 'Project'];
    printList(
      io,
      o,
      rows,
      withAgents ? [...headers, 'L3 Agents (host:ha_state)'] : headers,
      (r) => {
        const row = [
          r.id,
          r.name,
          r.status ?? '',
          r.ha ?? '',
          r.distributed ?? '',
          r.externalGatewayInfo?.externalFixedIps.map((f) => f.ipAddress).join(', ') ?? '',
          r.projectId ?? '',
        ];
        const hosting = (r.l3Agents ?? []).map((a) => `${a.host}${a.haState ? `:${a.haState}` : ''}${a.alive ? '' : ' (dead)'}`).join(', ');
        return withAgents ? [...row, hosting || 'none'] : row;
      },
      'No routers.',
    );
    return 0;
  },
};
