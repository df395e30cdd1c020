import type { RemoteCommand } from '../../remote/command';

/**
 * The two shapes every check command is built from: a constant `sh -c` script with positional arguments, and a
 * probe that reports the exit status and output of a command instead of failing on a non-zero status.
 */

/** argv of `sh -c <constant script> sh <args…>`: the script sees the args as "$@" and never re-parses them. */
export function script(body: string, args: string[] = []): string[] {
  return ['sh', '-c', body, 'sh', ...args];
}

// ---------------------------------------------------------------- probe (exit code + output)

export interface ProbeResult {
  /** Exit status of the probed command (124 when `timeout` stopped it). */
  rc: number;
  /** stdout and stderr together, trimmed. */
  output: string;
}

const RC_MARK = '@@ost-rc=';

/** Runs argv and reports its exit status and combined output instead of failing on a non-zero status. */
export function probe(argv: string[], opts: { sudo?: boolean; timeoutMs?: number } = {}): RemoteCommand<ProbeResult> {
  return {
    argv: script(`"$@" 2>&1; echo "${RC_MARK}$?"`, argv),
    sudo: opts.sudo,
    timeoutMs: opts.timeoutMs,
    parse: parseProbe,
  };
}

export function parseProbe(stdout: string): ProbeResult {
  const i = stdout.lastIndexOf(RC_MARK);
  if (i < 0) return { rc: -1, output: stdout.trim() };
  const rc = Number.parseInt(stdout.slice(i + RC_MARK.length), 10);
  return { rc: Number.isNaN(rc) ? -1 : rc, output: stdout.slice(0, i).trim() };
}
