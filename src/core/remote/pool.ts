import { existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type AnyAuthMethod, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { withDeadline } from '../deadline';
import { cancelledError, isTroubleshooterError, TroubleshooterError } from '../errors';
import { logCall, nullLogger, type Logger } from '../log';
import { FilteredAgent, KeyCache, publicKeysOf, type PassphraseProvider } from './auth';
import { classifySshError } from './errors';
import { knownKeyTypes, verifyHostKey, type HostKeyPrompt } from './known-hosts';
import type { SshTarget } from './ssh-config';
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

/** A host key algorithm list with the types known for the host first (OpenSSH orders HostKeyAlgorithms so). */
const HOST_KEY_ALGS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function hostKeyAlgorithms(knownTypes: string[]): string[] {
  const first: string[] = [];
  for (const t of knownTypes) {
    if (t === 'ssh-rsa') first.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else if (HOST_KEY_ALGS.includes(t)) first.push(t);
  }
  return [...new Set([...first, ...HOST_KEY_ALGS])];
}

class Slots {
  private used = 0;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];
  /** Called when a caller has to wait (the pool then closes an idle shell worker to free its slot). */
  onPressure?: () => void;
  constructor(private capacity: number) {}

  get busy(): number {
    return this.used + this.waiters.length;
  }

  get free(): number {
    return this.waiters.length > 0 ? 0 : Math.max(0, this.capacity - this.used);
  }

  setCapacity(n: number) {
    this.capacity = n;
    this.pump();
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(cancelledError('Waiting for an SSH channel'));
    if (this.used < this.capacity && this.waiters.length === 0) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const w: (typeof this.waiters)[number] = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(cancelledError('Waiting for an SSH channel'));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.onPressure?.();
    });
  }

  release() {
    this.used = Math.max(0, this.used - 1);
    this.pump();
  }

  failAll(e: unknown) {
    for (const w of this.waiters.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(e);
    }
  }

  private pump() {
    while (this.used < this.capacity && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      this.used++;
      w.resolve();
    }
  }
}

/** A live pooled connection. Features never see it; exec.ts and sftp.ts use it through the pool. */
export class PooledConnection {
  closed = false;
  lastUsed = Date.now();
  /** Dependants (channels open, connections hopping through this one). */
  active = 0;
  sftp?: Promise<SFTPWrapper>;
  readonly slots: Slots;
  closeReason?: TroubleshooterError;
  /** Long-lived `sh` channels for short commands (worker.ts). */
  readonly workers: ShellWorker[] = [];
  /** Workers being opened (counted against the limit). */
  opening = 0;
  /** Of those, the ones opened for a stream (counted against the stream limit). */
  openingForStream = 0;
  /** The login shell cannot run a worker (restricted shell…): commands use channels of their own. */
  workersBroken = false;
  /** Callers waiting for a worker to finish its job. */
  readonly workerWaiters: ((w: ShellWorker | undefined) => void)[] = [];

  constructor(readonly target: SshTarget, readonly client: Client, readonly authMethod: string, maxChannels: number) {
    this.slots = new Slots(maxChannels);
    this.slots.onPressure = () => {
      const idle = this.workers.find((w) => !w.busy && !w.dead);
      if (idle) idle.close();
    };
  }
}

/** A channel lease: call nothing; it is released when the channel closes. */
export interface ExecChannel {
  channel: ClientChannel;
  connection: PooledConnection;
}

