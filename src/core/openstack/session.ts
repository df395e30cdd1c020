import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { withDeadline } from '../deadline';
import { TroubleshooterError, cancelledError, isTroubleshooterError, type ErrorCode } from '../errors';
import { readRegularFileSync } from '../local-file';
import { logCall, nullLogger, redact, type Logger } from '../log';
import { isObj } from './parse';

/**
 * The HTTP session shared by all services of one cloud: keep-alive connections, TLS options from clouds.yaml, a
 * deadline on every call, retries with backoff for idempotent requests on 502/503/504 and connection resets, the
 * response's request id on every result and error, and typed errors carrying the service's own message.
 *
 * Built on node:http/https rather than fetch: Node's global fetch cannot take a custom CA, a client certificate or
 * verify=false without importing undici (bundled with Node but not importable), and node:http's keep-alive Agent
 * gives the same connection reuse a raw curl loop gets.
 */

export const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 256 * 1024 * 1024;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT']);
const RETRY_STATUS = new Set([502, 503, 504]);

export interface TlsOptions {
  /** false disables certificate verification (clouds.yaml `verify: false`). */
  verify?: boolean;
  /** CA bundle file. */
  cacert?: string;
  /** Client certificate and key files. */
  cert?: string;
  key?: string;
}

export interface SessionOptions {
  logger?: Logger;
  /** Deadline per attempt (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt for idempotent requests (default 3). */
  retries?: number;
  /** First backoff delay (default 300 ms; doubles, with jitter, capped at 5 s). */
  backoffMs?: number;
  tls?: TlsOptions;
  /** Sent as X-OpenStack-Request-ID so nova/neutron log it as the global id; must be `req-` + lower-case uuid. */
  globalRequestId?: string;
  userAgent?: string;
}

export interface HttpRequest {
  method: string;
  url: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** JSON body. */
  json?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Service name for messages, e.g. "Compute" or "Identity". */
  service?: string;
  /** Statuses accepted besides 2xx (e.g. 300 for version documents). */
  okStatuses?: number[];
  /** Overrides the method's idempotency for retries. */
  idempotent?: boolean;
}

export type QueryValue = string | number | boolean | undefined | null | (string | number)[];

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: unknown;
  requestId: string | undefined;
  url: string;
}

/** A client-made global request id: `req-` + lower-case uuid4 (oslo.middleware drops anything else). */
export function newGlobalRequestId(): string {
  return `req-${randomUUID().toLowerCase()}`;
}

const GLOBAL_ID_RE = /^req-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;

export function isValidGlobalRequestId(id: string): boolean {
  return GLOBAL_ID_RE.test(id);
}

export function buildUrl(base: string, query?: Record<string, QueryValue>): string {
  if (!query) return base;
  const u = new URL(base);
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) u.searchParams.append(k, String(x));
    else u.searchParams.set(k, String(v));
  }
  return u.toString();
}

/** The response's request id: X-OpenStack-Request-ID, else X-Compute-Request-Id (Nova before 2.46). */
export function responseRequestId(headers: http.IncomingHttpHeaders): string | undefined {
  const v = headers['x-openstack-request-id'] ?? headers['x-compute-request-id'];
  const s = Array.isArray(v) ? v[0] : v;
  return s || undefined;
}

/** The service's own message from an error body: Nova `{"badRequest":{"message"}}`, Neutron `{"NeutronError":…}`, Keystone `{"error":…}`. */
export function serviceErrorMessage(body: unknown, text?: string): string | undefined {
  if (isObj(body)) {
    if (isObj(body.NeutronError)) {
      const m = body.NeutronError.message;
      if (typeof m === 'string') return m;
    }
    if (isObj(body.error)) {
      const m = body.error.message;
      if (typeof m === 'string') return m;
    }
    if (Array.isArray(body.errors) && isObj(body.errors[0])) {
      // Placement: {"errors":[{"status","title","detail"}]}
      const d = body.errors[0].detail ?? body.errors[0].title;
      if (typeof d === 'string') return d;
    }
    for (const v of Object.values(body)) {
      if (isObj(v) && typeof v.message === 'string') return v.message; // Nova: {"itemNotFound": {"message", "code"}}
    }
    if (typeof body.message === 'string') return body.message;
  }
  if (text) {
    // An HTML error page (Apache, haproxy): its title says it; else the first words of the text.
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1] ?? /<h1>([^<]*)<\/h1>/i.exec(text)?.[1];
    const t = (title ?? text.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
    if (t) return t.length > 200 ? `${t.slice(0, 200)}…` : t;
  }
  return undefined;
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 502 || status === 503 || status === 504) return 'ServiceUnavailable';
  return 'HttpError';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

