import * as vscode from 'vscode';
import type { RemoteCommand } from './core/remote/command';
import { run } from './core/remote/exec';
import { diagnoseOnCloud } from './core/diagnose/cloud';
import { TroubleshooterError } from './core/errors';
import { activateChecks } from './features/checks/activate-checks';
import { signaturesFor } from './features/checks/signatures';
import { activateClouds, type CloudsUi } from './features/clouds/activate-clouds';
import type { CloudSession } from './features/clouds/cloud-session';
import { activateConfigDoctor, type ConfigDoctorFeature } from './features/configs/activate-config-doctor';
import { activateExplorer, type ExplorerHandle } from './features/explorer/activate-explorer';
import { activateLogs, type LogsFeature } from './features/logs/activate-logs';
import { activateSftp } from './features/sftp/activate-sftp';
import { activateTimeline, type TimelineFeature } from './features/timeline/activate-timeline';
import { registerCommand } from './platform/commands';
import { createLogChannel } from './platform/log-channel';
import { Secrets } from './platform/secrets';
import { Settings } from './platform/settings';
import { SshService } from './platform/ssh';

/** What activate() returns: tests read the activation time and drive features through it. */
export interface ExtensionApi {
  activationMs: number;
  clouds: CloudSession;
  cloudsUi: CloudsUi;
  logs: LogsFeature;
  explorer: ExplorerHandle;
  configs: ConfigDoctorFeature;
  timeline: TimelineFeature;
}

/** Composition root: builds the services and activates each feature. No logic lives here. */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const { channel, logger } = createLogChannel();
  const settings = new Settings();
  const secrets = new Secrets(context.secrets, context.globalState);
  const ssh = new SshService(settings, secrets, logger);
  const clouds = activateClouds({ settings, secrets, logger });
  const session = clouds.session;
  const sshTargetOf = (host: string) => ssh.mapHost(host, session.activeCloud ?? '*').sshAlias;

  const cloud = (name?: string) => ({ name: name ?? session.activeCloud, client: (signal?: AbortSignal) => session.clientOf(name, signal) });
  const runOnHost = <T,>(host: string, cmd: RemoteCommand<T>, signal?: AbortSignal) => run(ssh.pool, sshTargetOf(host), cmd, { signal }).then((r) => r.value);

  const logs = activateLogs({ logger, settings, ssh, cloud });
  const explorer = activateExplorer({ logger, settings, session, runOnHost, sshTargetOf });
  const diagnose = async (subject: string, signal: AbortSignal) => {
    const c = cloud();
    if (!c.name) throw new TroubleshooterError('CloudNotFound', 'No OpenStack cloud is configured.');
    const client = await c.client(signal);
    return diagnoseOnCloud(subject, { client, pool: ssh.pool, mapping: logs.hostMapping(c.name), signatures: await signaturesFor(settings), signal, log: logger });
  };
  const checks = activateChecks({ logger, cloud, runOnHost, databaseHost: () => settings.databaseHost, diagnose, sshTargetOf });
  const sftp = activateSftp({ pool: () => ssh.pool, logger });
  const configs = activateConfigDoctor({ logger, ssh });
  const timeline = activateTimeline({ logger, logs, extensionUri: context.extensionUri, activeCloud: () => session.activeCloud });

  context.subscriptions.push(
    channel,
    ssh,
    clouds.disposable,
    logs,
    explorer,
    checks,
    sftp,
    configs,
    timeline,
    registerCommand('openstack.showLog', logger, () => channel.show()),
    registerCommand('openstack.credentials.forget', logger, async () => {
      const n = await secrets.forgetAll();
      void vscode.window.showInformationMessage(n ? `Forgot ${n} stored credential${n === 1 ? '' : 's'}.` : 'No stored credentials.');
    }),
  );
  const activationMs = Math.round(performance.now() - started);
  logger.info(`Activated in ${activationMs} ms.`);
  return { activationMs, clouds: session, cloudsUi: clouds.ui, logs, explorer, configs, timeline };
}

export function deactivate(): void {}
