// A user with the lab cloud configured: expands Instances, clicks an instance and sees its correlated logs;
// expands Network → router → network1 → qrouter- namespace and sees the floating IP's DNAT rule.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenStackClient } from '../../src/core/openstack/client';
import type { FloatingIp, Router, Server } from '../../src/core/openstack/types';
import { connectLab } from '../integration/openstack/lab-cloud';
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
    client = await connectLab('lab');
    const servers = (await client.compute.listServers({ allProjects: true })).data;
    server = servers.find((s) => s.status === 'ACTIVE' && s.host)!;
    fip = (await client.network.listFloatingIps()).data.find((f) => f.routerId && f.fixedIpAddress)!;
    router = (await client.network.getRouter(fip.routerId!)).data;
    wb = await openWorkbench({ vsix: process.env.OST_E2E_VSIX || undefined, lab: true, settings: { 'openstack.cloud': 'lab', 'openstack.explorer.groupBy': 'host' }, viewport: { width: 1600, height: 1000 } });
  });
  after(async function () {
    client?.dispose();
    await wb?.close(this.currentTest?.state === 'failed');
  });

  it('Instances → host → instance: a click opens its correlated logs', async () => {
    await wb.openContainer('OpenStack');
    await wb.viewHeader('Instances').waitFor({ timeout: 30_000 });
    const group = wb.treeItem(new RegExp(`^${escapeRe(server.host!)}, \\d+`));
    const loadAll = wb.treeItem(/^Load all, /);
    // The first page (50 newest servers) may hold no server of that host yet (a bulk-seeded lab): load the rest.
    await group.or(loadAll).first().waitFor({ timeout: 90_000 });
    if (!(await group.isVisible())) {
      const t0 = Date.now();
      await loadAll.click();
      await group.waitFor({ timeout: 120_000 });
      console.log(`    "Load all" rendered the host group in ${Date.now() - t0} ms`);
    }
    if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
    const row = wb.treeItem(new RegExp(`^${escapeRe(server.name)}, ${server.status}`)).first();
    await row.waitFor({ timeout: 30_000 });
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
