import { cgroupsCheck } from './cgroups';
import type { CheckDefinition } from './definition';
import { floatingIpCheck } from './floating-ip';
import { liveMigrationCheck } from './live-migration/check';
import { mysqlLimitsCheck } from './mysql-limits';
import { vxlanCheck } from './vxlan';

/**
 * Every check, once. The extension registers a command per entry, the CLI's `check <id>` runs them, and
 * test/unit/checks/registry.test.ts holds the list against package.json. A new check: one entry here.
 */
export const CHECKS: readonly CheckDefinition[] = [liveMigrationCheck, mysqlLimitsCheck, vxlanCheck, floatingIpCheck, cgroupsCheck];

export function checkById(id: string): CheckDefinition | undefined {
  return CHECKS.find((c) => c.id === id);
}
