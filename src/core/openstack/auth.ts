import { TroubleshooterError, isTroubleshooterError } from '../errors';
import type { AuthOptions, CloudConfig, Interface } from './clouds-config';
import { isObj, parseApiTime } from './parse';
import type { HttpSession } from './session';
import type { CatalogEndpoint, CatalogService, TokenInfo } from './types';

/**
 * Keystone v3: password / v3password / v3applicationcredential / token / v3token, version discovery when auth_url
 * lacks /v3, the token from X-Subject-Token, catalog endpoint selection, and renewal before expiry or once on 401.
 */

/** Renew a token this long before it expires. */
const RENEW_BEFORE_MS = 120_000;

export interface Token {
  /** The X-Auth-Token value. Never log or show it. */
  readonly value: string;
  readonly info: TokenInfo;
  readonly requestId: string | undefined;
}

/** The v3 `POST /auth/tokens` body for a cloud's auth options (secrets inside: never log it). */
export function authRequestBody(authType: CloudConfig['authType'], a: AuthOptions): Record<string, unknown> {
  const domain = (id?: string, name?: string) => (id ? { id } : name ? { name } : undefined);
  /** `{ name, domain }` without a `domain` key when none is configured: Keystone then answers for itself. */
  const named = (name: string | undefined, d: ReturnType<typeof domain>) => (d ? { name, domain: d } : { name });
  let identity: Record<string, unknown>;
  if (authType === 'v3applicationcredential') {
    const cred: Record<string, unknown> = { secret: a.applicationCredentialSecret };
    if (a.applicationCredentialId) cred.id = a.applicationCredentialId;
    else {
      cred.name = a.applicationCredentialName;
      cred.user = a.userId ? { id: a.userId } : named(a.username, domain(a.userDomainId, a.userDomainName));
    }
    // "You are not allowed to request a scope" with an application credential.
    return { auth: { identity: { methods: ['application_credential'], application_credential: cred } } };
  }
  if (authType === 'token' || authType === 'v3token') {
    identity = { methods: ['token'], token: { id: a.token } };
  } else {
    const user: Record<string, unknown> = a.userId ? { id: a.userId } : named(a.username, domain(a.userDomainId, a.userDomainName));
    user.password = a.password;
    identity = { methods: ['password'], password: { user } };
  }
  let scope: Record<string, unknown> | undefined;
  if (a.projectId) scope = { project: { id: a.projectId } };
  else if (a.projectName) scope = { project: named(a.projectName, domain(a.projectDomainId, a.projectDomainName)) };
  else if (a.domainId || a.domainName) scope = { domain: domain(a.domainId, a.domainName) };
  else if (a.systemScope) scope = { system: { [a.systemScope]: true } };
  return { auth: scope ? { identity, scope } : { identity } };
}

export function parseTokenBody(body: unknown): TokenInfo {
  const t = isObj(body) && isObj(body.token) ? body.token : undefined;
  if (!t) throw new TroubleshooterError('HttpError', 'Identity: the token response has no "token" object.');
  const expiresAt = parseApiTime(typeof t.expires_at === 'string' ? t.expires_at : undefined);
  if (!expiresAt) throw new TroubleshooterError('HttpError', 'Identity: the token response has no valid "expires_at".');
  const user = isObj(t.user) ? t.user : {};
  const project = isObj(t.project) ? t.project : undefined;
  const roles = Array.isArray(t.roles) ? t.roles.filter(isObj).map((r) => String(r.name ?? '')) : [];
  const catalog: CatalogService[] = Array.isArray(t.catalog)
    ? t.catalog.filter(isObj).map((s) => ({
        type: String(s.type ?? ''),
        name: typeof s.name === 'string' ? s.name : undefined,
        endpoints: Array.isArray(s.endpoints)
          ? s.endpoints.filter(isObj).map(
              (e): CatalogEndpoint => ({
                id: typeof e.id === 'string' ? e.id : undefined,
                interface: String(e.interface ?? ''),
                region: typeof e.region === 'string' ? e.region : undefined,
                regionId: typeof e.region_id === 'string' ? e.region_id : undefined,
                url: String(e.url ?? ''),
              }),
            )
          : [],
      }))
    : [];
  return {
    expiresAt,
    issuedAt: parseApiTime(typeof t.issued_at === 'string' ? t.issued_at : undefined),
    methods: Array.isArray(t.methods) ? t.methods.map(String) : [],
    userId: typeof user.id === 'string' ? user.id : undefined,
    userName: typeof user.name === 'string' ? user.name : undefined,
    projectId: project && typeof project.id === 'string' ? project.id : undefined,
    projectName: project && typeof project.name === 'string' ? project.name : undefined,
    domainId: isObj(t.domain) && typeof t.domain.id === 'string' ? t.domain.id : undefined,
    roles,
    isAdmin: roles.includes('admin'),
    catalog,
  };
}

/** Service-type aliases (service-types-authority) accepted when looking up the catalog. */
const TYPE_ALIASES: Record<string, string[]> = {
  compute: ['compute'],
  network: ['network'],
  placement: ['placement'],
  identity: ['identity'],
  image: ['image'],
  'block-storage': ['block-storage', 'volumev3', 'volumev2', 'volume'],
};

