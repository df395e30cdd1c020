import { TroubleshooterError, isTroubleshooterError } from '../errors';
import type { KeystoneAuth } from './auth';
import { negotiateMicroversion, versionRange } from './microversion';
import { listOf, nextLink } from './parse';
import type { HttpResponse, HttpSession, QueryValue } from './session';
import type { ApiList, Page } from './types';

/**
 * One OpenStack service of a cloud (compute, network, placement, identity): its endpoint from the catalog, its
 * negotiated microversion, authenticated calls (renewing the token once on 401), and pagination as async iteration.
 */

export interface CallOptions {
  query?: Record<string, QueryValue>;
  json?: unknown;
  /** Pin a microversion for this call only (e.g. "2.87" to still get hypervisor cpu_info). */
  microversion?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  okStatuses?: number[];
}

export interface MicroversionSupport {
  /** Header name, e.g. "compute" for `OpenStack-API-Version: compute 2.x`. */
  headerService: string;
  /** Also send the legacy `X-OpenStack-Nova-API-Version`. */
  legacyNovaHeader?: boolean;
  /** Highest version this client knows how to read. */
  clientMax: string;
  /** From clouds.yaml (`compute_api_version`). */
  pinned?: string;
}

export class ServiceClient {
  /** Negotiated microversion (undefined for services without microversions). */
  microversion: string | undefined;
  /** Supported range the service announced. */
  range: { min: string; max: string } | undefined;

  constructor(
    readonly session: HttpSession,
    readonly auth: KeystoneAuth,
    /** Display name for messages: "Compute", "Network", "Placement", "Identity". */
    readonly displayName: string,
    /** Base URL the paths are relative to (e.g. http://ctl:8774/v2.1, http://ctl:9696/v2.0). */
    readonly baseUrl: string,
    private readonly mv?: MicroversionSupport,
  ) {}

  /** Reads the version document at `versionUrl` and picks the microversion. */
  async negotiate(versionUrl: string, signal?: AbortSignal): Promise<void> {
    if (!this.mv) return;
    const res = await this.session.request({ method: 'GET', url: versionUrl, service: this.displayName, okStatuses: [300], signal });
    this.range = versionRange(res.body, this.mv.clientMax.startsWith('2.') ? 'v2.1' : undefined);
    this.microversion = negotiateMicroversion(this.displayName, this.range, this.mv.clientMax, this.mv.pinned);
  }

  /** The microversion a call will use (a pin must lie in the announced range). */
  versionFor(pin?: string): string | undefined {
    if (!this.mv) return undefined;
    if (pin === undefined) return this.microversion;
    return negotiateMicroversion(this.displayName, this.range, this.mv.clientMax, pin);
  }

  url(path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    return `${this.baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  /** An authenticated call; on 401 the token is renewed once and the call repeated. */
  async call(method: string, path: string, o: CallOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = {};
    const mv = this.versionFor(o.microversion);
    if (mv && this.mv) {
      headers['OpenStack-API-Version'] = `${this.mv.headerService} ${mv}`;
      if (this.mv.legacyNovaHeader) headers['X-OpenStack-Nova-API-Version'] = mv;
    }
    for (let attempt = 0; ; attempt++) {
      const token = await this.auth.token(o.signal);
      try {
        return await this.session.request({
          method,
          url: this.url(path),
          query: o.query,
          json: o.json,
          headers: { ...headers, 'X-Auth-Token': token.value },
          service: this.displayName,
          signal: o.signal,
          timeoutMs: o.timeoutMs,
          okStatuses: o.okStatuses,
        });
      } catch (e) {
        if (attempt === 0 && isTroubleshooterError(e, 'Unauthorized') && this.auth.canReauthenticate) {
          this.auth.invalidate(token);
          continue;
        }
        throw e;
      }
    }
  }

  async get(path: string, o: CallOptions = {}): Promise<HttpResponse> {
    return this.call('GET', path, o);
  }

  /**
   * Pages of a list as async iteration: requests `limit` explicitly and follows the `next` link under `linksKey`
   * (servers_links, hypervisors_links, migrations_links, links, routers_links…) until there is none. The next link's
   * query is applied to our own endpoint URL, so a service that advertises an internal host name still works.
   */
  async *pages<T>(
    path: string,
    key: string,
    linksKey: string,
    parse: (v: unknown) => T,
    o: CallOptions & { limit?: number; maxPages?: number } = {},
  ): AsyncGenerator<Page<T>> {
    let query: Record<string, QueryValue> = { ...o.query };
    if (o.limit !== undefined) query.limit = o.limit;
    const seen = new Set<string>();
    for (let n = 0; ; n++) {
      const res = await this.get(path, { ...o, query });
      const items = listOf(res.body, key).map(parse);
      const next = nextLink(res.body, linksKey);
      yield { items, requestId: res.requestId, hasNext: next !== undefined };
      if (!next || items.length === 0) return;
      const nq = new URL(next, this.url(path)).searchParams;
      const marker = nq.get('marker') ?? '';
      if (seen.has(marker)) {
        throw new TroubleshooterError('Conflict', `${this.displayName}: the ${key} list changed while it was paged (marker "${marker}" came back); list again.`, { subject: marker });
      }
      seen.add(marker);
      if (o.maxPages !== undefined && n + 1 >= o.maxPages) return;
      query = {};
      for (const [k, v] of nq) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
      }
    }
  }

  /** All pages collected. */
  async list<T>(path: string, key: string, linksKey: string, parse: (v: unknown) => T, o: CallOptions & { limit?: number } = {}): Promise<ApiList<T>> {
    const data: T[] = [];
    const requestIds: string[] = [];
    for await (const p of this.pages(path, key, linksKey, parse, o)) {
      data.push(...p.items);
      if (p.requestId) requestIds.push(p.requestId);
    }
    return { data, requestId: requestIds[0], requestIds };
  }
}
