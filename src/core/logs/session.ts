import { isCancelled } from '../errors';
import { nullLogger, redact, type Logger } from '../log';
import { correlate, type CorrelationResult, type LogHost } from './correlate';
import { followLogs } from './follow';
import type { CorrelationKey } from './keys';
import { MergedLog, prefixWidths, renderEntry, type PrefixWidths } from './merge';
import type { HostSources, LogSourceSettings } from './sources';
import type { LogEntry, LogWarning } from './types';
import { buildTimeline } from '../timeline/build';
import { summaryLines } from '../timeline/render';
import type { Timeline } from '../timeline/types';

/**
 * What a correlated-logs view holds: the merged entries (bounded), per-host state and warnings, for one query.
 * The VS Code feature layer owns one per open `openstack-log:` document: `run()` fills it (entries stream in as
 * hosts answer), `follow()` keeps appending until its signal aborts (closing the document), and `onDidChange`
 * tells the document provider to re-render (throttle it there). No vscode import: the CLI and tests drive it too.
 */

export type HostState =
  | { state: 'searching' }
  | { state: 'done'; entries: number }
  | { state: 'failed'; message: string }
  | { state: 'following' }
  | { state: 'reconnecting'; message: string; retryInMs: number };

export interface SessionOptions {
  log?: Logger;
  settings?: LogSourceSettings;
  sinceMs?: number;
  instanceName?: string;
  instanceUuid?: string;
  /** Entries kept in memory; the oldest are dropped beyond it (follow mode). Default 50 000. */
  capacity?: number;
  contextLines?: number;
  /** A request query also takes the instance's context-less records of its window (correlate.ts). */
  instanceContextless?: boolean;
}

export class CorrelatedLogSession {
  readonly log: MergedLog;
  readonly hostStates = new Map<string, HostState>();
  readonly warnings: LogWarning[] = [];
  /** Every key searched (the query first, then ids found linked to it). Follow uses them all. */
  keys: CorrelationKey[];
  result: CorrelationResult | undefined;
  private listeners = new Set<() => void>();
  private readonly sourceCache = new Map<string, HostSources>();
  private widths: PrefixWidths;
  /** Counts changes: the timeline is rebuilt only when it moved. */
  private version = 0;
  private story?: { version: number; timeline: Timeline; entries: readonly LogEntry[] };

  constructor(
    readonly hosts: LogHost[],
    readonly query: CorrelationKey[],
    private readonly options: SessionOptions = {},
  ) {
    this.log = new MergedLog(options.capacity ?? 50_000);
    this.keys = [...query];
    this.widths = { host: Math.max(0, ...hosts.map((h) => h.runner.host.length)), service: 14 };
    for (const h of hosts) this.hostStates.set(h.runner.host, { state: 'searching' });
  }

  /** Registers a change listener; returns the function that removes it. */
  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  private add(entries: LogEntry[]): void {
    for (const e of entries) this.log.add(e);
    this.widths = prefixWidths(entries, this.widths);
    this.changed();
  }

  /** The one-shot correlation. Host failures end up in `hostStates`; only cancellation rejects. */
  async run(signal?: AbortSignal): Promise<CorrelationResult> {
    const result = await correlate(this.query, this.hosts, {
      signal,
      log: this.options.log ?? nullLogger,
      settings: this.options.settings,
      sinceMs: this.options.sinceMs,
      instanceName: this.options.instanceName,
      instanceUuid: this.options.instanceUuid,
      contextLines: this.options.contextLines,
      instanceContextless: this.options.instanceContextless,
      maxEntries: this.log.capacity,
      sourceCache: this.sourceCache,
      onEvent: (e) => {
        switch (e.type) {
          case 'entries':
            this.add(e.entries);
            break;
          case 'host-start':
            this.hostStates.set(e.host, { state: 'searching' });
            this.changed();
            break;
          case 'host-done': {
            const prev = this.hostStates.get(e.host);
            this.hostStates.set(e.host, { state: 'done', entries: e.entries + (prev?.state === 'done' ? prev.entries : 0) });
            this.changed();
            break;
          }
          case 'host-error':
            this.hostStates.set(e.host, { state: 'failed', message: e.message });
            this.changed();
            break;
          case 'warning':
            this.warnings.push(e.warning);
            this.changed();
            break;
          default:
            break;
        }
      },
    });
    // The streamed order is arrival order within equal timestamps; the final merge is the reference order.
    this.log.clear();
    for (const e of result.entries) this.log.add(e);
    this.keys = result.keys;
    this.result = result;
    this.changed();
    return result;
  }

