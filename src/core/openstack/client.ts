import { TroubleshooterError } from '../errors';
import { nullLogger, type Logger } from '../log';
import { KeystoneAuth, selectEndpoint, type Token } from './auth';
import { loadCloudConfig, type CloudConfig, type CloudsConfigOptions } from './clouds-config';
import { COMPUTE_CLIENT_MAX, ComputeApi } from './compute';
import { NetworkApi } from './network';
import { PLACEMENT_CLIENT_MAX, PlacementApi } from './placement';
import { HttpSession, isValidGlobalRequestId } from './session';
import { ServiceClient } from './service';
import type { CatalogService, TokenInfo } from './types';

/**
 * The facade the explorer, checks, logs and the CLI use:
 *
 *   const os = await OpenStackClient.connect(loadCloudConfig('lab'), { logger, signal });
 *   const { data: servers } = await os.compute.listServers({ allProjects: true, signal });
 *   os.dispose();
 *
 * `connect` authenticates, reads the catalog and negotiates the compute and placement microversions.
 */

export interface ConnectOptions {
  logger?: Logger;
  signal?: AbortSignal;
  /** Deadline per HTTP call (default: clouds.yaml `api_timeout`, else 30 s). */
  timeoutMs?: number;
  /** Retries of idempotent calls on 502/503/504 and resets (default 3). */
  retries?: number;
  /** Sent as X-OpenStack-Request-ID on every call (`req-` + lower-case uuid; see newGlobalRequestId()). */
  globalRequestId?: string;
}

function stripProjectSuffix(url: string): string {
  // http://ctl:8774/v2.1/<project id> → http://ctl:8774/v2.1/
  return url.replace(/\/+$/, '').replace(/\/(?:[0-9a-f]{32}|[0-9a-f-]{36}|%\(tenant_id\)s|\$\(project_id\)s)$/i, '') + '/';
}

/** Identity: the current token's facts and the catalog. */
export class IdentityApi {
  constructor(
    readonly auth: KeystoneAuth,
    readonly client: ServiceClient,
  ) {}

  /** Facts of the current token (renewed when needed): user, project, roles, expiry, catalog. */
  async tokenInfo(o: { signal?: AbortSignal } = {}): Promise<TokenInfo> {
    return (await this.auth.token(o.signal)).info;
  }

  async catalog(o: { signal?: AbortSignal } = {}): Promise<CatalogService[]> {
    return (await this.tokenInfo(o)).catalog;
  }

  /** Revokes the current token (next call re-authenticates). */
  async revokeToken(o: { signal?: AbortSignal } = {}): Promise<void> {
    const t: Token = await this.auth.token(o.signal);
    await this.auth.revoke(t, o.signal);
  }
}

export class OpenStackClient {
  private constructor(
    readonly cloud: CloudConfig,
    readonly session: HttpSession,
    readonly auth: KeystoneAuth,
    readonly identity: IdentityApi,
    readonly compute: ComputeApi,
    private readonly networkApi: NetworkApi | undefined,
    private readonly placementApi: PlacementApi | undefined,
    readonly tokenInfo: TokenInfo,
  ) {}

  /** Loads `cloud` from clouds.yaml / OS_* (see loadCloudConfig) and connects. */
  static async fromCloudName(cloud: string | undefined, o: ConnectOptions & CloudsConfigOptions = {}): Promise<OpenStackClient> {
    return OpenStackClient.connect(loadCloudConfig(cloud, o), o);
  }

