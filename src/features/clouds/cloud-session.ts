import * as vscode from 'vscode';
import { errorMessage, isCancelled, isTroubleshooterError, TroubleshooterError, type ErrorCode } from '../../core/errors';
import { redact, type Logger } from '../../core/log';
import { cloudConfigFromObject, findCloudsFiles, listCloudNames, loadCloudConfig, type CloudConfig, type CloudsConfigOptions } from '../../core/openstack/clouds-config';
import { OpenStackClient } from '../../core/openstack/client';
import type { Secrets } from '../../platform/secrets';
import type { Settings } from '../../platform/settings';
import { readCloudEntry } from './clouds-file';
import { cloudSecretKey, credentialSecretKey } from './openrc';

export interface CloudSessionDeps {
  settings: Settings;
  secrets: Secrets;
  logger: Logger;
  /** Connects a client (tests and benches may pass their own); default OpenStackClient.connect. */
  connect?: (config: CloudConfig, o: { logger: Logger; signal?: AbortSignal; timeoutMs: number }) => Promise<OpenStackClient>;
}

/** The outcome of the last connect to the active cloud (the status bar shows it). */
export type ConnectionState =
  | { kind: 'unknown' }
  | { kind: 'connected'; cloud: string }
  | { kind: 'failed'; cloud: string; code?: ErrorCode; message: string };

/**
 * The active cloud and its client, for every feature. Connects lazily (one in-flight connect), reconnects when the
 * cloud settings change, and fires `onDidChange` so views reload. A password missing from clouds.yaml is read from
 * SecretStorage (or asked for once and stored there) — never written to a file or a setting.
 */
