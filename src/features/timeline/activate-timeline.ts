import * as vscode from 'vscode';
import { TroubleshooterError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { parseQueryKey } from '../../core/logs/keys';
import { registerCommand } from '../../platform/commands';
import type { LogsFeature } from '../logs/activate-logs';
import { LOG_SCHEME, parseLogUri, type LogQuery } from '../logs/log-uri';
import { TimelinePanel } from './timeline-panel';

export interface TimelineServices {
  logger: Logger;
  logs: LogsFeature;
  extensionUri: vscode.Uri;
  /** The active cloud's name (a request id or instance typed in the palette belongs to it). */
  activeCloud(): string | undefined;
}

/** What a command can be given: a log document, or what to correlate. */
export type TimelineArg = vscode.Uri | { requestId?: string; serverId?: string; name?: string; cloud?: string; dir?: string; follow?: boolean };

export interface TimelineFeature extends vscode.Disposable {
  /** Opens (or reveals) the timeline of a correlated log document; opens the document first when needed. */
  show(arg?: TimelineArg): Promise<TimelinePanel | undefined>;
  panel(uri: vscode.Uri): TimelinePanel | undefined;
}

/**
 * The request's story drawn: a webview beside the correlated log document, one panel per document. Entry points:
 * a request id or instance (palette, explorer), the log document itself (editor title), a local folder query.
 */
export function activateTimeline(services: TimelineServices): TimelineFeature {
  const { logger, logs } = services;
  const panels = new Map<string, TimelinePanel>();

  async function documentFor(arg: TimelineArg | undefined): Promise<{ uri: vscode.Uri; title: string } | undefined> {
    if (arg instanceof vscode.Uri) return { uri: arg, title: titleOf(arg) };
    if (!arg) {
      const active = vscode.window.activeTextEditor?.document.uri;
      if (active?.scheme === LOG_SCHEME) return { uri: active, title: titleOf(active) };
      const typed = await vscode.window.showInputBox({
        title: 'Show request timeline',
        prompt: 'A request id (req-…) or an instance UUID',
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            parseQueryKey(v.trim());
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
      if (!typed) return undefined;
      const key = parseQueryKey(typed.trim());
      arg = key.kind === 'request' ? { requestId: key.value } : { serverId: key.value };
    }
    const cloud = arg.cloud ?? services.activeCloud();
    let q: LogQuery;
    let title: string;
    if (arg.requestId) {
      q = { request: parseQueryKey(arg.requestId).value, cloud, dir: arg.dir };
      title = q.request!;
    } else if (arg.serverId) {
      q = { server: parseQueryKey(arg.serverId).value, cloud, dir: arg.dir, follow: arg.follow ?? !arg.dir };
      title = arg.name ?? q.server!;
    } else {
      throw new TroubleshooterError('InvalidInput', 'Show the timeline of what? Give a request id or an instance.');
    }
    if (q.dir) delete q.cloud;
    const { editor } = await logs.open(q, title);
    return { uri: editor.document.uri, title };
  }

  async function show(arg?: TimelineArg): Promise<TimelinePanel | undefined> {
    const doc = await documentFor(arg);
    if (!doc) return undefined;
    const key = doc.uri.toString();
    const existing = panels.get(key);
    if (existing) {
      existing.panel.reveal(vscode.ViewColumn.Beside);
      return existing;
    }
    let session = logs.session(doc.uri);
    if (!session) {
      // a log document restored from an earlier window: opening it starts its session
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(doc.uri), { preview: false });
      session = logs.session(doc.uri);
    }
    if (!session) throw new TroubleshooterError('NotFound', `No correlated log document "${doc.title}" is open.`);
    const panel = new TimelinePanel(services.extensionUri, session, doc.title, logger);
    panels.set(key, panel);
    panel.onDidDispose(() => panels.delete(key));
    panel.post();
    return panel;
  }

  const subs: vscode.Disposable[] = [
    registerCommand('openstack.timeline.show', logger, (arg?: TimelineArg) => show(arg)),
    registerCommand('openstack.timeline.export', logger, async () => {
      const panel = [...panels.values()].find((p) => p.panel.active) ?? [...panels.values()].at(-1);
      if (!panel) throw new TroubleshooterError('NotFound', 'No timeline is open: show one first.');
      return panel.save(await panel.requestSvg());
    }),
  ];

  return {
    show,
    panel: (uri) => panels.get(uri.toString()),
    dispose() {
      for (const p of panels.values()) p.dispose();
      panels.clear();
      for (const d of subs) d.dispose();
    },
  };
}

function titleOf(uri: vscode.Uri): string {
  const q = parseLogUri(uri);
  return q.request ?? decodeURIComponent(uri.path.slice(1)).replace(/( \(live\))?\.oslog$/, '');
}
