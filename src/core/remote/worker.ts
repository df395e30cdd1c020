import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { withDeadline } from '../deadline';
import { cancelledError, TroubleshooterError } from '../errors';
import { classifySshError } from './errors';
import type { PooledConnection, SshPool } from './pool';
import type { SshTarget } from './ssh-config';

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
 * Workers hold a channel slot while they live: at most `maxWorkers` per connection, closed after `idleMs` or as
 * soon as another caller waits for a slot.
 */

const START = 'exec sh';
const JOB = (nonce: string, commandLine: string, setsid: boolean) =>
  `( exec ${setsid ? 'setsid ' : ''}${commandLine} ) </dev/null & p=$!; printf '${nonce} P %d\\n' "$p" >&2; wait "$p"; r=$?; printf '${nonce} E %d\\n' "$r"; printf '${nonce} E\\n' >&2\n`;

export interface JobResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  tooBig: boolean;
}

export class ShellWorker {
  busy = false;
  dead = false;
  lastUsed = Date.now();
  private setsid = true;
  private idleTimer?: NodeJS.Timeout;
  /** Set by the pool: a job finished (hand the worker to a waiting caller) / the worker is gone. */
  onIdle?: (w: ShellWorker) => void;
  onDead?: (w: ShellWorker) => void;

  private constructor(readonly connection: PooledConnection, private readonly channel: ClientChannel, private readonly idleMs: number) {
    channel.on('close', () => this.markDead());
    channel.on('error', () => this.markDead());
    this.armIdle();
  }

  /** Opens a worker on `conn` (uses one channel slot, taken by the caller). */
  static async open(pool: SshPool, target: SshTarget, signal: AbortSignal | undefined, idleMs: number): Promise<ShellWorker> {
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
    this.idleTimer = setTimeout(() => { if (!this.busy) this.close(); }, this.idleMs);
    this.idleTimer.unref();
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
  run(commandLine: string, pool: SshPool, target: SshTarget, signal: AbortSignal | undefined, maxOut: number,
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
        this.channel.write(JOB(nonce, commandLine, useSetsid));
      } catch (e) {
        cleanup();
        this.busy = false;
        reject(classifySshError(e, { subject: target.alias, phase: 'exec' }));
      }
    });
  }
}

/** SIGTERM to the job's process group (or the job alone without setsid), on a fresh channel, best effort. */
function killRemote(pool: SshPool, target: SshTarget, pid: number, group: boolean) {
  const ctrl = new AbortController();
  const t = setTimeout(() => ctrl.abort(), pool.operationTimeoutMs);
  t.unref();
  void pool.exec(target, group ? `kill -TERM -- -${pid} 2>/dev/null || kill -TERM ${pid}` : `kill -TERM ${pid}`, ctrl.signal)
    .then(({ channel }) => {
      channel.resume();
      channel.stderr.resume();
      channel.end();
      channel.once('close', () => clearTimeout(t));
    })
    .catch(() => clearTimeout(t));
}
