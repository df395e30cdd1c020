import * as vscode from 'vscode';
import { renderJson, renderMarkdown } from '../../core/checks/report';
import type { CheckReport } from '../../core/checks/types';

export const REPORT_SCHEME = 'openstack-report';

/**
 * Check reports as read-only Markdown documents: `openstack-report:/<kind>/<n>-<slug>.md`. The `.md` path gives
 * them the Markdown language (preview, outline, find); the reports stay in memory for export as Markdown or JSON.
 */
export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly reports = new Map<string, CheckReport[]>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private seq = 0;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const reports = this.reports.get(uri.toString());
    if (!reports) return '# Report not available\n\nThis check report belonged to an earlier session of the extension. Run the check again.\n';
    return reports.map(renderMarkdown).join('\n\n---\n\n');
  }

  /** Stores the reports and returns the document's URI. */
  add(reports: CheckReport[]): vscode.Uri {
    const first = reports[0];
    const slug = (first?.title ?? 'report').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${first?.kind ?? 'check'}/${++this.seq}-${slug}.md` });
    this.reports.set(uri.toString(), reports);
    return uri;
  }

  get(uri: vscode.Uri): CheckReport[] | undefined {
    return this.reports.get(uri.toString());
  }

  /** Opens the reports in an editor tab (read-only; the content provider makes it so). */
  async show(reports: CheckReport[]): Promise<vscode.TextEditor> {
    const uri = this.add(reports);
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  /** Saves the reports of `uri` (or of the active report editor) as Markdown or JSON, for a ticket. */
  async export(uri?: vscode.Uri, format?: 'md' | 'json', to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    const reports = target ? this.get(target) : undefined;
    if (!reports) {
      void vscode.window.showInformationMessage('Open a check report first (run a check from the command palette).');
      return undefined;
    }
    const base = target!.path.split('/').pop()!.replace(/\.md$/, '');
    const picked = format ? { ext: format } : await vscode.window.showQuickPick(
      [
        { label: 'Markdown', description: 'for a ticket or a wiki', ext: 'md' },
        { label: 'JSON', description: 'for scripts and CI', ext: 'json' },
      ],
      { title: 'Export Check Report', placeHolder: 'Format' },
    );
    if (!picked) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const dest = to ?? await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}.${picked.ext}`) : undefined,
      filters: picked.ext === 'md' ? { Markdown: ['md'] } : { JSON: ['json'] },
    });
    if (!dest) return undefined;
    const text = picked.ext === 'md' ? reports.map(renderMarkdown).join('\n\n---\n\n') : reports.length === 1 ? renderJson(reports[0]) : `[${reports.map(renderJson).join(',\n')}]`;
    await vscode.workspace.fs.writeFile(dest, Buffer.from(text, 'utf8'));
    return dest;
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
    this.reports.clear();
  }
}