export class CloudSession implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly stateChanged = new vscode.EventEmitter<ConnectionState>();
  /** Fires when a connect to the active cloud succeeds or fails (and when a reset forgets the outcome). */
  readonly onDidChangeState = this.stateChanged.event;
  private connectionState: ConnectionState = { kind: 'unknown' };
  private connecting: { name: string; promise: Promise<OpenStackClient> } | undefined;
  /** Clients of clouds other than the active one (a log link that names its cloud), connected once each. */
  private readonly others = new Map<string, Promise<OpenStackClient>>();
  private readonly subs: vscode.Disposable[] = [];
  /** Overrides the setting for this window (tests, "switch" before the setting round-trips). */
  private override: string | undefined;

  constructor(private readonly deps: CloudSessionDeps) {
    this.subs.push(
      deps.settings.onDidChange((e) => {
        if (e.affectsConfiguration('openstack.cloudsYamlPath') || e.affectsConfiguration('openstack.http')) {
          this.override = undefined;
          this.reset();
        } else if (e.affectsConfiguration('openstack.cloud')) {
          // The echo of our own switchTo() changes nothing; a change made elsewhere (settings UI) switches.
          const before = this.activeCloud;
          this.override = undefined;
          if (this.activeCloud !== before) this.reset();
        }
      }),
    );
  }

  /** Options for the clouds.yaml search: the setting's file first, then openstacksdk's order from the workspace. */
  configOptions(): CloudsConfigOptions {
    const env = { ...process.env };
    const explicit = this.deps.settings.cloudsYamlPath;
    if (explicit) env.OS_CLIENT_CONFIG_FILE = explicit;
    return { env, cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath };
  }

  /** The clouds.yaml in use (where "Add Cloud" writes by default), if any. */
  cloudsFile(): string | undefined {
    return findCloudsFiles(this.configOptions()).clouds;
  }

  /** Names of all configured clouds; [] when none (or the file is broken — `configError()` says why). */
  listClouds(): string[] {
    try {
      return listCloudNames(this.configOptions());
    } catch {
      return [];
    }
  }

  /** The error that makes the configuration unusable, if any (shown as the Clouds view's placeholder). */
  configError(): TroubleshooterError | undefined {
    try {
      listCloudNames(this.configOptions());
      return undefined;
    } catch (e) {
      return e instanceof TroubleshooterError ? e : new TroubleshooterError('ConfigInvalid', String(e));
    }
  }

  /** Active cloud: the switch of this window, the `openstack.cloud` setting, $OS_CLOUD, else the first cloud. */
  get activeCloud(): string | undefined {
    const names = this.listClouds();
    const wanted = this.override || vscode.workspace.getConfiguration('openstack').get<string>('cloud') || process.env.OS_CLOUD;
    if (wanted && names.includes(wanted)) return wanted;
    return names[0];
  }

  /** The configuration of the active cloud (password injected from SecretStorage when clouds.yaml has none). */
  async config(name = this.activeCloud): Promise<CloudConfig> {
    if (!name) throw new TroubleshooterError('CloudNotFound', 'No cloud is configured: add one or point "openstack.cloudsYamlPath" at a clouds.yaml.');
    const o = this.configOptions();
    try {
      return loadCloudConfig(name, o);
    } catch (e) {
      const { key, raw, file } = this.entryWithoutSecret(name, e);
      const field = key === 'auth.password' ? 'password' : 'application_credential_secret';
      const secret = await this.secretFor(name, (raw.auth ?? {}) as Record<string, unknown>, field);
      const auth = { ...(raw.auth as Record<string, unknown>), [key.slice('auth.'.length)]: secret };
      return cloudConfigFromObject(name, { ...raw, auth }, file);
    }
  }

  /**
   * The configuration of a cloud for display (Clouds view, status bar), without asking for anything: when the secret
   * is not in clouds.yaml (it lives in SecretStorage), the rest of the entry is read and `secretElsewhere` says so.
   * The returned config carries no secret. Throws what loadCloudConfig throws for other problems.
   */
  describe(name: string): { config: CloudConfig; secretElsewhere: boolean } {
    const o = this.configOptions();
    try {
      return { config: loadCloudConfig(name, o), secretElsewhere: false };
    } catch (e) {
      const { key, raw, file } = this.entryWithoutSecret(name, e);
      // A stand-in lets the entry be checked like a complete one; it is dropped before the config is returned.
      const field = key.slice('auth.'.length);
      const config = cloudConfigFromObject(name, { ...raw, auth: { ...(raw.auth as Record<string, unknown>), [field]: 'stored elsewhere' } }, file);
      config.auth.password = undefined;
      config.auth.applicationCredentialSecret = undefined;
      return { config, secretElsewhere: true };
    }
  }

  /**
   * When `e` (from loadCloudConfig) says only the password or application credential secret is missing, the cloud's
   * raw entry in its clouds.yaml and which secret it lacks (kept in SecretStorage); otherwise `e` is thrown again.
   */
  private entryWithoutSecret(name: string, e: unknown): { key: 'auth.password' | 'auth.application_credential_secret'; raw: Record<string, unknown>; file: string } {
    const key = isTroubleshooterError(e, 'ConfigInvalid') ? e.details.key : undefined;
    if (key !== 'auth.password' && key !== 'auth.application_credential_secret') throw e;
    const file = this.cloudsFile();
    const raw = file ? readCloudEntry(file, name) : undefined;
    if (!raw || !file) throw e;
    return { key, raw, file };
  }

  /**
   * The secret of a cloud, stored by what it authenticates (credentialSecretKey: auth_url, user, domain), never by the
   * cloud's name alone. A secret stored under the old name key is moved to the new key once, in a trusted workspace
   * only: in an untrusted one the name may come from the workspace's own clouds.yaml with another auth_url.
   */
  private async secretFor(cloud: string, auth: Record<string, unknown>, field: 'password' | 'application_credential_secret'): Promise<string> {
    const what = field === 'password' ? 'password' : 'application credential secret';
    const key = credentialSecretKey(auth, field);
    if (!key) throw new TroubleshooterError('ConfigInvalid', `Cloud "${cloud}" names no auth_url or user, so its ${what} cannot be looked up.`, { subject: cloud });
    const stored = await this.deps.secrets.get(key);
    if (stored) return stored;
    if (vscode.workspace.isTrusted) {
      const legacy = await this.deps.secrets.get(cloudSecretKey(cloud));
      if (legacy) {
        await this.deps.secrets.store(key, legacy);
        await this.deps.secrets.delete(cloudSecretKey(cloud));
        this.deps.logger.info(`Moved the stored ${what} of cloud "${cloud}" to a key of its auth_url and user.`);
        return legacy;
      }
    }
    const entered = await vscode.window.showInputBox({
      title: `Cloud "${cloud}"`,
      prompt: `The ${what} of cloud "${cloud}" (kept in VS Code's secret storage, not in clouds.yaml)`,
      password: true,
      ignoreFocusOut: true,
    });
    if (!entered) throw new TroubleshooterError('Cancelled', `Connecting to cloud "${cloud}" was cancelled.`);
    await this.deps.secrets.store(key, entered);
    return entered;
  }

  /** The client of the active cloud, connected once; a failed connect is retried on the next call. */
  client(signal?: AbortSignal): Promise<OpenStackClient> {
    const name = this.activeCloud;
    if (!name) return Promise.reject(new TroubleshooterError('CloudNotFound', 'No cloud is configured.'));
    if (this.connecting?.name === name) return this.connecting.promise;
    const connect = this.deps.connect ?? ((c, o) => OpenStackClient.connect(c, o));
    const promise = (async () => {
      const cfg = await this.config(name);
      return connect(cfg, { logger: this.deps.logger, signal, timeoutMs: this.deps.settings.httpTimeoutMs });
    })();
    this.connecting = { name, promise };
    promise.then(
      () => {
        if (this.connecting?.promise === promise) this.setState({ kind: 'connected', cloud: name });
      },
      (e: unknown) => {
        if (this.connecting?.promise !== promise) return;
        this.connecting = undefined;
        // One line, redacted: it goes into the status bar's tooltip.
        if (!isCancelled(e)) this.setState({ kind: 'failed', cloud: name, code: isTroubleshooterError(e) ? e.code : undefined, message: redact(errorMessage(e)).replace(/\s*\n\s*/g, ' ') });
      },
    );
    return promise;
  }

  /**
   * The client of the cloud `name` (the active cloud's is `client()`): a document or link that names its cloud keeps
   * talking to that cloud after the window switched. Connected once; a failed connect is retried on the next call.
   */
  clientOf(name: string | undefined, signal?: AbortSignal): Promise<OpenStackClient> {
    if (!name || name === this.activeCloud) return this.client(signal);
    const known = this.others.get(name);
    if (known) return known;
    const connect = this.deps.connect ?? ((c, o) => OpenStackClient.connect(c, o));
    const promise = (async () => connect(await this.config(name), { logger: this.deps.logger, signal, timeoutMs: this.deps.settings.httpTimeoutMs }))();
    this.others.set(name, promise);
    promise.then(undefined, () => {
      if (this.others.get(name) === promise) this.others.delete(name);
    });
    return promise;
  }

  /** The outcome of the last connect to the active cloud. */
  get state(): ConnectionState {
    return this.connectionState;
  }

  private setState(s: ConnectionState): void {
    this.connectionState = s;
    this.stateChanged.fire(s);
  }

  /** Makes `name` the active cloud in this window and in the `openstack.cloud` setting (user scope). */
  async switchTo(name: string): Promise<void> {
    this.override = name;
    this.reset();
    await vscode.workspace.getConfiguration('openstack').update('cloud', name, vscode.ConfigurationTarget.Global);
  }

  /** Forgets a removed cloud: the window's switch and the `openstack.cloud` setting stop naming it. */
  async forget(name: string): Promise<void> {
    if (this.override === name) this.override = undefined;
    const cfg = vscode.workspace.getConfiguration('openstack');
    if (cfg.inspect<string>('cloud')?.globalValue === name) await cfg.update('cloud', undefined, vscode.ConfigurationTarget.Global);
    if (cfg.inspect<string>('cloud')?.workspaceValue === name) await cfg.update('cloud', undefined, vscode.ConfigurationTarget.Workspace);
  }

  /** Drops the client (next use reconnects) and tells the views. */
  reset(): void {
    const old = this.connecting;
    this.connecting = undefined;
    old?.promise.then((c) => c.dispose(), () => undefined);
    this.disposeOthers();
    this.connectionState = { kind: 'unknown' };
    this.changed.fire();
  }

  dispose(): void {
    this.connecting?.promise.then((c) => c.dispose(), () => undefined);
    this.disposeOthers();
    this.changed.dispose();
    this.stateChanged.dispose();
    for (const s of this.subs) s.dispose();
  }

  private disposeOthers(): void {
    for (const p of this.others.values()) p.then((c) => c.dispose(), () => undefined);
    this.others.clear();
  }
}
