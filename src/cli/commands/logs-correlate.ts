import { TroubleshooterError } from '../../core/errors';
import { parseHostClock, parseOffset } from '../../core/logs/clock';
import { correlate, type CorrelationEvent, type LogHost } from '../../core/logs/correlate';
import { followLogs } from '../../core/logs/follow';
import { SshCliHostRunner } from '../../core/logs/host-runner';
import { parseQueryKey } from '../../core/logs/keys';
import { prefixWidths, renderDocument, renderEntry } from '../../core/logs/merge';
import { offlineHosts } from '../../core/logs/offline';
import { PoolHostRunner } from '../../core/logs/pool-host-runner';
import type { HostSources } from '../../core/logs/sources';
import type { HostClock, LogEntry } from '../../core/logs/types';
import { SshPool } from '../../core/remote/pool';
import { SshConfigResolver } from '../../core/remote/ssh-config';
import { planInstanceLogs, planRequestLogs, type HostMapping } from '../../core/journeys/log-plan';
import { OpenStackClient } from '../../core/openstack/client';
import { buildTimeline } from '../../core/timeline/build';
import { timelineText } from '../../core/timeline/render';
import { loadCloudConfig } from '../../core/openstack/clouds-config';
import type { CliCommand, CliIo } from '../command';

const USAGE =
  'logs correlate <req-id|instance-uuid|instance-name> [--dir DIR [--tz ZONE|+HHMM] | --cloud NAME | --hosts H1,H2,…] [--ssh-config FILE] [--openssh] ' +
  '[--since all|30m|6h|7d|ISO-TIME] [--instance-name instance-XXXXXXXX] [--context N] [--json] [--follow | --timeline]';

interface Options {
  key?: string;
  dir?: string;
  hosts?: string[];
  sshConfig?: string;
  cloud?: string;
  openssh: boolean;
  json: boolean;
  follow: boolean;
  /** Print the request's steps (a table; with --json the timeline object) instead of its lines. */
  timeline: boolean;
  since?: string;
  tz?: string;
  instanceName?: string;
  context?: number;
}

const MAX_CONTEXT = 10_000;

/** `--tz`: a UTC offset of a real zone (-12:00 … +14:00) or an IANA zone name. */
function parseTz(tz: string): HostClock {
  if (/^[+-]\d{2}:?\d{2}$/.test(tz)) {
    const off = parseOffset(tz);
    if (off === undefined || off < -12 * 60 || off > 14 * 60) throw new TroubleshooterError('InvalidInput', `--tz is a UTC offset from -12:00 to +14:00 or a zone like Europe/Berlin, not "${tz}".`);
    return parseHostClock(tz);
  }
  const clock = parseHostClock(undefined, undefined, tz);
  if (!clock.zone) throw new TroubleshooterError('InvalidInput', `Unknown time zone "${tz}".`);
  return clock;
}

function parseArgs(args: string[]): Options {
  const o: Options = { openssh: false, json: false, follow: false, timeline: false };
  const value = (i: number, name: string) => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new TroubleshooterError('InvalidInput', `Option "${name}" needs a value.`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case '--dir': o.dir = value(i++, a); break;
      case '--hosts': o.hosts = value(i++, a).split(',').map((h) => h.trim()).filter(Boolean); break;
      case '--ssh-config': o.sshConfig = value(i++, a); break;
      case '--cloud': o.cloud = value(i++, a); break;
      case '--since': o.since = value(i++, a); break;
      case '--tz': o.tz = value(i++, a); break;
      case '--instance-name': o.instanceName = value(i++, a); break;
      case '--context': {
        const v = value(i++, a);
        // checked here, before any host is asked: a bad number is a usage error, not a failure of every host
        if (!/^\d{1,5}$/.test(v) || Number(v) > MAX_CONTEXT) throw new TroubleshooterError('InvalidInput', `--context is a number of lines from 0 to ${MAX_CONTEXT}, not "${v}".`);
        o.context = Number(v);
        break;
      }
      case '--openssh': o.openssh = true; break;
      case '--json': o.json = true; break;
      case '--follow': o.follow = true; break;
      case '--timeline': o.timeline = true; break;
      default:
        if (a.startsWith('--')) throw new TroubleshooterError('InvalidInput', `Unknown option "${a}".`);
        if (o.key !== undefined) throw new TroubleshooterError('InvalidInput', `Unexpected argument "${a}".`);
        o.key = a;
    }
  }
  if (o.follow && o.timeline) throw new TroubleshooterError('InvalidInput', '--timeline prints the steps once: it does not go with --follow.');
  return o;
}

