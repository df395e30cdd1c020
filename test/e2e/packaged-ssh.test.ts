// The installed .vsix reaches the cloud's hosts over SSH (ssh2 bundled into dist/extension.js, its optional
// native cpu-features absent): from the command palette, the logs of a server's create request id,
// gathered over SSH from the controller and the compute host.
import * as assert from 'node:assert/strict';
import { OpenStackClient } from '../../src/core/openstack/client';
import { loadCloudConfig } from '../../src/core/openstack/clouds-config';
import { labSettings } from '../runners/code-server';
import { openWorkbench, type Workbench } from './support/workbench';

/**
 * The request id of a server's "create" action in the lab: nova-api on the controller logs it, and so does
 * nova-compute on the host the server was built on (and the conductor/scheduler on the controller).
 */
async function createRequestId(cloudsYaml: string): Promise<{ requestId: string; host: string }> {
  const client = await OpenStackClient.connect(loadCloudConfig('lab', { env: { OS_CLIENT_CONFIG_FILE: cloudsYaml } }), { timeoutMs: 30_000 });
  try {
    const servers = await client.compute.listServers({ allProjects: true });
    // The create ran on the host that built the server, which is not where it is now once it has been migrated (the
    // lab's seed migrates some): the compute host is the one nova names in the create action's build event.
    for (const server of servers.data.filter((x) => x.status === 'ACTIVE' && x.host)) {
      const create = (await client.compute.listInstanceActions(server.id)).data.find((a) => a.action === 'create');
      if (!create) continue;
      const events = (await client.compute.getInstanceAction(server.id, create.requestId)).data.events ?? [];
      const built = events.find((e) => e.event === 'compute__do_build_and_run_instance' && e.host);
      if (built?.host) return { requestId: create.requestId, host: built.host };
    }
    throw new Error('the lab has no ACTIVE server whose create action names the compute host that built it');
  } finally {
    client.dispose();
  }
}

describe('e2e: the packaged extension over SSH (lab)', function () {
  this.timeout(240_000);
  let wb: Workbench | undefined;
  let target: { requestId: string; host: string };

  before(async function () {
    const cloudsYaml = labSettings()['openstack.cloudsYamlPath'] as string | undefined;
    if (!cloudsYaml) {
      console.log('    skipped: no .lab/clouds.yaml in this clone (run lab/lab up)');
      this.skip();
    }
    target = await createRequestId(cloudsYaml as string);
    wb = await openWorkbench({ lab: true });
  });
  after(async function () {
    await wb?.close(this.currentTest?.state === 'failed');
  });

  it("correlates a request id from the palette: lines of the controller and of the server's compute host", async () => {
    const w = wb as Workbench;
    await w.runCommand('OpenStack: Correlate Logs by Request ID');
    const input = w.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(target.requestId);
    await input.press('Enter');

    const deadline = Date.now() + 90_000;
    let text = '';
    const want = [/^# hosts: .*controller ✓/m, /^controller\s+nova-api\s+\|/m, new RegExp(`^${target.host}\\s+nova-compute\\s+\\|`, 'm')];
    while (Date.now() < deadline) {
      text = await w.documentText().catch(() => '');
      if (want.every((re) => re.test(text))) break;
      await w.page.waitForTimeout(500);
    }
    for (const re of want) assert.match(text, re);
    assert.ok(text.includes(target.requestId), 'the document shows the request id');
    await w.page.keyboard.press('ControlOrMeta+Home'); // drop the selection, back to the top
    await w.screenshot('correlated-logs', { docs: false }); // docs/screenshots/correlated-logs.png is a reduced copy
  });
});
