import type { ClientChannel } from 'ssh2';
import { withDeadline } from '../deadline';
import { cancelledError, isTroubleshooterError, TroubleshooterError } from '../errors';
import { logCall } from '../log';
import { describeArgv, shellQuote, toCommandLine, withSudo, type RemoteCommand } from './command';
import { classifySshError, classifySudoFailure, stderrTail } from './errors';
import type { SshPool } from './pool';
import type { SshTarget } from './ssh-config';

/**
 * Running RemoteCommands over the pool.
 *
 * Remote processes must not outlive a cancelled or timed-out call. Without a pty, sshd does not signal the
 * command when the channel closes, so a remote `tail -F` (or a long grep) would run on forever. Every command
 * therefore runs under a small POSIX-sh watchdog: the command starts in its own process group (setsid) with
 * stdin from /dev/null, while the wrapper waits on the channel's stdin; when the channel closes (cancel,
 * timeout, connection loss) stdin reaches EOF and the whole process group gets SIGTERM. Commands that take
 * input on stdin (`input` option) run without the watchdog.
 */
const WATCHDOG = [
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" </dev/null & else "$@" </dev/null & fi',
  'c=$!',
  '( while read -r _ <&3; do :; done; kill -TERM -"$c" 2>/dev/null || kill -TERM "$c" 2>/dev/null ) >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait "$c"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit "$r"',
].join('\n');

/** The argv actually sent: sudo (skipped for root) around the watchdog around the command. */
export function remoteArgv(target: SshTarget, argv: string[], opts: { sudo?: boolean; watchdog: boolean }): string[] {
  const inner = opts.watchdog ? ['sh', '-c', WATCHDOG, 'sh', ...argv] : argv;
  return withSudo(inner, opts.sudo && target.user !== 'root');
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Bytes written to the command's stdin (then EOF). Disables the watchdog. */
  input?: Buffer | string;
  /** Stop with an error when stdout exceeds this many bytes. Default 64 MiB. */
  maxOutputBytes?: number;
}

export interface RunResult<T> {
  value: T;
  stdout: string;
  /** stdout as received (binary-safe). */
  stdoutBytes: Buffer;
  stderr: string;
  exitCode: number;
}

/**
 * Runs a RemoteCommand and parses its output. Logged once (`> ssh compute1 grep -F … [12ms]`).
 * Throws CommandFailed (redacted stderr tail in details), SudoPasswordRequired, Timeout, Cancelled,
 * or a connection error; the remote process is ended on timeout and cancel.
 */
