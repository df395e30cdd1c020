import type { MigrationListOptions } from '../../core/openstack/compute';
import type { CliCommand } from '../command';
import { COMMON_USAGE, parseCommon, printList, withCloud } from './openstack-common';

const TYPES: Record<string, MigrationListOptions['migrationType']> = {
  'live-migration': 'live-migration',
  live: 'live-migration',
  'cold-migration': 'migration',
  migration: 'migration',
  resize: 'resize',
  evacuation: 'evacuation',
};

/** `migrations`: rows of /os-migrations (every type and state), newest first. */
export const migrationsCommand: CliCommand = {
  name: 'migrations',
  summary: 'List migrations (live, cold, resize, evacuation) with source and destination hosts and status.',
  usage: `migrations ${COMMON_USAGE} [--server UUID] [--host HOST] [--type live-migration|cold-migration|resize|evacuation] [--status STATUS]`,
  async run(args, io) {
    const o = parseCommon(args, ['--server', '--host', '--type', '--status']);
    const type = o.values.type;
    if (type !== undefined && !TYPES[type]) {
      io.err(`Unknown migration type "${type}" (use live-migration, cold-migration, resize or evacuation).`);
      return 2;
    }
    const { data } = await withCloud(io, o, async (c) => {
      let instanceUuid = o.values.server;
      if (instanceUuid) instanceUuid = (await c.compute.findServer(instanceUuid, { allProjects: true, signal: io.signal })).data.id;
      return c.compute.listMigrations({
        instanceUuid,
        host: o.values.host,
        migrationType: type ? TYPES[type] : undefined,
        status: o.values.status,
        signal: io.signal,
      });
    });
    printList(
      io,
      o,
      data,
      ['ID', 'UUID', 'Server', 'Type', 'Status', 'Source Host', 'Source Node', 'Dest Host', 'Dest Node', 'Dest IP', 'Created'],
      (m) => [m.id, m.uuid ?? '', m.instanceUuid, m.migrationType ?? '', m.status, m.sourceCompute ?? '', m.sourceNode ?? '', m.destCompute ?? '', m.destNode ?? '', m.destHost ?? '', m.createdAt],
      'No migrations (listing them needs the admin role).',
    );
    return 0;
  },
};
