import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { withDeadline } from '../deadline';
import { cancelledError, TroubleshooterError } from '../errors';
import { toCommandLine } from './command';
import { classifySshError } from './errors';
import type { SshTarget } from './ssh-config';
import type { ChannelOpener, WorkerConnection } from './types';

/**
 * Short commands through a long-lived remote `sh` ("shell worker") instead of a new SSH session each.
 *
 * A new exec channel makes sshd fork a session and start the user's login shell, which reads its rc files (on
 * Debian, bash sources ~/.bashrc for ssh commands). That is most of a short command's cost, and OpenSSH pays it
 * too. A worker pays it once: it is one channel running `exec sh` that reads jobs from stdin. A job is the quoted
 * command line (a simple command of quoted words, see command.ts) exec'd in a background subshell, in
 * its own session (setsid; stdin /dev/null so it cannot read the next jobs); the worker prints
 * the job's pid on stderr, waits, then prints an end marker with the exit status on both streams. Markers carry a
 * random 128-bit nonce per job, so no output can forge them. On cancel or timeout the job's process group gets
 * SIGTERM through a separate channel and the worker is discarded.
 *
 * Streamed jobs (`stream()`: log searches, `tail -F`) send their stdout to the caller as it comes, with backpressure
 * (pausing the worker's channel stops the SSH window, so the remote job blocks on write), and keep the guarantee of
 * exec.ts's watchdog: the job's process group gets SIGTERM when the caller cancels (one line written to the worker)
 * or when the channel closes (EOF), from a tiny watchdog that reads the worker's stdin while the job runs. A worker
 * whose streamed job was cancelled is used again once the job has ended.
 *
 * Workers hold a channel slot while they live: at most `maxWorkers` per connection, closed after `idleMs` (except the
 * last one of a connection, which lives as long as the connection: the next command finds a started shell) or as
 * soon as another caller waits for a slot.
 */

const START = 'exec sh';
/**
 * A job whose output is collected (`run`): the same line as a streamed one (STREAM_JOB), watchdog included. Without
 * it a job outlived a dropped connection: the worker sh sat in `wait` and nothing read the closed channel, so the
 * job (in its own session) ran to its end. With it, EOF on the channel ends the job's process group.
 */
export const jobLine = (nonce: string, commandLine: string, setsid: boolean): string => STREAM_JOB(nonce, commandLine, setsid);

/**
 * A streamed job: the worker sh keeps the channel's stdin on fd 3 only for a watchdog subshell, which blocks in `read`
 * until the caller writes a line (cancel) or the channel reaches EOF (closed, connection lost), then SIGTERMs the job's
 * process group. When the job ends first, the worker kills the watchdog and waits for it, so it cannot eat the next
 * job. The job itself gets stdin /dev/null and no fd 3: it cannot read or end its worker. The pid marker comes once the
 * watchdog runs and the worker sh has parsed the whole job line: a cancel line is written only after it, so the worker
 * sh can never read it as (empty) input instead of the watchdog.
 */
const STREAM_JOB = (nonce: string, commandLine: string, setsid: boolean) =>
  `exec 3<&0; ( exec ${setsid ? 'setsid ' : ''}${commandLine} ) </dev/null 3<&- & p=$!; ` +
  `( read -r _ <&3; kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null ) </dev/null >/dev/null 2>&1 & w=$!; exec 3<&-; ` +
  `printf '${nonce} P %d\\n' "$p" >&2; ` +
  `wait "$p"; r=$?; kill "$w" 2>/dev/null; wait "$w" 2>/dev/null; printf '${nonce} E %d\\n' "$r"; printf '${nonce} E\\n' >&2\n`;

/** Grace for a cancelled streamed job to end before its worker is discarded instead of reused. */
const CANCEL_GRACE_MS = 5000;

export interface StreamHandlers {
  /** The job's stdout, byte for byte, in order (the end marker removed). */
  stdout(data: Buffer): void;
  /** The job's stderr (the worker's markers removed). */
  stderr(data: Buffer): void;
}

export interface StreamJob {
  /** The job's exit status; rejects with ConnectionLost when the worker's channel closes first. */
  readonly done: Promise<number>;
  /** Stops reading the worker's channel (the SSH window closes, the remote job blocks on write). */
  pause(): void;
  resume(): void;
  /** Ends the job (SIGTERM to its process group) and drops its further output; idempotent. */
  cancel(): void;
}

/**
 * Cuts the end marker off a byte stream. Everything before it passes through at once except a tail that could be the
 * beginning of the marker (a few bytes at most; never a whole line, since the marker contains no newline).
 */
