import { TroubleshooterError } from '../errors';
import { runLocal } from '../local-run';
import { redact } from '../log';
import type { RemoteCommand } from '../remote/command';

/**
 * "Changed but not yet applied — restart needed": a config file modified after its service's process started has
 * not landed. The facts come from the host as argv commands (data, run by whoever owns the connection).
 */

/**
 * A probe is a `RemoteCommand` (core/remote/command.ts) with its deadline always set and a parser that needs only
 * stdout (so a fake host in a test can answer with text alone). Any runner of RemoteCommands runs it.
 */
export type ConfigProbe<T> = Omit<RemoteCommand<T>, 'timeoutMs' | 'parse'> & {
  timeoutMs: number;
  parse(stdout: string): T;
};

/** `stat -c %Y <path>` → modification time in ms since the epoch (undefined when missing). */
export function fileMtimeProbe(path: string): ConfigProbe<number | undefined> {
  if (!path.startsWith('/') || path.includes('\0')) throw new TroubleshooterError('InvalidInput', `An absolute path is needed: "${path}".`);
  return {
    argv: ['stat', '-c', '%Y', '--', path],
    timeoutMs: 10_000,
    parse: (out) => (/^\d+$/.test(out.trim()) ? Number(out.trim()) * 1000 : undefined),
  };
}

/**
 * Start time of a systemd unit's main process: `systemctl show -p ExecMainStartTimestamp --value <unit>`, e.g.
 * "Wed 2026-11-25 20:01:02 UTC" → ms (undefined when the unit is not running or the value is empty).
 */
export function serviceStartProbe(unit: string): ConfigProbe<number | undefined> {
  if (!/^[A-Za-z0-9@._:-]+$/.test(unit)) throw new TroubleshooterError('InvalidInput', `Not a unit name: "${unit}".`);
  return {
    argv: ['systemctl', 'show', '-p', 'ExecMainStartTimestamp', '--value', unit],
    timeoutMs: 10_000,
    parse: (out) => parseSystemdTimestamp(out.trim()),
  };
}

export function parseSystemdTimestamp(s: string): number | undefined {
  if (!s || s === 'n/a') return undefined;
  const m = /^(?:\w{3} )?(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?: (UTC|[A-Z]{2,5}|[+-]\d{2}:?\d{2}))?$/.exec(s);
  if (!m) return undefined;
  const zone = m[3] === undefined || m[3] === 'UTC' || m[3] === 'GMT' ? 'Z' : /^[+-]/.test(m[3]) ? m[3] : undefined;
  if (zone === undefined) return undefined; // A named non-UTC zone cannot be resolved reliably.
  const t = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

/** True when the file changed after the service started (it needs a restart to take effect). */
export function restartPending(fileModifiedAt: number | undefined, serviceStartedAt: number | undefined): boolean {
  return fileModifiedAt !== undefined && serviceStartedAt !== undefined && fileModifiedAt > serviceStartedAt;
}

/** Seconds since a process started: `ps -o etimes= -p <pid>`. */
export function processElapsedProbe(pid: number): ConfigProbe<number | undefined> {
  return {
    argv: ['ps', '-o', 'etimes=', '-p', String(Math.trunc(pid))],
    timeoutMs: 10_000,
    parse: (out) => (/^\d+$/.test(out.trim()) ? Number(out.trim()) : undefined),
  };
}

/** The host's clock: `date +%s` (ms), so the comparison never mixes two machines' clocks. */
export const hostClockProbe: ConfigProbe<number | undefined> = {
  argv: ['date', '+%s'],
  timeoutMs: 10_000,
  parse: (out) => (/^\d+$/.test(out.trim()) ? Number(out.trim()) * 1000 : undefined),
};

/** `pidof -s <name>` → a pid (exit 1 = not running). */
export function pidofProbe(name: string): ConfigProbe<number | undefined> & { okExitCodes: number[] } {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new TroubleshooterError('InvalidInput', `Not a process name: "${name}".`);
  return { argv: ['pidof', '-s', name], timeoutMs: 10_000, okExitCodes: [0, 1], parse: (out) => (/^\d+$/.test(out.trim()) ? Number(out.trim()) : undefined) };
}

/** `cat <pidfile>` → the daemon's pid (undefined when missing). */
export function pidFileProbe(path: string): ConfigProbe<number | undefined> & { okExitCodes: number[] } {
  if (!path.startsWith('/') || path.includes('\0')) throw new TroubleshooterError('InvalidInput', `An absolute path is needed: "${path}".`);
  return { argv: ['cat', '--', path], timeoutMs: 10_000, okExitCodes: [0, 1], parse: (out) => (/^\d+$/.test(out.trim()) ? Number(out.trim()) : undefined) };
}

/** The daemon whose configuration a file is: its pid file, process name and the service to restart. */
export function serviceOf(kind: string | undefined, path: string): { pidFile: string; process: string; service: string } | undefined {
  if (kind === 'libvirtd') return /virtproxyd\.conf$/.test(path) ? { pidFile: '/run/libvirt/virtproxyd.pid', process: 'virtproxyd', service: 'virtproxyd' } : { pidFile: '/run/libvirt/libvirtd.pid', process: 'libvirtd', service: 'libvirtd' };
  const mariadb = { pidFile: '/run/mysqld/mysqld.pid', process: 'mariadbd', service: 'mariadb' };
  if (kind === 'option-file') return mariadb;
  if (kind === 'systemd-unit' && /(^|\/)(mariadb|mysql|mysqld)\.service\.d\//.test(path)) return mariadb;
  return undefined;
}

/**
 * Facts for "changed but not yet applied" from the host itself: the file's mtime and the start of the daemon's
 * process, both by the host's clock. The pid comes from the daemon's pid file (precise even when several
 * instances run), else `pidof`. `exec` runs a probe on the host (ssh, or locally). Undefined values when the
 * daemon does not run or a probe fails.
 */
export async function restartFacts(
  exec: <T>(probe: ConfigProbe<T> & { okExitCodes?: number[] }) => Promise<T>,
  kind: string | undefined,
  path: string,
): Promise<{ fileModifiedAt?: number; serviceStartedAt?: number; serviceName?: string }> {
  const svc = serviceOf(kind, path);
  if (!svc) return {};
  const [mtime, pidFromFile, now] = await Promise.all([exec(fileMtimeProbe(path)), exec(pidFileProbe(svc.pidFile)).catch(() => undefined), exec(hostClockProbe)]);
  const pid = pidFromFile ?? (await exec(pidofProbe(svc.process)));
  if (pid === undefined || now === undefined || mtime === undefined) return {};
  const elapsed = await exec(processElapsedProbe(pid));
  if (elapsed === undefined) return {};
  return { fileModifiedAt: mtime, serviceStartedAt: now - elapsed * 1000, serviceName: svc.service };
}

/** Runs a probe on this machine (argv, no shell, its deadline; core/local-run.ts). */
export async function runLocalProbe<T>(probe: ConfigProbe<T> & { okExitCodes?: number[] }): Promise<T> {
  const r = await runLocal(probe.argv, { timeoutMs: probe.timeoutMs });
  if (!(probe.okExitCodes ?? [0]).includes(r.exitCode)) {
    throw new TroubleshooterError('CommandFailed', `"${probe.argv.join(' ')}" failed with exit code ${r.exitCode}.`, { subject: probe.argv[0], stderr: redact(r.stderr.trim()) });
  }
  return probe.parse(r.stdout);
}
