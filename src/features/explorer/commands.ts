import * as vscode from 'vscode';
import { TroubleshooterError } from '../../core/errors';
import { HOST_CONFIG_FILES } from '../../core/explorer/hypervisors';
import type { GroupBy } from '../../core/explorer/servers';
import { executeCommand, registerCommand } from '../../platform/commands';
import { namespacesOnHost } from './host-namespaces';
import { namespaceDocumentUri, NETNS_SCHEME, type NamespaceDocumentProvider } from './namespace-document';
import { HypervisorNode } from './nodes/hypervisor';
import type { HypervisorsRoot } from './nodes/hypervisors-root';
import { InstanceNode } from './nodes/instance';
import { InstanceActionNode } from './nodes/instance-action';
import type { InstancesRoot } from './nodes/instances-root';
import type { NetworkRoot } from './nodes/network-root';
import { ErrorNode, LoadMoreNode, type ExplorerNode } from './nodes/node';
import { NamespaceNode } from './nodes/namespace';
import { PagedFolderNode } from './nodes/paged-folder';
import type { ExplorerServices } from './services';
import type { ExplorerTree } from './tree';

export interface ExplorerTrees {
  instances: ExplorerTree<InstancesRoot>;
  hypervisors: ExplorerTree<HypervisorsRoot>;
  network: ExplorerTree<NetworkRoot>;
}

const cancelled = (what: string) => new TroubleshooterError('Cancelled', `${what} was cancelled.`);

/**
 * Explorer commands. Every command that acts on a node takes it as optional first argument and otherwise asks
 * with a picker, so it works from the palette too.
 */
