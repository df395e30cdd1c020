import { withDeadline } from '../deadline';
import { stream as poolStream } from '../remote/exec';
import type { SshPool } from '../remote/pool';
import { TRUNCATED_MARK } from './entries';
import { DEFAULT_RUN_TIMEOUT_MS, MAX_LINE_BYTES, type LogHostRunner, type RunResult, type StreamOptions } from './host-runner';

/**
 * A LogHostRunner over the ssh2 pool of src/core/remote: pooled sessions, host-key checks, ProxyJump, keepalive.
 * The pool runs every command under its own watchdog (setsid + stdin EOF → SIGTERM to the process group), so
 * the log scripts' own stdin watchdog is off here (`keepsStdinOpen = false`). Per-file warnings (grep's and find's
 * stderr) arrive through `onStderr`.
 */
export class PoolHostRunner implements LogHostRunner {
  readonly keepsStdinOpen = false;

  /**
   * @param host the name shown in the correlated view (the OpenStack host name)
   * @param alias the ssh alias or host the pool resolves (defaults to `host`)
   */
  constructor(
    private readonly pool: SshPool,
    readonly host: string,
    private readonly alias: string = host,
    private readonly sudo = false,
  ) {}

  async run(argv: string[], opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RunResult> {
    const out: string[] = [];
    const exitCode = await this.stream(argv, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS, onLine: (l) => out.push(l) });
    return { stdout: out.join('\n'), stderr: '', exitCode };
  }

  stream(argv: string[], opts: StreamOptions): Promise<number> {
    const work = (signal: AbortSignal | undefined) =>
      poolStream(this.pool, this.alias, argv, {
        signal,
        sudo: this.sudo,
        okExitCodes: [0, 1],
        onLine: (l) => opts.onLine(l.length > MAX_LINE_BYTES ? l.slice(0, MAX_LINE_BYTES) + TRUNCATED_MARK : l),
        onStderr: opts.onStderr && ((l) => opts.onStderr!(l.length > MAX_LINE_BYTES ? l.slice(0, MAX_LINE_BYTES) + TRUNCATED_MARK : l)),
      }).then((r) => r.exitCode);
    if (!opts.timeoutMs) return work(opts.signal);
    return withDeadline(`Log search on "${this.host}"`, opts.timeoutMs, opts.signal, work);
  }
}
