/**
 * "Changed but not yet applied — restart needed": a config file modified after its service's process started has
 * not landed. The facts come from the host as argv commands (data, run by whoever owns the connection).
 */

export interface ConfigProbe<T> {
  argv: string[];
  timeoutMs: number;
  parse(stdout: string): T;
}

/** `stat -c %Y <path>` → modification time in ms since the epoch (undefined when missing). */
export function fileMtimeProbe(path: string): ConfigProbe<number | undefined> {
  if (!path.startsWith('/') || path.includes('\0')) throw new Error(`An absolute path is needed: "${path}".`);
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
  if (!/^[A-Za-z0-9@._:-]+$/.test(unit)) throw new Error(`Not a unit name: "${unit}".`);
  return {
    argv: ['systemctl', 'show', '-p', 'ExecMainStartTimestamp', '--value', unit],
    timeoutMs: 10_000,
    parse: (out) => parseSystemdTimestamp(out.trim()),
  };
}

/** Start time of a process by pid: `ps -o lstart= -p <pid>` ("Wed Nov 25 20:01:02 2026", local time of the host). */
export function processStartProbe(pid: number): ConfigProbe<number | undefined> {
  return {
    argv: ['ps', '-o', 'lstart=', '-p', String(Math.trunc(pid))],
    timeoutMs: 10_000,
    parse: (out) => {
      const t = Date.parse(out.trim());
      return Number.isNaN(t) ? undefined : t;
    },
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
