// Runs inside the real extension host against the lab: what the explorer views show when the cloud cannot be used
// (unreachable, credentials refused) and how Retry brings them back, and "Load more…" paging through the Network
// view's routers and floating IPs with a small page size. The clouds.yaml is a temporary copy of the lab's plus two
// broken clouds, pointed at by the "openstack.cloudsYamlPath" setting.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parse, stringify } from 'yaml';
import { loadCloudConfig } from '../../../src/core/openstack/clouds-config';
import { OpenStackClient } from '../../../src/core/openstack/client';
import type { ExtensionApi } from '../../../src/extension';
import { ScriptedUi } from '../support/ui';
import { EXTENSION_ID, labAndExplorerApi, rowOf, rows, setUserSetting, until, type Provider, type Row } from '../support/views';

type Tree = Provider<unknown> & { onDidChangeTreeData: vscode.Event<unknown> };

/** A port on 127.0.0.1 that nothing listens on (asked from the kernel, then released). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A TCP relay 127.0.0.1:port → host:targetPort: "the cloud answers again". */
function relay(port: number, host: string, targetPort: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((down) => {
    const up = connect(targetPort, host);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    down.pipe(up).pipe(down);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

describe('explorer states (lab): error nodes with Retry, "Load more…" paging', function () {
  this.timeout(60_000);
  let env: Record<string, string>;
  let api: ExtensionApi;
  let dir: string;
  let port: number;
  let admin: OpenStackClient;
  let demoServerIds: string[];
  /** No dialog is expected; error and information messages are recorded (a test asserts there were none). */
  let ui: ScriptedUi;
  const wrongPassword = `wrong-${Math.random().toString(36).slice(2)}`;
  const saved: Record<string, unknown> = {};
  const SAVED = ['openstack.cloudsYamlPath', 'openstack.cloud', 'openstack.explorer.groupBy', 'openstack.explorer.pageSize'];

  before(async function () {
    ({ env, api } = await labAndExplorerApi(this));
    for (const k of SAVED) saved[k] = vscode.workspace.getConfiguration().inspect(k)?.globalValue;
    port = await unusedPort();
    const labClouds = parse(readFileSync(env.OS_CLIENT_CONFIG_FILE, 'utf8')) as { clouds: Record<string, { auth: Record<string, unknown> }> };
    const demoCloud = labClouds.clouds['lab-demo'];
    // The member project: once the cloud answers again its views load fast even while a benchmark fills the lab.
    labClouds.clouds.down = { ...demoCloud, auth: { ...demoCloud.auth, auth_url: `http://127.0.0.1:${port}/v3` } };
    labClouds.clouds['demo-wrong-password'] = { ...demoCloud, auth: { ...demoCloud.auth, password: wrongPassword } };
    dir = mkdtempSync(join(tmpdir(), 'ost-explorer-states-'));
    const file = join(dir, 'clouds.yaml');
    writeFileSync(file, stringify(labClouds), { mode: 0o600 });
    admin = await OpenStackClient.connect(loadCloudConfig('lab', { env: { OS_CLIENT_CONFIG_FILE: file } }), { timeoutMs: 30_000 });
    const demo = await OpenStackClient.connect(loadCloudConfig('lab-demo', { env: { OS_CLIENT_CONFIG_FILE: file } }), { timeoutMs: 30_000 });
    try {
      demoServerIds = (await demo.compute.listServers({})).data.map((s) => s.id);
    } finally {
      demo.dispose();
    }
    await setUserSetting('openstack.cloudsYamlPath', file);
    await setUserSetting('openstack.explorer.groupBy', 'none');
    ui = new ScriptedUi();
    await vscode.commands.executeCommand('workbench.view.extension.openstack');
  });

  after(async () => {
    ui?.dispose();
    admin?.dispose();
    for (const k of SAVED) if (api) await setUserSetting(k, saved[k]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const trees = (): [string, Tree][] => [
    ['instances', api.explorer.trees.instances as unknown as Tree],
    ['hypervisors', api.explorer.trees.hypervisors as unknown as Tree],
    ['network', api.explorer.trees.network as unknown as Tree],
  ];
  const statusBar = () => api.cloudsUi.statusBar.shown;

  /** Each view shows exactly one error node (contextValue, label, click → log), whose message matches `message`. */
  async function oneErrorNodePerView(message: RegExp): Promise<Map<string, Row<unknown>>> {
    const out = new Map<string, Row<unknown>>();
    for (const [kind, tree] of trees()) {
      const list = await rows(tree);
      assert.deepEqual(list.map((r) => r.contextValue), ['os.error'], `${kind}: ${list.map((r) => `${r.label} (${r.description})`).join(', ')}`);
      const [e] = list;
      assert.equal(e.label, `Failed to load ${kind}`);
      assert.match(e.description, message);
      assert.ok(!e.description.includes('\n'), 'one line');
      assert.match(e.tooltip, /Click to open the log; Retry loads it again\./);
      assert.equal(e.item.command?.command, 'openstack.showLog');
      out.set(kind, e);
    }
    return out;
  }

  it('an unreachable cloud: one error node per view with Retry, the status bar says "unreachable"; Retry loads the views once it answers', async () => {
    // The Retry button is on every error node of the three views.
    const menus = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { menus: Record<string, { command: string; when: string; group?: string }[]> } }).contributes.menus;
    const retry = menus['view/item/context'].find((m) => m.command === 'openstack.explorer.retry' && m.group === 'inline');
    assert.ok(retry, 'an inline Retry on error nodes');
    assert.match(retry.when, /viewItem == os\.error\b/);
    const viewRe = new RegExp(/view =~ \/(.+?)\/ /.exec(retry.when)![1]);
    for (const v of ['openstack.instances', 'openstack.hypervisors', 'openstack.network']) assert.ok(viewRe.test(v), `Retry shown in ${v}`);

    await api.clouds.switchTo('down');
    const errors = await oneErrorNodePerView(new RegExp(`^Identity: cannot reach "127\\.0\\.0\\.1:${port}" \\(connection refused\\)\\.$`));
    await until('the status bar to show the failure', () => statusBar().error);
    assert.deepEqual(statusBar(), {
      visible: true,
      text: '$(error) down · RegionOne: unreachable',
      tooltip: `Identity: cannot reach "127.0.0.1:${port}" (connection refused). Click to switch clouds.`,
      error: true,
    });

    ui.expect({});
    const proxy = await relay(port, new URL(env.LAB_KEYSTONE_URL).hostname, Number(new URL(env.LAB_KEYSTONE_URL).port || 5000));
    try {
      for (const [kind, tree] of trees()) {
        const fired: unknown[] = [];
        const sub = tree.onDidChangeTreeData((e) => fired.push(e));
        await vscode.commands.executeCommand('openstack.explorer.retry', errors.get(kind)!.node);
        sub.dispose();
        assert.ok(fired.includes(undefined), `${kind}: Retry re-renders the view`);
      }
      assert.deepEqual(ui.calls, [], 'Retry shows no dialog or message');
      const instances = await rows(trees()[0][1]);
      assert.deepEqual(instances.map((r) => r.id).sort(), demoServerIds.map((id) => `down/server/${id}`).sort(), instances.map((r) => `${r.label} (${r.description})`).join(', '));
      const hypervisors = await rows(trees()[1][1]);
      assert.deepEqual(hypervisors.map((r) => [r.contextValue, r.label]), [['os.empty', 'Not permitted']], 'a member is told why, no error');
      const network = (await rows(trees()[2][1])).map((r) => r.label);
      assert.ok(network.includes('Routers') && network.includes('Floating IPs'), network.join(', '));
      await until('the status bar to show the cloud again', () => !statusBar().error);
      assert.equal(statusBar().text, '$(cloud) down · RegionOne');
    } finally {
      await api.clouds.switchTo('lab');
      await proxy.close();
    }
  });

  it('a wrong password: one error node per view and an error status bar that says the credentials were refused, in one line without the password', async () => {
    try {
      await api.clouds.switchTo('demo-wrong-password');
      const errors = await oneErrorNodePerView(/^Keystone refused the credentials of cloud "demo-wrong-password": .+\.$/);
      for (const e of errors.values()) assert.ok(!e.description.includes(wrongPassword) && !e.tooltip.includes(wrongPassword), 'no password in the node');
      await until('the status bar to show the failure', () => statusBar().error);
      const s = statusBar();
      assert.equal(s.text, '$(error) demo-wrong-password · RegionOne: credentials refused');
      assert.match(s.tooltip, /^Keystone refused the credentials of cloud "demo-wrong-password": [^\n]+ Click to switch clouds\.$/);
      assert.ok(!s.tooltip.includes(wrongPassword) && !s.text.includes(wrongPassword), 'no password in the status bar');
    } finally {
      await api.clouds.switchTo('lab');
    }
  });

  it('Network: with a page size of 1, "Load more…" pages through routers and floating IPs until they are the API\'s lists', async () => {
    await api.clouds.switchTo('lab');
    ui.expect({});
    const tree = trees()[2][1];
    // The view as it is open with the default page size: the lab's few routers fit on one page.
    const atDefault = await rows(tree, (await rowOf(tree, undefined, 'Routers')).node);
    assert.ok(atDefault.length > 0 && !atDefault.some((r) => r.contextValue === 'os.loadMore'), atDefault.map((r) => r.label).join(', '));
    const reloads: unknown[] = [];
    const sub = tree.onDidChangeTreeData((e) => reloads.push(e));
    await setUserSetting('openstack.explorer.pageSize', 1);
    try {
      await until('the view to reload with the new page size', () => reloads.includes(undefined));
      sub.dispose();
      const apiIds = {
        Routers: (await admin.network.listRouters()).data.map((r) => r.id).sort(),
        'Floating IPs': (await admin.network.listFloatingIps()).data.map((f) => f.id).sort(),
      };
      for (const [folderName, kind] of [['Routers', 'router'], ['Floating IPs', 'floatingip']] as const) {
        assert.ok(apiIds[folderName].length >= 2, `the lab has at least two ${folderName} (it has ${apiIds[folderName].length})`);
        let folder = await rowOf(tree, undefined, folderName);
        let list = await rows(tree, folder.node);
        assert.equal(list.filter((r) => r.contextValue !== 'os.loadMore').length, 1, `${folderName}: a page of one row first`);
        let clicks = 0;
        for (;;) {
          const more = list.filter((r) => r.contextValue === 'os.loadMore');
          if (!more.length) break;
          assert.equal(more.length, 1);
          assert.equal(list.at(-1), more[0], '"Load more…" is the last row');
          assert.equal(more[0].label, 'Load more…');
          assert.equal(more[0].description, `${list.length - 1} loaded`);
          folder = await rowOf(tree, undefined, folderName);
          assert.equal(folder.description, `${list.length - 1}+`, 'the folder says there is more');
          const fired: unknown[] = [];
          const sub = tree.onDidChangeTreeData((e) => fired.push(e));
          const cmd = more[0].item.command!;
          await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
          sub.dispose();
          assert.ok(fired.includes(folder.node), `${folderName}: the folder is re-rendered`);
          assert.ok(++clicks <= apiIds[folderName].length + 1, `${folderName}: more pages than rows`);
          list = await rows(tree, folder.node);
        }
        const ids = list.map((r) => r.id.split(`lab/${kind}/`)[1]);
        assert.equal(new Set(ids).size, ids.length, `${folderName}: no row twice`);
        assert.deepEqual([...ids].sort(), apiIds[folderName], `${folderName}: the union of the pages is the API's list`);
        assert.ok(clicks >= apiIds[folderName].length - 1, `${folderName}: one row per page`);
        assert.equal((await rowOf(tree, undefined, folderName)).description, String(ids.length));
      }
      assert.deepEqual(ui.calls, [], '"Load more…" shows no dialog or message');
    } finally {
      sub.dispose();
      await setUserSetting('openstack.explorer.pageSize', saved['openstack.explorer.pageSize']);
    }
  });
});
