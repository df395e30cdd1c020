import { TroubleshooterError } from '../errors';
import { runLocal } from '../local-run';
import { nullLogger, redact, type Logger } from '../log';
import { describeArgv, toCommandLine } from '../remote/command';
import { validateHostname } from '../remote/validate';
import { TRUNCATED_MARK } from './entries';

/**
 * The seam between core/logs and whatever runs commands on a host. core/logs builds argv arrays
 * (search-command.ts, sources.ts) and hands them to a runner:
 * - `LocalHostRunner`: child_process.spawn with argv (no shell of ours), for `--dir` offline mode and tests;
 * - `SshCliHostRunner`: OpenSSH `ssh -F <config> <host> -- <quoted argv>` (the CLI's `--openssh`, the tests' reference);
 * - `poolHostRunner` (pool-host-runner.ts): the ssh2 pool of src/core/remote, when it exists.
 */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Deadline for the whole stream; undefined for follow mode. */
  timeoutMs?: number;
  /** Each complete stdout line: invalid UTF-8 replaced (U+FFFD), cut at MAX_LINE_BYTES with TRUNCATED_MARK. */
  onLine(line: string): void;
  /** Each stderr line (unredacted; callers classify and redact). */
  onStderr?(line: string): void;
}

export interface LogHostRunner {
  /** The host name shown in the correlated view (`compute1`). */
  readonly host: string;
  /** Whether the remote command's stdin stays open until cancel, so search scripts may watch it (watchStdin). */
  readonly keepsStdinOpen: boolean;
  run(argv: string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RunResult>;
  /** Runs argv, streaming stdout lines. Resolves with the exit code; rejects with a TroubleshooterError. */
  stream(argv: string[], opts: StreamOptions): Promise<number>;
}

/** Longest line kept for display (bytes). Longer lines are cut and marked; memory stays bounded. */
export const MAX_LINE_BYTES = 64 * 1024;
export const DEFAULT_RUN_TIMEOUT_MS = 30_000;

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Splits a byte stream into lines, bounding each line's size and decoding it as UTF-8 with replacement. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private dropping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly max = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.keep(chunk.subarray(start));
        return;
      }
      this.keep(chunk.subarray(start, nl));
      this.flushLine();
      start = nl + 1;
    }
  }

  end(): void {
    if (this.size > 0 || this.dropping) this.flushLine();
  }

  private keep(b: Buffer): void {
    if (b.length === 0) return;
    const room = this.max - this.size;
    if (room <= 0) {
      this.dropping = true;
      return;
    }
    if (b.length > room) {
      this.parts.push(b.subarray(0, room));
      this.size += room;
      this.dropping = true;
      return;
    }
    this.parts.push(b);
    this.size += b.length;
  }

  private flushLine(): void {
    let buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    if (buf.length && buf[buf.length - 1] === 13) buf = buf.subarray(0, buf.length - 1);
    let line = decoder.decode(buf);
    if (this.dropping) line += TRUNCATED_MARK;
    this.parts = [];
    this.size = 0;
    this.dropping = false;
    this.onLine(line);
  }
}

/** How a runner streams argv through `runLocal` (core/local-run.ts): the one local spawn and kill path. */
interface SpawnSpec {
  command: string;
  args: string[];
  /** What the log line and errors call it. */
  describe: string;
  /** Kill the whole process group on cancel (local runs). */
  group: boolean;
  classify(exitCode: number, stderr: string): TroubleshooterError | undefined;
}

function spawnStreaming(spec: SpawnSpec, opts: StreamOptions, log: Logger): Promise<number> {
  let stderrTail = '';
  const out = new LineSplitter((l) => opts.onLine(l));
  const err = new LineSplitter((l) => {
    if (stderrTail.length < 4000) stderrTail += `${l}\n`;
    opts.onStderr?.(l);
  }, 8192);
  return runLocal([spec.command, ...spec.args], {
    describe: spec.describe,
    timeoutMs: opts.timeoutMs || undefined, // 0 or unset: no deadline (follow mode)
    signal: opts.signal,
    logger: log,
    processGroup: spec.group,
    onStdout: (c) => out.push(c),
    onStderr: (c) => err.push(c),
    maxStderrChars: 0,
    classify: (exitCode) => {
      // every line reaches the caller before the stream settles
      out.end();
      err.end();
      return spec.classify(exitCode, stderrTail);
    },
  }).then((r) => r.exitCode);
}

