// A user who has no cloud yet opens the OpenStack container of the installed .vsix.
import * as assert from 'node:assert/strict';
import { openWorkbench, type Workbench } from './support/workbench';

describe('e2e: first run without a cloud', function () {
  this.timeout(180_000);
  let wb: Workbench;

  before(async () => {
    wb = await openWorkbench();
  });
  after(async function () {
    await wb?.close(this.currentTest?.state === 'failed');
  });

  it('opens the OpenStack container with its four views and the welcome view', async () => {
    await wb.openContainer('OpenStack');
    for (const view of ['Clouds', 'Instances', 'Hypervisors', 'Network']) {
      await wb.viewHeader(view).waitFor({ timeout: 30_000 });
    }
    const welcome = wb.welcome('Clouds');
    await welcome.waitFor({ timeout: 30_000 });
    assert.match(await welcome.innerText(), /No OpenStack cloud is configured yet/);
    assert.ok(await welcome.getByRole('button', { name: 'Add Cloud' }).isVisible(), 'the welcome view offers "Add Cloud"');
    const shot = await wb.screenshot('welcome');
    console.log(`    screenshot: ${shot.replace(/^.*\/docs\//, 'docs/')}`);
  });

  it('activated without errors and logs to its output channel', async () => {
    await wb.runCommand('OpenStack: Show Log');
    const text = await wb.panelText();
    assert.match(text, /Activated in \d+ ms/);
    const failures = wb.errors.filter((e) => /openstack-troubleshooter|Activating extension/i.test(e));
    assert.deepEqual(failures, [], 'the workbench logged errors about the extension');
    assert.deepEqual((await wb.notifications()).filter((n) => /OpenStack|activat/i.test(n)), []);
  });
});
