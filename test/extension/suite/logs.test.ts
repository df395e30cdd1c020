// Runs inside the real extension host against the lab: the click-an-instance journey of the logs feature,
// and follow mode (a line written to a compute log afterwards appears in the open document).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { recordMetric } from '../support/metrics';
import { labEnvOrSkip, sshOnLab } from '../support/lab';

const EXTENSION_ID = 'openstack-troubleshooter.openstack-troubleshooter';

async function until<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('correlated logs (lab)', function () {
  this.timeout(240_000);
  let api: ExtensionApi;
  let env: Record<string, string>;

  before(async function () {
    env = labEnvOrSkip(this);
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!;
    api = await ext.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('an instance that was live-migrated: its story from the API host and both compute hosts, then followed live', async () => {
    const client = await (await import('../../../src/core/openstack/client')).OpenStackClient.connect(
      (await import('../../../src/core/openstack/clouds-config')).loadCloudConfig('lab', { env: { ...process.env, OS_CLIENT_CONFIG_FILE: env.OS_CLIENT_CONFIG_FILE } }),
      { timeoutMs: 30_000 },
    );
    const migrations = await client.compute.listMigrations({});
    const done = migrations.data.find((m) => m.migrationType === 'live-migration' && m.status === 'completed' && m.destCompute);
    assert.ok(done, 'the lab seeds a completed live migration');
    const server = (await client.compute.getServer(done.instanceUuid)).data;
    client.dispose();

    const t0 = performance.now();
    const { editor, session } = await api.logs.open({ server: server.id, cloud: 'lab', follow: true }, server.name);
    await session.searched;
    recordMetric('instanceLogsFirstSearchMs', Math.round(performance.now() - t0));
    // The document re-renders shortly after the session changes: wait for the text of the finished search.
    const text = await until('the finished search in the document', 30_000, () => {
      const t = editor.document.getText();
      return /^# Correlated logs: .*\[(complete|following)/m.test(t) ? t : undefined;
    });
    assert.equal(editor.document.languageId, 'openstack-log');
    assert.match(text, /^# hosts: .*controller (✓ \d+|↻ following)/m, 'the API host answered');
    assert.match(text, new RegExp(`^controller\\s+nova-api\\s+\\|`, 'm'), 'nova-api lines of the controller');
    assert.match(text, new RegExp(`^${done.sourceCompute}\\s+nova-compute\\s+\\|`, 'm'), 'source compute lines');
    assert.match(text, new RegExp(`^${done.destCompute}\\s+nova-compute\\s+\\|`, 'm'), 'destination compute lines');

    // Follow mode: a line written on the current host afterwards shows up in the open document.
    await until('follow mode', 30_000, () => session.following);
    await new Promise((r) => setTimeout(r, 2000)); // tail -F needs to be attached on the host
    const marker = `follow-probe-${Date.now()}`;
    const stamp = new Date().toISOString().replace('T', ' ').replace('Z', '').slice(0, 23);
    const line = `${stamp} 4242 INFO nova.compute.manager [None req-00000000-0000-4000-8000-000000000001 - - - - - -] [instance: ${server.id}] ${marker}`;
    const t1 = performance.now();
    await sshOnLab(env.LAB_SSH_CONFIG, server.host ?? done.destCompute!, 'cat >> /var/log/nova/nova-compute.log', `${line}\n`);
    await until('the appended line', 60_000, () => editor.document.getText().includes(marker));
    recordMetric('followLatencyMs', Math.round(performance.now() - t1));

    // Closing the document ends the remote processes of the session.
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await until('the session to stop', 10_000, () => session.signal.aborted);
  });

  it('a request id that is not req-<uuid> is refused with a clear message and nothing runs', async () => {
    await assert.rejects(
      () => Promise.resolve(api.logs.open({ request: 'req-123; rm -rf /', cloud: 'lab' }, 'bad')).then(async ({ session }) => {
        await session.searched;
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === session.uri.toString())!;
        throw new Error(doc.getText());
      }),
      /Not a request id \(expected req- followed by a UUID/,
    );
  });
});