export class SshPool {
  private readonly conns = new Map<string, PooledConnection>();
  private readonly pending = new Map<string, Promise<PooledConnection>>();
  private readonly keys = new KeyCache();
  private readonly log: Logger;
  private readonly idleTimer: NodeJS.Timeout;
  private disposed = false;
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
    const via = target.jump ? ` via ${target.jump.alias}` : '';
    const what = `ssh connect ${target.alias} ${target.user}@${target.hostName}:${target.port}${via}`;
    let hop: PooledConnection | undefined;
    try {
      let sock: Duplex | undefined;
      if (target.jump) {
        hop = await this.connection(target.jump);
        sock = await this.forward(hop, target);
      }
      const conn = await this.handshake(target, sock, hop);
      logCall(this.log, `${what} (${conn.authMethod})`, started);
      return conn;
    } catch (e) {
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

  private handshake(target: SshTarget, sock: Duplex | undefined, hop: PooledConnection | undefined): Promise<PooledConnection> {
    return new Promise<PooledConnection>((resolve, reject) => {
      const client = new Client();
      const timeoutMs = target.connectTimeoutMs || this.connectTimeoutMs;
      let settled = false;
      let failure: TroubleshooterError | undefined;
      let timer: NodeJS.Timeout | undefined;
      let remaining = timeoutMs;
      let armedAt = 0;
      // how far it got, for a timeout that says where it stalled
      let tcpConnected = false;
      let handshaken = false;
      /** ssh2 sets `_remoteVer` when the server's identification line ("SSH-2.0-…") has arrived; no event says so. */
      const sawBanner = () => (client as unknown as { _remoteVer?: string })._remoteVer !== undefined;
      const stalled = (): string => {
        const s = Math.round(timeoutMs / 1000);
        if (!tcpConnected) return `Connecting to "${target.alias}" did not finish within ${s} s.`;
        if (!sawBanner()) return `"${target.alias}" accepted the connection but sent no SSH banner within ${s} s (a frozen host or something that is not sshd).`;
        if (!handshaken) return `"${target.alias}" sent its SSH banner but stalled in the key exchange; no handshake within ${s} s.`;
        return `Logging in to "${target.alias}" did not finish within ${s} s (the server stalled during authentication).`;
      };
      const arm = () => {
        armedAt = Date.now();
        timer = setTimeout(() => fail(new TroubleshooterError('Timeout', stalled(), { subject: target.alias })), remaining);
      };
      const disarm = () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        remaining = Math.max(1, remaining - (Date.now() - armedAt));
      };
      /** Prompts stop the connect clock (a user reading a fingerprint is not a slow server). */
      const pause = async <T>(p: () => Promise<T>): Promise<T> => {
        disarm();
        const backstop = setTimeout(() => fail(new TroubleshooterError('Timeout', `No answer to the prompt for "${target.alias}".`, { subject: target.alias })), this.promptTimeoutMs);
        try {
          return await p();
        } finally {
          clearTimeout(backstop);
          if (!settled) arm();
        }
      };
      const fail = (e: TroubleshooterError) => {
        failure ??= e;
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (hop) hop.active--;
        try { client.end(); } catch { /* closed */ }
        setTimeout(() => client.destroy(), 200).unref();
        reject(e);
      };
      arm();

      // Authentication, in OpenSSH's order: agent (filtered under IdentitiesOnly), then identity files.
      const methods: (() => Promise<[AnyAuthMethod, string] | undefined>)[] = [];
      let tried = 'none';
      const agentSock = target.agentSocket;
      if (agentSock && existsSync(agentSock)) {
        methods.push(async () => {
          if (!target.identitiesOnly) return [{ type: 'agent', username: target.user, agent: agentSock }, 'agent'];
          const allowed = await publicKeysOf(target.identityFiles);
          return allowed.size > 0 ? [{ type: 'agent', username: target.user, agent: new FilteredAgent(agentSock, allowed) }, 'agent'] : undefined;
        });
      }
      for (const file of target.identityFiles) {
        methods.push(async () => {
          const key = await this.keys.load(file, target.alias, this.options.passphrase, pause);
          return key ? [{ type: 'publickey', username: target.user, key }, `publickey ${file}`] : undefined;
        });
      }
      const authHandler = (_left: unknown, _partial: unknown, next: (m: AnyAuthMethod | false) => void) => {
        void (async () => {
          while (methods.length > 0) {
            const m = await methods.shift()!();
            if (m) {
              tried = m[1];
              return next(m[0]);
            }
          }
          next(false);
        })().catch((e: unknown) => {
          fail(classifySshError(e, { subject: target.alias, phase: 'authentication' }));
          next(false);
        });
      };

      const policy = {
        alias: target.alias,
        hostName: target.hostName,
        port: target.port,
        hostKeyAlias: target.hostKeyAlias,
        knownHostsFiles: target.knownHostsFiles,
        globalKnownHostsFiles: target.globalKnownHostsFiles,
        strictHostKeyChecking: target.strictHostKeyChecking,
        hashKnownHosts: target.hashKnownHosts,
      };
      const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
        verifyHostKey(policy, key, this.options.hostKeyPrompt ? (req) => pause(() => this.options.hostKeyPrompt!(req)) : undefined)
          .then((d) => {
            if (d.status === 'added') this.log.warn(`ssh ${target.alias}: host key ${d.fingerprint} added to "${d.file}"`);
            verify(true);
          })
          .catch((e: unknown) => {
            fail(classifySshError(e, { subject: target.alias, phase: 'host key check' }));
            verify(false);
          });
      };

      client.once('connect', () => { tcpConnected = true; });
      client.once('handshake', () => { handshaken = true; });
      client.once('ready', () => {
        if (settled) { client.end(); return; }
        settled = true;
        if (timer) clearTimeout(timer);
        const conn = new PooledConnection(target, client, tried, this.maxChannels);
        this.conns.set(target.key, conn);
        client.on('close', () => {
          if (hop) hop.active--;
          this.evict(conn, conn.closeReason ?? new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost.`, { subject: target.alias }));
        });
        resolve(conn);
      });
      client.on('error', (e) => {
        const err = classifySshError(failure ?? e, { subject: target.alias, phase: 'connect' });
        if (!settled) fail(err);
        else {
          const live = this.conns.get(target.key);
          if (live && live.client === client) {
            live.closeReason = err;
            this.evict(live, err);
          }
        }
      });
      client.once('close', () => {
        if (!settled) fail(failure ?? new TroubleshooterError('ConnectionLost', `"${target.alias}" closed the connection during the handshake.`, { subject: target.alias }));
      });

      void knownKeyTypes(policy).catch(() => []).then((types) => {
        if (settled) return;
        const cfg: ConnectConfig = {
          host: target.hostName,
          port: target.port,
          username: target.user,
          sock: sock as ConnectConfig['sock'],
          readyTimeout: 0, // our own deadline (paused during prompts) applies
          keepaliveInterval: target.serverAliveIntervalMs || this.keepaliveIntervalMs,
          keepaliveCountMax: target.serverAliveCountMax,
          hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
          authHandler: authHandler as ConnectConfig['authHandler'],
          algorithms: { serverHostKey: hostKeyAlgorithms(types) as never },
        };
        try {
          client.connect(cfg);
        } catch (e) {
          fail(classifySshError(e, { subject: target.alias, phase: 'connect' }));
        }
      });
    });
  }
}

function isDeadConnection(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /Not connected|No response from server|connection (?:closed|lost)|ECONNRESET|EPIPE/i.test(msg);
}

/** Waits for `p`, but rejects with Cancelled as soon as `signal` aborts (the shared work goes on). */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(cancelledError(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError(what));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
