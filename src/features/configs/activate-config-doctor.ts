import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import { logCall, redact } from '../../core/log';
import { applyHostPlans, localCommandRunner, planFixOnHosts, planPreview, type HostCommandRunner } from '../../core/configs/apply-to-hosts';
import { gatherFacts, type ConfigFacts } from '../../core/configs/facts';
import { LocalConfigFileStore, type ConfigFileStore } from '../../core/configs/file-store';
import { resolveFileEdit } from '../../core/configs/fixes';
import { ignoreFix, lintConfig } from '../../core/configs/lint';
import type { Finding, Fix, HostCommand } from '../../core/configs/model';
import type { ConfigReader } from '../../core/configs/option-file';
import { SftpConfigFileStore, sshCommandRunner, sshProbeRunner } from '../../core/configs/remote-store';
import { restartFacts, runLocalProbe } from '../../core/configs/restart-pending';
import { detectConfigKind } from '../../core/configs/lint';
import type { SshPool } from '../../core/remote/pool';
import { registerCommand } from '../../platform/commands';
import { showFailureMessage } from '../../platform/errors';
import { withCancellableProgress } from '../../platform/progress';
import { isConfigDoctorPath } from './paths';

export const SFTP_SCHEME = 'openstack-sftp';
const SCHEMES = new Set(['file', SFTP_SCHEME]);
const DEBOUNCE_MS = 300;
const FACTS_TTL_MS = 30_000;
const FACTS_DEADLINE_MS = 8_000;

export interface ConfigDoctorServices {
  logger: Logger;
  /** The extension's SSH pool (for "Apply to hosts…" and restart commands on openstack-sftp hosts). */
  ssh?: { readonly pool: SshPool; aliases?(): string[] };
  /** Extra facts for a document (nova's migration scheme from a setting, …). */
  facts?: (uri: vscode.Uri) => ConfigFacts | undefined;
}

export interface ConfigDoctorFeature extends vscode.Disposable {
  readonly diagnostics: vscode.DiagnosticCollection;
  /** Lints now (no debounce); resolves when the diagnostics are set. Tests and commands use it. */
  lint(document: vscode.TextDocument): Promise<Finding[]>;
}

function severity(s: Finding['severity']): vscode.DiagnosticSeverity {
  return s === 'error' ? vscode.DiagnosticSeverity.Error : s === 'warning' ? vscode.DiagnosticSeverity.Warning : s === 'info' ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Hint;
}

function toRange(r: Finding['range']): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function sibling(uri: vscode.Uri, path: string): vscode.Uri {
  return uri.with({ path, query: '', fragment: '' });
}

/** Reads the other files of the same host through VS Code's file systems (local disk or the SFTP provider). */
function workspaceReader(uri: vscode.Uri): ConfigReader {
  return {
    async read(path) {
      try {
        const bytes = await vscode.workspace.fs.readFile(sibling(uri, path));
        return bytes.length > 5 * 1024 * 1024 || bytes.includes(0) ? undefined : new TextDecoder().decode(bytes);
      } catch {
        return undefined;
      }
    },
    async list(dir) {
      try {
        return (await vscode.workspace.fs.readDirectory(sibling(uri, dir))).map(([n]) => n);
      } catch {
        return undefined;
      }
    },
  };
}

/** Caches a host's files for a while, so typing does not re-read the host on every keystroke. */
function cachingReader(inner: ConfigReader): ConfigReader & { stale(): boolean } {
  const reads = new Map<string, Promise<string | undefined>>();
  const lists = new Map<string, Promise<string[] | undefined>>();
  const born = Date.now();
  return {
    read: (p) => reads.get(p) ?? (reads.set(p, inner.read(p)), reads.get(p)!),
    list: (d) => lists.get(d) ?? (lists.set(d, inner.list(d)), lists.get(d)!),
    stale: () => Date.now() - born > FACTS_TTL_MS,
  };
}

