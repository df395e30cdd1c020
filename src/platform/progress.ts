import * as vscode from 'vscode';

/**
 * Long work: cancellable progress in the given location, with the cancellation token turned into an AbortSignal
 * that the core honours. Never a notification left spinning: the promise always settles.
 */
export function withCancellableProgress<T>(
  title: string,
  work: (report: (message: string, increment?: number) => void, signal: AbortSignal) => Promise<T>,
  location: vscode.ProgressLocation | { viewId: string } = vscode.ProgressLocation.Notification,
): Thenable<T> {
  return vscode.window.withProgress({ location, title, cancellable: true }, (progress, token) => {
    const ctrl = new AbortController();
    const sub = token.onCancellationRequested(() => ctrl.abort());
    return work((message, increment) => progress.report({ message, increment }), ctrl.signal).finally(() => sub.dispose());
  });
}

/** An AbortSignal that follows a CancellationToken. */
export function signalOf(token: vscode.CancellationToken | undefined): AbortSignal | undefined {
  if (!token) return undefined;
  const ctrl = new AbortController();
  if (token.isCancellationRequested) ctrl.abort();
  else token.onCancellationRequested(() => ctrl.abort());
  return ctrl.signal;
}
