import * as vscode from 'vscode';
import { errorMessage, isCancelled, TroubleshooterError } from '../core/errors';
import { redact, type Logger } from '../core/log';
import { notificationOf } from './error-table';

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
