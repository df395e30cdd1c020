import { cancelledError, TroubleshooterError } from '../errors';
import type { InstanceAction, InstanceActionEvent, Migration, Server, ServerMigration } from '../openstack/types';
import type { GatherContext } from './gather';
import { gatherMigrationLogFailure } from './migration-log';
import type { CheckApi } from './ports';

/**
 * Live and cold migration as a user experiences them: start, watch progress (server-migrations API: memory
 * processed/remaining), abort / force-complete, confirm / revert, and — when it fails — the real reason from the
 * instance-action events (since 2.34 nova returns 202 and the pre-check failure only shows there), with the
 * request id to correlate logs.
 */

export type MigrationKind = 'live-migration' | 'migration';

export interface MigrationProgress {
  /** Server status/task and, for a running live migration, the migration's status. */
  serverStatus: string;
  taskState?: string | null;
  migration?: ServerMigration;
  /** 0–100 from memory processed/total (disk for block migration when memory is not reported). */
  percent?: number;
  /** "running: 412 MiB of 1.0 GiB memory copied". */
  message: string;
}

export interface FailureReason {
  /** One line: the failing event and nova's message ("No valid host was found…"). */
  summary: string;
  requestId?: string;
  action?: InstanceAction;
  /** Events whose result is Error (newest first, as nova lists them). */
  errorEvents: InstanceActionEvent[];
  /** Traceback of the first error event (admins only). */
  traceback?: string;
  /** The server's fault, if it went to ERROR. */
  fault?: string;
  /**
   * Where the reason was read when the instance action does not carry it: the source's nova-compute.log lines (a
   * live migration that libvirt failed ends with every event "Success").
   */
  logEvidence?: { host: string; file: string; line: string }[];
}

export interface MigrationOutcome {
  kind: MigrationKind;
  ok: boolean;
  requestId?: string;
  server: Server;
  /** Host before and after. */
  fromHost?: string | null;
  toHost?: string | null;
  /** The os-migrations record of this operation, when found. */
  migration?: Migration;
  /** Cold migration ended in VERIFY_RESIZE: confirm or revert. */
  needsConfirm: boolean;
  failure?: FailureReason;
  durationMs: number;
}

const MIB = 1024 * 1024;

function size(b: number): string {
  return b >= 1024 * MIB ? `${(b / (1024 * MIB)).toFixed(1)} GiB` : `${Math.round(b / MIB)} MiB`;
}

/** Progress of an in-progress live migration from its server-migration record (percent of memory copied). */
export function migrationProgress(server: Pick<Server, 'status' | 'taskState'>, m?: ServerMigration): MigrationProgress {
  const base: MigrationProgress = { serverStatus: server.status, taskState: server.taskState, migration: m, message: `${server.status.toLowerCase()}${server.taskState ? ` (${server.taskState})` : ''}` };
  if (!m) return base;
  const total = m.memoryTotalBytes ?? 0;
  const done = m.memoryProcessedBytes ?? (total && m.memoryRemainingBytes != null ? total - m.memoryRemainingBytes : 0);
  const dTotal = m.diskTotalBytes ?? 0;
  const dDone = m.diskProcessedBytes ?? 0;
  let percent: number | undefined;
  let detail = '';
  if (total > 0) {
    percent = Math.max(0, Math.min(100, Math.round((done / total) * 100)));
    detail = `${size(done)} of ${size(total)} memory copied`;
    if (m.memoryRemainingBytes != null) detail += `, ${size(m.memoryRemainingBytes)} remaining`;
  } else if (dTotal > 0) {
    percent = Math.max(0, Math.min(100, Math.round((dDone / dTotal) * 100)));
    detail = `${size(dDone)} of ${size(dTotal)} disk copied`;
  }
  return { ...base, percent, message: `${m.status}${detail ? `: ${detail}` : ''} (${m.sourceCompute ?? '?'} → ${m.destCompute ?? '?'})` };
}

/** The reason an operation failed, from its instance action's events (and the server's fault). */
export function failureFromAction(action: InstanceAction | undefined, server?: Pick<Server, 'fault'>): FailureReason | undefined {
  const events = action?.events ?? [];
  const errors = events.filter((e) => (e.result ?? '').toLowerCase() === 'error');
  const fault = server?.fault?.message;
  if (errors.length === 0 && !action?.message && !fault) return undefined;
  const first = errors[errors.length - 1] ?? errors[0];
  const tbLast = first?.traceback ? lastExceptionLine(first.traceback) : undefined;
  const why = first?.details ?? tbLast ?? action?.message ?? fault ?? 'no message';
  return {
    summary: first ? `${first.event} failed${first.host ? ` on ${first.host}` : ''}: ${why}` : (action?.message ?? fault ?? 'failed'),
    requestId: action?.requestId,
    action,
    errorEvents: errors,
    traceback: first?.traceback ?? undefined,
    fault,
  };
}

