import { TroubleshooterError, errorMessage, isCancelled, throwIfAborted } from '../errors';
import { nullLogger, redact, type Logger } from '../log';
import { EntryBuilder } from './entries';
import type { LogHostRunner } from './host-runner';
import type { CorrelationKey } from './keys';
import { validateKey } from './keys';
import { kWayMerge, sortStable } from './merge';
import type { ParseContext } from './parse';
import { classifyStderr, isDetectLine, parseSearchLine, searchArgv, type SearchSpec } from './search-command';
import { candidateDirs, detectArgv, parseDetect, serviceOf, type HostSources, type LogSourceSettings } from './sources';
import { UTC_CLOCK, type HostClock, type LogEntry, type LogWarning } from './types';

/**
 * Correlation: every line of one request (or instance) on every host, merged by time.
 *
 * Round 1 searches the given keys on all hosts in parallel (one streaming command per host). The keys then expand
 * from what was found, as nova propagates ids (domain-facts §2.8):
 * - lines `[req-G req-L …]` where G is one of our ids give L, the local id of neutron/placement/glance/cinder for
 *   that call; lines where our id is the local id and a global id is set give that global id;
 * - the instance uuid of the request (`[instance: <uuid>]`) and the libvirt domain name (when known) are searched in
 *   the libvirt/qemu logs only, and those lines are kept within a time window around the request, since libvirt
 *   and qemu know no request ids.
 * Round 2 (and at most `maxRounds`) searches only the new keys. Lines already found are not repeated.
 *
 * An instance query is not expanded that way (its periodic-task ids would pull in every instance of the host), with
 * one exception: the front end. A dashboard that called nova logs nova's answer, not the instance: Horizon writes
 * `WARNING horizon.exceptions Recoverable error: <nova's message> (HTTP 400) (Request-ID: req-…)` to its vhost's
 * Apache error log (the lab's real lines: test/fixtures/logs/horizon-refused/). So the request ids
 * of the instance's own lines (nova-api's `POST /v2.1/servers/<uuid>/action … status: 400` first) are searched once
 * more, in the Apache/Horizon log folders only. A request nova refused before it became an instance action is found
 * that way too.
 */

/** One host of a correlation: a runner, plus the local folder that stands for its `/` in offline mode. */
export interface LogHost {
  runner: LogHostRunner;
  /** Offline mode: local path prefix of the host's tree (`<folder>/compute1`). Empty for real hosts. */
  root?: string;
  /** Overrides the detected clock (offline folders: the zone the logs were written in). */
  clock?: HostClock;
  /** Fixed directories (with `root` already applied): no detection command is run. */
  dirs?: string[];
}

export type CorrelationEvent =
  | { type: 'round'; round: number; keys: string[] }
  | { type: 'host-sources'; host: string; sources: HostSources }
  | { type: 'host-start'; host: string; round: number }
  | { type: 'host-progress'; host: string; round: number; lines: number }
  | { type: 'host-done'; host: string; round: number; entries: number; ms: number }
  | { type: 'host-error'; host: string; round: number; message: string; code: string }
  | { type: 'entries'; host: string; entries: LogEntry[] }
  | { type: 'warning'; warning: LogWarning };

export interface CorrelateOptions {
  signal?: AbortSignal;
  log?: Logger;
  onEvent?(e: CorrelationEvent): void;
  settings?: LogSourceSettings;
  /** Only files modified since (epoch ms), rotated ones included; undefined: all files. */
  sinceMs?: number;
  /** The libvirt domain name of the instance (`OS-EXT-SRV-ATTR:instance_name`), for libvirt/qemu logs. */
  instanceName?: string;
  /** Extra instance uuid to look for in libvirt/qemu logs (when the query is a request id). */
  instanceUuid?: string;
  contextLines?: number;
  /** Stop collecting after this many entries (the document says so). Default 20 000. */
  maxEntries?: number;
  /** Deadline of one host's search in one round. Default 10 min. */
  searchTimeoutMs?: number;
  /** Slack around the request's first and last line for libvirt/qemu lines. Default 120 s. */
  windowSlackMs?: number;
  maxRounds?: number;
  /** Reuse detected sources (follow mode, repeated queries). */
  sourceCache?: Map<string, HostSources>;
  /**
   * A request query: also the instance's nova records that carry no request context (`[-] [instance: <uuid>]`)
   * from the request's first line to 2 s after its last. nova's libvirt driver logs a live migration's progress,
   * completion and failure that way, so without them a request's story cannot say where a migration failed.
   */
  instanceContextless?: boolean;
}

