// The packaged extension's config doctor as a user meets it: from the palette, "Open Host Config File…" opens
// compute2's libvirtd.conf over SSH; the Problems panel shows libvirt/tcp-disabled; Ctrl+. offers the fix, which
// is applied; Ctrl+S saves it to the host (checked over ssh: the new content, a backup beside it). compute2 is
// restored afterwards (content, backups removed, libvirtd restarted), so other suites find the lab as it was.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sshOnLab } from '../extension/support/lab';
import { repoRoot } from '../support/lab';
import { openWorkbench, type Workbench } from './support/workbench';

const SSH_CONFIG = join(repoRoot, '.lab', 'ssh', 'config');
const HOST = 'compute2';
const FILE = '/etc/libvirt/libvirtd.conf';

/** Runs a constant command on compute2; `stdin` goes to its standard input. */
const ssh = (command: string, stdin?: string): Promise<string> => sshOnLab(SSH_CONFIG, HOST, command, stdin);

const listDir = async () => (await ssh('ls -1 /etc/libvirt')).split('\n').filter(Boolean);

describe('e2e: config doctor on a host file (lab)', function () {
  this.timeout(300_000);
  let wb: Workbench | undefined;
  let original: string;
  let existing: string[];

  before(async function () {
    if (!existsSync(join(repoRoot, '.lab', 'env'))) {
      console.log('    (skipped: the lab is not up)');
      this.skip();
    }
    original = await ssh(`cat ${FILE}`);
    existing = await listDir();
    assert.match(original, /^listen_tcp\s*=\s*0/m, 'the lab ships compute2 with listen_tcp = 0');
    // OST_E2E_VSIX: a .vsix packaged beforehand (default: packaged from the current bundle).
    wb = await openWorkbench({ vsix: process.env.OST_E2E_VSIX || undefined, lab: true, settings: { 'openstack.cloud': 'lab', 'files.autoSave': 'off' } });
  });

  after(async function () {
    await wb?.close(this.currentTest?.state === 'failed');
    if (original === undefined) return;
    // Restore compute2: the original content, none of our backups, libvirtd (re)started on it.
    if ((await ssh(`cat ${FILE}`)) !== original) await ssh(`cat > ${FILE}`, original);
    const ours = (await listDir()).filter((n) => !existing.includes(n) && n.startsWith('libvirtd.conf.bak-'));
    if (ours.length) await ssh(`rm -f -- ${ours.map((n) => `/etc/libvirt/${n}`).join(' ')}`);
    await ssh('lab-service restart libvirtd');
  });

  it('Open Host Config File… → libvirt/tcp-disabled in Problems → Ctrl+. fix → Ctrl+S: compute2 has the fix and a backup', async () => {
    const w = wb as Workbench;
    const { page } = w;
    const quickInput = page.locator('.quick-input-widget');
    const row = (text: string | RegExp) => quickInput.locator('.monaco-list-row', { hasText: text }).first();

    // Palette → hypervisor → file.
    await w.runCommand('OpenStack: Open Host Config File…');
    await row(HOST).waitFor({ timeout: 60_000 });
    await row(HOST).click();
    await row(FILE).waitFor({ timeout: 30_000 });
    await row(FILE).click();
    await page.locator('.part.editor .tab', { hasText: 'libvirtd.conf' }).first().waitFor({ timeout: 60_000 });
    const lines = original.split('\n');
    const tcpLine = lines.findIndex((l) => /^listen_tcp\s*=\s*0/.test(l));
    assert.ok((await w.documentText()).includes(lines[tcpLine]), 'the editor shows the host file');

    // The Problems panel lists the finding with its code.
    await page.keyboard.press('ControlOrMeta+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'does not listen on TCP' }).first();
    await problem.waitFor({ timeout: 60_000 });
    assert.match(await problem.innerText(), /libvirt\/tcp-disabled/);

    // Cursor on the listen_tcp line (Ctrl+G), then Ctrl+. and the fix.
    await page.locator('.part.editor .editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await quickInput.locator('input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type(String(tcpLine + 1));
    await page.keyboard.press('Enter');
    await quickInput.waitFor({ state: 'hidden', timeout: 10_000 });
    // The squiggle under listen_tcp (an error: nova.conf on compute2 says qemu+tcp).
    await page.locator('.part.editor .editor-instance .monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Set listen_tcp = 1' }).first();
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('ControlOrMeta+.');
      try {
        await fix.waitFor({ timeout: 10_000 });
        break;
      } catch (e) {
        await page.keyboard.press('Escape');
        if (attempt === 3) throw new Error('Ctrl+. did not offer "Set listen_tcp = 1".', { cause: e });
      }
    }
    await page.locator('.action-widget .monaco-list-row', { hasText: 'Ignore libvirt/tcp-disabled on this line' }).first().waitFor({ timeout: 5_000 });
    await page.mouse.move(0, 0);
    await w.screenshot('config-doctor');
    await fix.click();

    // The fix's follow-up asks before running anything on the host; this journey only edits the file.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15_000 });
    assert.match(await dialog.innerText(), /Run on "compute2": (sudo )?systemctl restart libvirtd\?/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });

    // Dirty editor → Ctrl+S → the tab is clean again when the host has it.
    const tab = page.locator('.part.editor .tab', { hasText: 'libvirtd.conf' }).first();
    const dirtyTab = page.locator('.part.editor .tab.active.dirty', { hasText: 'libvirtd.conf' });
    await dirtyTab.waitFor({ timeout: 10_000 });
    await page.locator('.part.editor .editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.press('ControlOrMeta+S');
    await dirtyTab.waitFor({ state: 'detached', timeout: 60_000 });
    assert.ok(await tab.isVisible());

    const now = await ssh(`cat ${FILE}`);
    assert.match(now, /^listen_tcp = 1$/m, 'compute2 has the fix');
    assert.equal(now, lines.map((l, i) => (i === tcpLine ? 'listen_tcp = 1' : l)).join('\n'), 'only that line changed');
    const backups = (await listDir()).filter((n) => !existing.includes(n) && /^libvirtd\.conf\.bak-\d{8}T\d{6}Z(-\d+)?$/.test(n));
    assert.equal(backups.length, 1, 'a backup beside the file');
    assert.equal(await ssh(`cat /etc/libvirt/${backups[0]}`), original, 'the backup holds the previous content');
    // And the finding is gone from the Problems panel.
    await problem.waitFor({ state: 'detached', timeout: 60_000 });
  });
});
