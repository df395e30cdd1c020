import * as vscode from 'vscode';
import { errorMessage, isCancelled } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { LogHost } from '../../core/logs/correlate';
import type { CorrelationKey } from '../../core/logs/keys';
import { CorrelatedLogSession, type HostState } from '../../core/logs/session';
import type { LogEntry, LogLevel } from '../../core/logs/types';

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

type Phase = 'planning' | 'searching' | 'complete' | 'following' | 'paused' | 'stopped' | 'failed';

const LEVEL_ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, AUDIT: 3, NOTICE: 4, WARNING: 5, ERROR: 6, CRITICAL: 7 };

/** What the document shows of its records: a level floor, some hosts, some services (empty: all). */
export interface LogFilter {
  minLevel?: LogLevel;
  hosts?: string[];
  services?: string[];
}

export function filterActive(f: LogFilter): boolean {
  return !!(f.minLevel || f.hosts?.length || f.services?.length);
}

export function describeFilter(f: LogFilter): string {
  const parts: string[] = [];
  if (f.minLevel) parts.push(`level ≥ ${f.minLevel}`);
  if (f.hosts?.length) parts.push(`hosts: ${f.hosts.join(', ')}`);
  if (f.services?.length) parts.push(`services: ${f.services.join(', ')}`);
  return parts.join(' · ');
}

/** The filter as a predicate over entries (records without a level count as INFO). */
export function filterPredicate(f: LogFilter): ((e: LogEntry) => boolean) | undefined {
  if (!filterActive(f)) return undefined;
  const floor = f.minLevel ? LEVEL_ORDER[f.minLevel] : -1;
  const hosts = f.hosts?.length ? new Set(f.hosts) : undefined;
  const services = f.services?.length ? new Set(f.services) : undefined;
  return (e) => LEVEL_ORDER[e.level ?? 'INFO'] >= floor && (!hosts || hosts.has(e.host)) && (!services || services.has(e.service));
}

/**
 * One `openstack-log:` document: plans (which hosts, which keys — may need the cloud), then runs the core's
 * CorrelatedLogSession (search, then tail -F in follow mode) and re-renders on change, throttled to 5 per second.
 * Disposing aborts every remote process of the document.
 */
export class LogSession implements vscode.Disposable {
  private readonly ctrl = new AbortController();
  /** Following only: Stop pauses it, Resume searches again (catching up) and follows anew. */
  private followCtrl?: AbortController;
  private filterValue: LogFilter = {};
  private core?: CorrelatedLogSession;
  private plan?: SessionPlan;
  private phase: Phase = 'planning';
  private failure?: string;
  private timer?: NodeJS.Timeout;
  private readonly renderListeners = new Set<() => void>();
  /** Resolves when the first search is complete (or failed): tests and progress wait for it. */
  readonly searched: Promise<void>;
  private markSearched!: () => void;

  constructor(
    readonly uri: vscode.Uri,
    private readonly logger: Logger,
    private readonly capacity: number,
    private readonly onChange: (uri: vscode.Uri) => void,
  ) {
    this.searched = new Promise((r) => (this.markSearched = r));
  }

  get signal(): AbortSignal {
    return this.ctrl.signal;
  }

  /** The core session, once planned (the timeline view reads its entries and timeline). */
  get correlation(): CorrelatedLogSession | undefined {
    return this.core;
  }

  /** Registers a listener of the rendered document's changes (throttled like the document). */
  onDidRender(listener: () => void): vscode.Disposable {
    this.renderListeners.add(listener);
    return new vscode.Disposable(() => this.renderListeners.delete(listener));
  }

  get following(): boolean {
    return this.phase === 'following';
  }

  /** Following was stopped by the user and can resume. */
  get paused(): boolean {
    return this.phase === 'paused';
  }

  get filter(): LogFilter {
    return this.filterValue;
  }

  set filter(f: LogFilter) {
    this.filterValue = f;
    this.changed(true);
  }

  /** Short status (progress message, status bar). */
  describe(): string {
    return this.core ? `${this.phase}: ${this.core.describe()}` : this.phase;
  }

  async start(makePlan: (signal: AbortSignal) => Promise<SessionPlan>): Promise<void> {
    try {
      const plan = await makePlan(this.ctrl.signal);
      this.plan = plan;
      const core = new CorrelatedLogSession(plan.hosts, plan.keys, {
        log: this.logger,
        sinceMs: plan.sinceMs,
        instanceName: plan.instanceName,
        instanceUuid: plan.instanceUuid,
        capacity: this.capacity,
        // a request's document also shows its instance's context-less records ([-]) of the request's window: where
        // nova's libvirt driver logs a live migration's progress and failure
        instanceContextless: true,
      });
      this.core = core;
      core.onDidChange(() => this.changed());
      this.phase = 'searching';
      this.changed(true);
      await core.run(this.ctrl.signal);
      this.phase = 'complete';
      this.markSearched();
      this.changed(true);
      if (plan.follow && !this.ctrl.signal.aborted) await this.followNow(core);
    } catch (e) {
      if (isCancelled(e) || this.ctrl.signal.aborted) this.phase = 'stopped';
      else {
        this.phase = 'failed';
        this.failure = errorMessage(e);
        this.logger.error(`Correlated logs "${this.uri.path}": ${this.failure}`);
      }
    } finally {
      this.markSearched();
      this.changed(true);
    }
  }

