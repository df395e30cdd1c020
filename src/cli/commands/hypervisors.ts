import type { CliCommand } from '../command';
import { COMMON_USAGE, parseCommon, printList, withCloud } from './openstack-common';

/** `hypervisors`: compute nodes with their service host, state and (with --cpu) the CPU model. */
export const hypervisorsCommand: CliCommand = {
  name: 'hypervisors',
  summary: 'List hypervisors with their compute service host, state, version and servers.',
  usage: `hypervisors ${COMMON_USAGE} [--cpu]`,
  async run(args, io) {
    const o = parseCommon(args, [], ['--cpu']);
    const cpu = o.flags.has('cpu');
    const { data } = await withCloud(io, o, (c) => c.compute.listHypervisors({ withServers: true, withCpuInfo: cpu, signal: io.signal }));
    const headers = ['ID', 'Hypervisor Hostname', 'Service Host', 'Type', 'Version', 'Host IP', 'State', 'Status', 'Servers'];
    printList(
      io,
      o,
      data,
      cpu ? [...headers, 'CPU'] : headers,
      (h) => {
        const row = [
          h.id,
          h.hypervisorHostname,
          h.service?.host ?? '',
          h.hypervisorType ?? '',
          h.hypervisorVersion ?? '',
          h.hostIp ?? '',
          h.state ?? '',
          h.status ?? '',
          h.servers?.length ?? '',
        ];
        return cpu ? [...row, h.cpuInfo ? `${h.cpuInfo.vendor ?? ''} ${h.cpuInfo.model ?? ''}`.trim() : ''] : row;
      },
      'No hypervisors (listing them needs the admin role).',
    );
    return 0;
  },
};
