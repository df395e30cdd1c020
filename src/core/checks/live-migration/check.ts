import { inputList, inputText, type CheckDefinition } from '../definition';
import { evaluateLiveMigration, liveMigrationReport } from './evaluate';
import type { LiveMigrationFacts } from './facts';
import { gatherLiveMigration } from './gather';

/** Live-migration readiness of an instance (or a source host) towards one or every other compute host. */
export const liveMigrationCheck: CheckDefinition<LiveMigrationFacts> = {
  id: 'live-migration',
  title: 'Check Live-Migration Readiness',
  command: 'openstack.check.liveMigration',
  needsCloud: true,
  inputs: [
    { name: 'server', kind: 'server', cli: 'positional', metavar: 'server', required: true, unless: 'source' },
    { name: 'target', kind: 'host', cli: '--target', metavar: 'HOST', many: true },
    { name: 'source', kind: 'host', cli: '--source', metavar: 'HOST', cliOnly: true },
  ],
  progressTitle: (l) => `Checking live migration of "${l.server}"`,
  gather: (api, ctx, i) => gatherLiveMigration(api, ctx, { server: inputText(i, 'server'), source: inputText(i, 'source') ?? '', targets: inputList(i, 'target') }),
  evaluate: evaluateLiveMigration,
  report: liveMigrationReport,
  nothingToCheck: (server) => (server ? `No other compute host to migrate "${server}" to.` : 'No target compute host to check (no other nova-compute service).'),
};
