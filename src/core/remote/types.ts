import type { ClientChannel } from 'ssh2';
import type { SshTarget } from './ssh-config';

/**
 * The few shapes shared by the pool (pool.ts) and its shell workers (worker.ts), so that neither imports the other's
 * types: the pool creates workers; a worker only opens channels through what it is given and counts itself as a
 * dependant of its connection.
 */

/** What a shell worker reads and counts on the connection it lives on (pool.ts's `PooledConnection`). */
export interface WorkerConnection {
  /** Dependants (channels open, connections hopping through this one). */
  active: number;
  lastUsed: number;
  /** The connection's shell workers (a worker idles out only while another live one remains). */
  readonly workers: readonly { readonly dead: boolean }[];
}

/** A channel lease: call nothing; it is released when the channel closes. */
export interface ExecChannel<C = WorkerConnection> {
  channel: ClientChannel;
  connection: C;
}

/** What a shell worker needs of the pool: open a channel (`SshPool.exec`) and the pool's operation deadline. */
export interface ChannelOpener {
  readonly operationTimeoutMs: number;
  exec(aliasOrTarget: string | SshTarget, commandLine: string, signal?: AbortSignal, opts?: { pty?: boolean; persistent?: boolean }): Promise<ExecChannel>;
}
