import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { CommandId } from './command-ids';
import { showError } from './errors';

/**
 * Registers a command whose failures go through the one error renderer. Returns its Disposable.
 * Every tree command takes an optional node and falls back to a picker, so it also works from the palette.
 */
export function registerCommand(
  id: CommandId,
  logger: Logger,
  handler: (...args: any[]) => unknown, // eslint-disable-line @typescript-eslint/no-explicit-any
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handler(...args);
    } catch (e) {
      await showError(e, logger, commandTitle(id));
      return undefined;
    }
  });
}

/** Runs one of our own commands (typed, so a misspelt id fails the type check). */
export function executeCommand<T = unknown>(id: CommandId, ...args: unknown[]): Thenable<T | undefined> {
  return vscode.commands.executeCommand<T>(id, ...args);
}

function commandTitle(id: string): string | undefined {
  const ext = vscode.extensions.all.find((x) => x.packageJSON?.contributes?.commands?.some?.((c: { command: string }) => c.command === id));
  const c = ext?.packageJSON.contributes.commands.find((x: { command: string }) => x.command === id);
  return c?.title;
}
