// Runs inside the real extension host, offline (no lab needed): the timeline webview over the lab's captured logs
// (test/fixtures/timeline/lab). From an instance and from a request id the log document opens with its story on
// top and the timeline beside it; a click on the failing span (the same message the webview posts) shows that line
// in the document; the webview itself loads under its CSP and answers the SVG export.
import * as assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';

const EXTENSION_ID = 'openstack-troubleshooter.openstack-troubleshooter';
// bundled into out/test/extension/suite/: the repository's fixtures are four folders up
const LAB = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'timeline', 'lab');

async function until(what: string | (() => string), ms: number, probe: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('request timeline (offline, lab captures)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;

  before(async function () {
    assert.ok(existsSync(LAB), `fixtures at ${LAB}`);
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('from an instance: the failed live migration — failing span is the memory copy on compute1; clicking it shows its line', async () => {
    const panel = await api.timeline.show({ serverId: 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74', name: 'vm1', dir: LAB });
    assert.ok(panel, 'a panel opened');
    await panel.session.searched;
    const model = panel.post()!;
    assert.equal(model.outcome, 'failed');
    const failing = model.steps.find((s) => s.failing)!;
    assert.equal(failing.kind, 'lm-copy');
    assert.equal(model.lanes[failing.lane].id, 'compute1 nova-compute');
    assert.ok(model.lanes.length >= 5, JSON.stringify(model.lanes.map((l) => l.id)));

    const doc = await vscode.workspace.openTextDocument(panel.session.uri);
    // the provider re-renders after the search: the document catches up
    const story = /^# story: \d+ steps in 43\.83 s from \d+ records: FAILED at "Memory copy" \(compute1 nova-compute\)$/;
    await until(() => `the story on top of the document (line 2 is "${doc.lineAt(1).text}")`, 10_000, () => story.test(doc.lineAt(1).text));

    const editor = await panel.reveal(failing.record!);
    assert.ok(editor, 'the line was found');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), panel.session.uri.toString());
    const line = editor.document.lineAt(editor.selection.start.line).text;
    assert.match(line, /^compute1 +nova-compute +\| 2026-12-06 22:35:36\.657 10691 ERROR nova\.virt\.libvirt\.driver .* Live Migration failure: unable to connect to server at 'compute2:16509'/);
  });

  it('from a request id: the delete, with the webview loaded under its CSP and answering the SVG export', async () => {
    const panel = await vscode.commands.executeCommand<Awaited<ReturnType<ExtensionApi['timeline']['show']>>>('openstack.timeline.show', { requestId: 'req-a21f3158-0c40-404a-a178-78fed092d69d', dir: LAB });
    assert.ok(panel);
    await panel.session.searched;
    const model = panel.post()!;
    assert.equal(model.outcome, 'ok');
    assert.deepEqual(model.steps.slice(0, 2).map((s) => s.label), ['DELETE /servers/7c089e49… → 204', 'Deleting']);
    const svg = await panel.requestSvg(30_000);
    assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg /);
    assert.match(svg, /aria-label="Timeline of req-a21f3158-0c40-404a-a178-78fed092d69d: \d+ steps/);
    assert.ok(!svg.includes('var(--vscode'), 'theme colours are resolved in the export');
    // the same document asked again reuses its panel
    const again = await api.timeline.show(panel.session.uri);
    assert.equal(again, panel);
  });

  it('follow mode adds spans: the rest of a live migration appended to compute2\'s log while the document follows', async () => {
    // the lab captures in a scratch folder, compute2's nova-compute.log cut where vm2's memory copy begins; the cut
    // lines (real records) are appended once the document follows
    const dir = mkdtempSync(join(tmpdir(), 'ost-timeline-follow-'));
    try {
      cpSync(LAB, dir, { recursive: true });
      const log = join(dir, 'compute2', 'var', 'log', 'nova', 'nova-compute.log');
      const lines = readFileSync(log, 'utf8').split('\n');
      const cut = lines.findIndex((l) => l.includes('[instance: 7a69a44b-4a93-4515-b6ff-498a950fc243] Increasing downtime'));
      assert.ok(cut > 0, 'the capture holds the memory copy of vm2');
      writeFileSync(log, `${lines.slice(0, cut).join('\n')}\n`);
      const panel = await api.timeline.show({ serverId: '7a69a44b-4a93-4515-b6ff-498a950fc243', name: 'vm2', dir, follow: true });
      assert.ok(panel);
      await panel.session.searched;
      const before = panel.post()!;
      assert.ok(!before.steps.some((s) => s.kind === 'lm-copy'), 'no memory copy yet');
      await until('the document to follow compute2', 30_000, () => panel.session.correlation?.hostStates.get('compute2')?.state === 'following');
      appendFileSync(log, lines.slice(cut).join('\n'));
      await until(() => `a memory-copy span (steps: ${panel.model?.steps.map((s) => s.kind).join(' ')})`, 30_000, () => !!panel.model?.steps.some((s) => s.kind === 'lm-copy'));
      const after = panel.model!;
      assert.equal(after.following, true);
      const copy = after.steps.find((s) => s.kind === 'lm-copy')!;
      assert.equal(after.lanes[copy.lane].id, 'compute2 nova-compute');
      assert.ok(after.steps.some((s) => s.label === 'Post-migration: now on compute1'), 'and the post-migration that followed it');
      assert.ok(after.steps.length > before.steps.length);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a readable document: legend, a level filter, Stop Following and Resume Following (which catches up on lines written meanwhile)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-timeline-resume-'));
    try {
      cpSync(LAB, dir, { recursive: true });
      const log = join(dir, 'compute2', 'var', 'log', 'nova', 'nova-compute.log');
      const lines = readFileSync(log, 'utf8').split('\n');
      const cut = lines.findIndex((l) => l.includes('[instance: 7a69a44b-4a93-4515-b6ff-498a950fc243] Increasing downtime'));
      writeFileSync(log, `${lines.slice(0, cut).join('\n')}\n`);
      const { session } = await api.logs.open({ server: '7a69a44b-4a93-4515-b6ff-498a950fc243', dir, follow: true }, 'vm2 readable');
      await session.searched;
      await until('following', 30_000, () => session.following);
      const doc = await vscode.workspace.openTextDocument(session.uri);
      assert.ok(doc.getText().includes('\n# legend: "host service | " starts a record, "host service + " continues it'), 'the legend');
      assert.equal(doc.languageId, 'openstack-log');
      assert.equal(vscode.workspace.getConfiguration('editor', { languageId: 'openstack-log' }).get('wordWrap'), 'on', 'long records wrap by default');

      session.filter = { minLevel: 'WARNING' };
      await until('the filter line', 10_000, () => /^# filter: level ≥ WARNING \(\d+ of \d+ records shown/m.test(doc.getText()));
      const shown = doc.getText().split('\n').filter((l) => /^\S+ +\S+ +\| /.test(l));
      assert.ok(shown.length > 0 && shown.every((l) => / (WARNING|ERROR|CRITICAL) |: (warning|error) : /.test(l)), shown.join('\n'));
      await vscode.commands.executeCommand('openstack.logs.clearFilter', session.uri);
      await until('the filter gone', 10_000, () => !doc.getText().includes('# filter:'));

      await vscode.commands.executeCommand('openstack.logs.stopFollowing', session.uri);
      await until('paused', 10_000, () => session.paused);
      await until('the title to say so', 10_000, () => doc.lineAt(0).text.endsWith('[following stopped (OpenStack: Resume Following)]'));
      appendFileSync(log, lines.slice(cut).join('\n'));
      await vscode.commands.executeCommand('openstack.logs.resumeFollowing', session.uri);
      await until('following again', 30_000, () => session.following);
      await until('the lines written while stopped', 10_000, () => doc.getText().includes('Migration running for 0 secs, memory 90% remaining'));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
