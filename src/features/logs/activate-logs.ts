import * as vscode from 'vscode';
import { TroubleshooterError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { planInstanceLogs, planRequestLogs, type HostMapping, type LogPlan } from '../../core/journeys/log-plan';
import type { LogHost } from '../../core/logs/correlate';
import { parseQueryKey, REQUEST_ID_IN_TEXT } from '../../core/logs/keys';
import { offlineHosts } from '../../core/logs/offline';
import { PoolHostRunner } from '../../core/logs/pool-host-runner';
import type { OpenStackClient } from '../../core/openstack/client';
import { validateRequestId } from '../../core/remote/validate';
import { registerCommand } from '../../platform/commands';
import type { Settings } from '../../platform/settings';
import type { SshService } from '../../platform/ssh';
import type { LogLevel } from '../../core/logs/types';
import { filterActive, LogSession, type SessionPlan } from './log-session';
import { LOG_SCHEME, logUri, parseLogUri, type LogQuery } from './log-uri';

export interface LogsServices {
  logger: Logger;
  settings: Settings;
  ssh: SshService;
  /** The cloud `name` (default: the active cloud): its name and client. */
  cloud(name?: string): { name: string | undefined; client(signal?: AbortSignal): Promise<OpenStackClient> };
}

/** The API of the logs feature for other features and tests. */
export interface LogsFeature extends vscode.Disposable {
  /** Opens (or reveals) the correlated document of a query and returns its session. */
  open(q: LogQuery, title: string): Promise<{ editor: vscode.TextEditor; session: LogSession }>;
  session(uri: vscode.Uri): LogSession | undefined;
  /** OpenStack host names → ssh aliases of a cloud, as the correlation maps them (the diagnosis reads hosts too). */
  hostMapping(cloud: string): HostMapping;
}

/**
 * Correlated logs as read-only editor documents (`openstack-log:`), so native Find, folding and the grammar work.
 * Entry points: a request id (palette, links in any log document, instance actions in the explorer), an instance
 * (its whole story, optionally followed live), a local folder (offline, e.g. a sosreport).
 */
/** At most this many Diagnose lenses per document (one per failing request). */
const MAX_DIAGNOSE_LENSES = 50;

export function activateLogs(services: LogsServices): LogsFeature {
  const { logger, settings } = services;
  const sessions = new Map<string, LogSession>();
  const emitter = new vscode.EventEmitter<vscode.Uri>();

  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: emitter.event,
    provideTextDocumentContent(uri) {
      return sessionFor(uri).render();
    },
  };

  function sessionFor(uri: vscode.Uri): LogSession {
    const key = uri.toString();
    let s = sessions.get(key);
    if (!s) {
      s = new LogSession(uri, logger, settings.logsFollowBufferLines, (u) => emitter.fire(u));
      sessions.set(key, s);
      const q = parseLogUri(uri);
      void s.start((signal) => planFor(q, signal));
    }
    return s;
  }

  function mapping(cloud: string): HostMapping {
    const ssh = services.ssh;
    const aliases = () => {
      try {
        return ssh.aliases();
      } catch {
        return [];
      }
    };
    return {
      warm: (alias) => void ssh.pool.warm(alias),
      mapHost: (h) => ssh.mapHost(h, cloud).sshAlias,
      aliasForAddress: (addr) => {
        const lower = addr.toLowerCase();
        for (const a of aliases()) {
          try {
            const t = ssh.resolver.resolve(a);
            if (!t.jump && (t.hostName.toLowerCase() === lower || a.toLowerCase() === lower)) return a;
          } catch {
            /* an alias that does not resolve is not a match */
          }
        }
        return undefined;
      },
    };
  }

  function toHosts(plan: LogPlan): LogHost[] {
    // "openstack.logs.sources": fixed directories for a host (or "*"), instead of detection.
    const overrides = settings.logsSources;
    return plan.hosts.map((h) => {
      const dirs = overrides[h.alias] ?? overrides[h.openstackHost] ?? overrides['*'];
      return { runner: new PoolHostRunner(services.ssh.pool, h.alias, h.alias), ...(dirs?.length ? { dirs } : {}) };
    });
  }

  async function planFor(q: LogQuery, signal: AbortSignal): Promise<SessionPlan> {
    if (q.dir) {
      const key = parseQueryKey(q.request ?? q.server ?? '');
      const hosts = offlineHosts(q.dir, { log: logger });
      return { title: `${key.value} in ${q.dir}`, keys: [key], hosts, notes: [`Offline: ${hosts.length} host folder(s) under "${q.dir}"; times read as UTC.`], follow: !!q.follow };
    }
    // The query's own cloud (a link or document names it), not whichever cloud is active now.
    const cloud = services.cloud(q.cloud);
    if (!cloud.name) throw new TroubleshooterError('CloudNotFound', 'No cloud is configured: add one to correlate logs across its hosts.');
    const client = await cloud.client(signal);
    const m = mapping(cloud.name);
    const plan = q.server ? await planInstanceLogs(client, q.server, m, signal) : await planRequestLogs(client, q.request ?? '', m, signal);
    if (plan.hosts.length === 0) {
      throw new TroubleshooterError('NotFound', `No host of cloud "${cloud.name}" maps to an SSH target: set "openstack.ssh.configFile" and "openstack.hosts.map" or "openstack.hosts.template".`);
    }
    return { ...plan, hosts: toHosts(plan), follow: !!q.follow, notes: [...plan.notes, `Searched: ${plan.hosts.map((h) => `${h.alias} (${h.role})`).join(', ')}`] };
  }

  async function open(q: LogQuery, title: string) {
    const uri = logUri(q, title);
    const session = sessionFor(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'openstack-log') await vscode.languages.setTextDocumentLanguage(doc, 'openstack-log');
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    return { editor, session };
  }

  function close(uri: vscode.Uri) {
    const key = uri.toString();
    const s = sessions.get(key);
    if (s) {
      s.dispose();
      sessions.delete(key);
    }
  }

  const subs: vscode.Disposable[] = [
    emitter,
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, provider),
    // Closing the document (or its last tab) ends every remote process of its session.
    vscode.workspace.onDidCloseTextDocument((d) => d.uri.scheme === LOG_SCHEME && close(d.uri)),
    vscode.window.tabGroups.onDidChangeTabs((e) => {
      for (const t of e.closed) {
        const input = t.input;
        if (input instanceof vscode.TabInputText && input.uri.scheme === LOG_SCHEME) {
          const stillOpen = vscode.window.tabGroups.all.some((g) => g.tabs.some((x) => x.input instanceof vscode.TabInputText && x.input.uri.toString() === input.uri.toString()));
          if (!stillOpen) close(input.uri);
        }
      }
    }),
    // Request ids in any log document open their own correlated view.
    vscode.languages.registerDocumentLinkProvider({ language: 'openstack-log' }, {
      provideDocumentLinks(doc) {
        const links: vscode.DocumentLink[] = [];
        const seen = parseLogUri(doc.uri).request;
        for (let i = 0; i < Math.min(doc.lineCount, 50_000); i++) {
          const text = doc.lineAt(i).text;
          for (const m of text.matchAll(REQUEST_ID_IN_TEXT)) {
            if (m[0] === seen) continue;
            const args = encodeURIComponent(JSON.stringify([{ requestId: m[0], cloud: doc.uri.scheme === LOG_SCHEME ? parseLogUri(doc.uri).cloud : undefined }]));
            const link = new vscode.DocumentLink(new vscode.Range(i, m.index!, i, m.index! + m[0].length), vscode.Uri.parse(`command:openstack.logs.correlate?${args}`));
            link.tooltip = `Show every line of ${m[0]} across the cloud's hosts`;
            links.push(link);
          }
        }
        return links;
      },
    }),
    // ERROR records get a "Diagnose" lens: the failure signatures over that request (or the document's instance).
    vscode.languages.registerCodeLensProvider({ language: 'openstack-log' }, {
      provideCodeLenses(doc) {
        const lenses: vscode.CodeLens[] = [];
        const q = doc.uri.scheme === LOG_SCHEME ? parseLogUri(doc.uri) : undefined;
        if (q?.dir) return lenses;
        const seen = new Set<string>();
        for (let i = 0; i < Math.min(doc.lineCount, 50_000) && lenses.length < MAX_DIAGNOSE_LENSES; i++) {
          const text = doc.lineAt(i).text;
          if (!/ (ERROR|CRITICAL) /.test(text)) continue;
          const req = text.match(REQUEST_ID_IN_TEXT)?.[0];
          const key = req ?? q?.server;
          if (!key || seen.has(key)) continue;
          seen.add(key);
          lenses.push(new vscode.CodeLens(new vscode.Range(i, 0, i, 0), {
            title: '$(debug-alt) Diagnose',
            tooltip: req ? `Why did ${req} fail? Known failure signatures over its records, its instance and the services` : 'Why did it fail? Known failure signatures over this instance',
            command: 'openstack.diagnose',
            arguments: [req ? { requestId: req } : { serverId: q!.server }],
          }));
        }
        return lenses;
      },
    }),
    registerCommand('openstack.logs.correlate', logger, async (arg?: { requestId?: string; cloud?: string; dir?: string }) => {
      let id = arg?.requestId;
      if (!id) {
        id = await vscode.window.showInputBox({
          title: 'Correlate logs by request id',
          prompt: 'A request id from "openstack server event list", an API response or a log line',
          placeHolder: 'req-5f2adc28-…',
          ignoreFocusOut: true,
          validateInput: (v) => {
            try {
              validateRequestId(v, { normalize: true });
              return undefined;
            } catch (e) {
              return (e as Error).message;
            }
          },
        });
        if (!id) return undefined;
      }
      const requestId = validateRequestId(id, { normalize: true });
      return open({ request: requestId, cloud: arg?.cloud ?? services.cloud().name, dir: arg?.dir }, requestId);
    }),
    registerCommand('openstack.logs.showInstance', logger, async (arg?: { serverId?: string; name?: string; cloud?: string; follow?: boolean }) => {
      const serverId = arg?.serverId ?? (await askServer());
      if (!serverId) return undefined;
      return open({ server: serverId, cloud: arg?.cloud ?? services.cloud().name, follow: arg?.follow ?? true }, arg?.name ?? serverId);
    }),
    registerCommand('openstack.logs.tailInstance', logger, async (arg?: { serverId?: string; name?: string; cloud?: string }) => {
      const serverId = arg?.serverId ?? (await askServer());
      if (!serverId) return undefined;
      return open({ server: serverId, cloud: arg?.cloud ?? services.cloud().name, follow: true }, arg?.name ?? serverId);
    }),
    registerCommand('openstack.logs.correlateFolder', logger, async (arg?: { dir?: string; query?: string }) => {
      let dir = arg?.dir;
      if (!dir) {
        const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'A sosreport or a folder of collected host logs (<host>/var/log/…)' });
        dir = picked?.[0]?.fsPath;
        if (!dir) return undefined;
      }
      const query = arg?.query ?? (await vscode.window.showInputBox({ title: 'Correlate logs in a folder', prompt: 'A request id or an instance UUID', ignoreFocusOut: true }));
      if (!query) return undefined;
      const key = parseQueryKey(query);
      return open(key.kind === 'request' ? { request: key.value, dir } : { server: key.value, dir }, `${key.value}`);
    }),
    registerCommand('openstack.logs.stopFollowing', logger, (uri?: vscode.Uri) => {
      const s = sessionOfCommand(uri);
      if (s) {
        s.stop();
        emitter.fire(s.uri);
      }
    }),
    registerCommand('openstack.logs.resumeFollowing', logger, (uri?: vscode.Uri) => {
      const s = sessionOfCommand(uri);
      if (!s) throw new TroubleshooterError('NotFound', 'No correlated log document is active.');
      // resolves when following ends again: not awaited
      void s.resume();
    }),
    registerCommand('openstack.logs.filter', logger, async (uri?: vscode.Uri) => {
      const s = sessionOfCommand(uri);
      const core = s?.correlation;
      if (!s || !core) throw new TroubleshooterError('NotFound', 'No correlated log document is active.');
      const entries = core.log.all();
      const count = (pick: (e: (typeof entries)[number]) => string) => {
        const m = new Map<string, number>();
        for (const e of entries) m.set(pick(e), (m.get(pick(e)) ?? 0) + 1);
        return [...m.entries()].sort((a, b) => b[1] - a[1]);
      };
      const f = s.filter;
      type Item = vscode.QuickPickItem & { level?: LogLevel; host?: string; service?: string };
      const items: Item[] = [
        { label: 'Level', kind: vscode.QuickPickItemKind.Separator },
        ...(['WARNING', 'ERROR'] as const).map((level) => ({ label: `${level} and above`, level, picked: f.minLevel === level })),
        { label: 'Hosts (none picked: all)', kind: vscode.QuickPickItemKind.Separator },
        ...count((e) => e.host).map(([host, n]) => ({ label: host, description: `${n} records`, host, picked: !!f.hosts?.includes(host) })),
        { label: 'Services (none picked: all)', kind: vscode.QuickPickItemKind.Separator },
        ...count((e) => e.service).map(([service, n]) => ({ label: service, description: `${n} records`, service, picked: !!f.services?.includes(service) })),
      ];
      const picked = await vscode.window.showQuickPick(items, { canPickMany: true, title: 'Filter the log document', placeHolder: 'Records to show (the highest level picked wins)' });
      if (!picked) return;
      const levels = picked.filter((p) => p.level).map((p) => p.level!);
      s.filter = {
        minLevel: levels.includes('ERROR') ? 'ERROR' : levels[0],
        hosts: picked.filter((p) => p.host).map((p) => p.host!),
        services: picked.filter((p) => p.service).map((p) => p.service!),
      };
    }),
    registerCommand('openstack.logs.clearFilter', logger, (uri?: vscode.Uri) => {
      const s = sessionOfCommand(uri);
      if (s) s.filter = {};
    }),
    // Context keys of the active log document: which of Stop/Resume Following the editor title offers.
    vscode.window.onDidChangeActiveTextEditor(() => updateContext()),
  ];

  /** The session of a command: the document it was invoked on (editor title passes its URI), else the active one. */
  function sessionOfCommand(uri?: vscode.Uri): LogSession | undefined {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    return target && sessions.get(target.toString());
  }

  function updateContext(): void {
    const s = sessionOfCommand();
    void vscode.commands.executeCommand('setContext', 'openstack.logs.activeFollowing', !!s?.following);
    void vscode.commands.executeCommand('setContext', 'openstack.logs.activePaused', !!s?.paused);
    void vscode.commands.executeCommand('setContext', 'openstack.logs.activeFiltered', !!s && filterActive(s.filter));
  }
  subs.push(emitter.event(() => updateContext()));

  async function askServer(): Promise<string | undefined> {
    const v = await vscode.window.showInputBox({ title: 'Show the logs of an instance', prompt: 'Instance (server) UUID', ignoreFocusOut: true });
    return v?.trim() || undefined;
  }

  return {
    open,
    session: (uri) => sessions.get(uri.toString()),
    hostMapping: mapping,
    dispose() {
      for (const s of sessions.values()) s.dispose();
      sessions.clear();
      for (const d of subs) d.dispose();
    },
  };
}
