// Runs inside the real extension host against the lab: the Clouds view, the status bar item and the cloud commands
// (switch, add, remove) as a user drives them. Only the dialogs are scripted (support/ui.ts); the clouds.yaml is a
// temporary copy of the lab's, pointed at by the "openstack.cloudsYamlPath" setting.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import { loadCloudConfig } from '../../../src/core/openstack/clouds-config';
import { OpenStackClient } from '../../../src/core/openstack/client';
import type { ExtensionApi } from '../../../src/extension';
import { ScriptedUi } from '../support/ui';
import { EXTENSION_ID, labAndExplorerApi, rows, setUserSetting, until, type Provider } from '../support/views';

type Clouds = { clouds: Record<string, unknown> };

/** Every `openstack.*` setting the user or workspace has set (what "Add Cloud" may and may not touch). */
function openstackSettings(): Record<string, string> {
  const props = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } }).contributes.configuration.properties;
  const out: Record<string, string> = {};
  for (const key of Object.keys(props)) {
    const i = vscode.workspace.getConfiguration().inspect(key);
    const set = { global: i?.globalValue, workspace: i?.workspaceValue, folder: i?.workspaceFolderValue };
    if (Object.values(set).some((v) => v !== undefined)) out[key] = JSON.stringify(set);
  }
  return out;
}

