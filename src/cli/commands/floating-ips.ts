import type { CliCommand } from '../command';
import { COMMON_USAGE, parseCommon, printList, withCloud } from './openstack-common';

/** `floating-ips`: floating IPs with the fixed IP, port and router (which qrouter- namespace NATs them). */
export const floatingIpsCommand: CliCommand = {
  name: 'floating-ips',
  summary: 'List floating IPs with their fixed IP, port, router and the device that owns the port.',
  usage: `floating-ips ${COMMON_USAGE}`,
  async run(args, io) {
    const o = parseCommon(args);
    const { data } = await withCloud(io, o, (c) => c.network.listFloatingIps({ signal: io.signal }));
    printList(
      io,
      o,
      data,
      ['ID', 'Floating IP', 'Fixed IP', 'Status', 'Port', 'Router', 'Device Owner', 'Device'],
      (f) => [f.id, f.floatingIpAddress, f.fixedIpAddress ?? '', f.status ?? '', f.portId ?? '', f.routerId ?? '', f.portDetails?.deviceOwner ?? '', f.portDetails?.deviceId ?? ''],
      'No floating IPs.',
    );
    return 0;
  },
};
