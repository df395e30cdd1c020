import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { TroubleshooterError } from '../errors';
import { readRegularFileSync } from '../local-file';
import type { Logger } from '../log';
import type { LogHost } from './correlate';
import { LocalHostRunner } from './host-runner';
import { UTC_CLOCK, type HostClock } from './types';

/**
 * Offline correlation over a local folder:
 * - a collected tree `<dir>/<host>/var/log/...` (the shared fixtures, `scp -r` of several hosts): one host per
 *   first path component that has a `var/log`;
 * - a sosreport (`<dir>/var/log/...`, host name from `<dir>/hostname` or `etc/hostname`);
 * - otherwise the folder itself is one host's /var/log.
 * Logs carry naive local times; the zone they were written in is `clock` (default UTC, like os-log-merger).
 */
export function offlineHosts(dir: string, opts: { clock?: HostClock; log?: Logger } = {}): LogHost[] {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new TroubleshooterError('NotFound', `No such folder: "${dir}".`, { subject: dir });
  }
  const clock = opts.clock ?? UTC_CLOCK;
  const mk = (host: string, hostRoot: string): LogHost => ({ runner: new LocalHostRunner(safeHost(host), opts.log), root: hostRoot, clock });
  if (existsSync(join(root, 'var', 'log'))) return [mk(hostnameOf(root), root)];
  const hosts = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'var', 'log')))
    .map((d) => mk(d.name, join(root, d.name)));
  if (hosts.length) return hosts;
  // A bare /var/log copy (nova/, neutron/… directly inside): search the folder itself.
  return [{ runner: new LocalHostRunner(safeHost(basename(root)), opts.log), root: '', clock, dirs: [root] }];
}

function hostnameOf(root: string): string {
  for (const f of ['hostname', 'etc/hostname']) {
    const p = join(root, f);
    if (existsSync(p)) {
      let name = '';
      try {
        name = readRegularFileSync(p, { maxBytes: 64 * 1024 }).bytes.toString('utf8').split('\n')[0].trim();
      } catch {
        // not a regular file, unreadable or huge: not a host name
      }
      if (name) return name;
    }
  }
  return basename(root).replace(/^sosreport-/, '');
}

function safeHost(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63) || 'host';
}
