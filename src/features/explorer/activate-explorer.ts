import * as vscode from 'vscode';
import { registerExplorerCommands, type ExplorerTrees } from './commands';
import { NamespaceDocumentProvider, NETNS_SCHEME } from './namespace-document';
import { HypervisorsRoot } from './nodes/hypervisors-root';
import { InstancesRoot } from './nodes/instances-root';
import { NetworkRoot } from './nodes/network-root';
import { VisiblePoller } from './poller';
import type { ExplorerServices } from './services';
import { ExplorerTree, type RootNode } from './tree';

/** What activateExplorer returns: one Disposable, plus the trees for extension-host tests and the bench. */
export interface ExplorerHandle extends vscode.Disposable {
  trees: ExplorerTrees;
  namespaceDocuments: NamespaceDocumentProvider;
  pollers: VisiblePoller[];
}

/**
 * The Instances, Hypervisors and Network views, the namespace documents (`openstack-netns:`), the explorer
 * commands and visible-only polling. Needs a CloudSession (features/clouds) and a way to run commands on hosts.
 */
export function activateExplorer(services: ExplorerServices): ExplorerHandle {
  const s = services.settings;
  const trees: ExplorerTrees = {
    instances: new ExplorerTree('openstack.instances', services, (cloud) => new InstancesRoot(cloud, s.explorerGroupBy, undefined, s.explorerPageSize)),
    hypervisors: new ExplorerTree('openstack.hypervisors', services, (cloud) => new HypervisorsRoot(cloud, s.explorerPageSize)),
    network: new ExplorerTree('openstack.network', services, (cloud) => new NetworkRoot(cloud, s.explorerPageSize)),
  };
  const docs = new NamespaceDocumentProvider(services);
  const intervals = () => ({ slowMs: s.explorerPollMs, fastMs: s.explorerTransitionalPollMs });
  const pollers = [trees.instances, trees.hypervisors, trees.network].map((t) => new VisiblePoller(t as unknown as ExplorerTree<RootNode>, intervals));
  const refreshInstancesRoot = () => trees.instances.changed(undefined);
  const settingsSub = s.onDidChange((e) => {
    if (e.affectsConfiguration('openstack.explorer.pollSeconds') || e.affectsConfiguration('openstack.explorer.transitionalPollSeconds')) pollers.forEach((p) => p.restart());
    // Lists are paged with the size they were created with: a new size reloads the views.
    if (e.affectsConfiguration('openstack.explorer.pageSize')) [trees.instances, trees.hypervisors, trees.network].forEach((t) => t.reset());
    const root = trees.instances.root;
    if (root && e.affectsConfiguration('openstack.explorer.groupBy') && root.groupBy !== s.explorerGroupBy) {
      root.groupBy = s.explorerGroupBy;
      refreshInstancesRoot();
    }
  });
  const disposable = vscode.Disposable.from(
    trees.instances,
    trees.hypervisors,
    trees.network,
    docs,
    vscode.workspace.registerTextDocumentContentProvider(NETNS_SCHEME, docs),
    registerExplorerCommands(services, trees, docs, refreshInstancesRoot),
    ...pollers,
    settingsSub,
  );
  return { trees, namespaceDocuments: docs, pollers, dispose: () => disposable.dispose() };
}
