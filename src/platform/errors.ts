import * as vscode from 'vscode';
import { errorMessage, isCancelled, TroubleshooterError, type ErrorCode } from '../core/errors';
import { redact, type Logger } from '../core/log';

/**
 * The one place where errors become UI: a plain sentence per error code, plus actions, always with "Show Log".
 * Cancellation is a normal outcome and shows nothing.
 */
interface Rendering {
  /** Prefix that says what kind of trouble this is; the error's own message follows. */
  lead?: string;
  /** A hint on what to do next. */
  hint?: string;
  actions?: { title: string; command: string; args?: unknown[] }[];
}

const table: Partial<Record<ErrorCode, Rendering>> = {
  AuthFailed: { hint: 'Check the user, key or password for this host or cloud.', actions: [{ title: 'Forget Stored Credentials', command: 'openstack.credentials.forget' }] },
  HostUnreachable: { hint: 'Check the host mapping and your network or VPN.', actions: [{ title: 'Open Settings', command: 'workbench.action.openSettings', args: ['openstack.hosts'] }] },
  HostKeyMismatch: { lead: 'Refused: the host key changed.', hint: 'If the host was reinstalled, remove the old key from known_hosts; otherwise this may be an attack.' },
  HostKeyRevoked: { lead: 'Refused: the host key is revoked.' },
  HostKeyUnknown: { hint: 'Connect again to review the fingerprint and trust the host.' },
  SudoPasswordRequired: { hint: 'Allow passwordless sudo for this command, or connect as a user that can read the file.' },
  Unauthorized: { hint: 'Check the credentials of this cloud in clouds.yaml.', actions: [{ title: 'Open clouds.yaml', command: 'openstack.clouds.openConfig' }] },
  Forbidden: { hint: 'This needs an admin role (or a policy that allows it).' },
  CloudNotFound: { actions: [{ title: 'Add Cloud', command: 'openstack.clouds.add' }] },
  ConfigInvalid: { actions: [{ title: 'Open clouds.yaml', command: 'openstack.clouds.openConfig' }] },
  TlsError: { hint: 'Set "cacert" (or "verify: false" for a lab) for this cloud in clouds.yaml.' },
  Timeout: { hint: 'The service or host did not answer in time; the timeout is a setting.' },
  FileChanged: { hint: 'Reopen the file to see the current version; nothing was overwritten.' },
};

export async function showError(e: unknown, logger: Logger, context?: string): Promise<void> {
  if (isCancelled(e)) return;
  const msg = redact(errorMessage(e));
  const code = e instanceof TroubleshooterError ? e.code : undefined;
  const r = (code && table[code]) || {};
  logger.error(`${context ? `${context}: ` : ''}${msg}${code ? ` [${code}]` : ''}${e instanceof Error && e.cause ? ` (cause: ${errorMessage(e.cause)})` : ''}`);
  const text = [context ? `${context}: ` : '', r.lead ? `${r.lead} ` : '', msg, r.hint ? ` ${r.hint}` : ''].join('');
  const actions = [...(r.actions ?? []), { title: 'Show Log', command: 'openstack.showLog' }];
  const picked = await vscode.window.showErrorMessage(text, ...actions.map((a) => a.title));
  const action = actions.find((a) => a.title === picked);
  if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
}