export class EndMarkerFramer {
  private held: Buffer = Buffer.alloc(0);
  /** The number after the marker once it was seen complete (`<nonce> E <code>\n`). */
  code: number | undefined;

  constructor(private readonly marker: Buffer, private readonly emit: (b: Buffer) => void) {}

  push(d: Buffer): void {
    if (this.code !== undefined) return;
    const buf = this.held.length ? Buffer.concat([this.held, d]) : d;
    const at = buf.indexOf(this.marker);
    if (at >= 0) {
      if (at > 0) this.emit(buf.subarray(0, at));
      const nl = buf.indexOf(0x0a, at);
      if (nl < 0) {
        this.held = Buffer.from(buf.subarray(at));
        return;
      }
      this.code = Number(buf.subarray(at + this.marker.length, nl).toString('latin1'));
      this.held = Buffer.alloc(0);
      return;
    }
    const keep = partialPrefix(buf, this.marker);
    if (buf.length - keep > 0) this.emit(buf.subarray(0, buf.length - keep));
    this.held = keep ? Buffer.from(buf.subarray(buf.length - keep)) : Buffer.alloc(0);
  }
}

/** Length of the longest suffix of `buf` that is a proper prefix of `marker`. */
function partialPrefix(buf: Buffer, marker: Buffer): number {
  for (let k = Math.min(buf.length, marker.length - 1); k > 0; k--) {
    if (buf[buf.length - k] === marker[0] && buf.subarray(buf.length - k).equals(marker.subarray(0, k))) return k;
  }
  return 0;
}

export interface JobResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  tooBig: boolean;
}

export class ShellWorker {
  busy = false;
  /** Reserved for or running a streamed job (long-lived: callers do not wait for it). */
  streaming = false;
  dead = false;
  lastUsed = Date.now();
  private setsid = true;
  private idleTimer?: NodeJS.Timeout;
  /** Set by the pool: a job finished (hand the worker to a waiting caller) / the worker is gone. */
  onIdle?: (w: ShellWorker) => void;
  onDead?: (w: ShellWorker) => void;

  private constructor(readonly connection: WorkerConnection, private readonly channel: ClientChannel, private readonly idleMs: number) {
    channel.on('close', () => this.markDead());
    channel.on('error', () => this.markDead());
    this.armIdle();
  }

  /** Opens a worker on `conn` (uses one channel slot, taken by the caller). */
  static async open(pool: ChannelOpener, target: SshTarget, signal: AbortSignal | undefined, idleMs: number): Promise<ShellWorker> {
    const { channel, connection } = await pool.exec(target, START, signal, { persistent: true });
    const w = new ShellWorker(connection, channel, idleMs);
    // One probe job (is setsid there? util-linux has it everywhere), under its own deadline: a login shell that
    // cannot host a worker (ForceCommand, restricted shell, chatty rc files) must not eat the caller's deadline.
    try {
      const probe = await withDeadline(`Starting a shell worker on "${target.alias}"`, Math.min(pool.operationTimeoutMs, 10_000), signal,
        (sig) => w.run('setsid true', pool, target, sig, 1024, false));
      w.setsid = probe.code === 0;
      return w;
    } catch (e) {
      w.close();
      throw e;
    }
  }

  private markDead() {
    if (this.dead) return;
    this.dead = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.onDead?.(this);
  }

