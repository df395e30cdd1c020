import { TroubleshooterError, cancelledError } from './errors';

/**
 * Runs `work` with a deadline and an optional outer cancellation signal. The inner signal handed to `work`
 * aborts on either; the promise rejects with Timeout or Cancelled even if `work` ignores its signal.
 */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (outer?.aborted) throw cancelledError(what);
  const ctrl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TroubleshooterError('Timeout', `${what} did not finish within ${Math.round(timeoutMs / 1000)} s.`);
      ctrl.abort(err);
      reject(err);
    }, timeoutMs);
    onAbort = () => {
      const err = cancelledError(what);
      ctrl.abort(err);
      reject(err);
    };
    outer?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(ctrl.signal), stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) outer?.removeEventListener('abort', onAbort);
  }
}

/** A signal that aborts when any of the given signals aborts. */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}
