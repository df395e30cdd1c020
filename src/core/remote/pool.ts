import type { Duplex } from 'node:stream';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { withDeadline } from '../deadline';
import { cancelledError, isTroubleshooterError, TroubleshooterError } from '../errors';
import { logCall, nullLogger, type Logger } from '../log';
import { KeyCache, type PassphraseProvider } from './auth';
import { isDeadConnection, PooledConnection, raceSignal } from './connection';
import { classifySshError } from './errors';
import { handshake } from './handshake';
import { spawnProxyCommand } from './proxy-command';
import type { HostKeyPrompt } from './known-hosts';
import type { SshTarget } from './ssh-config';
import type { ExecChannel as SharedExecChannel } from './types';
import { ShellWorker } from './worker';

/**
 * One SSH connection per target (ProxyJump hops are pooled too), shared by every caller:
 * - concurrent first uses share one in-flight connect;
 * - keepalive is always on (ServerAliveInterval, else 15 s; ssh2's default is off);
 * - connect has a deadline (ConnectTimeout, else 15 s) that pauses while a host-key or passphrase prompt is open;
 * - channel opens have a deadline; a connection whose channel open times out is evicted (half-open transport);
 * - a connection that errors or closes is evicted and the next use reconnects transparently;
 * - at most `maxChannelsPerConnection` channels per connection (OpenSSH MaxSessions is 10): more callers queue;
 * - idle connections close after `idleCloseMs`.
 */
export interface SshPoolOptions {
  /** Alias → target, usually `(a) => resolver.resolve(a)` (see ssh-config.ts), after host mapping. */
  resolve: (alias: string) => SshTarget;
  logger?: Logger;
  passphrase?: PassphraseProvider;
  hostKeyPrompt?: HostKeyPrompt;
  /** Default connect deadline when the target has no ConnectTimeout. Default 15 000. */
  connectTimeoutMs?: number;
  /** Deadline for opening a channel and for each SFTP call. Default 20 000. */
  operationTimeoutMs?: number;
  /** Default deadline of a command run (RemoteCommand.timeoutMs wins). Default 60 000. */
  commandTimeoutMs?: number;
  /** Keepalive when the target has no ServerAliveInterval. Default 15 000. */
  keepaliveIntervalMs?: number;
  /** Close a connection unused for this long. Default 300 000 (5 min). */
  idleCloseMs?: number;
  /** Channels per connection. Default 8 (below OpenSSH's MaxSessions 10, leaving room for SFTP). */
  maxChannelsPerConnection?: number;
  /** Upper bound for a host-key or passphrase prompt (the connect deadline is paused meanwhile). Default 300 000. */
  promptTimeoutMs?: number;
  /**
   * Shell workers per connection for short commands (worker.ts); 0 runs every command in its own channel.
   * Default: maxChannelsPerConnection - 2 (room for streams and SFTP).
   */
  shellWorkers?: number;
  /** Close a shell worker unused for this long. Default 15 000. */
  shellWorkerIdleMs?: number;
}

/** A channel lease on a pooled connection: call nothing; it is released when the channel closes. */
export type ExecChannel = SharedExecChannel<PooledConnection>;

export class SshPool {
  private readonly conns = new Map<string, PooledConnection>();
  private readonly pending = new Map<string, Promise<PooledConnection>>();
  private readonly keys = new KeyCache();
  private readonly log: Logger;
  private readonly idleTimer: NodeJS.Timeout;
  private disposed = false;
  private readonly disposal = new AbortController();
  readonly connectTimeoutMs: number;
  readonly operationTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly idleCloseMs: number;
  readonly maxChannels: number;
  readonly promptTimeoutMs: number;
  readonly shellWorkers: number;
  readonly shellWorkerIdleMs: number;

  constructor(private readonly options: SshPoolOptions) {
    this.log = options.logger ?? nullLogger;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.operationTimeoutMs = options.operationTimeoutMs ?? 20_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 60_000;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? 15_000;
    this.idleCloseMs = options.idleCloseMs ?? 300_000;
    this.maxChannels = Math.max(1, options.maxChannelsPerConnection ?? 8);
    this.promptTimeoutMs = options.promptTimeoutMs ?? 300_000;
    this.shellWorkers = Math.max(0, Math.min(options.shellWorkers ?? this.maxChannels - 2, this.maxChannels - 1));
    this.shellWorkerIdleMs = options.shellWorkerIdleMs ?? 15_000;
    this.idleTimer = setInterval(() => this.closeIdle(), Math.max(250, Math.min(this.idleCloseMs / 4, 30_000)));
    this.idleTimer.unref();
  }

