import { TroubleshooterError, errorMessage, isCancelled } from '../errors';
import { nullLogger, redact, type Logger } from '../log';
import { detectSources, type LogHost } from './correlate';
import { EntryBuilder } from './entries';
import { sortStable } from './merge';
import { validateKey, type CorrelationKey } from './keys';
import { classifyStderr, followArgv, parseSearchLine } from './search-command';
import { candidateDirs, serviceOf, type HostSources, type LogSourceSettings } from './sources';
import type { LogEntry, LogWarning } from './types';

/**
 * Follow mode: `tail -v -F -n 0` on the same sources, filtered on the host by the same fixed strings
 * (`grep --line-buffered -F`), appended live. Log files that appear after the start (a new service log, a file rotated
 * in under a new name, a log folder created after the start) are found by a rescan on the host every `rescanSeconds`
 * and followed from their first line.
 * A dropped connection reconnects with exponential backoff (lines written while disconnected are not replayed).
 * Aborting the signal ends every remote process: the runner closes the channel/process and the remote script's stdin
 * watchdog kills its tail and grep.
 */

export type FollowEvent =
  | { type: 'following'; host: string }
  | { type: 'host-error'; host: string; message: string; code: string; retryInMs: number }
  | { type: 'warning'; warning: LogWarning };

export interface FollowOptions {
  signal: AbortSignal;
  /** New entries, in arrival order (the caller merges them into its MergedLog). */
  onEntries(entries: LogEntry[]): void;
  onEvent?(e: FollowEvent): void;
  log?: Logger;
  settings?: LogSourceSettings;
  sourceCache?: Map<string, HostSources>;
  contextLines?: number;
  /** A record without further lines is complete after this long (ms). Default 250. */
  flushAfterMs?: number;
  /** Look for new log files every this many seconds (search-command.ts DEFAULT_RESCAN_SECONDS; 0: never). */
  rescanSeconds?: number;
  backoff?: { initialMs: number; maxMs: number };
}

/** Follows `keys` on every host until `opts.signal` aborts. Never rejects for a host failure (it retries). */
export async function followLogs(hosts: LogHost[], keys: CorrelationKey[], opts: FollowOptions): Promise<void> {
  const checked = keys.map(validateKey);
  await Promise.all(hosts.map((h) => followHost(h, checked, opts)));
}

async function followHost(h: LogHost, keys: CorrelationKey[], opts: FollowOptions): Promise<void> {
  const log = opts.log ?? nullLogger;
  const host = h.runner.host;
  const backoff = opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
  const cache = opts.sourceCache ?? new Map<string, HostSources>();
  let delay = backoff.initialMs;
  while (!opts.signal.aborted) {
    const started = Date.now();
    try {
      const sources = await detectSources(h, { signal: opts.signal, settings: opts.settings, cache });
      await runOnce(h, sources, keys, opts);
      if (opts.signal.aborted) return;
      throw new TroubleshooterError('ConnectionLost', `Following logs on "${host}" stopped.`);
    } catch (e) {
      if (opts.signal.aborted || (isCancelled(e) && opts.signal.aborted)) return;
      if (Date.now() - started > 30_000) delay = backoff.initialMs;
      const message = redact(errorMessage(e));
      log.warn(`Following logs on "${host}" failed, retrying in ${delay} ms: ${message}`);
      opts.onEvent?.({ type: 'host-error', host, message, code: e instanceof TroubleshooterError ? e.code : 'CommandFailed', retryInMs: delay });
      cache.delete(host);
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, backoff.maxMs);
    }
  }
}

async function runOnce(h: LogHost, sources: HostSources, keys: CorrelationKey[], opts: FollowOptions): Promise<void> {
  const host = h.runner.host;
  const root = h.root ?? '';
  const mapPath = (p: string) => (root && p.startsWith(root) ? p.slice(root.length) : p);
  const argv = followArgv({
    keys,
    // the rescan also looks in candidate folders that do not exist yet (a service installed or first started after the
    // follow began); fixed folders (offline trees, tests) are taken as they are
    dirs: (h.dirs ? sources.dirs : [...new Set([...sources.dirs, ...candidateDirs(opts.settings)])]).map((d) => root + d),
    journald: sources.journald,
    contextLines: opts.contextLines,
    watchStdin: h.runner.keepsStdinOpen,
    rescanSeconds: opts.rescanSeconds,
  });
  const values = keys.map((k) => k.value);
  const builders = new Map<string, EntryBuilder>();
  let pending: LogEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flushAfter = opts.flushAfterMs ?? 250;
  const deliver = () => {
    timer = undefined;
    for (const b of builders.values()) b.break();
    if (pending.length) {
      const out = pending;
      pending = [];
      // files' builders break in the order the files were first seen: sort, so a batch has one order
      opts.onEntries(sortStable(out));
    }
  };
  const builderFor = (file: string) => {
    let b = builders.get(file);
    if (!b) {
      const shown = mapPath(file);
      b = new EntryBuilder(host, shown === 'journal' ? 'journal' : serviceOf(shown), shown, { clock: sources.clock }, (e) => pending.push(e));
      builders.set(file, b);
    }
    return b;
  };
  let current = '';
  let fileCount = -1;
  let announced = false;
  const headers = new Set<string>();
  const announce = () => {
    if (announced) return;
    announced = true;
    opts.onEvent?.({ type: 'following', host });
  };
  try {
    await h.runner.stream(argv, {
      signal: opts.signal,
      onLine: (raw) => {
        const l = parseSearchLine(raw);
        if (l.kind === 'header') {
          builders.get(current)?.break();
          current = l.file;
          // tail prints each file's header once it has opened it: all open → following
          if (!headers.has(l.file)) {
            headers.add(l.file);
            if (headers.size === fileCount && !announced) announce();
          }
          return;
        }
        if (l.kind === 'separator') {
          builders.get(l.file ?? current)?.break();
          return;
        }
        if (l.kind === 'other') {
          const files = /^FILES (\d+)$/.exec(l.text);
          if (files) fileCount = Number(files[1]);
          else if (l.text === 'READY') announce();
          else if (l.text.startsWith('NEW /')) (opts.log ?? nullLogger).info(`Following new log file "${mapPath(l.text.slice(4))}" on "${host}"`);
          else {
            const w = classifyStderr(l.text, mapPath);
            if (w) opts.onEvent?.({ type: 'warning', warning: { host, file: w.file, message: redact(w.message) } });
          }
          return;
        }
        if (l.kind !== 'line') return;
        // lines of the main tail carry no file (its `==> FILE <==` headers say it); the others name theirs
        const file = l.file || current;
        if (!file) return;
        const selected = values.some((v) => l.text.includes(v));
        builderFor(file).add(l.text, undefined, selected);
        if (timer) clearTimeout(timer);
        timer = setTimeout(deliver, flushAfter);
      },
      onStderr: (s) => {
        const w = classifyStderr(s, mapPath);
        if (w) opts.onEvent?.({ type: 'warning', warning: { host, file: w.file, message: redact(w.message) } });
      },
    });
  } finally {
    if (timer) clearTimeout(timer);
    deliver();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
