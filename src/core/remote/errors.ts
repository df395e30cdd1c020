import { TroubleshooterError, isTroubleshooterError, type ErrorDetails } from '../errors';
import { redact } from '../log';

/**
 * The one place where ssh2, socket, SFTP and sudo failures become typed TroubleshooterErrors.
 * Everything in src/core/remote throws through `classifySshError`, so features render one table of codes.
 */

/** SFTP status codes (draft-ietf-secsh-filexfer-02, what OpenSSH's sftp-server speaks). */
export const SFTP_STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTDOWN', 'ENETDOWN']);
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export interface ClassifyContext {
  /** The ssh target alias (shown to the user), e.g. "compute1". */
  subject: string;
  /** What was being done, for the message: "connect", "sftp stat", "exec". */
  phase?: string;
  /** The remote path for SFTP errors. */
  path?: string;
}

/** Turns anything thrown by ssh2, net or sftp into a TroubleshooterError. TroubleshooterErrors pass unchanged. */
export function classifySshError(e: unknown, ctx: ClassifyContext): TroubleshooterError {
  if (isTroubleshooterError(e)) return e;
  const err = e as (Error & { level?: string; code?: string | number; errno?: number }) | undefined;
  const msg = err instanceof Error ? err.message : String(e);
  const details: ErrorDetails = { subject: ctx.subject };
  const where = ctx.path ? ctx.path : ctx.subject;
  if (ctx.path) details.path = ctx.path;
  const mk = (code: TroubleshooterError['code'], message: string) =>
    new TroubleshooterError(code, message, details, { cause: e });

  if (err && (err.name === 'AbortError')) return mk('Cancelled', `SSH ${ctx.phase ?? 'call'} to "${ctx.subject}" was cancelled.`);

  // SFTP status codes are numbers on the error.
  if (typeof err?.code === 'number') {
    switch (err.code) {
      case SFTP_STATUS.NO_SUCH_FILE: return mk('NotFound', `No such file on "${ctx.subject}": "${where}".`);
      case SFTP_STATUS.PERMISSION_DENIED: return mk('PermissionDenied', `Permission denied on "${ctx.subject}": "${where}".`);
      case SFTP_STATUS.NO_CONNECTION:
      case SFTP_STATUS.CONNECTION_LOST: return mk('ConnectionLost', `Connection to "${ctx.subject}" was lost.`);
      case SFTP_STATUS.OP_UNSUPPORTED: return mk('Unsupported', `The SFTP server of "${ctx.subject}" does not support ${ctx.phase ?? 'this operation'}.`);
      case SFTP_STATUS.FAILURE: return mk('CommandFailed', `SFTP ${ctx.phase ?? 'call'} failed on "${ctx.subject}": "${where}".`);
      default: break;
    }
  }
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code && UNREACHABLE.has(code)) {
    details.errno = code;
    return mk('HostUnreachable', `Cannot reach "${ctx.subject}" (${code}).`);
  }
  if (code === 'ETIMEDOUT') return mk('Timeout', `Connecting to "${ctx.subject}" timed out.`);
  if (err?.level === 'client-authentication' || /All configured authentication methods failed/i.test(msg)) {
    return mk('AuthFailed', `Authentication to "${ctx.subject}" failed (no key, agent identity or passphrase was accepted).`);
  }
  if (err?.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(msg)) {
    return mk('Timeout', `"${ctx.subject}" did not complete the SSH handshake in time.`);
  }
  if (err?.level === 'client-dns') return mk('HostUnreachable', `Cannot resolve the address of "${ctx.subject}".`);
  if (code && LOST.has(code)) return mk('ConnectionLost', `Connection to "${ctx.subject}" was lost (${code}).`);
  if (/No response from server|Not connected|Connection lost before handshake|socket hang up|Unable to exec|connection (?:closed|lost)/i.test(msg)) {
    return mk('ConnectionLost', `Connection to "${ctx.subject}" was lost.`);
  }
  if (/Channel open failure/i.test(msg)) {
    return mk('CommandFailed', `"${ctx.subject}" refused to open a channel (${msg.replace(/^.*failure:\s*/i, '') || 'no reason given'}).`);
  }
  if (/Handshake failed|no matching/i.test(msg)) return mk('Unsupported', `SSH handshake with "${ctx.subject}" failed: ${redact(msg)}.`);
  if (/permission denied/i.test(msg)) return mk('PermissionDenied', `Permission denied on "${ctx.subject}": "${where}".`);
  if (/no such file/i.test(msg)) return mk('NotFound', `No such file on "${ctx.subject}": "${where}".`);
  return mk('ConnectionLost', `SSH ${ctx.phase ?? 'call'} to "${ctx.subject}" failed: ${redact(msg)}.`);
}

/**
 * Classifies the stderr of a failed `sudo -n …` run. Returns undefined when stderr is not from sudo itself
 * (then the command's own failure applies). Messages are those of sudo 1.8/1.9 (Debian, RHEL, Ubuntu).
 */
export function classifySudoFailure(stderr: string, subject: string): TroubleshooterError | undefined {
  const first = stderr.split('\n').find((l) => /^sudo:/.test(l.trim()))?.trim();
  if (!first) {
    if (/(?:^|\s)sudo: (?:command )?not found|sudo: No such file/i.test(stderr)) {
      return new TroubleshooterError('Unsupported', `sudo is not installed on "${subject}".`, { subject });
    }
    return undefined;
  }
  if (/a password is required|a terminal is required|no tty present|askpass/i.test(first)) {
    return new TroubleshooterError(
      'SudoPasswordRequired',
      `sudo on "${subject}" needs a password; allow the commands with NOPASSWD in sudoers or connect as a user that does not need one.`,
      { subject, stderr: redact(first) },
    );
  }
  if (/not in the sudoers file|is not allowed to (?:execute|run)|may not run sudo/i.test(first)) {
    return new TroubleshooterError('PermissionDenied', `The SSH user may not use sudo on "${subject}".`, { subject, stderr: redact(first) });
  }
  if (/command not found|not found/i.test(first)) {
    return new TroubleshooterError('CommandFailed', `sudo on "${subject}" could not find the command: ${redact(first)}`, { subject, stderr: redact(first) });
  }
  return undefined;
}

/** Keeps the end of stderr (where the reason is), redacted and bounded, for error details and messages. */
export function stderrTail(stderr: string, maxChars = 2000): string {
  const t = stderr.trim();
  return redact(t.length > maxChars ? `…${t.slice(-maxChars)}` : t);
}