export interface HostStatus {
  host: string;
  ok: boolean;
  entries: number;
  error?: string;
  sources?: HostSources;
}

export interface CorrelationResult {
  /** Every key searched, in the order they were added (the query first). */
  keys: CorrelationKey[];
  /** Merged by time, stable. */
  entries: LogEntry[];
  hosts: HostStatus[];
  warnings: LogWarning[];
  /** True when `maxEntries` cut the result. */
  truncated: boolean;
  /** First and last timestamp of the request's own lines (epoch µs). */
  window?: { fromUs: number; toUs: number };
}

/**
 * Linked ids searched at most (the query's own plus the local ids of neutron, placement, glance… calls): a live
 * migration alone makes 60–100 such calls. One grep -F takes them all in one pass; the bound keeps the argv small.
 */
const MAX_KEYS = 512;

const LIBVIRT_DIRS = ['/var/log/libvirt', '/var/log/kolla/libvirt', '/var/log/containers/libvirt'];
/** Where a dashboard's (and any API under Apache's) error log lives: packaged, Kolla, TripleO. */
export const FRONTEND_DIRS = ['/var/log/apache2', '/var/log/httpd', '/var/log/horizon', '/var/log/kolla/horizon', '/var/log/containers/httpd', '/var/log/containers/horizon'];

/** The folders of `dirs` (a host's detected ones) that hold `wanted` ones: the same folder, or a parent of it. */
function dirsWithin(wanted: string[], dirs: string[]): string[] {
  return wanted.filter((d) => dirs.includes(d) || dirs.some((x) => d.startsWith(`${x}/`)));
}

/** Sources known without a command: cached ones, or the fixed folders of an offline host. */
export function knownSources(h: LogHost, settings?: LogSourceSettings, cache?: Map<string, HostSources>): HostSources | undefined {
  const cached = cache?.get(h.runner.host);
  if (cached) return cached;
  if (!h.dirs) return undefined;
  const journald = settings?.journald === true ? (settings.journaldUnits ?? []) : undefined;
  const fixed: HostSources = {
    host: h.runner.host,
    kind: journald ? ['journald'] : ['packaged'],
    dirs: h.dirs,
    journald,
    clock: h.clock ?? { offsetMinutes: 0, zone: 'UTC' },
  };
  cache?.set(h.runner.host, fixed);
  return fixed;
}

/** Detects a host's log sources and clock with one command (cached in `cache`). Follow mode uses it. */
export async function detectSources(h: LogHost, opts: { signal?: AbortSignal; settings?: LogSourceSettings; cache?: Map<string, HostSources> } = {}): Promise<HostSources> {
  const known = knownSources(h, opts.settings, opts.cache);
  if (known) return known;
  const root = h.root ?? '';
  const res = await h.runner.run(detectArgv(root, opts.settings), { signal: opts.signal, timeoutMs: 20_000 });
  const sources = parseDetect(h.runner.host, res.stdout, root, opts.settings);
  if (h.clock) sources.clock = h.clock;
  opts.cache?.set(h.runner.host, sources);
  return sources;
}

interface HostSearch {
  keys: CorrelationKey[];
  dirs: string[];
  journald?: string[];
  /** Keep only entries for which this returns true (libvirt/qemu window filter). */
  keep?: (e: LogEntry) => boolean;
}

/**
 * Runs one search on one host and feeds entries to `emit` as they are parsed. Returns the number of entries.
 * Exported for follow.ts and tests.
 */