  static async connect(cloud: CloudConfig, o: ConnectOptions = {}): Promise<OpenStackClient> {
    const logger = o.logger ?? nullLogger;
    const session = new HttpSession({
      logger,
      timeoutMs: o.timeoutMs ?? cloud.timeoutMs,
      retries: o.retries,
      globalRequestId: o.globalRequestId,
      tls: { verify: cloud.verify, cacert: cloud.cacert, cert: cloud.cert, key: cloud.key },
    });
    try {
      const auth = new KeystoneAuth(session, cloud);
      const token = await auth.token(o.signal);
      const endpoint = (type: string): string | undefined =>
        cloud.endpointOverrides[type] ?? selectEndpoint(token.info.catalog, type, cloud.interface, cloud.regionName);
      const where = `interface "${cloud.interface}"${cloud.regionName ? `, region "${cloud.regionName}"` : ''}`;

      const computeUrl = endpoint('compute');
      if (!computeUrl) {
        throw new TroubleshooterError('EndpointNotFound', `The catalog of cloud "${cloud.name}" has no compute endpoint for ${where}.`, { subject: cloud.name });
      }
      const computeClient = new ServiceClient(session, auth, 'Compute', computeUrl, {
        headerService: 'compute',
        legacyNovaHeader: true,
        clientMax: COMPUTE_CLIENT_MAX,
        pinned: cloud.computeApiVersion,
      });

      const identityUrl = await auth.identityEndpoint(o.signal);
      const identityClient = new ServiceClient(session, auth, 'Identity', identityUrl);

      const networkUrl = endpoint('network');
      const networkClient = networkUrl
        ? new ServiceClient(session, auth, 'Network', /\/v2\.0\/?$/.test(networkUrl) ? networkUrl : `${networkUrl.replace(/\/+$/, '')}/v2.0`)
        : undefined;

      const placementUrl = endpoint('placement');
      const placementClient = placementUrl
        ? new ServiceClient(session, auth, 'Placement', placementUrl, {
            headerService: 'placement',
            clientMax: PLACEMENT_CLIENT_MAX,
            pinned: cloud.placementApiVersion,
          })
        : undefined;

      await Promise.all([
        computeClient.negotiate(stripProjectSuffix(computeUrl), o.signal),
        placementClient?.negotiate(placementUrl!.replace(/\/+$/, '') + '/', o.signal).catch((e: unknown) => {
          // Placement is optional for most views: fall back to its base version and say why.
          logger.warn(`Placement version discovery failed, using 1.0: ${e instanceof Error ? e.message : String(e)}`);
          placementClient.microversion = '1.0';
        }),
      ]);
      return new OpenStackClient(
        cloud,
        session,
        auth,
        new IdentityApi(auth, identityClient),
        new ComputeApi(computeClient),
        networkClient && new NetworkApi(networkClient),
        placementClient && new PlacementApi(placementClient),
        token.info,
      );
    } catch (e) {
      session.close();
      throw e;
    }
  }

  /** Neutron; throws EndpointNotFound when the catalog has no network service. */
  get network(): NetworkApi {
    if (!this.networkApi) throw new TroubleshooterError('EndpointNotFound', `The catalog of cloud "${this.cloud.name}" has no network endpoint.`, { subject: this.cloud.name });
    return this.networkApi;
  }

  /** Placement; throws EndpointNotFound when the catalog has no placement service. */
  get placement(): PlacementApi {
    if (!this.placementApi) throw new TroubleshooterError('EndpointNotFound', `The catalog of cloud "${this.cloud.name}" has no placement endpoint.`, { subject: this.cloud.name });
    return this.placementApi;
  }

  get hasNetwork(): boolean {
    return this.networkApi !== undefined;
  }

  get hasPlacement(): boolean {
    return this.placementApi !== undefined;
  }

  /** True when the token has the admin role (admin-only fields and actions are available). */
  get isAdmin(): boolean {
    return this.tokenInfo.isAdmin;
  }

  /** Sets (or clears) the global request id sent on every following call. */
  setGlobalRequestId(id: string | undefined): void {
    if (id !== undefined && !isValidGlobalRequestId(id)) {
      throw new TroubleshooterError('InvalidInput', `A global request id must be "req-" and a lower-case UUID, not "${id}".`);
    }
    this.session.globalRequestId = id;
  }

  /** Closes keep-alive connections. */
  dispose(): void {
    this.session.close();
  }
}
