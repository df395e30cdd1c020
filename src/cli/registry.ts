import type { CliCommand } from './command';

/**
 * Every CLI command, one import per file in ./commands. Add yours with one line here.
 */
export function cliCommands(): CliCommand[] {
  return [
    // (commands are added here by each capability)
  ];
}