/** What the user sees for a failed call: `Compute: GET /servers/x returned 404: Instance x could not be found (request "req-…").` */
export function httpError(service: string, method: string, url: string, status: number, body: unknown, text: string, requestId?: string): TroubleshooterError {
  const found = serviceErrorMessage(body, text);
  // Services may echo what they were sent; never carry a token or password into a message.
  const msg = found === undefined ? undefined : redact(found);
  const path = safePath(url);
  return new TroubleshooterError(
    codeForStatus(status),
    `${service}: ${method} ${path} returned ${status}${msg ? `: ${oneLine(msg)}` : ''}${requestId ? ` (request "${requestId}")` : ''}.`,
    { subject: path, status, requestId, service, serviceMessage: msg },
  );
}

/** The path of a URL without the query (queries may hold names, never secrets; paths are shorter to read). */
function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
  'CERT_REJECTED', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
]);

/** Classifies a socket-level failure into a typed error. */
export function networkError(service: string, url: string, e: unknown): TroubleshooterError {
  if (isTroubleshooterError(e)) return e;
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const code = err?.code ?? '';
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    /* keep url */
  }
  if (TLS_CODES.has(code) || /certificate|ssl|tls/i.test(err?.message ?? '')) {
    return new TroubleshooterError('TlsError', `${service}: TLS verification of "${host}" failed (${code || oneLine(err.message)}); set cacert or verify in clouds.yaml.`, { subject: host, tlsCode: code }, { cause: e });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(err?.message ?? '')) {
    return new TroubleshooterError('ConnectionLost', `${service}: the connection to "${host}" was reset.`, { subject: host }, { cause: e });
  }
  const what =
    code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'name not resolved'
    : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'no route to host'
    : code || oneLine(err?.message ?? String(e));
  return new TroubleshooterError('HostUnreachable', `${service}: cannot reach "${host}" (${what}).`, { subject: host, errno: code }, { cause: e });
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  reusedSocket: boolean;
}