/** Picks the endpoint of a service type by interface and region (first region when none is configured). */
export function selectEndpoint(catalog: CatalogService[], type: string, iface: Interface, region?: string): string | undefined {
  const types = TYPE_ALIASES[type] ?? [type];
  for (const t of types) {
    for (const svc of catalog.filter((s) => s.type === t)) {
      const eps = svc.endpoints.filter((e) => e.interface.replace(/URL$/, '') === iface);
      const hit = region ? eps.find((e) => e.region === region || e.regionId === region) : eps[0];
      if (hit) return hit.url;
    }
  }
  return undefined;
}

/** The v3 base URL: auth_url itself when it ends in /v3, else from the version document at auth_url. */
export async function discoverIdentityV3(session: HttpSession, authUrl: string, signal?: AbortSignal): Promise<string> {
  const trimmed = authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(trimmed)) return trimmed;
  if (/\/v2\.0$/.test(trimmed)) {
    throw new TroubleshooterError('ConfigInvalid', `Keystone v2.0 is not supported; use the v3 auth_url instead of "${authUrl}".`);
  }
  try {
    const res = await session.request({ method: 'GET', url: `${trimmed}/`, service: 'Identity', okStatuses: [300], signal });
    const values = isObj(res.body) && isObj(res.body.versions) && Array.isArray(res.body.versions.values)
      ? res.body.versions.values
      : isObj(res.body) && isObj(res.body.version) ? [res.body.version] : [];
    for (const v of values) {
      if (!isObj(v) || typeof v.id !== 'string' || !v.id.startsWith('v3')) continue;
      const self = Array.isArray(v.links) ? v.links.find((l) => isObj(l) && l.rel === 'self') : undefined;
      if (isObj(self) && typeof self.href === 'string') return self.href.replace(/\/+$/, '');
    }
  } catch (e) {
    if (isTroubleshooterError(e) && (e.code === 'HostUnreachable' || e.code === 'Timeout' || e.code === 'Cancelled' || e.code === 'TlsError')) throw e;
    // A proxy that hides the version document: fall through to the conventional path.
  }
  return `${trimmed}/v3`;
}

/**
 * One cloud's Keystone session: issues a token on first use, renews it before it expires, and renews once after
 * a 401 (`invalidate()` then `token()`). Concurrent callers share one in-flight request.
 */
export class KeystoneAuth {
  private current: Token | undefined;
  private inflight: Promise<Token> | undefined;
  private identityUrl: string | undefined;

  constructor(
    private readonly session: HttpSession,
    readonly cloud: CloudConfig,
  ) {}

  /** The v3 identity base URL (after discovery). */
  async identityEndpoint(signal?: AbortSignal): Promise<string> {
    this.identityUrl ??= await discoverIdentityV3(this.session, this.cloud.auth.authUrl, signal);
    return this.identityUrl;
  }

  /** A valid token (cached until two minutes before it expires). */
  async token(signal?: AbortSignal): Promise<Token> {
    const t = this.current;
    if (t && t.info.expiresAt.getTime() - Date.now() > RENEW_BEFORE_MS) return t;
    this.inflight ??= this.issue(signal).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Forgets the token (after a 401) so that the next `token()` issues a new one. */
  invalidate(stale?: Token): void {
    if (!stale || this.current === stale) this.current = undefined;
  }

  /** Whether a fresh token can be had without the user (token auth cannot re-authenticate once that token dies). */
  get canReauthenticate(): boolean {
    return this.cloud.authType !== 'token' && this.cloud.authType !== 'v3token';
  }

  private async issue(signal?: AbortSignal): Promise<Token> {
    const base = await this.identityEndpoint(signal);
    let res;
    try {
      res = await this.session.request({
        method: 'POST',
        url: `${base}/auth/tokens`,
        service: 'Identity',
        json: authRequestBody(this.cloud.authType, this.cloud.auth),
        signal,
      });
    } catch (e) {
      if (isTroubleshooterError(e) && (e.details.status === 401 || e.details.status === 400 || e.details.status === 403 || e.details.status === 404)) {
        const msg = typeof e.details.serviceMessage === 'string' ? e.details.serviceMessage : e.message;
        const rid = e.details.requestId;
        throw new TroubleshooterError(
          'AuthFailed',
          `Keystone refused the credentials of cloud "${this.cloud.name}": ${msg.replace(/\.$/, '')}${rid ? ` (request "${rid}")` : ''}.`,
          { subject: this.cloud.name, status: e.details.status, requestId: rid as string | undefined },
          { cause: e },
        );
      }
      throw e;
    }
    const h = res.headers['x-subject-token'];
    const value = Array.isArray(h) ? h[0] : h;
    if (!value) throw new TroubleshooterError('HttpError', `Identity: the token response of cloud "${this.cloud.name}" has no X-Subject-Token header.`);
    const token: Token = { value, info: parseTokenBody(res.body), requestId: res.requestId };
    this.current = token;
    return token;
  }

  /** Revokes the current token (`DELETE /v3/auth/tokens`); used on logout and by tests of 401 recovery. */
  async revoke(token: Token, signal?: AbortSignal): Promise<void> {
    const base = await this.identityEndpoint(signal);
    await this.session.request({
      method: 'DELETE',
      url: `${base}/auth/tokens`,
      service: 'Identity',
      headers: { 'X-Auth-Token': token.value, 'X-Subject-Token': token.value },
      signal,
    });
  }
}