  get logger(): Logger {
    return this.log;
  }

  /** Resolves an alias (or passes a target through). Throws InvalidInput/ConfigInvalid. */
  target(aliasOrTarget: string | SshTarget): SshTarget {
    return typeof aliasOrTarget === 'string' ? this.options.resolve(aliasOrTarget) : aliasOrTarget;
  }

  /** Number of live connections (hops included). */
  get size(): number {
    return this.conns.size;
  }

  /**
   * Best effort, for a host about to be used: connects and starts a shell worker (the login shell runs now, while
   * the caller does other work such as API reads), then leaves it idle for the next command. Never throws; a failure
   * shows up again, as a typed error, on the real command.
   */
  async warm(alias: string, signal?: AbortSignal): Promise<void> {
    try {
      (await this.worker(alias, signal))?.release();
    } catch {
      /* the real command reports it */
    }
  }

  /** The live connection for a target, connecting (or joining an in-flight connect) when needed. */
  async connection(aliasOrTarget: string | SshTarget, signal?: AbortSignal): Promise<PooledConnection> {
    if (this.disposed) throw new TroubleshooterError('Cancelled', 'The SSH pool was closed.');
    const target = this.target(aliasOrTarget);
    const live = this.conns.get(target.key);
    if (live && !live.closed) {
      live.lastUsed = Date.now();
      return live;
    }
    let p = this.pending.get(target.key);
    if (!p) {
      p = this.connect(target).finally(() => this.pending.delete(target.key));
      this.pending.set(target.key, p);
    }
    return raceSignal(p, signal, `Connecting to "${target.alias}"`);
  }