/** `all` → undefined; `30m`/`6h`/`7d` → now minus that; an ISO time → that instant. Default for hosts: 7 days. */
export function parseSince(text: string | undefined, now: number, defaultMs: number | undefined): number | undefined {
  if (text === undefined) return defaultMs === undefined ? undefined : now - defaultMs;
  if (text === 'all') return undefined;
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m) return now - Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (!Number.isNaN(t)) return t;
  throw new TroubleshooterError('InvalidInput', `Invalid --since value (use all, 30m, 6h, 7d or an ISO time): "${text}".`);
}

function describeEvent(e: CorrelationEvent): string | undefined {
  switch (e.type) {
    case 'host-error': return `${e.host}: ${e.message}`;
    case 'warning': return `${e.warning.host ? `${e.warning.host}: ` : ''}${e.warning.message}`;
    default: return undefined;
  }
}

export const logsCorrelateCommand: CliCommand = {
  name: 'logs correlate',
  summary: 'Every log line of one request id or instance across hosts and services, merged by time (optionally live), or its steps (--timeline).',
  usage: USAGE,
  async run(args, io) {
    const o = parseArgs(args);
    if (!o.key) {
      io.err(`Usage: openstack-troubleshooter ${USAGE}`);
      return 2;
    }
    const key = parseQueryKey(o.key);
    let pool: SshPool | undefined;
    let hosts: LogHost[];
    // a named --ssh-config must exist and be readable (as `ssh -F` demands), before any host is tried
    const resolver = o.sshConfig !== undefined ? new SshConfigResolver({ configFile: o.sshConfig, configFileRequired: true, env: io.env }) : undefined;
    if (o.dir) {
      const clock = o.tz ? parseTz(o.tz) : undefined;
      hosts = offlineHosts(o.dir, { clock, log: io.log });
    } else {
      if (!o.hosts?.length && o.cloud) o.hosts = await discoverHosts(o.cloud, key, o.sshConfig, io);
      if (!o.hosts?.length) {
        io.err('Pass --dir DIR for a local folder, --cloud NAME to search its hosts, or --hosts H1,H2,… (SSH aliases).');
        return 2;
      }
      if (o.openssh) {
        hosts = o.hosts.map((h) => ({ runner: new SshCliHostRunner(h, o.sshConfig, io.log) }));
      } else {
        const r = resolver ?? new SshConfigResolver({ env: io.env });
        pool = new SshPool({ resolve: (a) => r.resolve(a), logger: io.log });
        hosts = o.hosts.map((h) => ({ runner: new PoolHostRunner(pool!, h) }));
      }
    }
    try {
      return await runCorrelation(o, key, hosts, io);
    } finally {
      pool?.dispose();
    }
  },
};