/** The last "SomeError: message" line of a Python traceback (what the user needs to read first). */
export function lastExceptionLine(tb: string): string | undefined {
  const lines = tb.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^[\w.]+(?:Error|Exception|Host|Invalid\w*|Failed\w*|_Remote)\b.*?:/.test(lines[i]) || /^[\w.]+: /.test(lines[i])) return lines[i];
  }
  return lines[lines.length - 1];
}

export async function failureReason(api: CheckApi, server: Server, kind: MigrationKind, requestId: string | undefined, signal: AbortSignal): Promise<FailureReason | undefined> {
  let rid = requestId;
  if (!rid) {
    const actions = await api.listInstanceActions(server.id, signal);
    rid = actions.find((a) => a.action === kind || (kind === 'migration' && a.action === 'migrate'))?.requestId;
  }
  if (!rid) return server.fault ? { summary: server.fault.message, errorEvents: [], fault: server.fault.message } : undefined;
  const action = await api.getInstanceAction(server.id, rid, signal);
  return failureFromAction(action, server);
}

export interface WatchOptions {
  kind: MigrationKind;
  requestId?: string;
  /** When the operation was started (to find its os-migrations record). */
  startedAt: Date;
  fromHost?: string | null;
  pollMs?: number;
  /** Give up watching (the migration goes on) after this long. Default 30 min. */
  timeoutMs?: number;
  onProgress?: (p: MigrationProgress) => void;
  signal: AbortSignal;
  /**
   * Host access for the reason nova does not put in the instance action: with it, a failed live migration whose
   * events all succeeded is explained from the source host's nova-compute.log.
   */
  hostLogs?: GatherContext;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(cancelledError('Watching the migration'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

function busy(s: Server, kind: MigrationKind): boolean {
  if (s.taskState) return true;
  return kind === 'live-migration' ? s.status === 'MIGRATING' : s.status === 'RESIZE' || s.status === 'MIGRATING';
}

/**
 * A poll that survives a short API hiccup (a 5xx while a database or RabbitMQ restarts, a timeout): up to 5
 * consecutive failures with growing pauses, then the error. Cancellation is never retried.
 */
async function patiently<T>(what: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (e) {
      const transient = e instanceof TroubleshooterError && ['HttpError', 'ServiceUnavailable', 'Timeout', 'HostUnreachable', 'ConnectionLost'].includes(e.code) && (e.details.status === undefined || (e.details.status as number) >= 500);
      if (!transient || attempt >= 5 || signal.aborted) throw e;
      await sleep(1000 * attempt, signal);
    }
  }
}

/** Polls until the operation settles; returns the outcome (never throws for a failed migration, only for API errors). */
export async function watchMigration(api: CheckApi, serverId: string, o: WatchOptions): Promise<MigrationOutcome> {
  const t0 = performance.now();
  const pollMs = o.pollMs ?? 1000;
  const deadline = Date.now() + (o.timeoutMs ?? 30 * 60_000);
  let server = await patiently(() => api.getServer(serverId, o.signal), o.signal);
  let sawBusy = busy(server, o.kind);
  // The API answers 202 before the task starts: wait (briefly) for the server to enter the task or settle.
  const settleBy = Date.now() + 15_000;
  for (;;) {
    if (o.signal.aborted) throw cancelledError('Watching the migration');
    let running: ServerMigration | undefined;
    if (o.kind === 'live-migration' && busy(server, o.kind)) {
      try {
        running = (await api.listServerMigrations(serverId, o.signal)).find((m) => !['completed', 'error', 'failed', 'cancelled'].includes(m.status));
      } catch {
        running = undefined; // 2.23 missing, or the migration just ended: progress without bytes
      }
    }
    o.onProgress?.(migrationProgress(server, running));
    const isBusy = busy(server, o.kind);
    sawBusy ||= isBusy;
    const migration = await patiently(() => findMigration(api, serverId, o, o.signal), o.signal);
    const final = migration && ['completed', 'finished', 'confirmed', 'reverted', 'error', 'failed', 'cancelled', 'done'].includes(migration.status);
    if (!isBusy && (final || (sawBusy && !migration) || (!sawBusy && Date.now() > settleBy))) {
      return outcome(api, server, o, migration, t0);
    }
    if (Date.now() > deadline) {
      throw new TroubleshooterError('Timeout', `The migration of "${server.name}" did not finish while watched; it goes on (status ${server.status}${server.taskState ? `, ${server.taskState}` : ''}).`, { subject: serverId, requestId: o.requestId });
    }
    await sleep(pollMs, o.signal);
    server = await patiently(() => api.getServer(serverId, o.signal), o.signal);
  }
}

async function findMigration(api: CheckApi, serverId: string, o: WatchOptions, signal: AbortSignal): Promise<Migration | undefined> {
  const since = o.startedAt.getTime() - 5_000;
  const all = await api.listMigrations({ instanceUuid: serverId }, signal);
  const mine = all.filter((m) => (o.kind === 'live-migration' ? m.migrationType === 'live-migration' : m.migrationType === 'migration' || m.migrationType === 'resize') && Date.parse(`${m.createdAt.replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(m.createdAt) ? '' : 'Z'}`) >= since);
  return mine.sort((a, b) => b.id - a.id)[0];
}

async function outcome(api: CheckApi, server: Server, o: WatchOptions, migration: Migration | undefined, t0: number): Promise<MigrationOutcome> {
  const needsConfirm = server.status === 'VERIFY_RESIZE';
  const failedStatus = migration && ['error', 'failed', 'cancelled'].includes(migration.status);
  const moved = o.fromHost ? server.host !== o.fromHost : undefined;
  const ok = server.status !== 'ERROR' && !failedStatus && (needsConfirm || moved !== false);
  const res: MigrationOutcome = {
    kind: o.kind,
    ok,
    requestId: o.requestId,
    server,
    fromHost: o.fromHost,
    toHost: server.host,
    migration,
    needsConfirm,
    durationMs: Math.round(performance.now() - t0),
  };
  if (!ok) {
    res.failure = (await failureReason(api, server, o.kind, o.requestId, o.signal)) ?? {
      summary: migration?.status === 'cancelled' ? 'The migration was cancelled (aborted).' : `The server stayed on "${server.host}" (migration ${migration?.status ?? 'not found'}).`,
      requestId: o.requestId,
      errorEvents: [],
    };
    const source = o.fromHost ?? migration?.sourceCompute;
    if (o.kind === 'live-migration' && o.hostLogs && source && res.failure.errorEvents.length === 0 && migration?.status !== 'cancelled') {
      const found = await gatherMigrationLogFailure(o.hostLogs, source, server.id, o.startedAt);
      if (found) {
        res.failure = {
          ...res.failure,
          summary: `Live migration failed on "${found.host}" (nova-compute.log; nova's instance action shows no error): ${found.reason}`,
          logEvidence: found.evidence.map((l) => ({ host: found.host, file: l.file, line: l.line })),
        };
      }
    }
  }
  return res;
}

/** Starts a live migration (block_migration "auto"; `host` omitted: the scheduler picks). */
export async function startLiveMigration(api: CheckApi, serverId: string, host: string | undefined, signal: AbortSignal): Promise<{ requestId?: string; startedAt: Date }> {
  const startedAt = new Date();
  const r = await api.liveMigrate(serverId, { host }, signal);
  return { requestId: r.requestId, startedAt };
}

/** Starts a cold migration (a target host needs microversion 2.56). */
export async function startColdMigration(api: CheckApi, serverId: string, host: string | undefined, signal: AbortSignal): Promise<{ requestId?: string; startedAt: Date }> {
  const startedAt = new Date();
  const r = await api.coldMigrate(serverId, { host }, signal);
  return { requestId: r.requestId, startedAt };
}

/** The in-progress live migration of a server (for abort / force-complete), or undefined. */
export async function runningMigration(api: CheckApi, serverId: string, signal: AbortSignal): Promise<ServerMigration | undefined> {
  const list = await api.listServerMigrations(serverId, signal);
  return list.find((m) => !['completed', 'error', 'failed', 'cancelled'].includes(m.status));
}

/** What the target picker says about cold versus live migration (the source notes' wording). */
export const MIGRATION_KIND_HELP: Record<MigrationKind, string> = {
  'live-migration': 'Live migration keeps the instance running: its memory is copied while it runs, then it switches hosts with a pause of milliseconds. Processes and connections survive.',
  migration: 'Cold migration stops the instance, moves it, and starts it again on the target (then you confirm or revert). Processes restart; nothing needs to be copied live.',
};
