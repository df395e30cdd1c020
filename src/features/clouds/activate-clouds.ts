import * as vscode from 'vscode';
import type { Logger } from '../../core/log';
import type { Secrets } from '../../platform/secrets';
import type { Settings } from '../../platform/settings';
import { CloudSession, type CloudSessionDeps } from './cloud-session';
import { CloudStatusBar, CloudsTreeProvider } from './clouds-view';
import { registerCloudCommands } from './commands';

export interface CloudsServices {
  settings: Settings;
  secrets: Secrets;
  logger: Logger;
  /** Optional client factory (tests/bench); default OpenStackClient.connect. */
  connect?: CloudSessionDeps['connect'];
}

/** The Clouds view's provider and the status bar item (extension-host tests read what they show). */
export interface CloudsUi {
  tree: CloudsTreeProvider;
  statusBar: CloudStatusBar;
}

/**
 * The Clouds view, the status bar item, the cloud commands and the `openstack.hasCloud` context. Returns the
 * CloudSession other features use (`session.client(signal)`), the view's parts, and one Disposable.
 */
export function activateClouds(services: CloudsServices): { session: CloudSession; ui: CloudsUi; disposable: vscode.Disposable } {
  const session = new CloudSession(services);
  const tree = new CloudsTreeProvider(session);
  const view = vscode.window.createTreeView('openstack.clouds', { treeDataProvider: tree, showCollapseAll: false });
  const status = new CloudStatusBar(session);
  const refresh = () => {
    tree.refresh();
    void status.update();
  };
  const disposable = vscode.Disposable.from(
    registerCloudCommands(session, services.secrets, services.logger, refresh),
    view,
    tree,
    status,
    session,
  );
  return { session, ui: { tree, statusBar: status }, disposable };
}