  /**
   * Opens an exec channel for `commandLine` (already quoted; see command.ts). Waits for a free channel slot,
   * with a deadline on the open; retries once on a fresh connection when the pooled one turns out dead
   * before the channel opened (nothing ran yet, so this is safe).
   */
  async exec(aliasOrTarget: string | SshTarget, commandLine: string, signal?: AbortSignal, opts: { pty?: boolean; persistent?: boolean } = {}): Promise<ExecChannel> {
    const target = this.target(aliasOrTarget);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection(target, signal);
      await conn.slots.acquire(signal);
      if (conn.closed) {
        conn.slots.release();
        if (attempt < 2) continue;
        throw conn.closeReason ?? new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost.`, { subject: target.alias });
      }
      // a persistent channel (shell worker) does not keep the connection from idling out
      const counted = !opts.persistent;
      if (counted) conn.active++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (counted) conn.active--;
        conn.lastUsed = Date.now();
        conn.slots.release();
      };
      try {
        const channel = await this.withOpDeadline(`Opening a channel on "${target.alias}"`, signal, conn, (sig) =>
          new Promise<ClientChannel>((resolve, reject) => {
            try {
              conn.client.exec(commandLine, opts.pty ? { pty: { term: 'dumb', cols: 512, rows: 24 } } : {}, (err, ch) => {
                if (err) return reject(err);
                if (sig.aborted) {
                  ch.close();
                  return;
                }
                resolve(ch);
              });
            } catch (e) {
              reject(e);
            }
          }));
        channel.once('close', release);
        return { channel, connection: conn };
      } catch (e) {
        release();
        const err = classifySshError(e, { subject: target.alias, phase: 'channel open' });
        // Only a connection that is really gone is replaced (nothing ran on it, so one retry is safe).
        if (attempt === 0 && !signal?.aborted && (conn.closed || isDeadConnection(e))) {
          this.evict(conn, err);
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * An idle shell worker on the target's connection (opening one when the limit and a free slot allow), marked
   * busy; undefined when none is available right now (the caller then opens a channel of its own).
   * `stream`: for a streamed job (worker.ts `stream()`), which may run for as long as a `tail -F` does: never waits
   * for a busy worker, and at most `shellWorkers - 1` workers stream at once, so short commands keep one.
   */
  async worker(aliasOrTarget: string | SshTarget, signal?: AbortSignal, opts: { stream?: boolean } = {}): Promise<ShellWorker | undefined> {
    if (this.shellWorkers === 0) return undefined;
    const target = this.target(aliasOrTarget);
    const conn = await this.connection(target, signal);
    if (conn.workersBroken) return undefined;
    for (let i = conn.workers.length - 1; i >= 0; i--) if (conn.workers[i].dead) conn.workers.splice(i, 1);
    if (opts.stream && conn.workers.filter((w) => w.streaming).length + conn.openingForStream >= this.shellWorkers - 1) return undefined;
    const idle = conn.workers.find((w) => !w.busy);
    if (idle) {
      idle.busy = true; // reserved for the caller
      if (opts.stream) idle.streaming = true;
      return idle;
    }
    if (conn.workers.length + conn.opening < this.shellWorkers && conn.slots.free > 0) {
      conn.opening++;
      if (opts.stream) conn.openingForStream++;
      conn.active++;
      try {
        const w = await ShellWorker.open(this, target, signal, this.shellWorkerIdleMs);
        if (w.connection !== conn) {
          w.close();
          return undefined;
        }
        w.onIdle = (x) => {
          const next = conn.workerWaiters.shift();
          if (next) {
            x.busy = true;
            next(x);
          }
        };
        w.onDead = () => {
          // nobody left to hand work to soon (streams may run for hours): waiters fall back to channels of their own
          if (conn.workers.every((x) => x.dead || x.streaming) && conn.opening === 0) for (const next of conn.workerWaiters.splice(0)) next(undefined);
        };
        conn.workers.push(w);
        w.busy = true;
        if (opts.stream) w.streaming = true;
        return w;
      } catch (e) {
        // A dead connection, a timeout or a cancel is the caller's error; a login shell that cannot host a
        // worker (channel closed, connection fine) means: a channel per command on this connection.
        if (signal?.aborted || conn.closed || !(isTroubleshooterError(e, 'ConnectionLost') || isTroubleshooterError(e, 'Timeout'))) throw e;
        conn.workersBroken = true;
        this.log.warn(`ssh ${target.alias}: no shell worker (${e instanceof Error ? e.message : String(e)}); using a channel per command`);
        return undefined;
      } finally {
        conn.opening--;
        if (opts.stream) conn.openingForStream--;
        conn.active--;
        conn.lastUsed = Date.now();
      }
    }
    // a stream does not wait; nor does anyone when every worker runs a stream (those may never end)
    if (opts.stream || (conn.opening === 0 && conn.workers.every((w) => w.streaming))) return undefined;
    // wait for a worker to finish its job (FIFO)
    return new Promise<ShellWorker | undefined>((resolve, reject) => {
      const onAbort = () => {
        const i = conn.workerWaiters.indexOf(hand);
        if (i >= 0) conn.workerWaiters.splice(i, 1);
        reject(cancelledError('Waiting for a shell worker'));
      };
      const hand = (w: ShellWorker | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(w);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      conn.workerWaiters.push(hand);
    });
  }

  /** The connection's SFTP session (one per connection, opened lazily with a deadline, counted as one channel). */
  async sftp(aliasOrTarget: string | SshTarget, signal?: AbortSignal): Promise<{ sftp: SFTPWrapper; connection: PooledConnection }> {
    const target = this.target(aliasOrTarget);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection(target, signal);
      conn.lastUsed = Date.now();
      if (!conn.sftp) {
        const opening = (async () => {
          await conn.slots.acquire(); // shared by every caller: not bound to the first caller's signal
          try {
            const s = await this.withOpDeadline(`Opening SFTP on "${target.alias}"`, undefined, conn, (sig) => new Promise<SFTPWrapper>((resolve, reject) => {
              try {
                conn.client.sftp((err, sftp) => {
                  if (err) return reject(err);
                  if (sig.aborted) { sftp.end(); return; }
                  resolve(sftp);
                });
              } catch (e) {
                reject(e);
              }
            }));
            s.once('close', () => {
              conn.sftp = undefined;
              conn.slots.release();
            });
            return s;
          } catch (e) {
            conn.slots.release();
            conn.sftp = undefined;
            throw classifySshError(e, { subject: target.alias, phase: 'sftp open' });
          }
        })();
        conn.sftp = opening;
      }
      try {
        return { sftp: await raceSignal(conn.sftp, signal, `Opening SFTP on "${target.alias}"`), connection: conn };
      } catch (e) {
        const err = classifySshError(e, { subject: target.alias, phase: 'sftp open' });
        if (attempt === 0 && !signal?.aborted && (conn.closed || isDeadConnection(e))) {
          this.evict(conn, err);
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Runs one SSH-level operation under the pool's operation deadline. A Timeout evicts the connection:
   * a peer that does not answer a channel open or an SFTP request in 20 s is treated as gone.
   */
  async withOpDeadline<T>(what: string, signal: AbortSignal | undefined, conn: PooledConnection, work: (signal: AbortSignal) => Promise<T>, timeoutMs = this.operationTimeoutMs): Promise<T> {
    try {
      return await withDeadline(what, timeoutMs, signal, work);
    } catch (e) {
      if (e instanceof TroubleshooterError && e.code === 'Timeout') this.evict(conn, e);
      throw e;
    }
  }

  /** Drops a connection from the pool and closes it; the next use reconnects. */
  evict(conn: PooledConnection, reason?: TroubleshooterError): void {
    if (this.conns.get(conn.target.key) === conn) this.conns.delete(conn.target.key);
    if (conn.closed) return;
    conn.closed = true;
    conn.closeReason = reason;
    conn.slots.failAll(reason ?? new TroubleshooterError('ConnectionLost', `Connection to "${conn.target.alias}" was closed.`, { subject: conn.target.alias }));
    this.log.info(`ssh ${conn.target.alias}: connection closed${reason ? ` (${reason.message})` : ''}`);
    try {
      conn.client.end();
    } catch {
      // already gone
    }
    const t = setTimeout(() => conn.client.destroy(), 1000);
    t.unref();
  }

  /** Closes every connection. The pool cannot be used afterwards. */
  dispose(): void {
    this.disposed = true;
    this.disposal.abort(); // ends connects in flight that run a process of ours (ProxyCommand)
    clearInterval(this.idleTimer);
    for (const c of [...this.conns.values()]) this.evict(c);
  }

  private closeIdle() {
    const now = Date.now();
    // dependants first (their forwarded channel keeps the hop active)
    for (const c of [...this.conns.values()]) {
      if (c.active === 0 && now - c.lastUsed >= this.idleCloseMs) {
        this.log.trace(`ssh ${c.target.alias}: idle for ${Math.round((now - c.lastUsed) / 1000)} s, closing`);
        this.evict(c);
      }
    }
  }

  private async connect(target: SshTarget): Promise<PooledConnection> {
    const started = performance.now();
    const via = target.jump ? ` via ${target.jump.alias}` : target.proxyCommand ? ' via ProxyCommand' : '';
    const what = `ssh connect ${target.alias} ${target.user}@${target.hostName}:${target.port}${via}`;
    let hop: PooledConnection | undefined;
    let sock: Duplex | undefined;
    try {
      if (target.jump) {
        hop = await this.connection(target.jump);
        sock = await this.forward(hop, target);
      } else if (target.proxyCommand) {
        // The user's ProxyCommand, as ssh runs it (proxy-command.ts); the handshake's deadline covers it.
        sock = spawnProxyCommand(target, { logger: this.log, signal: this.disposal.signal });
      }
      const conn = await this.handshake(target, sock, hop);
      logCall(this.log, `${what} (${conn.authMethod})`, started);
      return conn;
    } catch (e) {
      if (target.proxyCommand && !target.jump) sock?.destroy();
      const err = classifySshError(e, { subject: target.alias, phase: 'connect' });
      logCall(this.log, what, started, err);
      throw err;
    }
  }

  private async forward(hop: PooledConnection, target: SshTarget): Promise<Duplex> {
    hop.active++;
    try {
      return await this.withOpDeadline(`Opening a tunnel to "${target.alias}" through "${hop.target.alias}"`, undefined, hop, (sig) =>
        new Promise<Duplex>((resolve, reject) => {
          try {
            hop.client.forwardOut('127.0.0.1', 0, target.hostName, target.port, (err, ch) => {
              if (err) return reject(new TroubleshooterError('HostUnreachable',
                `"${hop.target.alias}" could not reach "${target.alias}" (${target.hostName}:${target.port}): ${err.message}.`, { subject: target.alias }, { cause: err }));
              if (sig.aborted) { ch.close(); return; }
              resolve(ch);
            });
          } catch (e) {
            reject(e);
          }
        }), target.connectTimeoutMs ?? this.connectTimeoutMs);
    } catch (e) {
      hop.active--;
      throw e;
    }
  }

  /** The handshake of a new connection (handshake.ts), registered in this pool. */
  private handshake(target: SshTarget, sock: Duplex | undefined, hop: PooledConnection | undefined): Promise<PooledConnection> {
    return handshake({
      log: this.log,
      keys: this.keys,
      passphrase: this.options.passphrase,
      hostKeyPrompt: this.options.hostKeyPrompt,
      connectTimeoutMs: this.connectTimeoutMs,
      promptTimeoutMs: this.promptTimeoutMs,
      keepaliveIntervalMs: this.keepaliveIntervalMs,
      maxChannels: this.maxChannels,
      conns: this.conns,
      evict: (conn, reason) => this.evict(conn, reason),
    }, target, sock, hop);
  }
}
