// The packaged extension's checks as a user meets them: from the F1 palette, "Check VXLAN Port Consistency" opens
// a Markdown report that names compute2 (kernel default 8472 against 4789), and "Check MySQL Connection Limits"
// asks for the database host and reports the open-files limit. Read-only: nothing changes.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/lab';
import { openWorkbench, type Workbench } from './support/workbench';

describe('e2e: checks from the command palette (lab)', function () {
  this.timeout(300_000);
  let wb: Workbench | undefined;

  before(async function () {
    if (!existsSync(join(repoRoot, '.lab', 'env'))) {
      console.log('    (skipped: the lab is not up)');
      this.skip();
    }
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { contributes?: { commands?: { command: string }[] } };
    if (!pkg.contributes?.commands?.some((c) => c.command === 'openstack.check.vxlan')) {
      console.log('    (skipped: the checks commands are not in package.json yet — see src/features/checks/CONTRIBUTES.md)');
      this.skip();
    }
    wb = await openWorkbench({ lab: true });
    // Clicking the container focuses the workbench, so F1 reaches it.
    await wb.openContainer('OpenStack');
    await wb.idle();
  });

  after(async function () {
    await wb?.close(this.currentTest?.state === 'failed');
  });

  /** The report's text once it has the title and every expected part (the assertions after it say which is missing). */
  async function reportText(title: RegExp, ...parts: RegExp[]): Promise<string> {
    const end = Date.now() + 120_000;
    for (;;) {
      const text = await wb!.documentText().catch(() => '');
      if (title.test(text) && (parts.every((p) => p.test(text)) || Date.now() > end)) return text;
      if (Date.now() > end) throw new Error(`No report matching ${title} appeared; the editor shows: ${text.slice(0, 300)}`);
      await wb!.page.waitForTimeout(1000);
    }
  }

  it('Check VXLAN Port Consistency opens a report that names compute2', async () => {
    await wb!.runCommand('OpenStack: Check VXLAN Port Consistency');
    const text = await reportText(/^# VXLAN UDP port consistency/, /\*\*Result/, /8472: compute2/);
    assert.match(text, /\*\*Result: ❌ FAIL\*\*/);
    assert.match(text, /8472: compute2/);
    await wb!.screenshot('checks-vxlan-report', { docs: false });
  });

  it('Check MySQL Connection Limits asks for the database host and reports the open-files limit', async () => {
    await wb!.runCommand('OpenStack: Check MySQL Connection Limits');
    // Without the openstack.checks.databaseHost setting the command asks for the host.
    const input = wb!.page.locator('.quick-input-widget .quick-input-box input').first();
    await input.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await input.getAttribute('placeholder')) ?? '', /controller/);
    await input.fill('controller');
    await wb!.page.keyboard.press('Enter');
    const text = await reportText(/^# MySQL effective connection limit on "controller"/, /Open-files limit of the server/, /max_connections = /);
    assert.match(text, /Open-files limit of the server/);
    assert.match(text, /max_connections = 4096 needs about 20480/);
  });
});
