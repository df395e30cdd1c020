import type { CliCommand } from '../command';
import { COMMON_USAGE, parseCommon, printList, withCloud } from './openstack-common';

/** `servers`: instances with the host fields an operator needs (service host, node, libvirt name). */
export const serversCommand: CliCommand = {
  name: 'servers',
  summary: 'List servers with their compute host, hypervisor node and libvirt instance name.',
  usage: `servers ${COMMON_USAGE} [--host HOST] [--status STATUS] [--name REGEX]`,
  async run(args, io) {
    const o = parseCommon(args, ['--host', '--status', '--name', '--project']);
    const { data } = await withCloud(io, o, (c) =>
      c.compute.listServers({
        allProjects: o.allProjects,
        host: o.values.host,
        status: o.values.status,
        name: o.values.name,
        projectId: o.values.project,
        signal: io.signal,
      }),
    );
    printList(
      io,
      o,
      data,
      ['ID', 'Name', 'Status', 'Task', 'Host', 'Node', 'Instance', 'Addresses'],
      (s) => [
        s.id,
        s.name,
        s.status,
        s.taskState ?? '',
        s.host ?? '',
        s.hypervisorHostname ?? '',
        s.instanceName ?? '',
        s.addresses.map((a) => `${a.network}=${a.addr}`).join(', '),
      ],
      o.allProjects ? 'No servers in any project.' : 'No servers in this project (use --all-projects to see every project).',
    );
    return 0;
  },
};
