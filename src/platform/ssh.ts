import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { mapHost, type HostMapConfig, type MappedHost } from '../core/hosts/host-map';
import type { PassphraseProvider } from '../core/remote/auth';
import type { HostKeyPrompt } from '../core/remote/known-hosts';
import { SshPool } from '../core/remote/pool';
import { SshConfigResolver } from '../core/remote/ssh-config';
import type { Secrets } from './secrets';
import type { Settings } from './settings';

/**
 * The extension's one SSH pool, built from settings, with the VS Code faces of the core's prompts:
 * a modal that shows an unknown host key's SHA256 fingerprint (never accepted silently), and key passphrases
 * asked once and kept in SecretStorage. Rebuilt when the ssh settings change (open connections close).
 */
export class SshService implements vscode.Disposable {
  private current?: { pool: SshPool; resolver: SshConfigResolver };
  private readonly sub: vscode.Disposable;

  constructor(private readonly settings: Settings, private readonly secrets: Secrets, private readonly logger: Logger) {
    this.sub = settings.onDidChange((e) => {
      if (e.affectsConfiguration('openstack.ssh')) this.reset();
    });
  }

  get pool(): SshPool {
    return this.ensure().pool;
  }

  get resolver(): SshConfigResolver {
    return this.ensure().resolver;
  }

  /** OpenStack host name (service host, agent host) → ssh alias for the given cloud, by the host settings. */
  mapHost(openstackHost: string, cloud: string): MappedHost {
    const config: HostMapConfig = { '*': { template: this.settings.hostTemplate === '{host}' ? undefined : this.settings.hostTemplate, map: this.settings.hostMap } };
    return mapHost(openstackHost, cloud, config);
  }

  /** Every literal Host alias of the ssh config (for pickers). */
  aliases(): string[] {
    return this.resolver.aliases();
  }

  reset(): void {
    this.current?.pool.dispose();
    this.current = undefined;
  }

  dispose(): void {
    this.sub.dispose();
    this.reset();
  }

  private ensure() {
    if (!this.current) {
      const resolver = new SshConfigResolver({ configFile: this.settings.sshConfigFile });
      const pool = new SshPool({
        resolve: (alias) => {
          const t = resolver.resolve(alias);
          const kh = this.settings.knownHostsFile;
          return kh && t.knownHostsFiles.length === 0 ? { ...t, knownHostsFiles: [kh] } : t;
        },
        logger: this.logger,
        hostKeyPrompt: this.hostKeyPrompt,
        passphrase: this.passphrase,
        connectTimeoutMs: this.settings.sshConnectTimeoutMs,
        commandTimeoutMs: this.settings.sshCommandTimeoutMs,
        idleCloseMs: this.settings.sshIdleCloseMs,
        maxChannelsPerConnection: this.settings.sshMaxChannelsPerHost,
      });
      this.current = { pool, resolver };
    }
    return this.current;
  }

  private readonly hostKeyPrompt: HostKeyPrompt = async (req) => {
    const trust = 'Trust and Connect';
    const picked = await vscode.window.showWarningMessage(
      `The authenticity of host "${req.alias}" (${req.name}) can't be established.`,
      {
        modal: true,
        detail: `${req.keyType} key fingerprint is ${req.fingerprint}.\n\nCompare it with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). On trust it is added to ${req.knownHostsFile}.`,
      },
      trust,
    );
    return picked === trust;
  };

  private readonly passphrase: PassphraseProvider = {
    get: async ({ keyFile, alias, retry }) => {
      const key = `ssh-passphrase:${keyFile}`;
      if (!retry) {
        const stored = await this.secrets.get(key);
        if (stored !== undefined) return stored;
      }
      const value = await vscode.window.showInputBox({
        title: `Passphrase for ${keyFile}`,
        prompt: retry ? `Wrong passphrase. Try again (connecting to "${alias}").` : `Needed to connect to "${alias}". It is kept in VS Code's secret storage.`,
        password: true,
        ignoreFocusOut: true,
      });
      if (value !== undefined) await this.secrets.store(key, value);
      return value;
    },
    settle: async (keyFile, ok) => {
      if (!ok) await this.secrets.delete(`ssh-passphrase:${keyFile}`);
    },
  };
}