function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((res, rej) => {
    if (signal?.aborted) return rej(cancelledError(what));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      res();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      rej(cancelledError(what));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class HttpSession {
  readonly logger: Logger;
  readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly userAgent: string;
  globalRequestId: string | undefined;

  constructor(o: SessionOptions = {}) {
    this.logger = o.logger ?? nullLogger;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = o.retries ?? 3;
    this.backoffMs = o.backoffMs ?? 300;
    this.userAgent = o.userAgent ?? 'openstack-troubleshooter';
    if (o.globalRequestId !== undefined && !isValidGlobalRequestId(o.globalRequestId)) {
      throw new TroubleshooterError('InvalidInput', `A global request id must be "req-" and a lower-case UUID, not "${o.globalRequestId}".`);
    }
    this.globalRequestId = o.globalRequestId;
    const tls = o.tls ?? {};
    const read = (what: string, p: string | undefined) => {
      if (!p) return undefined;
      try {
        return readRegularFileSync(p, { maxBytes: 16 * 1024 * 1024 }).bytes;
      } catch (e) {
        if (e instanceof TroubleshooterError) throw e;
        throw new TroubleshooterError('ConfigInvalid', `Cannot read the ${what} file "${p}": ${(e as NodeJS.ErrnoException).code ?? 'error'}.`, { file: p });
      }
    };
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 16,
      rejectUnauthorized: tls.verify !== false,
      ca: tls.verify === false ? undefined : read('CA certificate', tls.cacert),
      cert: read('client certificate', tls.cert),
      key: read('client key', tls.key),
    });
  }

  /** Closes idle keep-alive connections (call when the client is disposed). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * One HTTP call with deadline, retries and typed errors. Non-2xx (other than `okStatuses`) throws a
   * TroubleshooterError whose message carries the service's own message and the request id.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method.toUpperCase();
    const service = req.service ?? 'OpenStack';
    const url = buildUrl(req.url, req.query);
    const idempotent = req.idempotent ?? IDEMPOTENT.has(method);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...req.headers,
    };
    if (this.globalRequestId && !Object.keys(headers).some((h) => h.toLowerCase() === 'x-openstack-request-id')) {
      headers['X-OpenStack-Request-ID'] = this.globalRequestId;
    }
    let payload: Buffer | undefined;
    if (req.json !== undefined) {
      payload = Buffer.from(JSON.stringify(req.json));
      headers['Content-Type'] = 'application/json';
    }
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const what = `${service} ${method} ${new URL(url).host}${safePath(url)}`;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let raw: RawResponse;
      try {
        raw = await withDeadline(what, timeoutMs, req.signal, (signal) => this.send(method, url, headers, payload, signal));
      } catch (e) {
        const err = networkError(service, url, e);
        logCall(this.logger, `${method} ${url}`, started, err);
        const resetOnReuse = err.code === 'ConnectionLost' && (e as { reusedSocket?: boolean }).reusedSocket === true;
        if ((err.code === 'ConnectionLost' && (idempotent || resetOnReuse)) && attempt < this.retries) {
          await sleep(resetOnReuse ? 0 : this.delay(attempt), req.signal, what);
          continue;
        }
        throw err;
      }
      const requestId = responseRequestId(raw.headers);
      const ok = (raw.status >= 200 && raw.status < 300) || (req.okStatuses ?? []).includes(raw.status);
      let body: unknown;
      if (raw.text) {
        try {
          body = JSON.parse(raw.text);
        } catch {
          body = undefined;
        }
      }
      if (ok) {
        logCall(this.logger, `${method} ${url} ${raw.status}${requestId ? ` ${requestId}` : ''}`, started);
        return { status: raw.status, headers: raw.headers, body, requestId, url };
      }
      const err = httpError(service, method, url, raw.status, body, body === undefined ? raw.text : '', requestId);
      logCall(this.logger, `${method} ${url} ${raw.status}${requestId ? ` ${requestId}` : ''}`, started, err);
      if (RETRY_STATUS.has(raw.status) && idempotent && attempt < this.retries) {
        await sleep(this.delay(attempt, raw.headers['retry-after']), req.signal, what);
        continue;
      }
      throw err;
    }
  }

  private delay(attempt: number, retryAfter?: string | string[]): number {
    const ra = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    if (Number.isFinite(ra) && ra > 0) return Math.min(ra * 1000, 5000);
    const base = Math.min(this.backoffMs * 2 ** attempt, 5000);
    return base / 2 + Math.random() * (base / 2);
  }

  private send(method: string, url: string, headers: Record<string, string>, payload: Buffer | undefined, signal: AbortSignal): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const isHttps = u.protocol === 'https:';
      if (!isHttps && u.protocol !== 'http:') {
        reject(new TroubleshooterError('InvalidInput', `Only http and https endpoints are supported, not "${u.protocol}".`));
        return;
      }
      const h: Record<string, string | number> = { ...headers };
      if (payload) h['Content-Length'] = payload.length;
      const r = (isHttps ? https : http).request(
        u,
        { method, headers: h, agent: isHttps ? this.httpsAgent : this.httpAgent, signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY_BYTES) {
              res.destroy(new TroubleshooterError('HttpError', `The response of "${u.pathname}" is larger than ${MAX_BODY_BYTES >> 20} MiB.`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), reusedSocket: r.reusedSocket }));
          res.on('error', (e) => reject(Object.assign(e, { reusedSocket: r.reusedSocket })));
          res.on('aborted', () => reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', reusedSocket: r.reusedSocket })));
        },
      );
      r.on('error', (e) => {
        // An abort from withDeadline carries the Timeout/Cancelled error as the signal's reason.
        if (signal.aborted && isTroubleshooterError(signal.reason)) reject(signal.reason);
        else reject(Object.assign(e, { reusedSocket: r.reusedSocket }));
      });
      r.end(payload);
    });
  }
}
