import * as vscode from 'vscode';
import { activateClouds } from './features/clouds/activate-clouds';
import { activateLogs, type LogsFeature } from './features/logs/activate-logs';
import { registerCommand } from './platform/commands';
import { createLogChannel } from './platform/log-channel';
import { Secrets } from './platform/secrets';
import { Settings } from './platform/settings';
import { SshService } from './platform/ssh';

/** What activate() returns: tests read the activation time and drive features through it. */
export interface ExtensionApi {
  activationMs: number;
  logs: LogsFeature;
}

/** Composition root: builds the services and activates each feature. No logic lives here. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const { channel, logger } = createLogChannel();
  const settings = new Settings();
  const secrets = new Secrets(context.secrets, context.globalState);
  const ssh = new SshService(settings, secrets, logger);
  const clouds = activateClouds({ settings, secrets, logger });
  const cloud = () => ({ name: clouds.session.activeCloud, client: (signal?: AbortSignal) => clouds.session.client(signal) });
  const logs = activateLogs({ logger, settings, ssh, cloud });

  context.subscriptions.push(
    channel,
    ssh,
    clouds.disposable,
    logs,
    registerCommand('openstack.showLog', logger, () => channel.show()),
    registerCommand('openstack.credentials.forget', logger, async () => {
      const n = await secrets.forgetAll();
      void vscode.window.showInformationMessage(n ? `Forgot ${n} stored credential${n === 1 ? '' : 's'}.` : 'No stored credentials.');
    }),
  );
  const activationMs = Math.round(performance.now() - started);
  logger.info(`Activated in ${activationMs} ms.`);
  return { activationMs, logs };
}

export function deactivate(): void {}
