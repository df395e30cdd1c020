// Runs inside the real extension host (code-server, or VS Code under @vscode/test-electron).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { recordMetric } from '../support/metrics';

const EXTENSION_ID = 'openstack-troubleshooter.openstack-troubleshooter';

interface Manifest {
  activationEvents?: string[];
  contributes: {
    commands?: Array<{ command: string; title: string; category?: string }>;
    viewsContainers?: { activitybar?: Array<{ id: string; title: string }> };
    views?: Record<string, Array<{ id: string; name: string }>>;
    viewsWelcome?: Array<{ view: string; contents: string }>;
    languages?: Array<{ id: string }>;
  };
}

function extension(): vscode.Extension<{ activationMs?: number } | undefined> {
  const ext = vscode.extensions.getExtension<{ activationMs?: number }>(EXTENSION_ID);
  assert.ok(ext, `extension "${EXTENSION_ID}" is not installed in this extension host`);
  return ext;
}

function manifest(): Manifest {
  return extension().packageJSON as Manifest;
}

// Commands the workbench itself registers for every contributed view and view container.
function workbenchViewCommands(m: Manifest): Set<string> {
  const ids = new Set<string>();
  for (const c of m.contributes.viewsContainers?.activitybar ?? []) ids.add(`workbench.view.extension.${c.id}`).add(`workbench.view.extension.${c.id}.resetViewContainerLocation`);
  for (const views of Object.values(m.contributes.views ?? {})) {
    for (const v of views) for (const s of ['focus', 'resetViewLocation', 'toggleVisibility', 'removeView', 'open']) ids.add(`${v.id}.${s}`);
  }
  return ids;
}

describe('activation', () => {
  it('is not activated before a view or command needs it, then activates and reports its activation time', async () => {
    const ext = extension();
    assert.ok(!(ext.packageJSON as Manifest).activationEvents?.includes('*'), 'activation on "*" slows every window down');
    assert.equal(ext.isActive, false, 'the extension was activated although no view or command asked for it');

    const t0 = performance.now();
    const api = await ext.activate();
    const wallMs = Math.round(performance.now() - t0);
    assert.ok(ext.isActive);
    assert.equal(typeof api?.activationMs, 'number', 'activate() returns { activationMs }');

    recordMetric('activationMs', api?.activationMs as number);
    recordMetric('activateCallMs', wallMs); // includes loading dist/extension.js
  });

  it('registers every contributed command, and contributes every command it registers', async () => {
    const m = manifest();
    const contributed = new Set((m.contributes.commands ?? []).map((c) => c.command));
    assert.ok(contributed.size > 0, 'package.json contributes no commands');
    const registered = new Set((await vscode.commands.getCommands(true)).filter((id) => id.startsWith('openstack.')));
    const viewCommands = workbenchViewCommands(m);

    const notRegistered = [...contributed].filter((id) => !registered.has(id)).sort();
    const notContributed = [...registered].filter((id) => !contributed.has(id) && !viewCommands.has(id)).sort();
    assert.deepEqual(notRegistered, [], 'contributed in package.json but not registered by activate()');
    assert.deepEqual(notContributed, [], 'registered by activate() but missing from package.json contributes.commands');
  });

  it('gives every command the "OpenStack" category and a title without the prefix', () => {
    for (const c of manifest().contributes.commands ?? []) {
      assert.equal(c.category, 'OpenStack', `command "${c.command}" has category "${c.category}"`);
      assert.match(c.command, /^openstack\.[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)*$/, `command id "${c.command}"`);
      assert.ok(!/^openstack\b/i.test(c.title), `title of "${c.command}" repeats the category: "${c.title}"`);
    }
  });

  it('shows the OpenStack container with the Clouds, Instances, Hypervisors and Network views', async () => {
    const m = manifest();
    const container = m.contributes.viewsContainers?.activitybar?.find((c) => c.title === 'OpenStack');
    assert.ok(container, 'no activity-bar container titled "OpenStack"');
    const views = m.contributes.views?.[container.id] ?? [];
    assert.deepEqual(views.map((v) => v.name), ['Clouds', 'Instances', 'Hypervisors', 'Network']);

    await vscode.commands.executeCommand(`workbench.view.extension.${container.id}`);
    // `<view id>.focus` exists only for a view the workbench knows; it rejects for an unknown view.
    for (const v of views) await vscode.commands.executeCommand(`${v.id}.focus`);
    assert.ok(m.contributes.viewsWelcome?.some((w) => w.view === views[0].id && /cloud/i.test(w.contents)), 'no welcome content for the Clouds view');
  });

  it('knows the openstack-log language', async () => {
    assert.ok((await vscode.languages.getLanguages()).includes('openstack-log'));
    const doc = await vscode.workspace.openTextDocument({ language: 'openstack-log', content: '2026-01-01 00:00:00.000 12 ERROR nova.compute.manager [req-0b1c2d3e-0000-4000-8000-000000000000] boom' });
    assert.equal(doc.languageId, 'openstack-log');
  });
});