  private armIdle() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.busy || this.dead) return;
      // the connection's last worker stays (the connection's own idle close ends it): the next command or search
      // finds a started shell instead of paying the login shell again
      if (this.connection.workers.some((w) => w !== this && !w.dead)) this.close();
      else this.armIdle();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Gives back a worker reserved by SshPool.worker() without running a job on it. */
  release() {
    if (this.dead) return;
    this.busy = false;
    this.streaming = false;
    this.armIdle();
    this.onIdle?.(this);
  }

  close() {
    this.markDead();
    try { this.channel.end(); } catch { /* closed */ }
    try { this.channel.close(); } catch { /* closed */ }
  }

  /**
   * Runs one job. Rejects with Cancelled/Timeout (after signalling the job's process group) or ConnectionLost;
   * the worker is unusable afterwards in those cases.
   */
  run(commandLine: string, pool: ChannelOpener, target: SshTarget, signal: AbortSignal | undefined, maxOut: number,
    useSetsid = this.setsid): Promise<JobResult> {
    if (this.dead) return Promise.reject(new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost.`, { subject: target.alias }));
    this.busy = true; // usually already reserved by SshPool.worker()
    // a running job keeps the connection from idling out
    this.connection.active++;
    this.connection.lastUsed = Date.now();
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      this.connection.active--;
      this.connection.lastUsed = Date.now();
    };
    const nonce = randomBytes(16).toString('hex');
    const endOut = Buffer.from(`${nonce} E `);
    const endErr = `${nonce} E\n`;
    const pidRe = new RegExp(`${nonce} P (\\d+)\\n`);
    let out: Buffer = Buffer.alloc(0);
    let err = '';
    let pid: number | undefined;
    let code: number | undefined;
    let errDone = false;
    let tooBig = false;
    return new Promise<JobResult>((resolve, reject) => {
      const cleanup = () => {
        uncount();
        this.channel.off('data', onOut);
        this.channel.stderr.off('data', onErr);
        this.channel.off('close', onClose);
        signal?.removeEventListener('abort', onAbort);
      };
      const finishIfDone = () => {
        if (code === undefined || !errDone) return;
        cleanup();
        this.busy = false;
        this.lastUsed = Date.now();
        this.armIdle();
        resolve({ code, stdout: out, stderr: err, tooBig });
        this.onIdle?.(this);
      };
      // stdout: chunks kept as they come; only a short tail window is searched for the end marker
      const chunks: Buffer[] = [];
      let total = 0;
      let tail: Buffer = Buffer.alloc(0);
      const onOut = (d: Buffer) => {
        chunks.push(d);
        total += d.length;
        const window = tail.length ? Buffer.concat([tail, d]) : d;
        const base = total - window.length;
        const at = window.indexOf(endOut);
        if (at >= 0) {
          const nl = window.indexOf(0x0a, at);
          if (nl < 0) { tail = window; return; }
          code = Number(window.subarray(at + endOut.length, nl).toString('latin1'));
          out = Buffer.concat(chunks).subarray(0, base + at);
          finishIfDone();
        } else {
          tail = window.subarray(Math.max(0, window.length - (endOut.length + 16)));
          if (total > maxOut + 64) {
            tooBig = true;
            abortJob(new TroubleshooterError('FileTooLarge', `Output of the command on "${target.alias}" is larger than ${Math.round(maxOut / 1048576)} MiB.`, { subject: target.alias }));
          }
        }
      };
      const onErr = (d: Buffer) => {
        err += d.toString('utf8');
        if (pid === undefined) {
          const m = pidRe.exec(err);
          if (m) {
            pid = Number(m[1]);
            err = err.replace(m[0], '');
          }
        }
        if (pid !== undefined && err.length > 1_000_000) err = err.slice(-500_000); // keep the end (the reason)
        if (err.endsWith(endErr)) {
          err = err.slice(0, -endErr.length);
          errDone = true;
          finishIfDone();
        }
      };
      const onClose = () => {
        cleanup();
        this.busy = false;
        reject(new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost while the command ran.`, { subject: target.alias }));
      };
      const abortJob = (reason: unknown) => {
        cleanup();
        this.busy = false;
        this.close();
        if (pid !== undefined) killRemote(pool, target, pid, useSetsid);
        reject(reason);
      };
      const onAbort = () => abortJob(signal?.reason instanceof Error ? signal.reason : cancelledError(`Command on "${target.alias}"`));
      this.channel.on('data', onOut);
      this.channel.stderr.on('data', onErr);
      this.channel.once('close', onClose);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.channel.write(jobLine(nonce, commandLine, useSetsid));
      } catch (e) {
        cleanup();
        this.busy = false;
        reject(classifySshError(e, { subject: target.alias, phase: 'exec' }));
      }
    });
  }

  /**
   * Runs one job with its output streamed to `handlers` as it arrives (see STREAM_JOB). The worker is busy until
   * `done` settles; after `cancel()` it is handed on once the job has ended, or closed after CANCEL_GRACE_MS.
   */
  stream(commandLine: string, target: SshTarget, handlers: StreamHandlers, useSetsid = this.setsid): StreamJob {
    this.busy = true;
    this.streaming = true;
    this.connection.active++;
    this.connection.lastUsed = Date.now();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const nonce = randomBytes(16).toString('hex');
    const endErr = `${nonce} E`;
    const pidMark = `${nonce} P `;
    let cancelled = false;
    /** The watchdog runs (pid marker seen): a cancel line now reaches it. */
    let watched = false;
    let cancelSent = false;
    let settled = false;
    let paused = false;
    let errDone = false;
    let errText = '';
    let graceTimer: NodeJS.Timeout | undefined;
    const out = new EndMarkerFramer(Buffer.from(`${nonce} E `), (b) => { if (!cancelled) handlers.stdout(b); });
    const errDecoder = new TextDecoder('utf-8');
    let resolveDone!: (code: number) => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<number>((res, rej) => { resolveDone = res; rejectDone = rej; });
    const cleanup = () => {
      settled = true;
      if (graceTimer) clearTimeout(graceTimer);
      this.channel.off('data', onOut);
      this.channel.stderr.off('data', onErr);
      this.channel.off('close', onClose);
      if (paused) this.channel.resume();
      this.connection.active--;
      this.connection.lastUsed = Date.now();
    };
    const finishIfDone = () => {
      if (settled || out.code === undefined || !errDone) return;
      cleanup();
      this.busy = false;
      this.streaming = false;
      this.lastUsed = Date.now();
      this.armIdle();
      resolveDone(out.code);
      this.onIdle?.(this);
    };
    const onOut = (d: Buffer) => {
      out.push(d);
      finishIfDone();
    };
    const onErr = (d: Buffer) => {
      errText += errDecoder.decode(d, { stream: true });
      let nl: number;
      while ((nl = errText.indexOf('\n')) >= 0) {
        let line = errText.slice(0, nl);
        errText = errText.slice(nl + 1);
        const p = line.indexOf(pidMark);
        if (p >= 0) {
          line = line.slice(0, p) + line.slice(p + pidMark.length).replace(/^\d+/, '');
          watched = true;
          if (cancelled) sendCancel();
        }
        if (line.endsWith(endErr)) {
          line = line.slice(0, -endErr.length);
          errDone = true;
        }
        if (line && !cancelled) handlers.stderr(Buffer.from(`${line}${errDone ? '' : '\n'}`));
      }
      // a job that writes a huge stderr line without a newline: pass it on, keeping a tail that may hold a marker
      if (errText.length > 65536 && !cancelled) {
        handlers.stderr(Buffer.from(errText.slice(0, -128)));
        errText = errText.slice(-128);
      }
      finishIfDone();
    };
    // the watchdog's `read` gets this line and SIGTERMs the job's group; the worker goes on when the job ends
    const sendCancel = () => {
      if (cancelSent || settled) return;
      cancelSent = true;
      try {
        this.channel.write('\n');
      } catch {
        // the channel is gone: its EOF reaches the watchdog
      }
    };
    const onClose = () => {
      if (settled) return;
      cleanup();
      this.busy = false;
      this.streaming = false;
      rejectDone(new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost while streaming.`, { subject: target.alias }));
    };
    this.channel.on('data', onOut);
    this.channel.stderr.on('data', onErr);
    this.channel.once('close', onClose);
    try {
      this.channel.write(STREAM_JOB(nonce, commandLine, useSetsid));
    } catch (e) {
      cleanup();
      this.busy = false;
      this.streaming = false;
      this.close();
      rejectDone(classifySshError(e, { subject: target.alias, phase: 'exec' }));
    }
    return {
      done,
      pause: () => {
        if (settled || paused || cancelled) return;
        paused = true;
        this.channel.pause();
      },
      resume: () => {
        if (!paused) return;
        paused = false;
        this.channel.resume();
      },
      cancel: () => {
        if (settled || cancelled) return;
        cancelled = true;
        if (paused) {
          paused = false;
          this.channel.resume();
        }
        if (watched) sendCancel(); // else as soon as the pid marker says the watchdog runs
        graceTimer = setTimeout(() => {
          if (settled) return;
          cleanup();
          this.busy = false;
          this.streaming = false;
          this.close(); // EOF: a watchdog still waiting ends the job
          rejectDone(cancelledError(`Streaming from "${target.alias}"`));
        }, CANCEL_GRACE_MS);
        graceTimer.unref();
      },
    };
  }
}

/** SIGTERM to the job's process group (or the job alone without setsid), on a fresh channel, best effort. */
function killRemote(pool: ChannelOpener, target: SshTarget, pid: number, group: boolean) {
  const ctrl = new AbortController();
  const t = setTimeout(() => ctrl.abort(), pool.operationTimeoutMs);
  t.unref();
  // argv, quoted by the one quoting function (the pid is a number the worker printed, but no command is a string).
  const argv = group ? ['sh', '-c', 'kill -TERM -- -"$1" 2>/dev/null || kill -TERM "$1"', 'sh', String(pid)] : ['kill', '-TERM', String(pid)];
  void pool.exec(target, toCommandLine(argv), ctrl.signal)
    .then(({ channel }) => {
      channel.resume();
      channel.stderr.resume();
      channel.end();
      channel.once('close', () => clearTimeout(t));
    })
    .catch(() => clearTimeout(t));
}
