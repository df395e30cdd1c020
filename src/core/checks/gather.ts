import { setMaxListeners } from 'node:events';
import { withDeadline } from '../deadline';
import { errorMessage, isCancelled, isTroubleshooterError, type ErrorCode } from '../errors';
import { logCall, nullLogger, redact, type Logger } from '../log';
import type { RemoteCommand } from '../remote/command';
import type { HostExec, ProgressSink } from './ports';

/**
 * The gathering half of a check: facts come back as `Outcome`s, so one failed command (or one host that cannot be
 * reached) turns only the items that need it into "skip" with the reason, never the whole check.
 */

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string; unreachable?: boolean; code?: ErrorCode };

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}
export function notOk<T = never>(reason: string, unreachable = false, code?: ErrorCode): Outcome<T> {
  return unreachable ? { ok: false, reason, unreachable, code } : { ok: false, reason, code };
}

/** Errors that mean "this host cannot be talked to at all" (as opposed to "this command failed"). */
const UNREACHABLE: ErrorCode[] = ['HostUnreachable', 'AuthFailed', 'HostKeyUnknown', 'HostKeyMismatch', 'HostKeyRevoked', 'ConnectionLost'];

export interface GatherContext {
  exec: HostExec;
  signal: AbortSignal;
  logger: Logger;
  progress: ProgressSink;
  /** Deadline of each remote command unless the command sets its own. */
  commandTimeoutMs: number;
  /** performance.now() after which no command starts and running ones are cut short (the check's deadline). */
  deadlineAt: number;
  deadlineMs: number;
}

export function gatherContext(
  exec: HostExec,
  opts: { signal?: AbortSignal; logger?: Logger; progress?: ProgressSink; commandTimeoutMs?: number; deadlineMs?: number } = {},
): GatherContext {
  const deadlineMs = opts.deadlineMs ?? 120_000;
  const signal = opts.signal ?? new AbortController().signal;
  // Many commands run at once, each listening for cancellation on the same signal.
  setMaxListeners(200, signal);
  return {
    deadlineMs,
    deadlineAt: performance.now() + deadlineMs,
    exec,
    signal,
    logger: opts.logger ?? nullLogger,
    progress: opts.progress ?? (() => {}),
    commandTimeoutMs: opts.commandTimeoutMs ?? 30_000,
  };
}

/**
 * A per-host runner that remembers when a host proved unreachable: later commands on it are not attempted, they
 * return the same reason at once (so a dead host costs one connect timeout, not one per fact).
 */
export class HostRunner {
  private readonly dead = new Map<string, string>();

  constructor(readonly ctx: GatherContext) {}

  unreachable(): { host: string; reason: string }[] {
    return [...this.dead].map(([host, reason]) => ({ host, reason }));
  }

  isDead(host: string): string | undefined {
    return this.dead.get(host);
  }

  /** Runs one command; failures become an Outcome (cancellation still throws). */
  async run<T>(host: string, what: string, cmd: RemoteCommand<T>): Promise<Outcome<T>> {
    const deadReason = this.dead.get(host);
    if (deadReason) return notOk(deadReason, true);
    const left = this.ctx.deadlineAt - performance.now();
    if (left <= 0) return notOk(`The check's deadline of ${Math.round(this.ctx.deadlineMs / 1000)} s passed before "${what}" could run.`, false, 'Timeout');
    this.ctx.progress({ host, message: what });
    const timeout = Math.min(cmd.timeoutMs ?? this.ctx.commandTimeoutMs, left);
    const started = performance.now();
    try {
      const value = await withDeadline(`"${what}" on "${host}"`, timeout, this.ctx.signal, (s) => this.ctx.exec.run(host, cmd, s));
      this.ctx.logger.trace(redact(`check ${host}: ${what} [${Math.round(performance.now() - started)}ms]`));
      return ok(value);
    } catch (e) {
      if (isCancelled(e) && this.ctx.signal.aborted) throw e;
      const reason = redact(errorMessage(e));
      const code = isTroubleshooterError(e) ? e.code : undefined;
      const unreachable = code !== undefined && (UNREACHABLE.includes(code) || (code === 'Timeout' && /connect|handshake/i.test(reason)));
      if (unreachable) this.dead.set(host, reason);
      logCall(this.ctx.logger, `check ${host}: ${what}`, started, e);
      return notOk(reason, unreachable, code);
    }
  }
}

/** Runs an API call into an Outcome (cancellation still throws). */
export async function apiOutcome<T>(ctx: GatherContext, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
  ctx.progress({ message: what });
  try {
    return ok(await call(ctx.signal));
  } catch (e) {
    if (isCancelled(e) && ctx.signal.aborted) throw e;
    return notOk(redact(errorMessage(e)), false, isTroubleshooterError(e) ? e.code : undefined);
  }
}

/** The value of an outcome, or undefined. */
export function valueOf<T>(o: Outcome<T> | undefined): T | undefined {
  return o && o.ok ? o.value : undefined;
}

/** "why this fact is missing" for a skip finding. */
export function reasonOf(o: Outcome<unknown> | undefined, fallback = 'not gathered'): string {
  if (!o) return fallback;
  return o.ok ? fallback : o.reason;
}
