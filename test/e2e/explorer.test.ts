// A user with the lab cloud configured: expands Instances, clicks an instance and sees its correlated logs;
// expands Network → router → network1 → qrouter- namespace and sees the floating IP's DNAT rule.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OpenStackClient } from '../../src/core/openstack/client';
import type { FloatingIp, Router, Server } from '../../src/core/openstack/types';
import { labCloud } from '../integration/openstack/lab-cloud';
import { repoRoot } from '../support/lab';
import { openWorkbench, type Workbench } from './support/workbench';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('e2e: cloud explorer (lab)', function () {
  this.timeout(300_000);
  let wb: Workbench;
  let client: OpenStackClient;
  let server: Server;
  let fip: FloatingIp;
  let router: Router;

  before(async function () {
    if (!existsSync(join(repoRoot, '.lab', 'env'))) {
      console.log('    (skipped: the lab is not up)');
      this.skip();
    }
    // A bulk-seeded lab answers slowly: generous deadlines, and no full list of its thousands of servers.
    client = await OpenStackClient.connect(labCloud('lab'), { timeoutMs: 180_000 });
    for (const svc of (await client.compute.listServices({ binary: 'nova-compute' })).data) {
      const active = (await client.compute.listServers({ allProjects: true, host: svc.host, status: 'ACTIVE', limit: 50 })).data.filter((s) => s.host && s.addresses.length);
      // Prefer the lab's seeded servers (vm1…) over ones other suites create and delete.
      const found = active.find((s) => /^vm\d+$/.test(s.name)) ?? active[0];
      if (found) {
        server = found;
        break;
      }
    }
    assert.ok(server, 'an ACTIVE server on a compute host');
    fip = (await client.network.listFloatingIps()).data.find((f) => f.routerId && f.fixedIpAddress)!;
    router = (await client.network.getRouter(fip.routerId!)).data;
    wb = await openWorkbench({ vsix: process.env.OST_E2E_VSIX || undefined, lab: true, settings: { 'openstack.cloud': 'lab', 'openstack.explorer.groupBy': 'host', 'openstack.http.timeoutSeconds': 180 }, viewport: { width: 1600, height: 1000 } });
  });
  after(async function () {
    client?.dispose();
    await wb?.close(this.currentTest?.state === 'failed');
  });

  it('Instances → filter by name → host → instance: a click opens its correlated logs', async () => {
    await wb.openContainer('OpenStack');
    await wb.viewHeader('Instances').waitFor({ timeout: 30_000 });
    // The first page holds the newest servers; the user narrows the list to the one they look for.
    await wb.treeItem(/^(Load all|.*, \d+)/).first().waitFor({ timeout: 180_000 });
    await wb.runCommand('OpenStack: Filter Instances');
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(server.name);
    await input.press('Enter');
    await wb.treeItem(new RegExp(`^Filter, "${escapeRe(server.name)}"`)).waitFor({ timeout: 180_000 });
    const group = wb.treeItem(new RegExp(`^${escapeRe(server.host!)}, \\d+`));
    await group.waitFor({ timeout: 180_000 });
    if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
    const row = wb.treeItem(new RegExp(`^${escapeRe(server.name)}, ${server.status}`)).first();
    await row.waitFor({ timeout: 60_000 });
    await wb.screenshot('explorer-instances');
    await row.click();
    const deadline = Date.now() + 90_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await wb.editorText().catch(() => '');
      if (/# Correlated logs:/.test(text) && /\[(done|following)/.test(text)) break;
      await wb.page.waitForTimeout(500);
    }
    assert.match(text, new RegExp(`# Correlated logs: ${escapeRe(server.name)}`));
    await wb.screenshot('explorer-instance-logs');
  });

  it('Network → router → L3 agent → qrouter- namespace: the floating IP\'s DNAT rule, marked', async () => {
    await wb.page.keyboard.press('Escape');
    for (const v of ['Clouds', 'Instances', 'Hypervisors']) {
      const h = wb.viewHeader(v);
      if ((await h.getAttribute('aria-expanded')) === 'true') await h.click();
    }
    const routerRow = wb.treeItem(new RegExp(`^${escapeRe(router.name || router.id)}, `)).first();
    await routerRow.waitFor({ timeout: 60_000 });
    if ((await routerRow.getAttribute('aria-expanded')) !== 'true') await routerRow.click();
    const agentRow = wb.treeItem(/^network1, alive/).first();
    await agentRow.waitFor({ timeout: 60_000 });
    if ((await agentRow.getAttribute('aria-expanded')) !== 'true') await agentRow.click();
    const nsRow = wb.treeItem(new RegExp(`^qrouter-${router.id}, `)).first();
    await nsRow.waitFor({ timeout: 60_000 });
    await nsRow.click();
    const want = `>> -A neutron-l3-agent-PREROUTING -d ${fip.floatingIpAddress}/32 -j DNAT --to-destination ${fip.fixedIpAddress}`;
    const deadline = Date.now() + 60_000;
    let text = '';
    while (Date.now() < deadline) {
      await wb.page.keyboard.press('Control+End').catch(() => undefined);
      text = await wb.editorText().catch(() => '');
      if (text.includes(want)) break;
      await wb.page.waitForTimeout(500);
    }
    assert.ok(text.includes(want), `the namespace document shows "${want}"; visible text:\n${text}`);
    await wb.screenshot('explorer-namespace');
  });
});