export async function searchHost(
  h: LogHost,
  sources: HostSources | undefined,
  search: HostSearch,
  opts: {
    /** With `sources` undefined: detection runs inside the search command; this receives the result. */
    onSources?(s: HostSources): void;
    settings?: LogSourceSettings;
    signal?: AbortSignal;
    sinceMs?: number;
    contextLines?: number;
    timeoutMs?: number;
    refMs?: number;
    emit(e: LogEntry): void;
    warn(w: LogWarning): void;
    progress?(lines: number): void;
  },
): Promise<number> {
  const root = h.root ?? '';
  const host = h.runner.host;
  const settings = opts.settings ?? {};
  const detect = sources === undefined;
  const spec: SearchSpec = {
    keys: search.keys,
    dirs: search.dirs.map((d) => root + d),
    journald: detect ? (settings.journald === true ? (settings.journaldUnits ?? []) : settings.journald === false ? undefined : 'auto') : search.journald,
    sinceMs: opts.sinceMs,
    contextLines: opts.contextLines,
    watchStdin: h.runner.keepsStdinOpen,
    detect,
  };
  if (!detect && spec.dirs.length === 0 && spec.journald === undefined) return 0;
  const argv = searchArgv(spec);
  const builders = new Map<string, EntryBuilder>();
  const ctx: ParseContext = { clock: sources?.clock ?? h.clock ?? UTC_CLOCK, refMs: opts.refMs };
  let detectText = '';
  let detected = sources;
  const finishDetect = () => {
    if (detected) return;
    detected = parseDetect(host, detectText, root, settings);
    if (h.clock) detected.clock = h.clock;
    ctx.clock = detected.clock;
    opts.onSources?.(detected);
  };
  let count = 0;
  let lines = 0;
  const mapPath = (p: string) => (root && p.startsWith(root) ? p.slice(root.length) : p);
  const emit = (e: LogEntry) => {
    if (search.keep && !search.keep(e)) return;
    count++;
    opts.emit(e);
  };
  const builderFor = (file: string) => {
    let b = builders.get(file);
    if (!b) {
      const shown = mapPath(file);
      b = new EntryBuilder(host, file === 'journal' ? 'journal' : serviceOf(shown), shown === 'journal' ? 'journal' : shown, ctx, (e) => {
        if (e.format === 'journal' && e.service === 'journal') e.service = journalService(e);
        emit(e);
      });
      builders.set(file, b);
    }
    return b;
  };
  let last: EntryBuilder | undefined;
  let done = false;
  await h.runner.stream(argv, {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 600_000,
    onLine: (raw) => {
      const l = parseSearchLine(raw);
      if (l.kind === 'separator') {
        last?.break();
        return;
      }
      if (l.kind === 'other') {
        // detection lines first, then stderr of grep/find/gzip (merged into stdout by the script), the end marker
        if (!detected && isDetectLine(l.text)) detectText += `${l.text}\n`;
        else if (l.text === 'DONE') {
          finishDetect();
          done = true;
        } else {
          const w = classifyStderr(l.text, mapPath);
          if (w) opts.warn({ host, file: w.file, message: redact(w.message) });
        }
        return;
      }
      if (l.kind !== 'line') return;
      finishDetect();
      lines++;
      if (opts.progress && lines % 500 === 0) opts.progress(lines);
      const b = builderFor(l.file);
      if (last && last !== b) last.break();
      last = b;
      b.add(l.text, undefined, l.matched ?? true, l.offset);
    },
    onStderr: (s) => {
      const w = classifyStderr(s, mapPath);
      if (w) opts.warn({ host, file: w.file, message: redact(w.message) });
    },
  });
  for (const b of builders.values()) b.end();
  if (!done) throw new TroubleshooterError('ConnectionLost', `The log search on "${host}" ended before it finished.`, { subject: host });
  return count;
}

