import * as vscode from 'vscode';
import { errorMessage, isCancelled } from '../../core/errors';
import type { Logger } from '../../core/log';
import { correlate, type CorrelationEvent, type LogHost } from '../../core/logs/correlate';
import { followLogs } from '../../core/logs/follow';
import type { CorrelationKey } from '../../core/logs/keys';
import { MergedLog, prefixWidths, renderEntry, type PrefixWidths } from '../../core/logs/merge';
import type { HostSources } from '../../core/logs/sources';
import type { LogEntry } from '../../core/logs/types';

export interface SessionPlan {
  title: string;
  keys: CorrelationKey[];
  hosts: LogHost[];
  instanceUuid?: string;
  instanceName?: string;
  sinceMs?: number;
  notes: string[];
  follow: boolean;
}

type HostState = { state: 'searching' | 'done' | 'failed' | 'following' | 'retrying'; lines: number; message?: string; ms?: number };

/**
 * One correlated document: the first search over every host (streamed, merged by time as hosts answer), then,
 * in follow mode, tail -F on the same sources. Text is re-rendered on change, throttled. Disposing aborts every
 * remote process.
 */
export class LogSession implements vscode.Disposable {
  private readonly ctrl = new AbortController();
  private readonly merged: MergedLog;
  private readonly hostStates = new Map<string, HostState>();
  private readonly warnings: string[] = [];
  private keys: string[] = [];
  private widths: PrefixWidths = { host: 0, service: 0 };
  private phase: 'planning' | 'searching' | 'done' | 'following' | 'stopped' | 'failed' = 'planning';
  private failure?: string;
  private plan?: SessionPlan;
  private timer?: NodeJS.Timeout;
  private readonly sourceCache = new Map<string, HostSources>();
  private dirty = false;
  /** Resolves when the first search is complete (tests and the CLI-like flows wait for it). */
  readonly searched: Promise<void>;
  private markSearched!: () => void;

  constructor(
    readonly uri: vscode.Uri,
    private readonly logger: Logger,
    capacity: number,
    private readonly onChange: (uri: vscode.Uri) => void,
  ) {
    this.merged = new MergedLog(capacity);
    this.searched = new Promise((r) => (this.markSearched = r));
  }

  get signal(): AbortSignal {
    return this.ctrl.signal;
  }

  get following(): boolean {
    return this.phase === 'following';
  }

  /** Runs the plan produced by `makePlan` (which may need the cloud: it gets the session's signal). */
  async start(makePlan: (signal: AbortSignal) => Promise<SessionPlan>): Promise<void> {
    try {
      const plan = await makePlan(this.ctrl.signal);
      this.plan = plan;
      this.keys = plan.keys.map((k) => k.value);
      for (const h of plan.hosts) this.hostStates.set(h.runner.host, { state: 'searching', lines: 0 });
      this.phase = 'searching';
      this.changed();
      const result = await correlate(plan.keys, plan.hosts, {
        signal: this.ctrl.signal,
        log: this.logger,
        instanceName: plan.instanceName,
        instanceUuid: plan.instanceUuid,
        sinceMs: plan.sinceMs,
        sourceCache: this.sourceCache,
        onEvent: (e) => this.onEvent(e),
      });
      this.keys = result.keys.map((k) => k.value);
      // The streamed entries may lack the context lines merged at the end: take the final, complete result.
      this.merged.clear();
      for (const e of result.entries) this.merged.add(e);
      for (const h of result.hosts) {
        const s = this.hostStates.get(h.host);
        this.hostStates.set(h.host, { ...(s ?? { lines: 0 }), state: h.ok ? 'done' : 'failed', lines: h.entries, message: h.error ?? s?.message });
      }
      if (result.truncated) this.warnings.push('The result was cut at its size limit: narrow the query.');
      this.phase = 'done';
      this.markSearched();
      this.changed(true);
      if (plan.follow && !this.ctrl.signal.aborted) {
        this.phase = 'following';
        for (const h of plan.hosts) {
          const s = this.hostStates.get(h.runner.host);
          if (s && s.state !== 'failed') s.state = 'following';
        }
        this.changed(true);
        await followLogs(plan.hosts, result.keys, {
          signal: this.ctrl.signal,
          log: this.logger,
          sourceCache: this.sourceCache,
          onEntries: (entries) => this.addEntries(entries),
          onEvent: (e) => {
            const s = e.type === 'warning' ? undefined : this.hostStates.get(e.host);
            if (e.type === 'following' && s) Object.assign(s, { state: 'following', message: undefined });
            else if (e.type === 'host-error' && s) Object.assign(s, { state: 'retrying', message: `${e.message} (retry in ${Math.round(e.retryInMs / 1000)} s)` });
            else if (e.type === 'warning') this.warnings.push(`${e.warning.host}${e.warning.file ? ` ${e.warning.file}` : ''}: ${e.warning.message}`);
            this.changed();
          },
        });
      }
    } catch (e) {
      if (isCancelled(e) || this.ctrl.signal.aborted) {
        this.phase = 'stopped';
      } else {
        this.phase = 'failed';
        this.failure = errorMessage(e);
        this.logger.error(`Correlated logs "${this.uri.path}": ${this.failure}`);
      }
      this.markSearched();
      this.changed(true);
    }
  }

