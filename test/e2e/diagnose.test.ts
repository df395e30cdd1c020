// The seed's vm1 (its live migration to compute2 failed) as a user meets it: F1 → "OpenStack: Diagnose Failure" → a
// report that names compute2's libvirtd on 16509, cites compute1's nova-compute line and compute2's libvirtd.conf, and
// offers the config doctor's rule; F1 → "Show Request Timeline…" → its story beside its correlated log. Read-only.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OpenStackClient } from '../../src/core/openstack/client';
import type { Server } from '../../src/core/openstack/types';
import { labCloud } from '../integration/openstack/lab-cloud';
import { repoRoot } from '../support/lab';
import { openWorkbench, type Workbench } from './support/workbench';

describe('e2e: diagnose and the timeline of a failed live migration (lab)', function () {
  this.timeout(300_000);
  let wb: Workbench | undefined;
  let vm1: Server;

  before(async function () {
    if (!existsSync(join(repoRoot, '.lab', 'env'))) {
      console.log('    (skipped: the lab is not up)');
      this.skip();
    }
    const client = await OpenStackClient.connect(labCloud('lab'), { timeoutMs: 120_000 });
    try {
      vm1 = (await client.compute.listServers({ allProjects: true, name: '^vm1$' })).data[0];
    } finally {
      client.dispose();
    }
    assert.ok(vm1, "the seed's vm1");
    wb = await openWorkbench({ lab: true, settings: { 'openstack.cloud': 'lab' }, viewport: { width: 1600, height: 1000 } });
    await wb.openContainer('OpenStack');
    await wb.idle();
  });

  after(async function () {
    await wb?.close(this.currentTest?.state === 'failed');
  });

  it('Diagnose Failure → vm1: "compute2\'s libvirtd does not listen on TCP port 16509", with the evidence and the fix', async () => {
    await wb!.runCommand('OpenStack: Diagnose Failure');
    // the instance picker matches on the id (its detail line)
    const input = wb!.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 60_000 });
    const row = wb!.page.locator('.quick-input-widget .monaco-list-row', { hasText: vm1.id }).first();
    await input.fill(vm1.id);
    await row.waitFor({ timeout: 60_000 });
    await wb!.page.keyboard.press('Enter');
    const end = Date.now() + 180_000;
    let text = '';
    while (Date.now() < end) {
      text = await wb!.documentText().catch(() => '');
      if (/^# Diagnosis of instance vm1/.test(text) && /Fix:/.test(text)) break;
      await wb!.page.waitForTimeout(1000);
    }
    assert.match(text, /^# Diagnosis of instance vm1/);
    assert.match(text, /compute2's libvirtd does not listen on TCP port 16509/);
    assert.match(text, /compute1 nova-compute \/var\/log\/nova\/nova-compute\.log: .*Live Migration failure: unable to connect to server at 'compute2:16509': Connection refused/);
    assert.match(text, /compute2 \/etc\/libvirt\/libvirtd\.conf:\d+: listen_tcp = 0/);
    assert.match(text, /`libvirt\/tcp-disabled` in `\/etc\/libvirt\/libvirtd\.conf` on `compute2`/);
    // other servers' failures on vm1's hosts (the integration tier's port binding on compute2) are not vm1's
    assert.doesNotMatch(text, /Port binding failed/);
    await wb!.page.keyboard.press('ControlOrMeta+Home');
    await wb!.screenshot('diagnose-report');
  });

  it('Show Request Timeline… → vm1: the timeline opens beside its correlated log, the failed step marked', async () => {
    await wb!.page.keyboard.press('Escape');
    await wb!.runCommand('OpenStack: Show Request Timeline…');
    const input = wb!.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(vm1.id);
    await wb!.page.keyboard.press('Enter');
    // the webview's tab, and the log document it belongs to
    const tab = wb!.page.locator('.tabs-container .tab', { hasText: /^Timeline: / }).first();
    await tab.waitFor({ timeout: 120_000 });
    // the webview draws once the document's search is done: wait for the log document's header to say so
    const end = Date.now() + 180_000;
    let text = '';
    while (Date.now() < end) {
      text = await wb!.editorText().catch(() => '');
      if (/\[(done|following)/.test(text)) break;
      await wb!.page.waitForTimeout(1000);
    }
    assert.match(text, /# Correlated logs: /);
    assert.match(text, /# story: /, 'the document starts with the story');
    await wb!.page.waitForTimeout(3000);
    await wb!.screenshot('timeline-vm1');
  });
});
