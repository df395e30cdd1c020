/**
 * The core's logging seam. The extension passes an adapter over its LogOutputChannel, the CLI one over stderr,
 * tests a collecting one. Every external call is logged once, in one shape: `> ssh compute1 grep … [123ms]`.
 * Everything passes through `redact` first.
 */
export interface Logger {
  trace(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const nullLogger: Logger = { trace() {}, info() {}, warn() {}, error() {} };

/** Logs an external call: `> <what> [<ms>ms]` (plus ` failed: reason`). */
export function logCall(log: Logger, what: string, startedAt: number, failure?: unknown): void {
  const ms = Math.round(performance.now() - startedAt);
  if (failure === undefined) log.info(redact(`> ${what} [${ms}ms]`));
  else log.warn(redact(`> ${what} [${ms}ms] failed: ${failure instanceof Error ? failure.message : String(failure)}`));
}

const MASK = '***';

const patterns: [RegExp, string][] = [
  // HTTP headers carrying tokens, as logged by keystonemiddleware/requests debug lines and our own logs.
  [/((?:x-auth-token|x-subject-token|x-service-token|x-storage-token|authorization)["']?\s*[:=]\s*["']?)(?:Bearer\s+|Basic\s+)?[^\s"',}]+/gi, `$1${MASK}`],
  // {SHA256}... hashed tokens in oslo debug lines
  [/\{SHA256\}[0-9a-f]{64}/gi, `{SHA256}${MASK}`],
  // password=..., "password": "...", secret, passphrase, token values in key/value or JSON
  [/((?:password|passwd|passphrase|secret|application_credential_secret|auth_token|token)["']?\s*[:=]\s*["']?)[^\s"',}&]+/gi, `$1${MASK}`],
  // credentials in URLs: scheme://user:pass@host (transport_url, connection strings)
  [/\b([a-z][a-z0-9+.-]{0,31}:\/\/[^:/\s@]{1,256}:)[^@/\s]{1,256}@/gi, `$1${MASK}@`],
  // Fernet / PKI token-looking blobs (gAAAAA...)
  [/\bgAAAAA[0-9A-Za-z_-]{20,}=*/g, MASK],
];

/** Masks secrets in a line of text: tokens, passwords, URL credentials. Cheap enough for every log line. */
export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of patterns) out = out.replace(re, rep);
  return out;
}

/** A logger that keeps lines in memory (tests, CLI --verbose). */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  trace(m: string) { this.lines.push(`trace ${m}`); }
  info(m: string) { this.lines.push(`info ${m}`); }
  warn(m: string) { this.lines.push(`warn ${m}`); }
  error(m: string) { this.lines.push(`error ${m}`); }
}
