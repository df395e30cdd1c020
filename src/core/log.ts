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

/**
 * Secret values by their key, in every form a service or a tool prints them:
 *   JSON `"password": "a \"b\", c}"`, JSON inside a JSON string `\"password\": \"…\"`, Python reprs
 *   `'password': 'it\'s'`, `password="…"`, forms `password=a b,c&next=…` (to `&` or whitespace), and unquoted
 *   `password: value` (to whitespace, `,` or `}`).
 * Quoted values follow the string grammar of JSON/Python (escapes included), so a quote, comma, brace, space or `&`
 * inside a password does not end it early. The key is found by its keyword (`os_password`, `adminPass`,
 * `metadata_proxy_shared_secret`, `auth_token` all end in one); a prefix of key characters is never scanned
 * (that would be quadratic on long words, and this runs over every log line).
 * The text is not parsed as JSON: the string grammar here is exact, and parsing would reformat bodies and round
 * big integers.
 */
const SECRET_KEY = String.raw`(?:password|passwd|passphrase|secret|adminpass|token)`;
const KEY_VALUE = new RegExp(
  String.raw`(${SECRET_KEY}\\?["']?\s*)([:=])(\s*)(\\"(?:[^"\\\n]|\\(?!")[^\n])*?\\"|b?"(?:[^"\\\n]|\\.)*"|b?'(?:[^'\\\n]|\\.)*'|(?<==\s*)[^\s"'{[\\&][^\s&"]*|(?<=:\s*)[^\s"'{[\\&,}][^\s&,}"']*)`,
  'gi',
);

function maskKeyValue(_m: string, key: string, sep: string, space: string, value: string): string {
  const b = /^b["']/.test(value) ? 'b' : ''; // Python bytes: b'…'
  const v = value.slice(b.length);
  const q = v.startsWith('\\"') ? '\\"' : v[0] === '"' || v[0] === "'" ? v[0] : '';
  // unquoted (the pattern ends it): a form value at `&` or whitespace; after `:` (headers, JSON numbers) also at `,` `}`
  return `${key}${sep}${space}${b}${q}${MASK}${q}`;
}

/**
 * scheme://user:password@host — the password may hold `/`, `@` or spaces: it ends at the `@` before a host (the last
 * such `@` of the word; across spaces, the first).
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^:/\s@"']{1,256}:)(\S{1,256}(?=@[A-Za-z0-9._\-[\]]+(?:[:/?#\s"'),;]|$))|[^\n]{1,256}?(?=@[A-Za-z0-9._\-[\]]+(?:[:/?#\s"'),;]|$)))@/gi;

function maskUrlCredentials(m: string, prefix: string, password: string): string {
  // `http://controller:5000/v3 … a@b`: a port, not a password
  if (/^\d{1,5}(?:[/\s?#]|$)/.test(password)) return m;
  return `${prefix}${MASK}@`;
}

/**
 * Service validation errors echo the rejected value (nova: `Invalid input for field/attribute adminPass. Value:
 * …`, keystone: `Invalid input for field 'identity/password/user/password': … is not of type …`, neutron:
 * `Invalid input for password. Reason: …`): for a secret field, the rest of the message is masked (to the end of
 * its JSON string, or of the line).
 */
const ECHOED_VALUE = /(Invalid input for (?:field(?:\/attribute)? )?'?[\w/.-]*(?:pass|secret|token)[\w/.-]*'?(?:\. Value: |\. Reason: |: ))(?:[^"\\\n]|\\.)+/gi;

const patterns: [RegExp, string | ((...args: string[]) => string)][] = [
  // HTTP headers carrying tokens, as logged by keystonemiddleware/requests debug lines (also b'…' values) and our own logs.
  [/((?:x-auth-token|x-subject-token|x-service-token|x-storage-token|authorization)["']?\s*[:=]\s*(?:b(?=["']))?["']?)(?:Bearer\s+|Basic\s+)?[^\s"',}]+/gi, `$1${MASK}`],
  // {SHA256}... hashed tokens in oslo debug lines
  [/\{SHA256\}[0-9a-f]{64}/gi, `{SHA256}${MASK}`],
  [ECHOED_VALUE, `$1${MASK}`],
  // password=..., "password": "...", secret, passphrase, token values in key/value, JSON or Python reprs
  [KEY_VALUE, maskKeyValue],
  // command lines: --os-password X, --password=X, os_password X
  [/(--(?:os-)?password(?:\s+|=))(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\S+)/gi, `$1${MASK}`],
  [/\b(os_password\s+)\S+/gi, `$1${MASK}`],
  // credentials in URLs: scheme://user:pass@host (transport_url, connection strings)
  [URL_CREDENTIALS, maskUrlCredentials],
  // Fernet / PKI token-looking blobs (gAAAAA...)
  [/\bgAAAAA[0-9A-Za-z_-]{20,}=*/g, MASK],
  // JWS/JWT tokens (Keystone's JWS provider, OIDC): base64url header.payload.signature, also inside b'…' reprs
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, MASK],
];

/** Masks secrets in a line of text: tokens, passwords, URL credentials. Cheap enough for every log line. */
export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of patterns) out = out.replace(re, rep as (substring: string, ...args: string[]) => string);
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
