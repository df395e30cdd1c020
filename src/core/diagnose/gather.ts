import { readRegularFileSync } from '../local-file';
import { errorMessage, isCancelled } from '../errors';
import { nullLogger, redact, type Logger } from '../log';
import { correlate, type LogHost } from '../logs/correlate';
import { parseText } from '../logs/entries';
import { compareEntries } from '../logs/merge';
import type { CorrelationKey } from '../logs/keys';
import { serviceOf, type HostSources } from '../logs/sources';
import { UTC_CLOCK, type HostClock, type LogEntry } from '../logs/types';
import type { OpenStackClient } from '../openstack/client';
import type { Server } from '../openstack/types';
import { script } from '../checks/commands/script';
import { NOVA_COMPUTE_LOGS } from '../checks/migration-log';
import type { Evidence } from './types';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Gathers the evidence of one failure: the instance (fault, host), its newest instance actions with their events,
 * its migrations, the compute services, hypervisors and network agents (when a cloud is given), every log record of
 * the instance or request across the hosts (the log correlation), the newest ERROR/WARNING lines of nova-compute on
 * the hosts the instance ran on (host-level failures — libvirt lost, AMQP — carry no request id), and a reader for
 * files on those hosts (a signature may cite libvirtd.conf). What cannot be gathered is a note, never a failure.
 */

export interface GatherOptions {
  client?: OpenStackClient;
  hosts: LogHost[];
  signal?: AbortSignal;
  log?: Logger;
  /** Only log files modified since (epoch ms). */
  sinceMs?: number;
  /** Newest instance actions read with their events. Default 5. */
  actions?: number;
  sourceCache?: Map<string, HostSources>;
  /** Correlation keys to use instead of the instance's uuid (a log plan's: uuid, domain name, action request ids). */
  keys?: CorrelationKey[];
  /** The server when the caller has read it (the log plan does): not read again. */
  server?: Server;
  /** A host that is not searched but may be read (a migration target's libvirtd.conf), by its OpenStack name. */
  hostFor?(name: string): LogHost | undefined;
}

const HOST_TAIL_LINES = 200;
/** nova's "Binding failed for port <uuid>": the ports whose binding failed (neutron says why, under its own ids). */
const PORT_IN_TEXT = /\bBinding failed for port ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/g;
const MAX_PORT_KEYS = 5;
/** Offline without a key: the newest failing requests followed across the folder. */
const MAX_OFFLINE_REQUESTS = 50;
const FILE_MAX_BYTES = 256 * 1024;