describe('clouds (lab)', function () {
  this.timeout(60_000);
  let env: Record<string, string>;
  let api: ExtensionApi;
  let ui: ScriptedUi;
  let dir: string;
  let file: string;
  let original: string;
  let demoServerIds: string[];
  const saved: Record<string, unknown> = {};
  const SAVED = ['openstack.cloudsYamlPath', 'openstack.cloud', 'openstack.explorer.groupBy'];
  const HEADER = "# clouds of the extension-host clouds suite (a copy of the lab's)\n";

  before(async function () {
    ({ env, api } = await labAndExplorerApi(this));
    for (const k of SAVED) saved[k] = vscode.workspace.getConfiguration().inspect(k)?.globalValue;
    dir = mkdtempSync(join(tmpdir(), 'ost-clouds-'));
    file = join(dir, 'clouds.yaml');
    original = HEADER + readFileSync(env.OS_CLIENT_CONFIG_FILE, 'utf8').replace(/^ {2}lab-demo:$/m, '  # the member project\n  lab-demo:');
    writeFileSync(file, original, { mode: 0o600 });
    const demo = await OpenStackClient.connect(loadCloudConfig('lab-demo', { env: { OS_CLIENT_CONFIG_FILE: file } }), { timeoutMs: 30_000 });
    try {
      demoServerIds = (await demo.compute.listServers({})).data.map((s) => s.id).sort();
    } finally {
      demo.dispose();
    }
    await setUserSetting('openstack.cloudsYamlPath', file);
    await setUserSetting('openstack.explorer.groupBy', 'none');
    await api.clouds.switchTo('lab');
    ui = new ScriptedUi();
    await vscode.commands.executeCommand('workbench.view.extension.openstack');
  });

  after(async () => {
    ui?.dispose();
    for (const k of SAVED) if (api) await setUserSetting(k, saved[k]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cloudsTree = () => api.cloudsUi.tree as unknown as Provider<unknown>;
  const instancesTree = () => api.explorer.trees.instances as unknown as Provider<unknown>;
  const statusBar = () => api.cloudsUi.statusBar.shown;
  const instanceIds = async () => (await rows(instancesTree())).filter((r) => r.contextValue.startsWith('os.instance.')).map((r) => r.id).sort();

  it('the status bar and the Clouds view show the active cloud; Switch Cloud moves both, and the Instances view, to lab-demo and back', async () => {
    await until('the status bar to show "lab"', () => statusBar().text === '$(cloud) lab · RegionOne');
    assert.deepEqual(statusBar(), { visible: true, text: '$(cloud) lab · RegionOne', tooltip: 'OpenStack cloud "lab", region "RegionOne". Click to switch.', error: false });
    let clouds = await rows(cloudsTree());
    assert.deepEqual(clouds.map((r) => [r.label, r.description, r.contextValue]), [['lab', 'active', 'os.cloud.active'], ['lab-demo', '', 'os.cloud.inactive']]);
    const details = Object.fromEntries((await rows(cloudsTree(), clouds[0].node)).map((r) => [r.label, r.description]));
    assert.deepEqual(details, { 'Auth URL': env.LAB_AUTH_URL, Region: 'RegionOne', Project: 'admin', User: 'admin', Interface: 'public', From: file });

    // From the palette: a picker of the clouds, the active one marked.
    ui.expect({ picks: ['lab-demo'] });
    await vscode.commands.executeCommand('openstack.clouds.switch');
    assert.deepEqual(ui.unexpected, []);
    assert.deepEqual(ui.calls.map((c) => [c.kind, c.text, c.items]), [['quickPick', 'Switch Cloud', ['lab', 'lab-demo']]], 'a picker, no message');
    await until('the status bar to show "lab-demo"', () => statusBar().text === '$(cloud) lab-demo · RegionOne');
    assert.equal(statusBar().tooltip, 'OpenStack cloud "lab-demo", region "RegionOne". Click to switch.');
    assert.equal(vscode.workspace.getConfiguration('openstack').inspect('cloud')?.globalValue, 'lab-demo', 'the choice is kept in the user setting');
    clouds = await rows(cloudsTree());
    assert.deepEqual(clouds.map((r) => [r.label, r.contextValue]), [['lab', 'os.cloud.inactive'], ['lab-demo', 'os.cloud.active']]);
    assert.deepEqual(await instanceIds(), demoServerIds.map((id) => `lab-demo/server/${id}`).sort(), 'only the demo project\'s servers');

    // From the Clouds view: a click on the inactive cloud.
    const cmd = clouds[0].item.command!;
    assert.equal(cmd.command, 'openstack.clouds.switch');
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    await until('the status bar to show "lab"', () => statusBar().text === '$(cloud) lab · RegionOne');
    const adminIds = await instanceIds();
    assert.ok(adminIds.length > 0 && adminIds.every((id) => id.startsWith('lab/server/')), adminIds.slice(0, 3).join(', '));
    assert.ok(adminIds.some((id) => !demoServerIds.includes(id.slice('lab/server/'.length))), 'the admin sees servers of other projects');
    assert.deepEqual(ui.unexpected, []);
  });

  it('Add Cloud: the form writes an entry without the password into the clouds.yaml in use, keeps the password in secret storage (not settings), and makes the cloud active', async () => {
    const settingsBefore = openstackSettings();
    ui.expect({
      picks: ['Enter the details', file],
      inputs: [
        { prompt: /^Keystone URL/, value: env.LAB_AUTH_URL },
        { prompt: /^User name$/, value: env.LAB_DEMO_USER },
        { prompt: /^Password of "demo" \(kept in secret storage, not in clouds\.yaml\)$/, value: env.LAB_DEMO_PASSWORD },
        { prompt: /^Project name$/, value: env.LAB_DEMO_PROJECT },
        { prompt: /^User and project domain$/, value: 'Default' },
        { prompt: /^Region/, value: env.LAB_REGION },
        { prompt: /^Name of the cloud in clouds\.yaml$/, value: 'added-demo' },
      ],
    });
    await vscode.commands.executeCommand('openstack.clouds.add');
    assert.deepEqual(ui.unexpected, []);
    assert.deepEqual(ui.unused, []);
    assert.deepEqual(ui.messages, [], 'no error, and no "that file is not the one in use"');
    assert.equal(ui.calls.find((c) => /^Password of/.test(c.text))?.password, true, 'the password box hides what is typed');
    assert.deepEqual(ui.calls.find((c) => c.text === 'Write the cloud entry into')?.items?.[0], file, 'the clouds.yaml in use is offered first');

    const text = readFileSync(file, 'utf8');
    const now = parse(text) as Clouds;
    const before = parse(original) as Clouds;
    assert.deepEqual(now.clouds['added-demo'], {
      auth: { auth_url: env.LAB_AUTH_URL, username: 'demo', project_name: 'demo', user_domain_name: 'Default', project_domain_name: 'Default' },
      region_name: 'RegionOne',
      identity_api_version: 3,
    });
    assert.deepEqual(now.clouds.lab, before.clouds.lab);
    assert.deepEqual(now.clouds['lab-demo'], before.clouds['lab-demo']);
    assert.ok(text.startsWith(HEADER) && text.includes('# the member project'), 'comments are kept');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the file keeps its mode');
    assert.deepEqual(openstackSettings(), { ...settingsBefore, 'openstack.cloud': JSON.stringify({ global: 'added-demo' }) }, 'the only setting written is the active cloud');

    await until('the status bar to show "added-demo"', () => statusBar().text === '$(cloud) added-demo · RegionOne');
    const clouds = await rows(cloudsTree());
    assert.deepEqual(clouds.map((r) => [r.label, r.contextValue]), [['lab', 'os.cloud.inactive'], ['lab-demo', 'os.cloud.inactive'], ['added-demo', 'os.cloud.active']]);
    const details = Object.fromEntries((await rows(cloudsTree(), clouds[2].node)).map((r) => [r.label, r.description]));
    const { Interface: _interface, ...shown } = details;
    assert.deepEqual(shown, { 'Auth URL': env.LAB_AUTH_URL, Region: 'RegionOne', Project: 'demo', User: 'demo', From: file, Password: 'in secret storage (asked on first use)' });

    // The views connect with the stored password: no dialog at all.
    ui.expect({});
    assert.deepEqual(await instanceIds(), demoServerIds.map((id) => `added-demo/server/${id}`).sort());
    assert.deepEqual(ui.calls, [], 'no password prompt: it came from secret storage');
    assert.equal(statusBar().error, false);
  });

  it('Remove Cloud: asks first; then the entry goes, other clouds and comments stay, the file as it was is kept as .bak, the stored password is forgotten', async () => {
    const textBefore = readFileSync(file, 'utf8');
    const confirm = /^Remove cloud "added-demo" from ".+clouds\.yaml" \(the file as it was is kept as ".+clouds\.yaml\.bak"\) and forget its stored password\?$/;

    // Dismissing the confirmation changes nothing.
    ui.expect({ picks: ['added-demo'], warnings: [{ message: confirm, answer: undefined }] });
    await vscode.commands.executeCommand('openstack.clouds.remove');
    assert.deepEqual(ui.unexpected, []);
    assert.equal(readFileSync(file, 'utf8'), textBefore);
    assert.equal(statusBar().text, '$(cloud) added-demo · RegionOne');

    ui.expect({ picks: ['added-demo'], warnings: [{ message: confirm, answer: 'Remove' }] });
    await vscode.commands.executeCommand('openstack.clouds.remove');
    assert.deepEqual(ui.unexpected, []);
    assert.deepEqual(ui.messages, [], 'no error, and no "not in a clouds.yaml"');
    const warning = ui.calls.find((c) => c.kind === 'warning')!;
    assert.equal(warning.modal, true);
    assert.deepEqual(warning.items, ['Remove']);
    const text = readFileSync(file, 'utf8');
    const now = parse(text) as Clouds;
    const before = parse(original) as Clouds;
    assert.deepEqual(Object.keys(now.clouds), ['lab', 'lab-demo']);
    assert.deepEqual(now.clouds, before.clouds);
    assert.ok(text.startsWith(HEADER) && text.includes('# the member project'), 'comments are kept');
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), textBefore, 'the file as it was');
    assert.equal(statSync(`${file}.bak`).mode & 0o777, 0o600, 'the backup is as private as the file');
    assert.equal(vscode.workspace.getConfiguration('openstack').inspect('cloud')?.globalValue, undefined, 'the setting no longer names the removed cloud');
    await until('the status bar to fall back to the first cloud', () => statusBar().text === '$(cloud) lab · RegionOne');
    assert.deepEqual((await rows(cloudsTree())).map((r) => [r.label, r.contextValue]), [['lab', 'os.cloud.active'], ['lab-demo', 'os.cloud.inactive']]);

    // The same entry put back by hand: its password was forgotten, so the first use asks for it again.
    writeFileSync(file, textBefore);
    await vscode.commands.executeCommand('openstack.clouds.refresh');
    ui.expect({ inputs: [{ prompt: /^The password of cloud "added-demo" \(kept in VS Code's secret storage, not in clouds\.yaml\)$/, value: env.LAB_DEMO_PASSWORD }] });
    await vscode.commands.executeCommand('openstack.clouds.switch', 'added-demo');
    assert.deepEqual(await instanceIds(), demoServerIds.map((id) => `added-demo/server/${id}`).sort());
    assert.deepEqual(ui.unexpected, []);
    assert.deepEqual(ui.calls.map((c) => [c.kind, c.password]), [['inputBox', true]]);

    ui.expect({ warnings: [{ message: confirm, answer: 'Remove' }] });
    await vscode.commands.executeCommand('openstack.clouds.remove', 'added-demo');
    assert.deepEqual(ui.unexpected, []);
    assert.deepEqual(Object.keys((parse(readFileSync(file, 'utf8')) as Clouds).clouds), ['lab', 'lab-demo']);
  });
});
