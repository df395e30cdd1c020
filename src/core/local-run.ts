import { spawn } from 'node:child_process';
import { withDeadline } from './deadline';
import { TroubleshooterError, cancelledError } from './errors';
import { logCall, nullLogger, type Logger } from './log';
import { describeArgv } from './remote/command';

/**
 * THE local runner: argv on this machine (no shell of ours), under `withDeadline` and logged once with `logCall`
 * (`> local systemctl restart libvirtd [12ms]`). Used by the config doctor on local files (probes, host commands)
 * and by core/logs' local and OpenSSH runners.
 *
 * One kill path: cancel and timeout end stdin and SIGTERM the child's process group (the child is started in a group
 * of its own, so a script's children go too), or the child alone with `processGroup: false`. stdin stays an open pipe
 * until then (search scripts watch it).
 */
export interface LocalRunOptions {
  /** Deadline for the whole run; undefined: none (follow mode), only the signal ends it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** What the log line and the Timeout/Cancelled messages call the run. Default `local <argv>`. */
  describe?: string;
  /** Start the child in its own process group and signal the group (default true). */
  processGroup?: boolean;
  /** Streamed stdout (then `stdout` of the result stays empty). */
  onStdout?(chunk: Buffer): void;
  /** Streamed stderr (it is collected, up to `maxStderrChars`, as well). */
  onStderr?(chunk: Buffer): void;
  /** Collected stdout beyond this many bytes ends the run with CommandFailed. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Collected stderr kept (its start). Default 1 MiB. */
  maxStderrChars?: number;
  /** A failure for an exit code (127: not found, 255: ssh…); undefined: the exit code is the result's. */
  classify?(exitCode: number, stderr: string): TroubleshooterError | undefined;
}

export interface LocalRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Longest time the kernel allows a timer for: "no deadline". */
const NO_DEADLINE_MS = 2 ** 31 - 1;

export function runLocal(argv: string[], opts: LocalRunOptions = {}): Promise<LocalRunResult> {
  if (argv.length === 0) return Promise.reject(new TroubleshooterError('InvalidInput', 'A command needs at least a program name.'));
  const [command, ...args] = argv;
  const what = opts.describe ?? `local ${describeArgv(argv, 120)}`;
  const group = opts.processGroup ?? true;
  const maxOut = opts.maxOutputBytes ?? 1024 * 1024;
  const maxErr = opts.maxStderrChars ?? 1024 * 1024;
  const log = opts.logger ?? nullLogger;
  const started = performance.now();
  const work = (signal: AbortSignal) =>
    new Promise<LocalRunResult>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: group });
      const out: Buffer[] = [];
      let outBytes = 0;
      let stderr = '';
      let settled = false;
      const kill = () => {
        child.stdin.end();
        try {
          if (group && child.pid) process.kill(-child.pid, 'SIGTERM');
          else child.kill('SIGTERM');
        } catch {
          /* already gone */
        }
      };
      const finish = (e: TroubleshooterError | undefined, r?: LocalRunResult) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve(r!);
      };
      const onAbort = () => {
        kill();
        finish(signal.reason instanceof TroubleshooterError ? signal.reason : cancelledError(what));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdin.on('error', () => {});
      child.stdout.on('data', (c: Buffer) => {
        if (opts.onStdout) return opts.onStdout(c);
        outBytes += c.length;
        if (outBytes > maxOut) {
          kill();
          return finish(new TroubleshooterError('CommandFailed', `The output of "${what}" exceeded ${maxOut} bytes.`, { subject: command }));
        }
        out.push(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        if (stderr.length < maxErr) stderr += c.toString('utf8');
        opts.onStderr?.(c);
      });
      child.on('error', (e) => finish(new TroubleshooterError('CommandFailed', `Cannot start "${command}": ${e.message}.`, { subject: command }, { cause: e })));
      child.on('close', (code, sig) => {
        if (signal.aborted || settled) return;
        const exitCode = code ?? (sig ? 128 : 0);
        const failure = opts.classify?.(exitCode, stderr);
        finish(failure, { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
    });
  return withDeadline(what, opts.timeoutMs ?? NO_DEADLINE_MS, opts.signal, work).then(
    (r) => {
      logCall(log, what, started);
      return r;
    },
    (e: unknown) => {
      logCall(log, what, started, e);
      throw e;
    },
  );
}
