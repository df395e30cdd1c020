import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { TroubleshooterError, errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { LogEntry } from '../../core/logs/types';
import { timelineViewModel, type TimelineViewModel } from '../../core/timeline/view-model';
import { describeFilter, filterActive, type LogSession } from '../logs/log-session';
import { isFromWebview, type ToWebview } from './messages';

/** Re-posting the model while the document follows: at most this often. */
const UPDATE_MS = 500;

/**
 * One timeline webview for one correlated log document (its LogSession). It posts the view model (core) whenever
 * the document re-renders (throttled), reveals a record's line in the document when a span is clicked, and saves the
 * SVG the webview draws. Strict CSP: scripts and styles only from media/timeline with a fresh nonce.
 */
export class TimelinePanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  /** The last model posted, and the entries its record indices point into. */
  model?: TimelineViewModel;
  private entries: readonly LogEntry[] = [];
  private ready = false;
  private markReady!: () => void;
  /** Resolves once the webview's script has loaded and said so. */
  readonly loaded = new Promise<void>((r) => (this.markReady = r));
  private timer?: NodeJS.Timeout;
  private readonly subs: vscode.Disposable[] = [];
  private exportWaiters: ((svg: string) => void)[] = [];
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;
  /** Fires after each model posted (tests wait on it). */
  private readonly postedEmitter = new vscode.EventEmitter<TimelineViewModel>();
  readonly onDidPost = this.postedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    readonly session: LogSession,
    private readonly title: string,
    private readonly logger: Logger,
  ) {
    const media = vscode.Uri.joinPath(extensionUri, 'media', 'timeline');
    this.panel = vscode.window.createWebviewPanel('openstack.timeline', `Timeline: ${title}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    });
    this.panel.webview.html = this.html(media);
    this.subs.push(
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      this.panel.onDidChangeViewState(() => this.panel.visible && this.post()),
      session.onDidRender(() => this.schedule()),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  private html(media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const w = this.panel.webview;
    const script = w.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.js'));
    const style = w.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.css'));
    const csp = [`default-src 'none'`, `img-src ${w.cspSource} data:`, `style-src ${w.cspSource}`, `script-src 'nonce-${nonce}'`, `font-src ${w.cspSource}`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Timeline</title>
</head>
<body>
<header class="bar">
  <h1 id="headline" aria-live="polite">Loading the request's story…</h1>
  <div class="tools" role="toolbar" aria-label="Timeline tools">
    <button id="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
    <button id="zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>
    <button id="zoom-fit" title="Fit the whole story (0)" aria-label="Fit the whole story">Fit</button>
    <button id="export" title="Export as SVG" aria-label="Export the timeline as SVG">Export SVG</button>
  </div>
</header>
<p class="help" id="help">Arrow keys move between steps, Enter shows the record in the log, + and − zoom, drag or Shift+wheel pans.</p>
<main id="chart" tabindex="-1" aria-describedby="help"></main>
<div id="tip" role="tooltip" hidden></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isFromWebview(m)) return;
    try {
      switch (m.type) {
        case 'ready':
          this.ready = true;
          this.post();
          this.markReady();
          break;
        case 'reveal':
          await this.reveal(m.record);
          break;
        case 'exportSvg': {
          const waiters = this.exportWaiters;
          this.exportWaiters = [];
          if (waiters.length) for (const w of waiters) w(m.svg);
          else await this.save(m.svg);
          break;
        }
      }
    } catch (e) {
      this.logger.error(`Timeline "${this.title}": ${errorMessage(e)}`);
    }
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, UPDATE_MS);
  }

  /** Builds the model from the session now and posts it (when the webview is ready and visible). */
  post(): TimelineViewModel | undefined {
    const core = this.session.correlation;
    if (!core) return undefined;
    const { timeline, entries } = core.timeline();
    this.entries = entries;
    this.model = timelineViewModel(timeline, entries, { title: this.title, following: this.session.following });
    if (this.ready && this.panel.visible) {
      const msg: ToWebview = { type: 'model', model: this.model };
      void this.panel.webview.postMessage(msg);
    }
    this.postedEmitter.fire(this.model);
    return this.model;
  }

  /** Shows the record's first line in the log document, selected and centred. */
  async reveal(record: number): Promise<vscode.TextEditor | undefined> {
    const e = this.entries[record];
    if (!e) return undefined;
    const doc = await vscode.workspace.openTextDocument(this.session.uri);
    const text = doc.getText();
    const needle = ` | ${e.lines[0]}`;
    let at = text.indexOf(needle);
    // the same text logged by two hosts: take the one whose line starts with this entry's host
    while (at >= 0 && !text.startsWith(e.host, text.lastIndexOf('\n', at) + 1)) at = text.indexOf(needle, at + 1);
    if (at < 0) {
      if (filterActive(this.session.filter)) {
        const clear = 'Clear Filter';
        const choice = await vscode.window.showInformationMessage(`The record is hidden by the document's filter "${describeFilter(this.session.filter)}".`, clear);
        if (choice === clear) {
          const changed = new Promise<void>((resolve) => {
            const sub = vscode.workspace.onDidChangeTextDocument((ev) => {
              if (ev.document.uri.toString() !== doc.uri.toString()) return;
              sub.dispose();
              resolve();
            });
            setTimeout(() => (sub.dispose(), resolve()), 2000);
          });
          this.session.filter = {};
          await changed;
          return this.reveal(record);
        }
      }
      return undefined;
    }
    const line = doc.positionAt(at).line;
    const range = new vscode.Range(line, 0, line, doc.lineAt(line).text.length);
    const visible = vscode.window.visibleTextEditors.find((x) => x.document.uri.toString() === doc.uri.toString());
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, selection: range, preserveFocus: false, preview: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    return editor;
  }

  /** Asks the webview for its SVG (once it has loaded). */
  requestSvg(timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new TroubleshooterError('Timeout', 'The timeline did not answer the export.')), timeoutMs);
      this.exportWaiters.push((svg) => {
        clearTimeout(t);
        resolve(svg);
      });
      const msg: ToWebview = { type: 'export' };
      void this.loaded.then(() => this.panel.webview.postMessage(msg));
    });
  }

  async save(svg: string): Promise<vscode.Uri | undefined> {
    const name = `timeline-${this.title.replace(/[^\w.-]+/g, '_').slice(0, 60)}.svg`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters: { SVG: ['svg'] }, title: 'Export the timeline' });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, Buffer.from(svg, 'utf8'));
    return target;
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    for (const s of this.subs) s.dispose();
    this.subs.length = 0;
    this.disposedEmitter.fire();
    this.disposedEmitter.dispose();
    this.postedEmitter.dispose();
    this.panel.dispose();
  }
}
