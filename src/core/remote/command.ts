import { TroubleshooterError } from '../errors';

/**
 * A remote command is data: an argv array (never a shell string), optional sudo, a timeout and a parser.
 * Builders live with their capability (core/logs, core/checks…) and are unit-tested by asserting `argv`
 * and running `parse` over real captured output. `exec.ts` runs them.
 */
export interface RemoteCommand<T> {
  /** Program and arguments. Each element is quoted by `shellQuote` exactly once when sent. */
  argv: string[];
  /** Run through `sudo -n` (never prompts; a password requirement becomes `SudoPasswordRequired`). */
  sudo?: boolean;
  /** Deadline for the whole run (channel open + command). Default: the pool's command timeout. */
  timeoutMs?: number;
  /** Exit codes that are not failures (grep: [0, 1]). Default [0]. */
  okExitCodes?: number[];
  /** Turns stdout into the result. Throw a TroubleshooterError for unparseable output. */
  parse(stdout: string, ctx: { exitCode: number; stderr: string }): T;
}

/** Shorthand for a command whose result is its stdout. */
export function textCommand(argv: string[], opts: Omit<RemoteCommand<string>, 'argv' | 'parse'> = {}): RemoteCommand<string> {
  return { argv, ...opts, parse: (s) => s };
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * THE quoting function: POSIX single quotes, safe for sh/dash/bash/zsh/ash as the remote login shell.
 * Plain words stay readable in logs (`grep -F req-…`); anything else becomes '…' with ' written as '\''.
 * NUL cannot be passed through a command line, so it is refused.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new TroubleshooterError('InvalidInput', 'A command argument contains a NUL byte.');
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** argv → the one command line sent to sshd (which hands it to the user's login shell with -c). */
export function toCommandLine(argv: string[]): string {
  if (argv.length === 0) throw new TroubleshooterError('InvalidInput', 'A remote command needs at least a program name.');
  return argv.map(shellQuote).join(' ');
}

/** argv with the sudo prefix applied when asked. `-n`: never prompt; `--`: end of sudo's options. */
export function withSudo(argv: string[], sudo: boolean | undefined): string[] {
  return sudo ? ['sudo', '-n', '--', ...argv] : argv;
}

/** A short, single-line rendering of argv for logs (`> ssh compute1 grep -F req-… [12ms]`). */
export function describeArgv(argv: string[], max = 240): string {
  const s = argv.map((a) => shellQuote(a.replace(/\n/g, '\\n'))).join(' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
