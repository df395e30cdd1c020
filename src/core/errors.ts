/**
 * Every failure the core reports is one of these codes. Features render them once (src/platform/errors.ts);
 * the CLI prints `error.message` and exits with a code per kind. Messages are one sentence a user understands,
 * with the variable part last and quoted, and never contain a secret.
 */
export type ErrorCode =
  // generic
  | 'Cancelled'
  | 'Timeout'
  | 'InvalidInput'
  | 'NotFound'
  | 'PermissionDenied'
  | 'Conflict'
  | 'Unsupported'
  // configuration
  | 'ConfigInvalid'
  | 'CloudNotFound'
  // remote / ssh
  | 'AuthFailed'
  | 'HostUnreachable'
  | 'HostKeyUnknown'
  | 'HostKeyMismatch'
  | 'HostKeyRevoked'
  | 'SudoPasswordRequired'
  | 'CommandFailed'
  | 'ConnectionLost'
  // openstack http
  | 'HttpError'
  | 'Unauthorized'
  | 'Forbidden'
  | 'EndpointNotFound'
  | 'TlsError'
  | 'ServiceUnavailable'
  // files
  | 'BinaryFile'
  | 'FileTooLarge'
  | 'FileChanged';

export interface ErrorDetails {
  /** The host, cloud, file or URL the error is about (never a secret). */
  subject?: string;
  /** OpenStack request id of the failing call, if any. */
  requestId?: string;
  /** HTTP status for OpenStack errors. */
  status?: number;
  /** Exit status of a remote command. */
  exitCode?: number;
  /** stderr (already redacted) of a remote command, trimmed. */
  stderr?: string;
  /** Anything else useful to render (file/line for config errors, fingerprint for host keys...). */
  [key: string]: unknown;
}

export class TroubleshooterError extends Error {
  override readonly name = 'TroubleshooterError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isTroubleshooterError(e: unknown, code?: ErrorCode): e is TroubleshooterError {
  return e instanceof TroubleshooterError && (code === undefined || e.code === code);
}

/** Cancellation is a normal outcome, not an error dialog. */
export function isCancelled(e: unknown): boolean {
  return isTroubleshooterError(e, 'Cancelled') || (e instanceof Error && e.name === 'AbortError');
}

export function cancelledError(what = 'Operation'): TroubleshooterError {
  return new TroubleshooterError('Cancelled', `${what} was cancelled.`);
}

/** Throws a Cancelled error if the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw cancelledError(what);
}

/** One-line, user-facing text of any thrown value (never a stack). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