export async function run<T>(pool: SshPool, alias: string | SshTarget, cmd: RemoteCommand<T>, opts: RunOptions = {}): Promise<RunResult<T>> {
  const target = pool.target(alias);
  const started = performance.now();
  const shown = `ssh ${target.alias} ${cmd.sudo ? 'sudo ' : ''}${describeArgv(cmd.argv)}`;
  const maxOut = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  try {
    const result = await withDeadline(`Command on "${target.alias}"`, cmd.timeoutMs ?? pool.commandTimeoutMs, opts.signal, async (signal) => {
      const worker = opts.input === undefined ? await pool.worker(target, signal) : undefined;
      const ran = worker
        ? await worker.run(toCommandLine(remoteArgv(target, cmd.argv, { sudo: cmd.sudo, watchdog: false })), pool, target, signal, maxOut)
            .then((j) => ({ code: j.code as number | undefined, stdoutBytes: j.stdout, stderr: j.stderr, tooBig: j.tooBig }))
        : await runInChannel(pool, target, cmd, opts, signal, maxOut);
      const { code, stdoutBytes, stderr, tooBig } = ran;
      const stdout = stdoutBytes.toString('utf8');
      if (tooBig) {
        throw new TroubleshooterError('FileTooLarge', `Output of the command on "${target.alias}" is larger than ${Math.round(maxOut / 1048576)} MiB.`, { subject: target.alias });
      }
      if (code === undefined) {
        throw new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost while the command ran.`, { subject: target.alias });
      }
      if (!(cmd.okExitCodes ?? [0]).includes(code)) throw commandFailed(target.alias, cmd, code, stderr);
      let value: T;
      try {
        value = cmd.parse(stdout, { exitCode: code, stderr });
      } catch (e) {
        if (isTroubleshooterError(e)) throw e;
        throw new TroubleshooterError('CommandFailed', `Unexpected output from "${cmd.argv[0]}" on "${target.alias}": ${e instanceof Error ? e.message : String(e)}`,
          { subject: target.alias }, { cause: e });
      }
      return { value, stdout, stdoutBytes, stderr, exitCode: code };
    });
    logCall(pool.logger, shown, started);
    return result;
  } catch (e) {
    const err = classifySshError(e, { subject: target.alias, phase: 'exec' });
    logCall(pool.logger, shown, started, err);
    throw err;
  }
}

/** One channel per command, under the watchdog (or with `input` on stdin). */
async function runInChannel<T>(pool: SshPool, target: SshTarget, cmd: RemoteCommand<T>, opts: RunOptions, signal: AbortSignal, maxOut: number) {
  const line = toCommandLine(remoteArgv(target, cmd.argv, { sudo: cmd.sudo, watchdog: opts.input === undefined }));
  const { channel } = await pool.exec(target, line, signal);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  const { code, tooBig } = await new Promise<{ code: number | undefined; tooBig: boolean }>((resolve, reject) => {
    let exit: number | undefined;
    let big = false;
    const onAbort = () => {
      closeChannel(channel);
      reject(signal.reason instanceof Error ? signal.reason : cancelledError(`Command on "${target.alias}"`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    channel.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > maxOut) {
        big = true;
        closeChannel(channel);
        return;
      }
      out.push(d);
    });
    channel.stderr.on('data', (d: Buffer) => {
      if (err.length < 256) err.push(d);
    });
    channel.on('exit', (c: number | null) => { exit = c ?? undefined; });
    channel.on('error', (e: Error) => reject(classifySshError(e, { subject: target.alias, phase: 'exec' })));
    channel.on('close', (c?: number) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ code: exit ?? (typeof c === 'number' ? c : undefined), tooBig: big });
    });
    if (opts.input !== undefined) channel.end(opts.input);
  });
  return { code, stdoutBytes: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), tooBig };
}

function commandFailed(alias: string, cmd: { argv: string[]; sudo?: boolean }, code: number, stderr: string): TroubleshooterError {
  if (cmd.sudo) {
    const s = classifySudoFailure(stderr, alias);
    if (s) return s;
  }
  const tail = stderrTail(stderr);
  const firstLine = tail.split('\n').filter(Boolean).pop() ?? '';
  const what = code === 127 ? `"${cmd.argv[0]}" is not installed on "${alias}"` : `"${cmd.argv[0]}" failed on "${alias}" with exit code ${code}`;
  return new TroubleshooterError('CommandFailed', `${what}${firstLine ? `: ${firstLine}` : '.'}`, { subject: alias, exitCode: code, stderr: tail });
}

/** EOF first (the watchdog kills the process group), then close. */
function closeChannel(channel: ClientChannel) {
  try {
    channel.end();
  } catch {
    // closed
  }
  try {
    channel.close();
  } catch {
    // closed
  }
}

export interface StreamOptions {
  signal?: AbortSignal;
  sudo?: boolean;
  /** Exit codes that end the stream without an error (default [0]; grep: [0, 1]). */
  okExitCodes?: number[];
  /** Deadline for the channel to open (the stream itself has no deadline). Default: the pool's. */
  openTimeoutMs?: number;
  /** Pause the channel when this many lines wait for the consumer. Default 1000. */
  highWaterMark?: number;
  /** Each stderr line, as it comes (unredacted: callers classify and redact). The error message of a failed command
   * uses stderr whether or not this is set. */
  onStderr?(line: string): void;
}

/**
 * Streams stdout lines of a long-running command (`tail -F`, `journalctl -f`, grep over big logs) with
 * backpressure: when the consumer falls `highWaterMark` lines behind, the output is paused (SSH window
 * stops, the remote process blocks on write). Ending the iteration early (break/return), aborting the
 * signal or an error ends the remote process group.
 * The command runs in a started shell worker when one is free (worker.ts `stream()`: no new session, no login shell;
 * its watchdog ends the job on cancel and on channel EOF), else in a channel of its own under WATCHDOG.
 * An aborted signal ends the iteration with a Cancelled error; callers treat it as a normal outcome.
 */
export async function* lines(pool: SshPool, alias: string | SshTarget, argv: string[], opts: StreamOptions = {}): AsyncGenerator<string, { exitCode: number }, undefined> {
  const it = batches(pool, alias, argv, opts);
  let finished = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        finished = true;
        return r.value;
      }
      for (const l of r.value) yield l;
    }
  } finally {
    // the consumer stopped early (break, return, throw): end the remote command
    if (!finished) await it.return({ exitCode: -1 });
  }
}

/**
 * The lines of `lines()` in batches: whatever arrived since the consumer last asked. One await per batch instead of
 * per line (a log search brings thousands of lines; a promise round per line was a measurable share of its CPU).
 */
async function* batches(pool: SshPool, alias: string | SshTarget, argv: string[], opts: StreamOptions = {}): AsyncGenerator<string[], { exitCode: number }, undefined> {
  const target = pool.target(alias);
  const started = performance.now();
  const shown = `ssh ${target.alias} ${opts.sudo ? 'sudo ' : ''}${describeArgv(argv)} (stream)`;
  const high = opts.highWaterMark ?? 1000;

  let queue: string[] = [];
  let partial = '';
  let errPartial = '';
  const errDecoder = new TextDecoder('utf-8');
  let paused = false;
  let done = false;
  let exit: number | undefined;
  let failure: TroubleshooterError | undefined;
  const errChunks: Buffer[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const decoder = new TextDecoder('utf-8');
  let source: { pause(): void; resume(): void; stop(): void };
  const onData = (d: Buffer) => {
    const text = partial + decoder.decode(d, { stream: true });
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const p of parts) queue.push(p.endsWith('\r') ? p.slice(0, -1) : p);
    if (queue.length >= high && !paused) {
      paused = true;
      source.pause();
    }
    notify();
  };
  const onStderr = (d: Buffer) => {
    if (errChunks.length < 64) errChunks.push(d);
    if (!opts.onStderr) return;
    const parts = (errPartial + errDecoder.decode(d, { stream: true })).split('\n');
    errPartial = parts.pop()!;
    for (const p of parts) opts.onStderr(p.endsWith('\r') ? p.slice(0, -1) : p);
  };
  const onEnd = (code: number | undefined) => {
    if (done) return;
    exit = code;
    const rest = partial + decoder.decode();
    if (rest) queue.push(rest);
    partial = '';
    const errRest = errPartial + errDecoder.decode();
    if (errRest && opts.onStderr) opts.onStderr(errRest);
    errPartial = '';
    done = true;
    notify();
  };
  const onFailure = (e: unknown) => {
    failure ??= classifySshError(e, { subject: target.alias, phase: 'exec' });
    notify();
  };

  try {
    source = await withDeadline(`Opening a stream on "${target.alias}"`, opts.openTimeoutMs ?? pool.operationTimeoutMs, opts.signal, async (sig) => {
      // sudo as another user: the job runs as root, so only a watchdog inside sudo (the channel path) can end all of it
      const asRoot = opts.sudo && target.user !== 'root';
      const worker = asRoot ? undefined : await pool.worker(target, sig, { stream: true });
      if (worker) {
        if (sig.aborted) {
          worker.release();
          throw cancelledError(`Opening a stream on "${target.alias}"`);
        }
        const job = worker.stream(toCommandLine(remoteArgv(target, argv, { sudo: opts.sudo, watchdog: false })), target, { stdout: onData, stderr: onStderr });
        job.done.then(onEnd, (e: unknown) => {
          // ConnectionLost while streaming: the stream ends without an exit code (reported below)
          if (isTroubleshooterError(e, 'ConnectionLost')) onEnd(undefined);
          else onFailure(e);
        });
        return { pause: () => job.pause(), resume: () => job.resume(), stop: () => job.cancel() };
      }
      const line = toCommandLine(remoteArgv(target, argv, { sudo: opts.sudo, watchdog: true }));
      const { channel } = await pool.exec(target, line, sig);
      let code: number | undefined;
      channel.on('data', onData);
      channel.stderr.on('data', onStderr);
      channel.on('exit', (c: number | null) => { code = c ?? undefined; });
      channel.on('error', onFailure);
      channel.on('close', () => onEnd(code));
      return { pause: () => channel.pause(), resume: () => channel.resume(), stop: () => closeChannel(channel) };
    });
  } catch (e) {
    const err = classifySshError(e, { subject: target.alias, phase: 'exec' });
    logCall(pool.logger, shown, started, err);
    throw err;
  }

  const onAbort = () => {
    failure ??= cancelledError(`Streaming from "${target.alias}"`);
    source.stop();
    notify();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  let outcome: unknown;
  try {
    for (;;) {
      if (failure && failure.code === 'Cancelled') throw failure;
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        if (paused) {
          paused = false;
          source.resume();
        }
        yield batch;
        continue;
      }
      if (failure) throw failure;
      if (done) break;
      await new Promise<void>((r) => { wake = r; });
    }
    if (exit === undefined) {
      throw new TroubleshooterError('ConnectionLost', `Connection to "${target.alias}" was lost while streaming.`, { subject: target.alias });
    }
    if (!(opts.okExitCodes ?? [0]).includes(exit)) {
      throw commandFailed(target.alias, { argv, sudo: opts.sudo }, exit, Buffer.concat(errChunks).toString('utf8'));
    }
    return { exitCode: exit };
  } catch (e) {
    outcome = e;
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!done) source.stop();
    logCall(pool.logger, shown, started, outcome);
  }
}

/**
 * Streams lines to `onLine`; an async `onLine` is awaited before the next line (backpressure reaches the
 * remote process). Resolves with the exit code; rejects like `lines`.
 */
export async function stream(pool: SshPool, alias: string | SshTarget, argv: string[],
  opts: StreamOptions & { onLine: (line: string) => void | Promise<void> }): Promise<{ exitCode: number }> {
  const it = batches(pool, alias, argv, opts);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
    try {
      for (const l of r.value) {
        const p = opts.onLine(l);
        if (p) await p;
      }
    } catch (e) {
      await it.return({ exitCode: -1 });
      throw e;
    }
  }
}

/** For logs and tests: the exact command line a RemoteCommand becomes (without the watchdog). */
export function commandLineOf(argv: string[], sudo?: boolean): string {
  return withSudo(argv, sudo).map(shellQuote).join(' ');
}
