// An operator whose settings point at the lab's clouds.yaml opens the OpenStack container of the installed .vsix.
import * as assert from 'node:assert/strict';
import { labSettings } from '../runners/code-server';
import { openWorkbench, type Workbench } from './support/workbench';

describe('e2e: the lab cloud in the Clouds view', function () {
  this.timeout(180_000);
  let wb: Workbench | undefined;

  before(async function () {
    if (!labSettings()['openstack.cloudsYamlPath']) {
      console.log('    skipped: no .lab/clouds.yaml in this clone (run lab/lab up)');
      this.skip();
    }
    wb = await openWorkbench({ lab: true });
  });
  after(async function () {
    await wb?.close(this.currentTest?.state === 'failed');
  });

  it('lists the clouds of clouds.yaml, the first one active with its auth URL, instead of the welcome view', async () => {
    const w = wb as Workbench;
    await w.openContainer('OpenStack');
    const lab = w.treeItem(/^lab active$/);
    await lab.waitFor({ timeout: 60_000 });
    await w.treeItem(/^lab-demo\b/).waitFor({ timeout: 10_000 });
    assert.equal(await w.welcome('Clouds').count(), 0, 'the welcome view is still shown although a cloud is configured');
    if ((await lab.getAttribute('aria-expanded')) !== 'true') await lab.click();
    await w.treeItem(/^Auth URL: http:\/\/198\.18\.0\.10:5000\/v3$/).waitFor({ timeout: 10_000 });
    await w.screenshot('clouds-lab', { docs: false }); // shows a local path: kept in the run folder only
  });
});
