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

// ---------------------------------------------------------------------------------------------------------------
// Validators: every value that comes from a user or from an API is checked before it reaches a command.
// They return the value (so they compose in argv literals) or throw InvalidInput with the value quoted.

function invalid(what: string, value: string): never {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  throw new TroubleshooterError('InvalidInput', `Invalid ${what} "${shown.replace(/[\r\n]/g, ' ')}".`, { value: shown });
}

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

/** A DNS host name (labels of letters, digits, '-' and '_' as OpenStack host names allow), IPv4 or IPv6. */
export function validateHostname(value: string): string {
  if (value.length === 0 || value.length > 253) return invalid('host name', value);
  if (value.includes(':')) {
    if (IPV6.test(value) && value.split(':').length >= 3) return value;
    return invalid('host name', value);
  }
  const labels = value.replace(/\.$/, '').split('.');
  if (!labels.every((l) => HOST_LABEL.test(l))) return invalid('host name', value);
  return value;
}

/** An absolute path without NUL, newlines or `..` segments. Returned normalised (no `//`, no trailing `/`). */
export function validateAbsolutePath(value: string): string {
  if (!value.startsWith('/') || /[\0\r\n]/.test(value) || value.length > 4096) return invalid('absolute path', value);
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return invalid('absolute path', value);
  return `/${parts.join('/')}`;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID in its dashed form (instance, port, router ids). Returned lower-case. */
export function validateUuid(value: string): string {
  if (!UUID.test(value)) return invalid('UUID', value);
  return value.toLowerCase();
}

/**
 * An OpenStack request id: `req-` + lower-case dashed UUID (oslo.middleware's format; anything else is
 * silently ignored by the services, so it can never match a log line). THE request-id pattern of the project:
 * core/logs (keys, parsers) and the features use it from here.
 */
export const REQUEST_ID_PATTERN = 'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const REQUEST_ID_RE = new RegExp(`^${REQUEST_ID_PATTERN}$`);

/**
 * THE request-id validator. Strict by default (a value from an API or a log line is used as it is); `normalize` for
 * what a user typed or pasted: surrounding blanks dropped and upper case lowered before the check. Returns the
 * value to use; throws InvalidInput quoting the value as given.
 */
export function validateRequestId(value: string, opts: { normalize?: boolean } = {}): string {
  const v = opts.normalize ? value.trim().toLowerCase() : value;
  if (!REQUEST_ID_RE.test(v)) {
    const shown = (value.length > 80 ? `${value.slice(0, 80)}…` : value).replace(/[\r\n\t]/g, ' ');
    throw new TroubleshooterError('InvalidInput',
      `Not a request id (expected req- followed by a UUID, like req-5f2adc28-1772-480e-a35c-c12ec08b94d7): "${shown}".`, { value: shown });
  }
  return v;
}

/** A network namespace name as `ip netns` accepts it (a file name under /run/netns), e.g. `qrouter-<uuid>`. */
export function validateNamespace(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(value) || value === '.' || value === '..') return invalid('namespace name', value);
  return value;
}