  /** Follows the same keys on the same hosts until `signal` aborts (closing the view ends every remote process). */
  async follow(signal: AbortSignal): Promise<void> {
    try {
      // Hosts that failed the search are tried again: follow reconnects with backoff.
      await followLogs(this.hosts, this.keys, {
        signal,
        log: this.options.log,
        settings: this.options.settings,
        sourceCache: this.sourceCache,
        contextLines: this.options.contextLines,
        onEntries: (entries) => this.add(entries),
        onEvent: (e) => {
          if (e.type === 'following') this.hostStates.set(e.host, { state: 'following' });
          else if (e.type === 'host-error') this.hostStates.set(e.host, { state: 'reconnecting', message: e.message, retryInMs: e.retryInMs });
          else this.warnings.push(e.warning);
          this.changed();
        },
      });
    } catch (e) {
      if (!isCancelled(e)) throw e;
    }
  }

  /**
   * The request's story (src/core/timeline) over the entries held now, with those entries (the timeline's record
   * indices point into them). Rebuilt only after a change.
   */
  timeline(): { timeline: Timeline; entries: readonly LogEntry[] } {
    if (!this.story || this.story.version !== this.version) {
      const entries = this.log.all().slice();
      this.story = { version: this.version, timeline: buildTimeline(entries), entries };
    }
    return this.story;
  }

  /** The summary the document starts with: the steps with durations and the outcome (`# story: …`). */
  summary(): string[] {
    return this.log.size ? summaryLines(this.timeline().timeline) : [];
  }

  /** Header lines (`# …`): the query, failed hosts and warnings, so the document says why something is missing. */
  header(): string[] {
    const out = [`# ${this.query.map((k) => k.value).join(', ')} · keys: ${this.keys.length} · entries: ${this.log.size}${this.log.dropped ? ` (${this.log.dropped} older dropped)` : ''}`];
    for (const [host, s] of this.hostStates) {
      if (s.state === 'failed') out.push(`# ${host}: ${redact(s.message)}`);
      else if (s.state === 'reconnecting') out.push(`# ${host}: ${redact(s.message)} (reconnecting)`);
    }
    for (const w of this.warnings.slice(0, 50)) out.push(`# ${w.host ? `${w.host}: ` : ''}${w.message}`);
    if (this.warnings.length > 50) out.push(`# … ${this.warnings.length - 50} more warnings`);
    return out;
  }

  /**
   * The whole document text: header, then every entry as `host service | line` / `host service + line`; with `keep`,
   * only the entries it keeps.
   */
  render(keep?: (e: LogEntry) => boolean): string {
    const lines = this.header();
    for (const e of this.log.all()) if (!keep || keep(e)) lines.push(...renderEntry(e, this.widths));
    return `${lines.join('\n')}\n`;
  }

  /** Short status for a status bar or progress message. */
  describe(): string {
    const states = [...this.hostStates.values()];
    const n = (s: HostState['state']) => states.filter((x) => x.state === s).length;
    return `${this.log.size} entries · ${n('done') + n('following')}/${states.length} hosts${n('failed') ? ` · ${n('failed')} failed` : ''}${n('searching') ? ` · ${n('searching')} searching` : ''}`;
  }
}
