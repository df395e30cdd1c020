import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import { ipAddrCommand, iptablesNatCommand, ipRouteCommand, ipRuleCommand } from '../../core/namespaces/commands';
import { renderNamespaceDocument, type FloatingIpRef, type RenderedNamespaceDocument } from '../../core/namespaces/document';
import { validateHostname, validateNamespace } from '../../core/remote/validate';
import { namespacesOnHost } from './host-namespaces';
import type { ExplorerServices } from './services';

export const NETNS_SCHEME = 'openstack-netns';

export interface NamespaceDocRef {
  cloud: string;
  /** OpenStack host name (agent host); mapped to an SSH target when run. */
  host: string;
  namespace: string;
  routerId?: string;
}

/** `openstack-netns://<host>/<namespace>?cloud=<cloud>&router=<id>` */
export function namespaceDocumentUri(r: NamespaceDocRef): vscode.Uri {
  const q = new URLSearchParams({ cloud: r.cloud, ...(r.routerId ? { router: r.routerId } : {}) });
  return vscode.Uri.from({ scheme: NETNS_SCHEME, authority: r.host, path: `/${r.namespace}`, query: q.toString() });
}

export function parseNamespaceDocumentUri(uri: vscode.Uri): NamespaceDocRef {
  const q = new URLSearchParams(uri.query);
  return {
    cloud: q.get('cloud') ?? '',
    host: validateHostname(uri.authority),
    namespace: validateNamespace(uri.path.replace(/^\//, '')),
    routerId: q.get('router') ?? undefined,
  };
}

/**
 * Read-only documents of a namespace: `ip -d addr`, `ip route`, `ip rule`, `iptables-save -t nat`, captured over SSH
 * on the agent's host, with the router's floating-IP DNAT/SNAT rules marked `>>` and decorated in the gutter.
 */
export class NamespaceDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly rendered = new Map<string, RenderedNamespaceDocument>();
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
    fontWeight: 'bold',
  });
  private readonly wiring = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
  });
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly services: ExplorerServices) {
    this.subs.push(vscode.window.onDidChangeVisibleTextEditors((eds) => eds.forEach((e) => this.decorate(e))));
  }

  /** What the last render of a URI found (tests, the floating-IP node). */
  result(uri: vscode.Uri): RenderedNamespaceDocument | undefined {
    return this.rendered.get(uri.toString());
  }

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const ctrl = new AbortController();
    const sub = token.onCancellationRequested(() => ctrl.abort());
    try {
      const ref = parseNamespaceDocumentUri(uri);
      const signal = ctrl.signal;
      const client = await this.services.session.client(signal);
      const run = <T>(p: Promise<T>) => p.then((v) => v, (e: unknown) => ({ error: errorMessage(e) }));
      const [router, fips, hostNs, addr, route, rule, nat] = await Promise.all([
        ref.routerId && client.hasNetwork ? client.network.getRouter(ref.routerId, { signal }).then((r) => r.data, () => undefined) : Promise.resolve(undefined),
        ref.routerId && client.hasNetwork
          ? client.network.listFloatingIps({ filters: { router_id: ref.routerId }, signal }).then((r) => r.data, () => [])
          : Promise.resolve([]),
        namespacesOnHost(this.services, ref.host, signal).catch(() => undefined),
        run(this.services.runOnHost(ref.host, ipAddrCommand(ref.namespace), signal)),
        run(this.services.runOnHost(ref.host, ipRouteCommand(ref.namespace), signal)),
        run(this.services.runOnHost(ref.host, ipRuleCommand(ref.namespace), signal)),
        run(this.services.runOnHost(ref.host, iptablesNatCommand(ref.namespace), signal)),
      ]);
      const floatingIps: FloatingIpRef[] = fips.map((f) => ({ floatingIp: f.floatingIpAddress, fixedIp: f.fixedIpAddress, id: f.id }));
      const doc = renderNamespaceDocument({
        host: ref.host,
        namespace: ref.namespace,
        sighting: hostNs?.sightings.find((s) => s.name === ref.namespace),
        router: router ? { id: router.id, name: router.name } : ref.routerId ? { id: ref.routerId } : undefined,
        floatingIps,
        addr,
        route,
        rule,
        nat,
        capturedAt: new Date().toISOString(),
      });
      this.rendered.set(uri.toString(), doc);
      setTimeout(() => vscode.window.visibleTextEditors.forEach((e) => this.decorate(e)), 0);
      return doc.text;
    } catch (e) {
      return `# Could not read namespace ${uri.path.slice(1)} on ${uri.authority}\n# ${errorMessage(e)}\n`;
    } finally {
      sub.dispose();
    }
  }

  private decorate(editor: vscode.TextEditor): void {
    if (editor.document.uri.scheme !== NETNS_SCHEME) return;
    const r = this.rendered.get(editor.document.uri.toString());
    if (!r) return;
    const lines = (ns: number[]) => ns.filter((n) => n < editor.document.lineCount).map((n) => editor.document.lineAt(n).range);
    editor.setDecorations(this.highlight, lines(r.highlightLines));
    editor.setDecorations(this.wiring, lines(r.wiringLines));
  }

  dispose(): void {
    this.changed.dispose();
    this.highlight.dispose();
    this.wiring.dispose();
    for (const s of this.subs) s.dispose();
  }
}
