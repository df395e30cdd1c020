import type { RemoteCommand } from '../../remote/command';
import { invalidArgument, validatePlainAbsolutePath } from '../../remote/validate';
import { script } from './script';

/**
 * Remote command builders for the checks (argv + parser, nothing runs here): MySQL/MariaDB variables, option files, process limits and log lines. Every value that comes from
 * the API or the user is validated (core/remote/validate.ts) before it becomes an argument; shell snippets are constants that
 * receive their inputs as positional parameters ("$1"…), never by interpolation.
 */

// ---------------------------------------------------------------- MySQL / MariaDB

/** `mysql -NBe "SHOW GLOBAL VARIABLES WHERE Variable_name IN (…)"` over the local socket (root via unix_socket). */
export function mysqlVariables(names: string[]): RemoteCommand<Record<string, string>> {
  for (const n of names) if (!/^[a-z_]+$/.test(n)) invalidArgument('MySQL variable name', n);
  const sql = `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(',')})`;
  return { argv: ['mysql', '-NB', '-e', sql], sudo: true, timeoutMs: 15_000, parse: parseTabPairs };
}

/** `mysql -NBe "SHOW GLOBAL STATUS …"` for Max_used_connections, Threads_connected. */
export function mysqlStatus(names: string[]): RemoteCommand<Record<string, string>> {
  for (const n of names) if (!/^[A-Za-z_]+$/.test(n)) invalidArgument('MySQL status name', n);
  const sql = `SHOW GLOBAL STATUS WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(',')})`;
  return { argv: ['mysql', '-NB', '-e', sql], sudo: true, timeoutMs: 15_000, parse: parseTabPairs };
}

export function parseTabPairs(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('\t');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * The options mysqld reads from its option files (`my_print_defaults`), e.g. `--max_connections=4096`.
 * With `defaultsFile` (a --defaults-file of the running server) only that file is read, as mysqld does.
 */
export function myPrintDefaults(defaultsFile?: string): RemoteCommand<Record<string, string>> {
  const argv = ['my_print_defaults'];
  if (defaultsFile) argv.push(`--defaults-file=${validatePlainAbsolutePath(defaultsFile)}`);
  argv.push('mysqld', 'server', 'mariadb', 'mariadbd');
  return {
    argv: script('if command -v my_print_defaults >/dev/null 2>&1; then "$@"; else echo @@missing; fi', argv),
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) => {
      const out: Record<string, string> = {};
      for (const line of s.split('\n')) {
        const m = /^--([A-Za-z0-9_-]+)(?:=(.*))?$/.exec(line.trim());
        if (m) out[m[1].replace(/-/g, '_')] = m[2] ?? '';
      }
      return out;
    },
  };
}

/** `grep -rnE '^\s*<option>\s*=' <dirs/files>`: where an option is set, as file:line:text. */
export function grepOption(option: string, paths: string[]): RemoteCommand<{ file: string; line: number; text: string }[]> {
  if (!/^[a-z_]+$/.test(option)) invalidArgument('option name', option);
  for (const p of paths) validatePlainAbsolutePath(p);
  const pattern = `^[[:space:]]*${option.replace(/_/g, '[_-]')}[[:space:]]*=`;
  return {
    argv: script('p=$1; shift; grep -rnE --include=*.cnf --include=*.conf --include=*.ini -- "$p" "$@" 2>/dev/null; true', [pattern, ...paths]),
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) =>
      s
        .split('\n')
        .map((l) => /^([^:]+):(\d+):(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ file: m[1], line: Number(m[2]), text: m[3].trim() })),
  };
}

export interface ProcLimits {
  /** "Max open files" soft/hard ("unlimited" → Infinity). */
  openFiles?: { soft: number; hard: number };
  raw: string;
}

/** `/proc/<pid>/limits` of a running process. */
export function procLimits(pid: number): RemoteCommand<ProcLimits> {
  if (!Number.isInteger(pid) || pid < 1) invalidArgument('pid', String(pid));
  return { argv: ['cat', `/proc/${pid}/limits`], sudo: true, timeoutMs: 10_000, parse: parseProcLimits };
}

export function parseProcLimits(stdout: string): ProcLimits {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(stdout);
  const num = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
  return { openFiles: m ? { soft: num(m[1]), hard: num(m[2]) } : undefined, raw: stdout.trim() };
}

/** The last lines of a log file that contain a fixed string (grep runs on the host). */
export function grepLog(file: string, fixed: string, maxLines = 5): RemoteCommand<string[]> {
  validatePlainAbsolutePath(file);
  if (!/^[A-Za-z0-9 _:.-]{1,80}$/.test(fixed)) invalidArgument('search text', fixed);
  return {
    argv: script('grep -hF -- "$1" "$2" 2>/dev/null | tail -n "$3"; true', [fixed, file, String(maxLines)]),
    sudo: true,
    timeoutMs: 15_000,
    parse: (s) => s.split('\n').map((l) => l.trimEnd()).filter(Boolean),
  };
}
