// Runs inside the real extension host: the config doctor as a user meets it. Local config files opened in an
// editor get diagnostics that follow typing; its quick fixes and "ignore on this line" silence them; and on the
// lab, compute2's real libvirtd.conf opened over openstack-sftp:// is fixed, saved atomically with a backup beside
// it, and a save over a file that changed on the host meanwhile is refused with nothing lost. Every change made
// on compute2 is restored (content, backups removed, libvirtd restarted) so other suites find the lab as it was.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { recordMetric } from '../support/metrics';
import { labEnvOrSkip, sshOnLab as ssh } from '../support/lab';

const EXTENSION_ID = 'openstack-troubleshooter.openstack-troubleshooter';

async function until<T>(what: string, ms: number, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The config doctor's diagnostics of a document (source "openstack"), as the Problems panel gets them. */
function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'openstack');
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function summary(uri: vscode.Uri): string {
  return JSON.stringify(ours(uri).map((d) => `${codeOf(d)}@${d.range.start.line}:${d.range.start.character}`));
}

function find(uri: vscode.Uri, code: string): vscode.Diagnostic | undefined {
  return ours(uri).find((d) => codeOf(d) === code);
}

function rangeOf(d: vscode.Diagnostic): [number, number, number, number] {
  return [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character];
}

/** The code actions VS Code offers at a diagnostic (lightbulb / Ctrl+.), resolved like the workbench does. */
async function actionsAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const all = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, range, undefined, 20);
  return (all ?? []).filter((a): a is vscode.CodeAction => typeof (a as vscode.Command).command !== 'string');
}

async function openEditor(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

/** Shows the document and reverts it from its file system (re-reads the host's file for openstack-sftp:). */
async function revert(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc, { preview: false });
  await vscode.commands.executeCommand('workbench.action.files.revert');
}

/** Closes every editor without a "save changes?" dialog: dirty documents are reverted first. */
async function closeAll(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments.filter((d) => d.isDirty && !d.isUntitled)) await revert(doc);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * code-server defaults to files.autoSave "afterDelay": an edit would be saved a second later on its own. These
 * tests save when the user would press Ctrl+S, so auto save is off while they run (and restored afterwards).
 */