export function activateConfigDoctor(services: ConfigDoctorServices): ConfigDoctorFeature {
  const { logger } = services;
  const diagnostics = vscode.languages.createDiagnosticCollection('openstack-config');
  const findingsByDoc = new Map<string, { version: number; findings: Finding[] }>();
  const timers = new Map<string, NodeJS.Timeout>();
  const readers = new Map<string, ReturnType<typeof cachingReader>>();
  const restart = new Map<string, { at: number; facts: Promise<Partial<ConfigFacts>> }>();
  const subs: vscode.Disposable[] = [diagnostics];

  const wanted = (doc: vscode.TextDocument) => SCHEMES.has(doc.uri.scheme) && isConfigDoctorPath(doc.uri.path);

  function readerFor(uri: vscode.Uri) {
    const key = `${uri.scheme}://${uri.authority}`;
    let r = readers.get(key);
    if (!r || r.stale()) {
      r = cachingReader(workspaceReader(uri));
      readers.set(key, r);
    }
    return r;
  }

  async function lint(doc: vscode.TextDocument): Promise<Finding[]> {
    const started = performance.now();
    const text = doc.getText();
    const version = doc.version;
    let facts: ConfigFacts = { ...(services.facts?.(doc.uri) ?? {}) };
    try {
      const deadline = new Promise<undefined>((r) => setTimeout(() => r(undefined), FACTS_DEADLINE_MS));
      facts = (await Promise.race([gatherFacts(readerFor(doc.uri), { path: doc.uri.path, text }, facts), deadline])) ?? facts;
    } catch (e) {
      logger.warn(redact(`Config doctor: could not read the rest of "${doc.uri.authority || 'this host'}": ${errorMessage(e)}`));
    }
    Object.assign(facts, await restartFactsFor(doc));
    const { findings } = lintConfig({ path: doc.uri.path, text, facts });
    if (doc.isClosed || doc.version !== version) return findings; // a newer lint will set them
    findingsByDoc.set(doc.uri.toString(), { version, findings });
    diagnostics.set(doc.uri, findings.map((f) => {
      const d = new vscode.Diagnostic(toRange(f.range), f.message, severity(f.severity));
      d.source = 'openstack';
      d.code = { value: f.code, target: vscode.Uri.parse(f.docUrl) };
      if (f.related?.length) d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(sibling(doc.uri, r.path), toRange(r.range)), r.message));
      return d;
    }));
    logCall(logger, `lint ${doc.uri.scheme}:${doc.uri.authority}${doc.uri.path} (${findings.length} findings)`, started);
    return findings;
  }

  /** "Changed but not yet applied": the saved file's mtime against the daemon's start, on the host (cached 15 s). */
  function restartFactsFor(doc: vscode.TextDocument): Promise<Partial<ConfigFacts>> {
    const key = doc.uri.toString();
    const hit = restart.get(key);
    if (hit && Date.now() - hit.at < 15_000) return hit.facts;
    const kind = detectConfigKind(doc.uri.path, doc.getText());
    // Only the live configuration (a copy in a repository is not what the daemon reads).
    const live = doc.uri.path.startsWith('/etc/');
    const exec = !live ? undefined : doc.uri.scheme === 'file' ? runLocalProbe : services.ssh ? sshProbeRunner(services.ssh.pool, doc.uri.authority) : undefined;
    const timeout = new Promise<Partial<ConfigFacts>>((r) => setTimeout(() => r({}), 5000));
    const facts = exec ? Promise.race([restartFacts(exec, kind, doc.uri.path).catch(() => ({})), timeout]) : Promise.resolve({});
    restart.set(key, { at: Date.now(), facts });
    return facts;
  }

  function schedule(doc: vscode.TextDocument) {
    if (!wanted(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      lint(doc).catch((e) => logger.warn(redact(`Config doctor: ${errorMessage(e)}`)));
    }, DEBOUNCE_MS));
  }

  subs.push(
    vscode.workspace.onDidOpenTextDocument(schedule),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      readers.delete(`${doc.uri.scheme}://${doc.uri.authority}`); // other files' facts may depend on it
      restart.delete(doc.uri.toString());
      schedule(doc);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      clearTimeout(timers.get(doc.uri.toString()));
      diagnostics.delete(doc.uri);
      findingsByDoc.delete(doc.uri.toString());
    }),
  );
  for (const doc of vscode.workspace.textDocuments) schedule(doc);

  function findingOf(doc: vscode.TextDocument, d: vscode.Diagnostic): Finding | undefined {
    const entry = findingsByDoc.get(doc.uri.toString());
    const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code);
    return entry?.findings.find((f) => f.code === code && toRange(f.range).isEqual(d.range));
  }

  function storeFor(uri: vscode.Uri): { store: ConfigFileStore; host: string; runner: HostCommandRunner } | undefined {
    if (uri.scheme === 'file') return { store: new LocalConfigFileStore('/'), host: 'local', runner: localCommandRunner };
    if (uri.scheme === SFTP_SCHEME && services.ssh) return { store: new SftpConfigFileStore(services.ssh.pool), host: uri.authority, runner: sshCommandRunner(services.ssh.pool) };
    return undefined;
  }

  class FixAction extends vscode.CodeAction {
    constructor(readonly doc: vscode.TextDocument, readonly fix: Fix, diagnostic: vscode.Diagnostic) {
      super(fix.title, vscode.CodeActionKind.QuickFix);
      this.diagnostics = [diagnostic];
      this.isPreferred = fix.preferred;
    }
  }

  const provider: vscode.CodeActionProvider<vscode.CodeAction> = {
    provideCodeActions(doc, _range, context) {
      const actions: vscode.CodeAction[] = [];
      for (const d of context.diagnostics) {
        if (d.source !== 'openstack') continue;
        const f = findingOf(doc, d);
        if (!f) continue;
        for (const fix of f.fixes) {
          const a = new FixAction(doc, fix, d);
          if (fix.files.length > 0 && fix.files.every((fe) => !fe.path)) {
            a.edit = new vscode.WorkspaceEdit();
            for (const fe of fix.files) for (const e of fe.edits ?? []) a.edit.replace(doc.uri, toRange(e.range), e.newText);
          }
          // Other files (a drop-in) are read in resolveCodeAction; commands are offered after the edit.
          if (fix.commands?.length) a.command = { title: 'Run on the host', command: 'openstack.configs.runHostCommands', arguments: [doc.uri, fix.commands] };
          actions.push(a);
        }
        if (f.fixes.length > 0) {
          const apply = new vscode.CodeAction(`Apply "${f.fixes.find((x) => x.preferred)?.title ?? f.fixes[0].title}" to hosts…`, vscode.CodeActionKind.QuickFix);
          apply.diagnostics = [d];
          apply.command = { title: 'Apply to hosts…', command: 'openstack.configs.applyToHosts', arguments: [doc.uri, f.code] };
          actions.push(apply);
        }
        const ignore = new vscode.CodeAction(`Ignore ${f.code} on this line`, vscode.CodeActionKind.QuickFix);
        ignore.diagnostics = [d];
        ignore.edit = new vscode.WorkspaceEdit();
        for (const e of ignoreFix(doc.getText(), f).files[0].edits ?? []) ignore.edit.replace(doc.uri, toRange(e.range), e.newText);
        actions.push(ignore);
        const docs = new vscode.CodeAction(`Show documentation for ${f.code}`, vscode.CodeActionKind.Empty);
        docs.diagnostics = [d];
        docs.command = { title: 'Show documentation', command: 'vscode.open', arguments: [vscode.Uri.parse(f.docUrl)] };
        actions.push(docs);
      }
      return actions;
    },
    async resolveCodeAction(action) {
      if (!(action instanceof FixAction) || action.edit) return action;
      const edit = new vscode.WorkspaceEdit();
      for (const fe of action.fix.files) {
        if (!fe.path) {
          for (const e of fe.edits ?? []) edit.replace(action.doc.uri, toRange(e.range), e.newText);
          continue;
        }
        const target = sibling(action.doc.uri, fe.path);
        let existing: string | undefined;
        try {
          existing = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
        } catch {
          existing = undefined;
        }
        const after = resolveFileEdit(fe, existing);
        if (existing === undefined) edit.createFile(target, { contents: new TextEncoder().encode(after), ignoreIfExists: false });
        else {
          const lines = existing.split('\n');
          edit.replace(target, new vscode.Range(0, 0, lines.length - 1, lines[lines.length - 1].length), after);
        }
      }
      action.edit = edit;
      return action;
    },
  };
  subs.push(
    vscode.languages.registerCodeActionsProvider([...SCHEMES].map((scheme) => ({ scheme })), provider, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );

  async function runHostCommands(uri: vscode.Uri, commands: HostCommand[]): Promise<void> {
    const where = storeFor(uri);
    if (!where || commands.length === 0) return;
    const shown = commands.map((c) => `${c.sudo ? 'sudo ' : ''}${c.argv.join(' ')}`).join(' && ');
    const run = 'Run';
    const picked = await vscode.window.showInformationMessage(`Run on "${where.host}": ${shown}?`, { modal: true, detail: commands.map((c) => c.description).join(' ') }, run, 'Copy Command');
    if (picked === 'Copy Command') return vscode.env.clipboard.writeText(shown);
    if (picked !== run) return;
    await withCancellableProgress(`Running on "${where.host}"`, async (report, signal) => {
      for (const c of commands) {
        report(c.argv.join(' '));
        const r = await where.runner.run(where.host, c, signal);
        if (r.exitCode !== 0) throw new Error(`"${c.argv.join(' ')}" failed on "${where.host}" (exit ${r.exitCode}): ${r.stderr || r.stdout}`.trim());
      }
    });
    void vscode.window.showInformationMessage(`Done on "${where.host}": ${shown}.`);
  }

  async function applyToHosts(uri?: vscode.Uri, code?: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const doc = uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : editor?.document;
    if (!doc) throw new Error('Open a config file first.');
    const findings = findingsByDoc.get(doc.uri.toString())?.findings ?? (await lint(doc));
    const withFix = findings.filter((f) => f.fixes.some((x) => x.preferred));
    const finding = code ? withFix.find((f) => f.code === code) : (await vscode.window.showQuickPick(withFix.map((f) => ({ label: f.code, description: f.fixes.find((x) => x.preferred)?.title, f })), { title: 'Which fix?' }))?.f;
    if (!finding) return;
    if (!services.ssh) throw new Error('SSH is not available in this window.');
    const pool = services.ssh.pool;
    const aliases = services.ssh.aliases?.() ?? [];
    const picks = await vscode.window.showQuickPick(aliases.map((a) => ({ label: a, picked: a === doc.uri.authority })), { canPickMany: true, title: `Apply "${finding.code}" fix to ${doc.uri.path} on…` });
    if (!picks?.length) return;
    const store = new SftpConfigFileStore(pool);
    const plans = await withCancellableProgress('Computing the change on each host', (_r, signal) =>
      planFixOnHosts({ hosts: picks.map((p) => p.label), path: doc.uri.path, code: finding.code, store, facts: () => services.facts?.(doc.uri) ?? {}, signal, log: logger }));
    const preview = await vscode.workspace.openTextDocument({ language: 'diff', content: planPreview(plans) });
    await vscode.window.showTextDocument(preview, { preview: true });
    const changing = plans.filter((p) => p.status === 'change');
    if (changing.length === 0) {
      void vscode.window.showInformationMessage('Nothing to change on the selected hosts.');
      return;
    }
    const write = `Write to ${changing.length} host${changing.length === 1 ? '' : 's'}`;
    if ((await vscode.window.showWarningMessage(`Apply the change shown in the preview? Each file is replaced atomically and backed up beside itself.`, { modal: true }, write)) !== write) return;
    const results = await withCancellableProgress('Writing', (_r, signal) => applyHostPlans(plans, store, signal, logger));
    const failed = results.filter((r) => r.error);
    for (const r of failed) logger.error(`Apply to "${r.host}": ${r.error}`);
    const ok = results.filter((r) => !r.error);
    const written = `Written on ${ok.length} host(s)${failed.length ? `; failed on ${failed.map((r) => `"${r.host}" (${r.error})`).join(', ')}` : ''}.`;
    void (failed.length ? showFailureMessage('warning', written) : vscode.window.showInformationMessage(written));
    const commands = changing.find((p) => p.commands.length)?.commands ?? [];
    for (const r of ok) if (commands.length) await runHostCommands(vscode.Uri.from({ scheme: SFTP_SCHEME, authority: r.host, path: doc.uri.path }), commands);
  }

  subs.push(
    registerCommand('openstack.configs.check', logger, async () => {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc) return;
      readers.clear();
      restart.clear();
      const n = (await lint(doc)).length;
      void vscode.window.setStatusBarMessage(`Config doctor: ${n} finding${n === 1 ? '' : 's'}`, 4000);
    }),
    registerCommand('openstack.configs.applyToHosts', logger, applyToHosts),
    registerCommand('openstack.configs.runHostCommands', logger, runHostCommands),
  );

  return {
    diagnostics,
    lint,
    dispose() {
      for (const t of timers.values()) clearTimeout(t);
      for (const s of subs) s.dispose();
    },
  };
}