async function runCorrelation(o: Options, key: ReturnType<typeof parseQueryKey>, hosts: LogHost[], io: CliIo): Promise<number> {
  const sourceCache = new Map<string, HostSources>();
  const sinceMs = parseSince(o.since, Date.now(), o.dir ? undefined : 7 * 86400e3);
  const result = await correlate([key], hosts, {
    signal: io.signal,
    log: io.log,
    sinceMs,
    instanceName: o.instanceName,
    contextLines: o.context,
    sourceCache,
    // the steps of a request need its instance's context-less records (a live migration's failure is logged so)
    instanceContextless: o.timeline,
    onEvent: (e) => {
      const text = describeEvent(e);
      if (text && !o.json) io.err(`warning: ${text}`);
    },
  });
  if (o.timeline) {
    const t = buildTimeline(result.entries);
    if (o.json) io.out(JSON.stringify(t, null, 2));
    else if (result.entries.length) io.out(timelineText(t));
    else io.err(`No log lines found for "${key.value}" on ${hosts.map((h) => h.runner.host).join(', ')}.`);
  } else if (o.json && !o.follow) {
    io.out(JSON.stringify({ keys: result.keys, hosts: result.hosts.map(({ sources: _s, ...h }) => h), warnings: result.warnings, truncated: result.truncated, entries: result.entries }, null, 2));
  } else if (o.json) {
    for (const e of result.entries) io.out(JSON.stringify(e));
  } else {
    const doc = renderDocument(result.entries);
    if (doc) io.out(doc.replace(/\n$/, ''));
    else io.err(`No log lines found for "${key.value}" on ${hosts.map((h) => h.runner.host).join(', ')}.`);
  }
  const failed = result.hosts.filter((h) => !h.ok);
  if (!o.follow) return failed.length && failed.length === result.hosts.length ? 3 : 0;

  const widths = prefixWidths(result.entries, { host: Math.max(...hosts.map((h) => h.runner.host.length)), service: 14 });
  if (!o.json) io.err(`Following ${result.keys.map((k) => k.value).join(', ')} (Ctrl+C to stop)…`);
  await followLogs(hosts, result.keys, {
    signal: io.signal,
    log: io.log,
    sourceCache,
    contextLines: o.context,
    onEntries: (entries: LogEntry[]) => {
      for (const e of entries) io.out(o.json ? JSON.stringify(e) : renderEntry(e, widths).join('\n'));
    },
    onEvent: (e) => {
      if (o.json) return;
      if (e.type === 'host-error') io.err(`warning: ${e.host}: ${e.message} (retrying in ${Math.round(e.retryInMs / 1000)} s)`);
      else if (e.type === 'warning') io.err(`warning: ${e.warning.host}: ${e.warning.message}`);
    },
  });
  return 0;
}

/**
 * The cloud's hosts as ssh aliases, as the extension finds them (src/core/journeys/log-plan.ts): API endpoint hosts
 * by address, compute services' and network agents' hosts by name; for an instance, only the computes it ran on.
 */
async function discoverHosts(cloud: string, key: ReturnType<typeof parseQueryKey>, sshConfig: string | undefined, io: CliIo): Promise<string[]> {
  const resolver = new SshConfigResolver({ configFile: sshConfig, configFileRequired: sshConfig !== undefined, env: io.env });
  const mapping = cliHostMapping(resolver);
  const client = await OpenStackClient.connect(loadCloudConfig(cloud, { env: io.env, cwd: io.cwd }), { logger: io.log, signal: io.signal });
  try {
    const plan = key.kind === 'instance' ? await planInstanceLogs(client, key.value, mapping, io.signal) : await planRequestLogs(client, key.kind === 'request' ? key.value : '', mapping, io.signal);
    for (const n of plan.notes) io.err(`note: ${n}`);
    return plan.hosts.map((h) => h.alias);
  } finally {
    client.dispose();
  }
}

/** OpenStack host names as ssh aliases (the same name), API endpoint addresses by the alias whose HostName they are. */
export function cliHostMapping(resolver: SshConfigResolver): HostMapping {
  const aliases = resolver.aliases();
  return {
    mapHost: (h) => h,
    aliasForAddress: (addr) => aliases.find((a) => {
      try {
        const t = resolver.resolve(a);
        return !t.jump && t.hostName === addr;
      } catch {
        return false;
      }
    }),
    known: (a) => aliases.includes(a),
  };
}
