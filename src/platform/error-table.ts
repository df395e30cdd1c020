import type { ErrorCode } from '../core/errors';
import type { CommandId } from './command-ids';

/**
 * The one table from error code to UI, for every code of src/core/errors.ts (a `Record`, so a new code does not
 * type-check until it has a row). `showError` (./errors.ts) renders a notification from it, always with "Show
 * Log"; the explorer renders its failure nodes from it (`node`). No `vscode` import, so it is unit-tested.
 */
export interface ErrorAction {
  title: string;
  command: CommandId | 'workbench.action.openSettings';
  args?: unknown[];
}

export interface ErrorRendering {
  /** Prefix that says what kind of trouble this is; the error's own message follows. */
  lead?: string;
  /** A hint on what to do next. */
  hint?: string;
  actions?: ErrorAction[];
  /**
   * In a tree: a quiet placeholder that says why a list is empty (instead of "Failed to load … (click for log)").
   * `text` gets the error's message and what was being listed.
   */
  node?: { label: string; icon: string; text: (message: string, what: string) => string };
}

const openCloudsYaml: ErrorAction = { title: 'Open clouds.yaml', command: 'openstack.clouds.openConfig' };
const hostSettings: ErrorAction = { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['openstack.hosts'] };

export const ERROR_TABLE: Record<ErrorCode, ErrorRendering> = {
  // generic
  Cancelled: { node: { label: 'Cancelled', icon: 'circle-slash', text: () => 'Loading was cancelled; refresh to try again.' } },
  Timeout: { hint: 'The service or host did not answer in time; the timeout is a setting.' },
  InvalidInput: { hint: 'Check the value and try again.' },
  NotFound: { hint: 'It may have been deleted or renamed; refresh and try again.' },
  PermissionDenied: { hint: 'The remote user may not read or run this; use a user or sudo rule that can.' },
  Conflict: { hint: 'Its state changed meanwhile; refresh and try again.' },
  Unsupported: { hint: 'This cloud or host does not offer it.' },
  // configuration
  ConfigInvalid: { actions: [openCloudsYaml] },
  CloudNotFound: {
    actions: [{ title: 'Add Cloud', command: 'openstack.clouds.add' }],
    node: { label: 'No cloud', icon: 'cloud', text: (message) => message },
  },
  // remote / ssh
  AuthFailed: { hint: 'Check the user, key or password for this host or cloud.', actions: [{ title: 'Forget Stored Credentials', command: 'openstack.credentials.forget' }] },
  HostUnreachable: { hint: 'Check the host mapping and your network or VPN.', actions: [hostSettings] },
  HostKeyUnknown: { hint: 'Connect again to review the fingerprint and trust the host.' },
  HostKeyMismatch: { lead: 'Refused: the host key changed.', hint: 'If the host was reinstalled, remove the old key from known_hosts; otherwise this may be an attack.' },
  HostKeyRevoked: { lead: 'Refused: the host key is revoked.' },
  SudoPasswordRequired: { hint: 'Allow passwordless sudo for this command, or connect as a user that can read the file.' },
  CommandFailed: { hint: 'The log has the command and its error output.' },
  ConnectionLost: { hint: 'The SSH connection dropped; the next attempt reconnects.', actions: [hostSettings] },
  // openstack http
  HttpError: { hint: 'The log has the request and its request id.' },
  Unauthorized: { hint: 'Check the credentials of this cloud in clouds.yaml.', actions: [openCloudsYaml] },
  Forbidden: {
    hint: 'This needs an admin role (or a policy that allows it).',
    node: { label: 'Not permitted', icon: 'lock', text: (message, what) => `${message} Listing ${what} needs a role this user does not have (usually admin).` },
  },
  EndpointNotFound: {
    hint: 'The service is not in this cloud\'s catalog (or not for this region or interface).',
    node: { label: 'Service not in the catalog', icon: 'circle-slash', text: (message) => message },
  },
  TlsError: { hint: 'Set "cacert" (or "verify: false" for a lab) for this cloud in clouds.yaml.' },
  ServiceUnavailable: { hint: 'The service is down or overloaded; try again in a moment.' },
  // files
  BinaryFile: { hint: 'Only text files can be opened here.' },
  FileTooLarge: { hint: 'Open a smaller file, or search it with the log correlation instead.' },
  FileChanged: { hint: 'Reopen the file to see the current version; nothing was overwritten.' },
};

/** The one "Show Log" action every error notification carries. */
export const SHOW_LOG: ErrorAction = { title: 'Show Log', command: 'openstack.showLog' };

/** The rendering of an error code (no code: a plain rendering). */
export function renderingOf(code: ErrorCode | undefined): ErrorRendering {
  return (code && ERROR_TABLE[code]) || {};
}

/** The notification text and buttons of an error: context, lead, the (redacted) message, hint; actions + Show Log. */
export function notificationOf(code: ErrorCode | undefined, message: string, context?: string): { text: string; actions: ErrorAction[] } {
  const r = renderingOf(code);
  const text = [context ? `${context}: ` : '', r.lead ? `${r.lead} ` : '', message, r.hint ? ` ${r.hint}` : ''].join('');
  return { text, actions: [...(r.actions ?? []), SHOW_LOG] };
}
