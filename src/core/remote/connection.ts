import type { Client, SFTPWrapper } from 'ssh2';
import { cancelledError, type TroubleshooterError } from '../errors';
import type { SshTarget } from './ssh-config';
import type { ShellWorker } from './worker';

/** A pooled connection and its channel slots (pool.ts owns them; handshake.ts creates them). */

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

export function isDeadConnection(e: unknown): boolean {
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