export async function gatherEvidence(key: CorrelationKey | { kind: 'name'; value: string }, o: GatherOptions): Promise<Evidence> {
  const log = o.log ?? nullLogger;
  const notes: string[] = [];
  const signal = o.signal;
  const guard = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (isCancelled(e) || signal?.aborted) throw e;
      notes.push(`${what}: ${redact(errorMessage(e))}`);
      log.info(`diagnose: ${what} failed: ${redact(errorMessage(e))}`);
      return undefined;
    }
  };

  /** The instance's actions (with events), its migrations, the compute services, hypervisors and network agents. */
  async function readApiView(srv: Server | undefined): Promise<Pick<Evidence, 'actions' | 'migrations' | 'services' | 'lazy'> | undefined> {
    const c = o.client;
    if (!c) return undefined;
    const n = o.actions ?? 5;
    const [actions, migrations, services] = await Promise.all([
      srv ? guard('Reading the instance actions', async () => {
        const list = (await c.compute.listInstanceActions(srv.id, { signal, limit: n })).data.slice(0, n);
        // the events (and tracebacks) of the failed ones: nova marks an action "Error" when one of its events failed
        return Promise.all(list.map(async (a) => (/error/i.test(a.message ?? '') ? ((await guard(`Reading action ${a.requestId}`, () => c.compute.getInstanceAction(srv.id, a.requestId, { signal })))?.data ?? a) : a)));
      }) : undefined,
      srv ? guard('Reading the migrations', async () => (await c.compute.listMigrations({ instanceUuid: srv.id, signal })).data) : undefined,
      guard('Reading the compute services', async () => (await c.compute.listServices({ binary: 'nova-compute', signal })).data),
    ]);
    return {
      actions,
      migrations,
      services,
      lazy: {
        hypervisors: () => guard('Reading the hypervisors', async () => (await c.compute.listHypervisors({ signal })).data),
        agents: () => guard('Reading the network agents', async () => (await c.network.listAgents({ signal })).data),
      },
    };
  }

  // 1. the instance (the log plan may have read it already)
  let server: Server | undefined = o.server;
  if (!server && o.client && (key.kind === 'instance' || key.kind === 'name')) {
    server = (await guard('Reading the server', () => o.client!.compute.findServer(key.value, { allProjects: true, signal })))?.data;
  }

  // 2. at once: its log records (by instance, or by request id), the API's view, and nova-compute's recent errors on
  // the hosts it ran on (host-level failures — libvirt lost, AMQP — carry no request id)
  const sourceCache = o.sourceCache ?? new Map<string, HostSources>();
  const corrKeys: CorrelationKey[] = o.keys?.length ? o.keys : server ? [{ kind: 'instance', value: server.id }] : key.kind === 'name' ? [] : [key];
  const correlation =
    corrKeys.length && o.hosts.length
      ? guard('Correlating the logs', () => correlate(corrKeys, o.hosts, { signal, log, sinceMs: o.sinceMs, instanceName: server?.instanceName, sourceCache }))
      : Promise.resolve(undefined);
  const apiView = server ? readApiView(server) : Promise.resolve(undefined);
  const byName = new Map(o.hosts.map((h) => [h.runner.host, h]));
  const hostErrors = apiView.then((api) => {
    const involved = new Set<string>();
    if (server?.host) involved.add(server.host);
    for (const m of (api?.migrations ?? []).slice(0, 3)) {
      if (m.sourceCompute) involved.add(m.sourceCompute);
      if (m.destCompute) involved.add(m.destCompute);
    }
    return Promise.all(
      [...involved].filter((h) => byName.has(h)).map(async (h) => ({ host: h, files: (await guard(`Reading nova-compute's recent errors on ${h}`, () => recentComputeErrors(byName.get(h)!, signal))) ?? [] })),
    );
  });
  const [res, api0, errs] = await Promise.all([correlation, apiView, hostErrors]);

  let records: LogEntry[] = [];
  const clocks = new Map<string, HostClock>();
  if (res) {
    records = res.entries;
    for (const h of res.hosts) {
      if (!h.ok) notes.push(`${h.host}: its logs could not be searched (${h.error ?? 'unknown error'})`);
      if (h.sources?.clock) clocks.set(h.host, h.sources.clock);
    }
    if (res.truncated) notes.push('The correlated log was cut at its entry limit; the newest records may be missing.');
  }
  const seen = new Set(records.map((e) => `${e.host}\0${e.file}\0${e.lines[0]}`));
  const extra: LogEntry[] = [];
  for (const { host, files } of errs) {
    for (const f of files) {
      for (const p of parseText(f.text, host, 'nova-compute', f.file, { clock: clocks.get(host) ?? byName.get(host)!.clock ?? UTC_CLOCK })) {
        const k = `${p.host}\0${p.file}\0${p.lines[0]}`;
        if (!seen.has(k)) {
          seen.add(k);
          extra.push(p);
        }
      }
    }
  }
  if (extra.length) records = [...records, ...extra].sort(compareEntries);
  const hostRecords = new Set(extra);

  // 3. neutron's ML2 lines about a port nova failed to bind carry neutron's own request id only: search the port ids
  // that failing records name (at most 5), as the operator would grep them
  const ports = [...new Set(records.filter((e) => e.level === 'ERROR').flatMap((e) => [...e.lines[0].matchAll(PORT_IN_TEXT)].map((m) => m[1])))].slice(0, MAX_PORT_KEYS);
  if (ports.length && o.hosts.length) {
    const more = await guard('Searching the ports of the failing records', () =>
      correlate(ports.map((value) => ({ kind: 'instance' as const, value })), o.hosts, { signal, log, sinceMs: o.sinceMs, sourceCache, maxRounds: 1 }),
    );
    if (more?.entries.length) {
      const have = new Set(records.map((e) => `${e.host}\0${e.file}\0${e.lines[0]}`));
      records = [...records, ...more.entries.filter((e) => !have.has(`${e.host}\0${e.file}\0${e.lines[0]}`))].sort(compareEntries);
    }
  }

  // 4. a request id names its instance in its records: then the API's view of that instance
  let api = api0;
  if (!server && o.client && key.kind === 'request') {
    const uuid = records.find((e) => e.instance)?.instance;
    if (uuid) server = (await guard('Reading the server', () => o.client!.compute.getServer(uuid, { signal })))?.data;
    api = server ? await readApiView(server) : o.client ? await readApiView(undefined) : undefined;
  }

  const ev: Evidence = {
    subject: server ? { kind: 'instance', id: server.id, name: server.name } : { kind: key.kind === 'request' ? 'request' : 'instance', id: key.value },
    records,
    hostRecords,
    server,
    notes,
    ...(api ?? {}),
  };
  ev.readFile = (host, path) => readHostFile(byName.get(host) ?? o.hostFor?.(host), path, signal, notes);
  return ev;
}

/** The newest ERROR/WARNING lines of nova-compute's log (each file that exists), as `{file, text}`. */
async function recentComputeErrors(h: LogHost, signal?: AbortSignal): Promise<{ file: string; text: string }[]> {
  const files = h.root ? NOVA_COMPUTE_LOGS.map((f) => join(h.root!, f)) : NOVA_COMPUTE_LOGS;
  const body = [
    'for f in "$@"; do',
    '  [ -f "$f" ] || continue',
    `  echo "@@file $f"`,
    `  tail -n 20000 -- "$f" | grep -E '^[0-9-]+ [0-9:.]+ [0-9]+ (ERROR|WARNING|CRITICAL) ' | tail -n ${HOST_TAIL_LINES} | cut -c1-4096`,
    'done',
    'exit 0',
  ].join('\n');
  const r = await h.runner.run(script(body, files), { signal, timeoutMs: 20_000 });
  const out: { file: string; text: string }[] = [];
  let cur: { file: string; lines: string[] } | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('@@file ')) {
      if (cur) out.push({ file: cur.file, text: cur.lines.join('\n') });
      const f = line.slice(7);
      cur = { file: h.root && f.startsWith(h.root) ? f.slice(h.root.length) || '/' : f, lines: [] };
    } else if (cur && line) cur.lines.push(line);
  }
  if (cur) out.push({ file: cur.file, text: cur.lines.join('\n') });
  return out;
}