/** The service of a journald record: its syslog identifier (`nova-compute`), from the first line. */
function journalService(e: LogEntry): string {
  const m = /^\S+ \S+ ([^\s[:]+)/.exec(e.lines[0] ?? '');
  return m ? m[1] : 'journal';
}

/** Identity of an entry across rounds: its place in its file; the journal (a new stream per search) by content. */
function entryId(e: LogEntry): string {
  const at = e.file === 'journal' ? undefined : (e.offset ?? e.lineNo);
  return at !== undefined ? `${e.host}\0${e.file}\0${at}` : `${e.host}\0${e.file}\0${e.ts}\0${e.lines[0]}`;
}

/** Correlates `query` across `hosts`. Hosts that fail are reported in `hosts` and by events; the others go on. */
export async function correlate(query: CorrelationKey[], hosts: LogHost[], opts: CorrelateOptions = {}): Promise<CorrelationResult> {
  const log = opts.log ?? nullLogger;
  const onEvent = opts.onEvent ?? (() => {});
  const maxEntries = opts.maxEntries ?? 20_000;
  const maxRounds = opts.maxRounds ?? 3;
  const slackUs = (opts.windowSlackMs ?? 120_000) * 1000;
  const keys: CorrelationKey[] = query.map(validateKey);
  if (keys.length === 0) throw new TroubleshooterError('InvalidInput', 'Nothing to correlate: give a request id or an instance UUID.');
  const extraInstance: CorrelationKey[] = [];
  if (opts.instanceName) extraInstance.push(validateKey({ kind: 'instanceName', value: opts.instanceName }));
  if (opts.instanceUuid) extraInstance.push(validateKey({ kind: 'instance', value: opts.instanceUuid }));
  const isRequestQuery = keys.every((k) => k.kind === 'request');
  if (!isRequestQuery) for (const k of extraInstance) if (!keys.some((x) => x.value === k.value)) keys.push(k);

  const warnings: LogWarning[] = [];
  const status = new Map<string, HostStatus>(hosts.map((h) => [h.runner.host, { host: h.runner.host, ok: true, entries: 0 }]));
  const perSource = new Map<string, LogEntry[]>();
  const seen = new Set<string>();
  let total = 0;
  let truncated = false;
  const cache = opts.sourceCache ?? new Map<string, HostSources>();

  const warn = (w: LogWarning) => {
    warnings.push(w);
    onEvent({ type: 'warning', warning: w });
  };

  // Sources and clocks: known ones now (cache, offline folders); the others are detected by the first search
  // itself (one command per host, not two).
  const detected = new Map<string, HostSources>();
  const sourcesFound = (host: string, s: HostSources) => {
    detected.set(host, s);
    cache.set(host, s);
    status.get(host)!.sources = s;
    onEvent({ type: 'host-sources', host, sources: s });
    if (s.dirs.length === 0 && s.journald === undefined) {
      warn({ host, message: `No OpenStack log folder or journal found on "${host}".` });
    }
  };
  for (const h of hosts) {
    const s = knownSources(h, opts.settings, cache);
    if (s) sourcesFound(h.runner.host, s);
  }
  const candidates = candidateDirs(opts.settings);

  function failHost(host: string, round: number, e: unknown) {
    const st = status.get(host)!;
    st.ok = false;
    st.error = redact(errorMessage(e));
    log.warn(`Log search on "${host}" failed: ${st.error}`);
    onEvent({ type: 'host-error', host, round, message: st.error, code: e instanceof TroubleshooterError ? e.code : 'CommandFailed' });
  }

  const searched = new Set<string>();
  let pending: CorrelationKey[] = keys.slice();
  let window: { fromUs: number; toUs: number } | undefined;
  const refMs = opts.sinceMs ?? Date.now();
  let libvirtDone: Promise<void> = Promise.resolve();

  const collectEntry = (e: LogEntry, batch: LogEntry[]) => {
    const id = entryId(e);
    if (seen.has(id)) return;
    if (total >= maxEntries) {
      truncated = true;
      return;
    }
    seen.add(id);
    total++;
    const src = `${e.host}\0${e.file}`;
    let list = perSource.get(src);
    if (!list) perSource.set(src, (list = []));
    list.push(e);
    batch.push(e);
    status.get(e.host)!.entries++;
  };

  for (let round = 1; round <= maxRounds && pending.length; round++) {
    throwIfAborted(opts.signal, 'Log correlation');
    const roundKeys = pending;
    pending = [];
    for (const k of roundKeys) searched.add(k.value);
    onEvent({ type: 'round', round, keys: roundKeys.map((k) => k.value) });
    const before = total;
    await Promise.all(
      hosts.map(async (h) => {
        const host = h.runner.host;
        const src = detected.get(host);
        if ((!src && round > 1) || !status.get(host)!.ok) return;
        const started = performance.now();
        onEvent({ type: 'host-start', host, round });
        let batch: LogEntry[] = [];
        const flush = () => {
          if (batch.length) onEvent({ type: 'entries', host, entries: batch });
          batch = [];
        };
        try {
          const n = await searchHost(h, src, { keys: roundKeys, dirs: src ? src.dirs : candidates, journald: src?.journald }, {
            onSources: (found) => sourcesFound(host, found),
            settings: opts.settings,
            signal: opts.signal,
            sinceMs: opts.sinceMs,
            contextLines: opts.contextLines,
            timeoutMs: opts.searchTimeoutMs,
            refMs,
            emit: (e) => {
              collectEntry(e, batch);
              if (batch.length >= 200) flush();
            },
            warn,
            progress: (lines) => onEvent({ type: 'host-progress', host, round, lines }),
          });
          flush();
          onEvent({ type: 'host-done', host, round, entries: n, ms: Math.round(performance.now() - started) });
        } catch (e) {
          flush();
          if (isCancelled(e) && opts.signal?.aborted) throw e;
          failHost(host, round, e);
        }
      }),
    );
    if (!isRequestQuery) break;
    // Expand: ids linked to ours, and (once) the instance for libvirt/qemu within the request's window.
    const ours = new Set(searched);
    const found = new Set<string>();
    const instances = new Set<string>();
    let from = Infinity;
    let to = -Infinity;
    for (const list of perSource.values()) {
      for (const e of list) {
        const mine = (e.requestId && ours.has(e.requestId)) || (e.globalRequestId && ours.has(e.globalRequestId));
        if (!mine) continue;
        if (e.ts < from) from = e.ts;
        if (e.ts > to) to = e.ts;
        if (e.requestId && !ours.has(e.requestId)) found.add(e.requestId);
        if (e.globalRequestId && !ours.has(e.globalRequestId)) found.add(e.globalRequestId);
        if (e.instance) instances.add(e.instance);
      }
    }
    if (from <= to) window = { fromUs: from, toUs: to };
    let dropped = 0;
    for (const id of found) {
      if (searched.size + pending.length < MAX_KEYS) pending.push({ kind: 'request', value: id });
      else dropped++;
    }
    if (dropped) warn({ host: '', message: `${dropped} linked request ids were not searched (limit ${MAX_KEYS}): lines that carry only those ids may be missing.` });
    if (round === 1 && window) {
      // libvirt/qemu run alongside the next round (they only add lines, never keys)
      const libvirtKeys = [...extraInstance];
      for (const u of [...instances].slice(0, 4)) if (!libvirtKeys.some((k) => k.value === u)) libvirtKeys.push({ kind: 'instance', value: u });
      if (libvirtKeys.length) libvirtDone = searchLibvirt(libvirtKeys, window);
      const uuids = libvirtKeys.filter((k) => k.kind === 'instance');
      if (opts.instanceContextless && uuids.length) {
        const libvirt = libvirtDone;
        libvirtDone = Promise.all([libvirt, searchContextless(uuids, window)]).then(() => undefined);
      }
    }
    log.trace(`Correlation round ${round}: ${total - before} new entries, ${pending.length} new ids.`);
  }

  /**
   * A search beside the rounds, on the folders `dirsOf` picks on each host (libvirt/qemu, the nova folders for
   * context-less records, Apache/Horizon): it only adds lines, never keys; a host that fails is marked, the others go on.
   */
  async function searchEachHost(q: { keys: CorrelationKey[]; dirsOf: (src: HostSources) => string[]; keep?: (e: LogEntry) => boolean; journald?: boolean; contextLines?: number }) {
    await Promise.all(
      hosts.map(async (h) => {
        const host = h.runner.host;
        const src = detected.get(host);
        if (!src || !status.get(host)!.ok) return;
        const dirs = q.dirsOf(src);
        if (!dirs.length) return;
        const batch: LogEntry[] = [];
        try {
          await searchHost(h, src, { keys: q.keys, dirs, ...(q.journald ? { journald: src.journald } : {}), ...(q.keep ? { keep: q.keep } : {}) }, {
            signal: opts.signal,
            sinceMs: opts.sinceMs,
            contextLines: q.contextLines ?? 0,
            timeoutMs: opts.searchTimeoutMs,
            refMs,
            emit: (e) => collectEntry(e, batch),
            warn,
          });
          if (batch.length) onEvent({ type: 'entries', host, entries: batch });
        } catch (e) {
          if (isCancelled(e) && opts.signal?.aborted) throw e;
          failHost(host, 0, e);
        }
      }),
    );
  }

  /** The instance's context-less nova records (`[-]`) in the request's window (the libvirt folders excluded). */
  function searchContextless(uuids: CorrelationKey[], w: { fromUs: number; toUs: number }) {
    // nothing of the request happens before its first line; its driver's last words may come just after its last one
    const from = w.fromUs;
    const to = w.toUs + 2_000_000;
    return searchEachHost({
      keys: uuids,
      dirsOf: (src) => src.dirs.filter((d) => !LIBVIRT_DIRS.some((l) => d === l || d.startsWith(`${l}/`))),
      journald: true,
      keep: (e) => e.ts >= from && e.ts <= to && e.service.startsWith('nova') && e.format === 'oslo' && !e.requestId && / \[-\] /.test(e.lines[0] ?? ''),
    });
  }

  function searchLibvirt(libvirtKeys: CorrelationKey[], w: { fromUs: number; toUs: number }) {
    const from = w.fromUs - slackUs;
    const to = w.toUs + slackUs;
    return searchEachHost({ keys: libvirtKeys, dirsOf: (src) => dirsWithin(LIBVIRT_DIRS, src.dirs), keep: (e) => e.ts >= from && e.ts <= to });
  }

  if (!isRequestQuery) await searchFrontends();

  /**
   * Instance queries: the request ids on the instance's own lines, searched in the Apache/Horizon folders (see the
   * header). nova-api's lines first, so the bound keeps the API calls when periodic tasks made many ids.
   */
  async function searchFrontends() {
    const values = keys.filter((k) => k.kind !== 'request').map((k) => k.value);
    const api: string[] = [];
    const other: string[] = [];
    for (const list of perSource.values()) {
      for (const e of list) {
        if (!e.requestId || searched.has(e.requestId) || !(e.instance ? values.includes(e.instance) : e.lines.some((l) => values.some((v) => l.includes(v))))) continue;
        (e.service.startsWith('nova-api') ? api : other).push(e.requestId);
      }
    }
    const ids = [...new Set([...api, ...other])].slice(0, MAX_KEYS);
    if (!ids.length) return;
    for (const id of ids) searched.add(id);
    const idKeys: CorrelationKey[] = ids.map((value) => ({ kind: 'request', value }));
    await searchEachHost({ keys: idKeys, dirsOf: (src) => dirsWithin(FRONTEND_DIRS, src.dirs), contextLines: opts.contextLines });
  }

  await libvirtDone;
  if (truncated) warn({ host: '', message: `Showing the first ${maxEntries} entries; narrow the time window to see the rest.` });
  const entries = [...kWayMerge([...perSource.values()].map(sortStable))];
  const allKeys = [...keys];
  for (const v of searched) if (!allKeys.some((k) => k.value === v)) allKeys.push({ kind: 'request', value: v });
  return { keys: allKeys, entries, hosts: [...status.values()], warnings, truncated, window };
}