function autoSaveOff(): void {
  let previous: unknown;
  before(async () => {
    const files = vscode.workspace.getConfiguration('files');
    previous = files.inspect('autoSave')?.globalValue;
    await files.update('autoSave', 'off', vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await vscode.workspace.getConfiguration('files').update('autoSave', previous, vscode.ConfigurationTarget.Global);
  });
}

describe('config doctor in the editor', function () {
  this.timeout(120_000);
  let dir: string;
  autoSaveOff();

  const LIBVIRTD = [
    'listen_tls = 0', //                 0
    'listen_tcp = 0', //                 1
    'auth_tcp = "none"', //              2
    'listen_addr = "0.0.0.0"', //        3
    'tcp_port = "12506"', //             4
    '',
  ].join('\n');
  const LIMITS = ['# limits for the database', 'mysql soft nofile 65536', 'mysql hard nofile 4096', ''].join('\n');
  const MYCNF = ['[mysqld]', 'max_connections = 151', ''].join('\n');

  before(async () => {
    await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    // code-server's TMPDIR points into the run folder, so these files go away with it.
    dir = mkdtempSync(join(tmpdir(), 'ost-configs-'));
    for (const [rel, text] of [['libvirt/libvirtd.conf', LIBVIRTD], ['security/limits.conf', LIMITS], ['mysql/my.cnf', MYCNF], ['notes/other.conf', LIBVIRTD]] as const) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
  });

  after(async () => {
    await closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a local libvirtd.conf shows its findings with codes, ranges and severities, and they follow typing', async () => {
    const uri = vscode.Uri.file(join(dir, 'libvirt', 'libvirtd.conf'));
    const t0 = performance.now();
    const editor = await openEditor(uri);
    await until(`diagnostics on libvirtd.conf (have ${summary(uri)})`, 30_000, () => find(uri, 'libvirt/port-mismatch'));
    recordMetric('configDoctorFirstDiagnosticsMs', Math.round(performance.now() - t0));

    const auth = find(uri, 'libvirt/auth-tcp-none');
    const all = find(uri, 'libvirt/listen-all-interfaces');
    const port = find(uri, 'libvirt/port-mismatch')!;
    assert.ok(auth && all, summary(uri));
    assert.deepEqual(rangeOf(auth), [2, 0, 2, 17], 'auth_tcp = "none" as a whole');
    assert.equal(auth.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(auth.message, /lets anyone who reaches the TCP port control every VM/);
    assert.deepEqual(rangeOf(all), [3, 0, 3, 23]);
    assert.equal(all.severity, vscode.DiagnosticSeverity.Warning);
    assert.deepEqual(rangeOf(port), [4, 11, 4, 18], 'the value "12506"');
    assert.equal(port.severity, vscode.DiagnosticSeverity.Error);
    assert.match(port.message, /12506 is a myth/);
    assert.ok(typeof port.code === 'object' && /^https:\/\//.test(port.code.target.toString(true)), 'the code links to documentation');

    // The user types: auth_tcp becomes "sasl" (its warning goes) and a comment line goes on top (the rest move down).
    const t1 = performance.now();
    await editor.edit((b) => b.replace(new vscode.Range(2, 11, 2, 17), '"sasl"'));
    await until(`auth-tcp-none to go (have ${summary(uri)})`, 10_000, () => !find(uri, 'libvirt/auth-tcp-none'));
    recordMetric('configDoctorRelintAfterTypingMs', Math.round(performance.now() - t1));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(0, 0), '# compute2 migration settings\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const moved = await until(`port-mismatch on line 5 (have ${summary(uri)})`, 10_000, () => {
      const d = find(uri, 'libvirt/port-mismatch');
      return d && d.range.start.line === 5 ? d : undefined;
    });
    assert.deepEqual(rangeOf(moved), [5, 11, 5, 18]);
    assert.deepEqual(rangeOf(find(uri, 'libvirt/listen-all-interfaces')!), [4, 0, 4, 23]);
    assert.equal(find(uri, 'libvirt/auth-tcp-none'), undefined);

    // A syntax error while typing is an error on its line; fixing it clears it.
    const broken = new vscode.WorkspaceEdit();
    broken.insert(uri, new vscode.Position(6, 0), 'max_clients = \n');
    assert.ok(await vscode.workspace.applyEdit(broken));
    const syntax = await until(`libvirt/syntax (have ${summary(uri)})`, 10_000, () => find(uri, 'libvirt/syntax'));
    assert.equal(syntax.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(syntax.range.start.line, 6);
    const fixed = new vscode.WorkspaceEdit();
    fixed.replace(uri, new vscode.Range(6, 0, 7, 0), 'max_clients = 5000\n');
    assert.ok(await vscode.workspace.applyEdit(fixed));
    await until(`libvirt/syntax to go (have ${summary(uri)})`, 10_000, () => !find(uri, 'libvirt/syntax'));

    // The same text in a file the doctor does not watch gets nothing.
    const other = vscode.Uri.file(join(dir, 'notes', 'other.conf'));
    await openEditor(other);
    await new Promise((r) => setTimeout(r, 1000)); // three debounce periods: a lint would have landed
    assert.deepEqual(ours(other), []);
  });

  it('limits.conf and my.cnf: the soft-above-hard error and the max_connections warning', async () => {
    const limits = vscode.Uri.file(join(dir, 'security', 'limits.conf'));
    await openEditor(limits);
    const soft = await until(`limits/soft-above-hard (have ${summary(limits)})`, 30_000, () => find(limits, 'limits/soft-above-hard'));
    assert.deepEqual(rangeOf(soft), [1, 18, 1, 23], 'the soft value 65536');
    assert.equal(soft.severity, vscode.DiagnosticSeverity.Error);
    const svc = find(limits, 'limits/not-for-services');
    assert.ok(svc, `limits.conf does not apply to services (have ${summary(limits)})`);
    assert.equal(svc.severity, vscode.DiagnosticSeverity.Information);

    const mycnf = vscode.Uri.file(join(dir, 'mysql', 'my.cnf'));
    await openEditor(mycnf);
    const low = await until(`mysql/max-connections-low (have ${summary(mycnf)})`, 30_000, () => find(mycnf, 'mysql/max-connections-low'));
    assert.deepEqual(rangeOf(low), [1, 18, 1, 21], 'the value 151');
    assert.equal(low.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(low.message, /max_connections = 151 is below the 4096/);
  });

  it('code actions: the preferred fix makes the finding go away; "ignore on this line" adds the marker and silences it', async () => {
    const limits = vscode.Uri.file(join(dir, 'security', 'limits.conf'));
    const editor = await openEditor(limits);
    const soft = await until('limits/soft-above-hard', 30_000, () => find(limits, 'limits/soft-above-hard'));
    const actions = await actionsAt(limits, soft.range);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Lower the soft limit to 4096'), JSON.stringify(titles));
    assert.ok(titles.includes('Raise the hard limit to 65536'), JSON.stringify(titles));
    assert.ok(titles.includes('Ignore limits/soft-above-hard on this line'), JSON.stringify(titles));
    assert.ok(titles.includes('Show documentation for limits/soft-above-hard'), JSON.stringify(titles));
    assert.ok(titles.includes('Apply "Lower the soft limit to 4096" to hosts…'), JSON.stringify(titles));
    // The lightbulb at this range also offers the overlapping limits/not-for-services finding's actions.
    const lower = actions.find((a) => a.title === 'Lower the soft limit to 4096')!;
    assert.equal(lower.isPreferred, true, 'lowering the soft limit is the preferred fix');
    assert.notEqual(actions.find((a) => a.title === 'Raise the hard limit to 65536')!.isPreferred, true);
    assert.ok(lower.edit, 'the fix carries its edit');
    assert.ok(await vscode.workspace.applyEdit(lower.edit));
    assert.equal(editor.document.lineAt(1).text, 'mysql soft nofile 4096');
    await until(`soft-above-hard to go (have ${summary(limits)})`, 10_000, () => !find(limits, 'limits/soft-above-hard'));
    assert.ok(find(limits, 'limits/not-for-services'), 'the other finding stays');

    const mycnf = vscode.Uri.file(join(dir, 'mysql', 'my.cnf'));
    const myEditor = await openEditor(mycnf);
    const low = await until('mysql/max-connections-low', 30_000, () => find(mycnf, 'mysql/max-connections-low'));
    const ignore = (await actionsAt(mycnf, low.range)).find((a) => a.title === 'Ignore mysql/max-connections-low on this line');
    assert.ok(ignore?.edit, 'an "ignore on this line" action with an edit');
    assert.notEqual(ignore.isPreferred, true, 'ignoring is never the preferred fix');
    assert.ok(await vscode.workspace.applyEdit(ignore.edit));
    assert.equal(myEditor.document.getText(), '[mysqld]\n# openstack-troubleshooter: ignore mysql/max-connections-low\nmax_connections = 151\n');
    await until(`max-connections-low to be silenced (have ${summary(mycnf)})`, 10_000, () => !find(mycnf, 'mysql/max-connections-low'));
    // Saved to disk like any edit.
    assert.ok(await myEditor.document.save());
    assert.match(readFileSync(mycnf.fsPath, 'utf8'), /^# openstack-troubleshooter: ignore mysql\/max-connections-low$/m);
  });
});

describe('config doctor on a lab host over openstack-sftp://', function () {
  this.timeout(240_000);
  const host = 'compute2';
  const path = '/etc/libvirt/libvirtd.conf';
  let env: Record<string, string>;
  let original: string;
  let existing: string[];
  const uri = vscode.Uri.from({ scheme: 'openstack-sftp', authority: host, path });
  autoSaveOff();

  const cat = () => ssh(env.LAB_SSH_CONFIG, host, `cat ${path}`);
  const listDir = async () => (await ssh(env.LAB_SSH_CONFIG, host, 'ls -1 /etc/libvirt')).split('\n').filter(Boolean);

  /** Puts compute2 back as it was: the original content, no backups of ours, libvirtd restarted on it. */
  async function restore(): Promise<void> {
    await closeAll();
    const changed = (await cat()) !== original;
    if (changed) await ssh(env.LAB_SSH_CONFIG, host, `cat > ${path}`, original);
    const extra = (await listDir()).filter((n) => !existing.includes(n) && n.startsWith('libvirtd.conf.bak-'));
    if (extra.length) await ssh(env.LAB_SSH_CONFIG, host, `rm -f -- ${extra.map((n) => `/etc/libvirt/${n}`).join(' ')}`);
    // Written files are newer than libvirtd's start ("changed but not yet applied"): restart it as the lab had it.
    if (changed || extra.length) await ssh(env.LAB_SSH_CONFIG, host, 'lab-service restart libvirtd');
  }

  before(async function () {
    env = labEnvOrSkip(this);
    await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    original = await cat();
    existing = await listDir();
    assert.match(original, /^listen_tcp\s*=\s*0/m, 'the lab ships compute2 with listen_tcp = 0');
  });

  afterEach(async () => restore());

  it('compute2 libvirtd.conf: libvirt/tcp-disabled is shown, the preferred fix applied and saved; the host has the fix and a backup beside it', async () => {
    const t0 = performance.now();
    const editor = await openEditor(uri);
    assert.equal(editor.document.getText(), original, 'the editor shows the host file');
    const tcp = await until(`libvirt/tcp-disabled on ${uri.toString(true)} (have ${summary(uri)})`, 60_000, () => find(uri, 'libvirt/tcp-disabled'));
    recordMetric('configDoctorRemoteFirstDiagnosticsMs', Math.round(performance.now() - t0));
    const line = editor.document.lineAt(tcp.range.start.line).text;
    assert.match(line, /^listen_tcp\s*=\s*0/, 'anchored on the listen_tcp line');
    assert.match(tcp.message, /does not listen on TCP/);

    const actions = await actionsAt(uri, tcp.range);
    const fix = actions.find((a) => a.isPreferred && /listen_tcp/.test(a.title));
    assert.ok(fix, `a preferred fix (have ${JSON.stringify(actions.map((a) => `${a.title}${a.isPreferred ? ' *' : ''}`))})`);
    assert.equal(fix.title, 'Set listen_tcp = 1 (libvirtd started with --listen)');
    assert.ok(fix.edit, 'the fix edits the file');
    assert.equal(fix.command?.command, 'openstack.configs.runHostCommands', 'the restart is offered after the edit (with a confirmation)');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(editor.document.getText(), /^listen_tcp = 1$/m);

    const t1 = performance.now();
    assert.ok(await editor.document.save(), 'saved to compute2');
    recordMetric('configDoctorRemoteSaveMs', Math.round(performance.now() - t1));
    assert.equal(editor.document.isDirty, false);

    const now = await cat();
    assert.match(now, /^listen_tcp = 1$/m, 'compute2 has the fix');
    assert.doesNotMatch(now, /^listen_tcp\s*=\s*0/m);
    assert.equal(now, editor.document.getText(), 'exactly what the editor saved');
    const backups = (await listDir()).filter((n) => !existing.includes(n) && /^libvirtd\.conf\.bak-\d{8}T\d{6}Z(-\d+)?$/.test(n));
    assert.equal(backups.length, 1, `one backup beside the file (${JSON.stringify(await listDir())})`);
    assert.equal(await ssh(env.LAB_SSH_CONFIG, host, `cat /etc/libvirt/${backups[0]}`), original, 'the backup holds the previous content');
    await until(`tcp-disabled to go after the save (have ${summary(uri)})`, 30_000, () => !find(uri, 'libvirt/tcp-disabled'));
  });

  it('a file changed on the host between open and save: the save is refused (FileChanged) and the host keeps its change', async () => {
    // A copy of compute2's libvirtd.conf in a folder of its own: a document URI no earlier test opened, and the
    // real file is not touched.
    const dir = `/tmp/ost-conflict-${Date.now().toString(36)}`;
    const file = `${dir}/libvirtd.conf`;
    const copy = vscode.Uri.from({ scheme: 'openstack-sftp', authority: host, path: file });
    await ssh(env.LAB_SSH_CONFIG, host, `mkdir -p ${dir} && cp -p ${path} ${file}`);
    try {
      const editor = await openEditor(copy);
      assert.equal(editor.document.getText(), original, 'the editor shows the host file');
      await until(`libvirt/tcp-disabled on the copy (have ${summary(copy)})`, 60_000, () => find(copy, 'libvirt/tcp-disabled'));
      assert.ok(await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# edited in VS Code\n')));

      // Someone else edits the file on compute2: same size and the same mtime second, so only the content tells
      // (VS Code's own check compares mtime and size; the provider also compares the content hash).
      const changedOnHost = original.replace(/^listen_tcp\s*=\s*0/m, (m) => m.replace('0', '9'));
      assert.notEqual(changedOnHost, original);
      await ssh(env.LAB_SSH_CONFIG, host, `t=$(stat -c %Y ${file}) && cat > ${file} && touch -d @$t ${file}`, changedOnHost);

      const saved = await editor.document.save();
      assert.equal(saved, false, 'the save is refused');
      assert.equal(editor.document.isDirty, true, 'the edit stays in the editor');
      assert.equal(await ssh(env.LAB_SSH_CONFIG, host, `cat ${file}`), changedOnHost, "the host keeps the other person's change");
      assert.equal(await ssh(env.LAB_SSH_CONFIG, host, `ls -A ${dir}`), 'libvirtd.conf\n', 'nothing was written, not even a backup');

      // What the user is told (the error the workbench shows in its "Failed to save" notification).
      await assert.rejects(
        Promise.resolve(vscode.workspace.fs.writeFile(copy, new TextEncoder().encode(editor.document.getText()))),
        (e: Error) => {
          assert.match(e.message, new RegExp(`"${file}" on "compute2" changed since it was read \\(content differs\\); reload it before saving\\.`));
          return true;
        },
      );
      assert.equal(await ssh(env.LAB_SSH_CONFIG, host, `cat ${file}`), changedOnHost);
    } finally {
      await closeAll();
      await ssh(env.LAB_SSH_CONFIG, host, `rm -rf -- ${dir}`);
    }
  });
});