/** A file's lines on a host (offline: under the host's folder), at most 256 KiB; undefined (with a note) when not readable. */
async function readHostFile(h: LogHost | undefined, path: string, signal: AbortSignal | undefined, notes: string[]): Promise<string[] | undefined> {
  if (!h) {
    notes.push(`${path}: no access to that host here.`);
    return undefined;
  }
  try {
    if (h.root !== undefined && h.root !== '') {
      return readRegularFileSync(join(h.root, path), { maxBytes: FILE_MAX_BYTES }).bytes.toString('utf8').split('\n');
    }
    const r = await h.runner.run(['head', '-c', String(FILE_MAX_BYTES), '--', path], { signal, timeoutMs: 15_000 });
    if (r.exitCode !== 0) {
      notes.push(`${h.runner.host}:${path}: could not be read (${redact(r.stderr.trim()) || `exit ${r.exitCode}`}).`);
      return undefined;
    }
    return r.stdout.split('\n');
  } catch (e) {
    if (isCancelled(e)) throw e;
    notes.push(`${h.runner.host}:${path}: could not be read (${redact(errorMessage(e))}).`);
    return undefined;
  }
}

/** Offline: every record of every log file in the folder (the same reading as `logs correlate --dir`), no API. */
export async function gatherOffline(key: CorrelationKey | undefined, hosts: LogHost[], o: { signal?: AbortSignal; log?: Logger } = {}): Promise<Evidence> {
  const notes: string[] = [];
  let records: LogEntry[] = [];
  if (key) {
    const res = await correlate([key], hosts, { signal: o.signal, log: o.log });
    records = res.entries;
    for (const w of res.warnings) notes.push(`${w.host}${w.file ? `:${w.file}` : ''}: ${w.message}`);
  } else {
    // the folder's failures: its WARNING+ records, and every record of the requests they belong to (the scheduler's
    // and placement's INFO lines of a "No valid host" are what explain it)
    const failing = await allErrorRecords(hosts, o.signal);
    const reqs = [...new Set(failing.map((e) => e.requestId).filter((r): r is string => !!r))].slice(-MAX_OFFLINE_REQUESTS);
    records = failing;
    if (reqs.length) {
      const res = await correlate(reqs.map((value) => ({ kind: 'request' as const, value })), hosts, { signal: o.signal, log: o.log });
      const seen = new Set(failing.map((e) => `${e.host}\0${e.file}\0${e.lines[0]}`));
      const more = res.entries.filter((e) => !seen.has(`${e.host}\0${e.file}\0${e.lines[0]}`));
      records = [...failing, ...more].sort(compareEntries);
    }
    if (failing.length === 0) notes.push('No WARNING, ERROR or CRITICAL record in the folder.');
  }
  const byName = new Map(hosts.map((h) => [h.runner.host, h]));
  return {
    subject: key ? { kind: key.kind === 'request' ? 'request' : 'instance', id: key.value } : { kind: 'logs', id: hosts.map((h) => h.runner.host).join(', ') },
    records,
    notes,
    readFile: (host, path) => readHostFile(byName.get(host), path, o.signal, notes),
  };
}

/** Without a key: the WARNING+ records of every oslo log of each offline host (the folder's failures). */
async function allErrorRecords(hosts: LogHost[], signal?: AbortSignal): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (const h of hosts) {
    signal?.throwIfAborted();
    const roots = h.dirs ?? [join(h.root ?? '', 'var', 'log')];
    const walk = (dir: string, depth: number) => {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(dir, n);
        let st;
        try {
          st = statSync(p);
        } catch {
          continue;
        }
        if (st.isDirectory() && depth < 4) walk(p, depth + 1);
        else if (st.isFile() && /\.log$/.test(n)) {
          let text = '';
          try {
            text = readRegularFileSync(p, { maxBytes: 64 * 1024 * 1024 }).bytes.toString('utf8');
          } catch {
            continue;
          }
          const rel = h.root ? p.slice(h.root.length) : p;
          for (const e of parseText(text, h.runner.host, serviceOf(rel), rel, { clock: h.clock ?? UTC_CLOCK })) {
            if (e.level === 'ERROR' || e.level === 'CRITICAL' || e.level === 'WARNING') out.push(e);
          }
        }
      }
    };
    for (const r of roots) walk(r, 0);
  }
  return out.sort(compareEntries);
}
