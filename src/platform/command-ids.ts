import type { CheckCommandId } from '../core/checks/definition';

/**
 * Every command id the extension registers and package.json contributes, as a type: a typo in registerCommand,
 * an error action or an executeCommand of our own commands fails the type check. The checks' commands come from
 * src/core/checks/registry.ts. test/unit/platform/command-ids.test.ts holds both lists against package.json.
 */
export const COMMAND_IDS = [
  'openstack.showLog',
  'openstack.credentials.forget',
  'openstack.clouds.add',
  'openstack.clouds.openConfig',
  'openstack.logs.correlate',
  'openstack.logs.showInstance',
  'openstack.logs.tailInstance',
  'openstack.logs.correlateFolder',
  'openstack.logs.stopFollowing',
  'openstack.logs.resumeFollowing',
  'openstack.logs.filter',
  'openstack.logs.clearFilter',
  'openstack.clouds.switch',
  'openstack.clouds.remove',
  'openstack.clouds.refresh',
  'openstack.explorer.refresh',
  'openstack.explorer.retry',
  'openstack.explorer.loadMore',
  'openstack.explorer.loadAll',
  'openstack.instances.refresh',
  'openstack.instances.filter',
  'openstack.instances.clearFilter',
  'openstack.instances.groupBy',
  'openstack.instances.showLogs',
  'openstack.instances.correlateAction',
  'openstack.instances.showTimeline',
  'openstack.timeline.show',
  'openstack.timeline.export',
  'openstack.instances.copyId',
  'openstack.hypervisors.refresh',
  'openstack.hypervisors.disableService',
  'openstack.hypervisors.enableService',
  'openstack.hypervisors.openConfigFile',
  'openstack.network.refresh',
  'openstack.network.openNamespace',
  'openstack.network.refreshNamespace',
  'openstack.configs.check',
  'openstack.configs.applyToHosts',
  'openstack.configs.runHostCommands',
  'openstack.check.exportReport',
  'openstack.server.liveMigrate',
  'openstack.server.migrate',
  'openstack.server.confirmResize',
  'openstack.server.revertResize',
  'openstack.migration.abort',
  'openstack.migration.forceComplete',
  'openstack.diagnose',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number] | CheckCommandId;