  private addEntries(entries: LogEntry[]) {
    for (const e of entries) {
      this.merged.add(e);
      const s = this.hostStates.get(e.host);
      if (s) s.lines++;
    }
    this.changed();
  }

  private onEvent(e: CorrelationEvent) {
    switch (e.type) {
      case 'round':
        this.keys = [...new Set([...this.keys, ...e.keys])];
        break;
      case 'entries':
        this.addEntries(e.entries);
        return;
      case 'host-progress': {
        const s = this.hostStates.get(e.host);
        if (s) s.lines = Math.max(s.lines, e.lines);
        break;
      }
      case 'host-done': {
        const s = this.hostStates.get(e.host);
        if (s && s.state !== 'failed') Object.assign(s, { state: 'done', ms: e.ms });
        break;
      }
      case 'host-error': {
        const s = this.hostStates.get(e.host);
        if (s) Object.assign(s, { state: 'failed', message: e.message });
        break;
      }
      case 'warning':
        this.warnings.push(`${e.warning.host}${e.warning.file ? ` ${e.warning.file}` : ''}: ${e.warning.message}`);
        break;
      default:
        break;
    }
    this.changed();
  }

  /** Throttled change notification (at most 5 per second), or immediate. */
  private changed(now = false) {
    this.dirty = true;
    if (now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, 200);
  }

  private flush() {
    if (!this.dirty) return;
    this.dirty = false;
    this.onChange(this.uri);
  }

  /** The document text: a header (query, keys, hosts, notes), then every entry with its host and service. */
  render(): string {
    const out: string[] = [];
    const p = this.plan;
    out.push(`# Correlated logs: ${p?.title ?? this.uri.path.slice(1)}  [${this.phaseText()}]`);
    if (this.keys.length) out.push(`# keys: ${this.keys.join(', ')}`);
    if (this.hostStates.size) {
      const hosts = [...this.hostStates.entries()].map(([h, s]) => `${h} ${icon(s.state)} ${s.state}${s.state === 'done' || s.state === 'following' ? ` ${s.lines} lines` : ''}${s.message ? ` (${s.message})` : ''}`);
      out.push(`# hosts: ${hosts.join(' · ')}`);
    }
    for (const n of p?.notes ?? []) out.push(`# note: ${n}`);
    for (const w of this.warnings.slice(-20)) out.push(`# warning: ${w}`);
    if (this.merged.dropped) out.push(`# ${this.merged.dropped} older lines were dropped (buffer size "openstack.logs.followBufferLines").`);
    if (this.failure) out.push(`# error: ${this.failure}`);
    const entries = this.merged.all();
    if (this.phase === 'done' && entries.length === 0) out.push('# No line of any host matched. Check the time window, the hosts searched and the log locations ("openstack.logs.sources").');
    out.push('');
    this.widths = prefixWidths(entries, this.widths);
    for (const e of entries) out.push(...renderEntry(e, this.widths));
    return out.join('\n') + '\n';
  }

  private phaseText(): string {
    switch (this.phase) {
      case 'planning':
        return 'finding hosts…';
      case 'searching':
        return 'searching…';
      case 'done':
        return 'complete';
      case 'following':
        return 'following, new lines are appended';
      case 'stopped':
        return 'stopped';
      case 'failed':
        return 'failed';
    }
  }

  stop(): void {
    if (!this.ctrl.signal.aborted) this.ctrl.abort();
    if (this.phase === 'following' || this.phase === 'searching') this.phase = 'stopped';
  }

  dispose(): void {
    this.stop();
    clearTimeout(this.timer);
  }
}

function icon(state: HostState['state']): string {
  switch (state) {
    case 'done':
      return '✓';
    case 'following':
      return '↻';
    case 'failed':
      return '✗';
    case 'retrying':
      return '…';
    default:
      return '…';
  }
}

export function describeError(e: unknown): string {
  return errorMessage(e);
}
