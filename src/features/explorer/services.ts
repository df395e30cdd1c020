import type { Logger } from '../../core/log';
import type { RemoteCommand } from '../../core/remote/command';
import type { Settings } from '../../platform/settings';
import type { CloudSession } from '../clouds/cloud-session';

/**
 * What the explorer needs from the composition root. `runOnHost` runs a RemoteCommand on an OpenStack host (the
 * root wires it as host mapping (core/hosts) → ssh alias → core/remote `run` over the shared pool); `sshTargetOf`
 * gives the `openstack-sftp://<target>/…` authority for a host.
 */
export interface ExplorerServices {
  logger: Logger;
  settings: Settings;
  session: CloudSession;
  runOnHost<T>(host: string, cmd: RemoteCommand<T>, signal?: AbortSignal): Promise<T>;
  sshTargetOf(host: string): string;
}