async function collect(runner: LogHostRunner, argv: string[], opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const exitCode = await runner.stream(argv, {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
    onLine: (l) => out.push(l),
    onStderr: (l) => err.push(l),
  });
  return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode };
}

/** Runs argv on this machine (offline folders, tests, benchmarks' local baselines). */
export class LocalHostRunner implements LogHostRunner {
  readonly keepsStdinOpen = true;
  constructor(
    readonly host: string,
    private readonly log: Logger = nullLogger,
  ) {}

  run(argv: string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RunResult> {
    return collect(this, argv, opts);
  }

  stream(argv: string[], opts: StreamOptions): Promise<number> {
    const [command, ...args] = argv;
    return spawnStreaming(
      {
        command,
        args,
        describe: `local ${describeArgv(argv, 120)}`,
        group: true,
        classify: (code, stderr) =>
          code === 127 ? new TroubleshooterError('CommandFailed', `Command not found on "${this.host}": "${command}".`, { stderr: redact(stderr.trim()) }) : undefined,
      },
      opts,
      this.log,
    );
  }
}

/** OpenSSH's own messages on exit code 255 → the project's error codes. */
export function classifySshCliFailure(host: string, stderr: string): TroubleshooterError {
  const s = stderr.trim();
  const d = { subject: host, stderr: redact(s.split('\n').slice(-3).join(' ')) };
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(s)) return new TroubleshooterError('HostKeyMismatch', `Host key of "${host}" could not be verified.`, d);
  if (/Permission denied \(/i.test(s)) return new TroubleshooterError('AuthFailed', `Authentication to "${host}" failed.`, d);
  if (/Could not resolve hostname|No route to host|Connection refused|Network is unreachable/i.test(s)) return new TroubleshooterError('HostUnreachable', `Cannot reach "${host}".`, d);
  if (/timed out/i.test(s)) return new TroubleshooterError('Timeout', `Connecting to "${host}" timed out.`, d);
  return new TroubleshooterError('ConnectionLost', `Connection to "${host}" was lost.`, d);
}

/**
 * Runs argv on a host with the OpenSSH client: `ssh -F <config> -o BatchMode=yes <host> <quoted argv>`.
 * The CLI's `logs correlate --openssh` (the user's own ssh and ssh_config), the reference the pool is tested against,
 * and the baseline of the benchmark.
 */
export class SshCliHostRunner implements LogHostRunner {
  readonly keepsStdinOpen = true;
  constructor(
    readonly host: string,
    private readonly sshConfig: string | undefined,
    private readonly log: Logger = nullLogger,
    private readonly connectTimeoutS = 10,
  ) {
    validateHostname(host);
  }

  run(argv: string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RunResult> {
    return collect(this, argv, opts);
  }

  stream(argv: string[], opts: StreamOptions): Promise<number> {
    const args = [
      ...(this.sshConfig ? ['-F', this.sshConfig] : []),
      '-o', 'BatchMode=yes',
      '-o', `ConnectTimeout=${this.connectTimeoutS}`,
      '-o', 'ServerAliveInterval=15',
      '-o', 'ServerAliveCountMax=3',
      '--',
      this.host,
      toCommandLine(argv),
    ];
    return spawnStreaming(
      {
        command: 'ssh',
        args,
        describe: `ssh ${this.host} ${describeArgv(argv, 120)}`,
        group: false,
        classify: (code, stderr) => (code === 255 ? classifySshCliFailure(this.host, stderr) : undefined),
      },
      opts,
      this.log,
    );
  }
}
