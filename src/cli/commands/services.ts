import type { CliCommand } from '../command';
import { COMMON_USAGE, parseCommon, printList, withCloud } from './openstack-common';

/** `services`: nova services (compute, conductor, scheduler) with state, status and disabled reason. */
export const servicesCommand: CliCommand = {
  name: 'services',
  summary: 'List compute services with their state, status, forced-down flag and disabled reason.',
  usage: `services ${COMMON_USAGE} [--host HOST] [--binary BINARY]`,
  async run(args, io) {
    const o = parseCommon(args, ['--host', '--binary']);
    const { data } = await withCloud(io, o, (c) => c.compute.listServices({ host: o.values.host, binary: o.values.binary, signal: io.signal }));
    printList(
      io,
      o,
      data,
      ['ID', 'Binary', 'Host', 'Zone', 'State', 'Status', 'Forced Down', 'Disabled Reason', 'Updated'],
      (s) => [s.id ?? '', s.binary, s.host, s.zone ?? '', s.state ?? '', s.status, s.forcedDown ?? '', s.disabledReason ?? '', s.updatedAt ?? ''],
      'No compute services (listing them needs the admin role).',
    );
    return 0;
  },
};
