import type { CliCommand } from './command';
import { actionsCommand } from './commands/actions';
import { checkCommand } from './commands/check';
import { diagnoseCommand } from './commands/diagnose';
import { floatingIpsCommand } from './commands/floating-ips';
import { hypervisorsCommand } from './commands/hypervisors';
import { lintCommand } from './commands/lint';
import { logsCorrelateCommand } from './commands/logs-correlate';
import { migrationsCommand } from './commands/migrations';
import { routersCommand } from './commands/routers';
import { serversCommand } from './commands/servers';
import { servicesCommand } from './commands/services';
import { sshCheckCommand } from './commands/ssh-check';

/**
 * Every CLI command, one import per file in ./commands. Add yours with one line here.
 */
export function cliCommands(): CliCommand[] {
  return [
    // (commands are added here by each capability)
    serversCommand,
    hypervisorsCommand,
    servicesCommand,
    migrationsCommand,
    actionsCommand,
    routersCommand,
    floatingIpsCommand,
    lintCommand,
    logsCorrelateCommand,
    sshCheckCommand,
    checkCommand,
    diagnoseCommand,
  ];
}
