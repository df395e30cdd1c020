import * as vscode from 'vscode';
import { errorMessage, isCancelled, TroubleshooterError } from '../core/errors';
import { redact, type Logger } from '../core/log';
import { notificationOf, SHOW_LOG } from './error-table';

/**
 * The one place where errors become UI: a plain sentence per error code (./error-table.ts), plus actions, always
 * with "Show Log". Cancellation is a normal outcome and shows nothing.
 */
export async function showError(e: unknown, logger: Logger, context?: string): Promise<void> {
  if (isCancelled(e)) return;
  const msg = redact(errorMessage(e));
  const code = e instanceof TroubleshooterError ? e.code : undefined;
  logger.error(`${context ? `${context}: ` : ''}${msg}${code ? ` [${code}]` : ''}${e instanceof Error && e.cause ? ` (cause: ${errorMessage(e.cause)})` : ''}`);
  const { text, actions } = notificationOf(code, msg, context);
  const picked = await vscode.window.showErrorMessage(text, ...actions.map((a) => a.title));
  const action = actions.find((a) => a.title === picked);
  if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
}

/**
 * A failure that is an outcome rather than a thrown error (a migration failed, some hosts failed): an error or
 * warning notification with its own actions and, always, "Show Log". Resolves to the action picked other than
 * "Show Log" (which opens the log here).
 */
export async function showFailureMessage(severity: 'error' | 'warning', text: string, ...actions: string[]): Promise<string | undefined> {
  const items = [...actions, SHOW_LOG.title];
  const picked = severity === 'error' ? await vscode.window.showErrorMessage(text, ...items) : await vscode.window.showWarningMessage(text, ...items);
  if (picked !== SHOW_LOG.title) return picked;
  await vscode.commands.executeCommand(SHOW_LOG.command);
  return undefined;
}
