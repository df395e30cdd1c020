import type { Logger } from '../core/log';

/** One CLI command: `openstack-troubleshooter <name> [args…]`. Commands live one per file in ./commands. */
export interface CliCommand {
  /** e.g. "servers" or "logs correlate" (words separated by one space). */
  name: string;
  /** One line for --help. */
  summary: string;
  /** Usage line(s) after the program name, e.g. "servers [--cloud NAME] [--all-projects] [--json]". */
  usage: string;
  /**
   * Runs the command. `args` are the words after the command name. Returns the process exit code:
   * 0 ok, 1 findings/failures (lint, checks), 2 usage error, 3 runtime error.
   */
  run(args: string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  log: Logger;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  cwd: string;
}
