import type { RemoteCommand } from '../../remote/command';
import { script } from './script';

/**
 * Remote command builders for the checks (argv + parser, nothing runs here): processes (ps) and their command lines. Every value that comes from
 * the API or the user is validated (core/remote/validate.ts) before it becomes an argument; shell snippets are constants that
 * receive their inputs as positional parameters ("$1"…), never by interpolation.
 */

// ---------------------------------------------------------------- processes

export interface ProcessInfo {
  pid: number;
  /** Seconds since the process started. */
  elapsedSeconds: number;
  args: string;
  argv: string[];
}

export interface ProcessTable {
  /** The host's clock (epoch seconds) when ps ran: start time = now − elapsed. */
  now: number;
  processes: ProcessInfo[];
}

/**
 * `date +%s`, this shell's network namespace, then `ps -eww -o pid=,netns=,etimes=,args=` (full command lines).
 * Only processes of the shell's own network namespace are kept: the host's daemons, not those of containers or
 * neutron namespaces (and, on a lab where hosts are namespaces of one machine, not those of the other hosts).
 */
export function processTable(): RemoteCommand<ProcessTable> {
  return {
    argv: script('echo "$(date +%s) $(readlink /proc/$$/ns/net)"; ps -eww -o pid=,netns=,etimes=,args='),
    timeoutMs: 15_000,
    parse: parseProcessTable,
  };
}

export function parseProcessTable(stdout: string): ProcessTable {
  const lines = stdout.split('\n');
  const [nowText, nsText] = (lines[0] ?? '').trim().split(/\s+/);
  const now = Number.parseInt(nowText ?? '', 10);
  const ownNs = /\[(\d+)\]/.exec(nsText ?? '')?.[1];
  const processes: ProcessInfo[] = [];
  for (const line of lines.slice(1)) {
    const m = /^\s*(\d+)\s+(\d+|-)\s+(\d+)\s+(.+)$/.exec(line);
    if (!m) continue;
    if (ownNs && m[2] !== '-' && m[2] !== ownNs) continue;
    const args = m[4].trim();
    processes.push({ pid: Number(m[1]), elapsedSeconds: Number(m[3]), args, argv: args.split(/\s+/) });
  }
  return { now: Number.isNaN(now) ? 0 : now, processes };
}

/** Processes whose executable (argv[0] basename, or a python script name) matches `name`. Kernel threads excluded. */
export function findProcesses(table: ProcessTable, name: RegExp): ProcessInfo[] {
  return table.processes.filter((p) => {
    if (p.args.startsWith('[')) return false;
    const exe = p.argv[0].split('/').pop() ?? '';
    if (name.test(exe)) return true;
    // python3 /usr/bin/nova-compute …, or a wrapper "bash …/nova-compute"
    if (/^(?:python[\d.]*|bash|sh)$/.test(exe)) {
      const script = p.argv.slice(1).find((a) => !a.startsWith('-'));
      return script !== undefined && name.test(script.split('/').pop() ?? '');
    }
    return false;
  });
}

/** Values of `--flag X` / `--flag=X` in a command line, in order. */
export function argValues(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) out.push(argv[++i]);
    else if (argv[i].startsWith(`${flag}=`)) out.push(argv[i].slice(flag.length + 1));
  }
  return out;
}