export function registerExplorerCommands(services: ExplorerServices, trees: ExplorerTrees, docs: NamespaceDocumentProvider, refreshInstancesRoot: () => void): vscode.Disposable {
  const { logger } = services;

  async function pickInstance(title: string): Promise<{ serverId: string; cloud: string; name?: string }> {
    const tree = trees.instances;
    const root = tree.root;
    if (!root) throw new TroubleshooterError('CloudNotFound', 'No cloud is configured.');
    const ctx = await tree.context();
    if (!root.list?.loaded) await root.children(ctx);
    type Item = vscode.QuickPickItem & { id?: string };
    const items: Item[] = root.loadedServers.map((s) => ({ label: s.name || s.id, description: `${s.status}${s.host ? ` · ${s.host}` : ''}`, detail: `${s.id} ${s.addresses.map((a) => a.addr).join(' ')}`, id: s.id }));
    items.push({ label: '$(search) Enter an instance name or id…' });
    const picked = await vscode.window.showQuickPick(items, { title, matchOnDetail: true, placeHolder: 'Instance (name, id or address)' });
    if (!picked) throw cancelled(title);
    if (picked.id) return { serverId: picked.id, cloud: root.cloud, name: picked.label };
    const typed = await vscode.window.showInputBox({ title, prompt: 'Instance name or id' });
    if (!typed) throw cancelled(title);
    const { data } = await ctx.client.compute.findServer(typed.trim(), { allProjects: ctx.client.isAdmin, signal: ctx.signal });
    return { serverId: data.id, cloud: root.cloud, name: data.name };
  }

  function instanceArg(arg: unknown): { serverId: string; cloud: string; name?: string } | undefined {
    if (arg instanceof InstanceNode) return { serverId: arg.server.id, cloud: arg.cloud, name: arg.server.name || undefined };
    if (arg && typeof arg === 'object' && 'serverId' in arg && 'cloud' in arg) return arg as { serverId: string; cloud: string; name?: string };
    return undefined;
  }

  async function pickHypervisor(title: string): Promise<HypervisorNode> {
    const tree = trees.hypervisors;
    const root = tree.root;
    if (!root) throw new TroubleshooterError('CloudNotFound', 'No cloud is configured.');
    const ctx = await tree.context();
    const nodes = (await root.children(ctx)).filter((n): n is HypervisorNode => n instanceof HypervisorNode);
    const picked = await vscode.window.showQuickPick(nodes.map((n) => ({ label: n.hypervisor.hypervisorHostname, description: `${n.serviceHost} · ${n.service?.status ?? n.hypervisor.status ?? '?'}${n.service?.disabledReason ? ` "${n.service.disabledReason}"` : ''}`, node: n })), { title, placeHolder: 'Hypervisor' });
    if (!picked) throw cancelled(title);
    return picked.node;
  }

  async function setService(node: HypervisorNode | undefined, enable: boolean, givenReason?: string): Promise<void> {
    const title = enable ? 'Enable Compute Service' : 'Disable Compute Service';
    const n = node instanceof HypervisorNode ? node : await pickHypervisor(title);
    const svc = n.service;
    if (!svc) throw new TroubleshooterError('NotFound', `No nova-compute service found for hypervisor "${n.hypervisor.hypervisorHostname}".`);
    const ctx = await trees.hypervisors.context();
    if (enable) {
      await ctx.client.compute.enableService(svc, { signal: ctx.signal });
      logger.info(`Enabled nova-compute on "${svc.host}".`);
    } else {
      const reason = typeof givenReason === 'string' ? givenReason : await vscode.window.showInputBox({ title, prompt: `Why is nova-compute on "${svc.host}" disabled? (shown to other operators as disabled_reason)`, value: svc.disabledReason ?? 'maintenance', ignoreFocusOut: true });
      if (reason === undefined) return;
      await ctx.client.compute.disableService(svc, reason || undefined, { signal: ctx.signal });
      logger.info(`Disabled nova-compute on "${svc.host}"${reason ? `: ${reason}` : ''}.`);
    }
    await trees.hypervisors.refresh();
  }

  async function openNamespace(arg?: vscode.Uri | NamespaceNode): Promise<void> {
    let uri: vscode.Uri;
    if (arg instanceof vscode.Uri) uri = arg;
    else if (arg instanceof NamespaceNode) uri = namespaceDocumentUri({ cloud: arg.cloud, host: arg.host, namespace: arg.sighting.name, routerId: arg.routerId });
    else {
      const ctx = await trees.network.context();
      const { data: agents } = await ctx.client.network.listAgents({ binary: 'neutron-l3-agent', signal: ctx.signal });
      const hosts = [...new Set([...agents.map((a) => a.host)])];
      if (!hosts.length) throw new TroubleshooterError('NotFound', 'No L3 agent is registered, so no host has router namespaces.');
      const host = hosts.length === 1 ? hosts[0] : (await vscode.window.showQuickPick(hosts, { title: 'Open Namespace', placeHolder: 'Host (of an L3 agent)' }));
      if (!host) throw cancelled('Opening a namespace');
      const found = await namespacesOnHost(services, host, ctx.signal, true);
      const named = found.sightings.filter((s) => !s.name.startsWith('net:['));
      const picked = await vscode.window.showQuickPick(named.map((s) => ({ label: s.name, description: s.byIpNetns && s.byLsns ? 'ip netns + lsns' : s.byIpNetns ? 'ip netns only' : 'lsns only', s })), { title: 'Open Namespace', placeHolder: 'Namespace' });
      if (!picked) throw cancelled('Opening a namespace');
      uri = namespaceDocumentUri({ cloud: ctx.cloud, host, namespace: picked.s.name, routerId: picked.s.kind === 'qrouter' || picked.s.kind === 'snat' ? picked.s.resourceId : undefined });
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  async function loadMore(node: LoadMoreNode | undefined, all: boolean): Promise<void> {
    const owner: ExplorerNode | undefined = node?.owner ?? trees.instances.root;
    const tree = [trees.instances, trees.hypervisors, trees.network].find((t) => t.root === owner || (owner instanceof PagedFolderNode && t.root && owner.id.startsWith(t.root.id))) ?? trees.instances;
    const ctx = await tree.context();
    const target = owner as unknown as { loadMore?: (c: typeof ctx, all: boolean) => Promise<void> };
    if (!target?.loadMore) return;
    await vscode.window.withProgress({ location: { viewId: tree.viewId } }, () => target.loadMore!(ctx, all));
    tree.changed(owner === tree.root ? undefined : owner);
  }

  return vscode.Disposable.from(
    registerCommand('openstack.explorer.refresh', logger, async () => {
      await Promise.all([trees.instances.refresh(), trees.hypervisors.refresh(), trees.network.refresh()]);
    }),
    registerCommand('openstack.instances.refresh', logger, () => trees.instances.refresh()),
    registerCommand('openstack.hypervisors.refresh', logger, () => trees.hypervisors.refresh()),
    registerCommand('openstack.network.refresh', logger, () => trees.network.refresh()),
    registerCommand('openstack.explorer.retry', logger, (n?: ErrorNode) => {
      const all = [trees.instances, trees.hypervisors, trees.network];
      const tree = n instanceof ErrorNode ? all.find((t) => t.root && (n.id === t.root.id || n.id.startsWith(`${t.root.id}/`))) : undefined;
      // From the palette (no node): every view loads again.
      if (n instanceof ErrorNode && tree) tree.retry(n);
      else for (const t of all) t.changed(undefined);
    }),
    registerCommand('openstack.explorer.loadMore', logger, (n?: LoadMoreNode) => loadMore(n, false)),
    registerCommand('openstack.explorer.loadAll', logger, (n?: LoadMoreNode) => loadMore(n, true)),
    registerCommand('openstack.instances.filter', logger, async (text?: string) => {
      const root = trees.instances.root;
      const value = typeof text === 'string' ? text : await vscode.window.showInputBox({ title: 'Filter Instances', prompt: 'Name (regular expression, as Nova matches it), IP address or instance id. Empty clears the filter.', value: root?.filter ?? '' });
      if (value === undefined) return;
      setInstancesFilter(trees, value.trim() || undefined);
      refreshInstancesRoot();
    }),
    registerCommand('openstack.instances.clearFilter', logger, () => {
      setInstancesFilter(trees, undefined);
      refreshInstancesRoot();
    }),
    registerCommand('openstack.instances.groupBy', logger, async (by?: GroupBy) => {
      const current = services.settings.explorerGroupBy;
      const choice = (typeof by === 'string' ? by : undefined) ?? (await vscode.window.showQuickPick(
        (['host', 'project', 'status', 'none'] as const).map((g) => ({ label: g === 'none' ? 'No grouping' : `By ${g}`, description: g === current ? 'current' : undefined, g })),
        { title: 'Group Instances' },
      ))?.g;
      if (!choice) return;
      await vscode.workspace.getConfiguration('openstack').update('explorer.groupBy', choice, vscode.ConfigurationTarget.Global);
      const root = trees.instances.root;
      if (root) root.groupBy = choice;
      refreshInstancesRoot();
    }),
    registerCommand('openstack.instances.showLogs', logger, async (arg?: unknown) => {
      const target = instanceArg(arg) ?? (await pickInstance('Show Correlated Logs of Instance'));
      await executeCommand('openstack.logs.showInstance', { serverId: target.serverId, cloud: target.cloud, ...(target.name ? { name: target.name } : {}) });
    }),
    // an instance: its whole story (followed); an instance action: that request's story
    registerCommand('openstack.instances.showTimeline', logger, async (arg?: unknown) => {
      if (arg instanceof InstanceActionNode) return executeCommand('openstack.timeline.show', { requestId: arg.action.requestId, cloud: arg.cloud });
      const target = instanceArg(arg) ?? (await pickInstance('Show Timeline of Instance'));
      await executeCommand('openstack.timeline.show', { serverId: target.serverId, cloud: target.cloud, ...(target.name ? { name: target.name } : {}) });
    }),
    registerCommand('openstack.instances.correlateAction', logger, async (arg?: InstanceActionNode) => {
      let requestId: string;
      let cloud: string;
      if (arg instanceof InstanceActionNode) {
        requestId = arg.action.requestId;
        cloud = arg.cloud;
      } else {
        const inst = await pickInstance('Show Correlated Logs of an Instance Action');
        const ctx = await trees.instances.context();
        const { data } = await ctx.client.compute.listInstanceActions(inst.serverId, { signal: ctx.signal });
        const picked = await vscode.window.showQuickPick(data.map((a) => ({ label: a.action, description: `${a.requestId} · ${a.startTime ?? ''}`, detail: a.message ?? undefined, a })), { title: 'Instance Action' });
        if (!picked) return;
        requestId = picked.a.requestId;
        cloud = inst.cloud;
      }
      await executeCommand('openstack.logs.correlate', { requestId, cloud });
    }),
    registerCommand('openstack.instances.copyId', logger, async (arg?: InstanceNode) => {
      const id = arg instanceof InstanceNode ? arg.server.id : (await pickInstance('Copy Instance ID')).serverId;
      await vscode.env.clipboard.writeText(id);
    }),
    registerCommand('openstack.hypervisors.disableService', logger, (n?: HypervisorNode, reason?: string) => setService(n, false, reason)),
    registerCommand('openstack.hypervisors.enableService', logger, (n?: HypervisorNode) => setService(n, true)),
    registerCommand('openstack.hypervisors.openConfigFile', logger, async (n?: HypervisorNode) => {
      const node = n instanceof HypervisorNode ? n : await pickHypervisor('Open Host Config File');
      const file = await vscode.window.showQuickPick(HOST_CONFIG_FILES.map((f) => ({ label: f.label, description: f.path, f })), { title: `Config file on "${node.serviceHost}"` });
      if (!file) return;
      const target = services.sshTargetOf(node.serviceHost);
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.from({ scheme: 'openstack-sftp', authority: target, path: file.f.path }));
    }),
    registerCommand('openstack.network.openNamespace', logger, openNamespace),
    registerCommand('openstack.network.refreshNamespace', logger, async () => {
      const ed = vscode.window.activeTextEditor;
      if (ed?.document.uri.scheme !== NETNS_SCHEME) throw new TroubleshooterError('InvalidInput', 'The active editor is not a namespace document.');
      docs.refresh(ed.document.uri);
    }),
  );
}

function setInstancesFilter(trees: ExplorerTrees, filter: string | undefined): void {
  const root = trees.instances.root;
  if (!root) return;
  root.filter = filter;
  root.list = undefined;
  trees.instances.view.description = filter ? `filter: ${filter}` : undefined;
}
