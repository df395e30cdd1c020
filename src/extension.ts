import * as vscode from 'vscode';
import { createLogChannel } from './platform/log-channel';
import { registerCommand } from './platform/commands';
import { Secrets } from './platform/secrets';
import { Settings } from './platform/settings';

/** What activate() returns: tests read the activation time from it. */
export interface ExtensionApi {
  activationMs: number;
}

/** Composition root: builds the services and activates each feature. No logic lives here. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const { channel, logger } = createLogChannel();
  const settings = new Settings();
  const secrets = new Secrets(context.secrets, context.globalState);
  context.subscriptions.push(
    channel,
    registerCommand('openstack.showLog', logger, () => channel.show()),
    registerCommand('openstack.credentials.forget', logger, async () => {
      const n = await secrets.forgetAll();
      void vscode.window.showInformationMessage(n ? `Forgot ${n} stored credential${n === 1 ? '' : 's'}.` : 'No stored credentials.');
    }),
  );
  void settings;
  const activationMs = Math.round(performance.now() - started);
  logger.info(`Activated in ${activationMs} ms.`);
  return { activationMs };
}

export function deactivate(): void {}