  private changed(now = false) {
    const fire = () => {
      this.onChange(this.uri);
      for (const l of this.renderListeners) l();
    };
    if (now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      fire();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      fire();
    }, 200);
  }

  /**
   * The document: what was asked, the request's story (steps, durations, outcome), where it was searched (hosts with
   * their state, notes), then the core's merged text.
   */
  render(): string {
    const out = [`# Correlated logs: ${this.plan?.title ?? decodeURIComponent(this.uri.path.slice(1))}  [${PHASES[this.phase]}]`];
    if (this.core) out.push(...this.core.summary());
    if (this.core) {
      out.push(`# hosts: ${[...this.core.hostStates.entries()].map(([h, s]) => `${h} ${hostText(s)}`).join(' · ')}`);
      out.push(`# keys: ${this.core.keys.map((k) => k.value).join(', ')}`);
    }
    for (const n of this.plan?.notes ?? []) out.push(`# note: ${n}`);
    if (this.core) out.push('# legend: "host service | " starts a record, "host service + " continues it (traceback, multi-line body)');
    const keep = filterPredicate(this.filterValue);
    if (keep && this.core) {
      const all = this.core.log.all();
      let shown = 0;
      for (const e of all) if (keep(e)) shown++;
      out.push(`# filter: ${describeFilter(this.filterValue)} (${shown} of ${all.length} records shown; OpenStack: Clear Log Document Filter)`);
    }
    if (this.failure) out.push(`# error: ${this.failure}`);
    if (this.phase === 'complete' && this.core && this.core.log.size === 0) {
      out.push('# No line of any host matched: check the hosts searched, the time window and "openstack.logs.sources".');
    }
    return `${out.join('\n')}\n${this.core ? this.core.render(keep) : ''}`;
  }

  private async followNow(core: CorrelatedLogSession): Promise<void> {
    const ctrl = new AbortController();
    this.followCtrl = ctrl;
    const onAbort = () => ctrl.abort();
    this.ctrl.signal.addEventListener('abort', onAbort, { once: true });
    this.phase = 'following';
    this.changed(true);
    try {
      await core.follow(ctrl.signal);
    } finally {
      this.ctrl.signal.removeEventListener('abort', onAbort);
      if (this.phase === 'following') this.phase = this.ctrl.signal.aborted ? 'stopped' : 'paused';
      this.changed(true);
    }
  }

  /** Stops following (resumable), or the search still running (not resumable). */
  stop(): void {
    if (this.phase === 'following' && this.followCtrl) this.followCtrl.abort();
    else if (!this.ctrl.signal.aborted) this.ctrl.abort();
  }

  /**
   * Resumes a stopped follow: searches again (lines written while stopped come in, in order), then follows. No-op
   * unless paused. Resolves when following ends again (stopped, or the document closed).
   */
  async resume(): Promise<void> {
    const core = this.core;
    if (this.phase !== 'paused' || !core) return;
    try {
      this.phase = 'searching';
      this.changed(true);
      await core.run(this.ctrl.signal);
      if (!this.ctrl.signal.aborted) await this.followNow(core);
    } catch (e) {
      if (isCancelled(e) || this.ctrl.signal.aborted) this.phase = 'stopped';
      else {
        this.phase = 'failed';
        this.failure = errorMessage(e);
      }
      this.changed(true);
    }
  }

  dispose(): void {
    this.followCtrl?.abort();
    if (!this.ctrl.signal.aborted) this.ctrl.abort();
    clearTimeout(this.timer);
  }
}

const PHASES: Record<Phase, string> = {
  planning: 'finding hosts…',
  searching: 'searching…',
  complete: 'complete',
  following: 'following: new lines are appended',
  paused: 'following stopped (OpenStack: Resume Following)',
  stopped: 'stopped',
  failed: 'failed',
};

function hostText(s: HostState): string {
  switch (s.state) {
    case 'searching':
      return '… searching';
    case 'done':
      return `✓ ${s.entries}`;
    case 'failed':
      return '✗ failed';
    case 'following':
      return '↻ following';
    case 'reconnecting':
      return `… reconnecting in ${Math.round(s.retryInMs / 1000)} s`;
  }
}
