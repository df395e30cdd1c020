import * as assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followLogs } from '../../../src/core/logs/follow';
import type { LogHostRunner } from '../../../src/core/logs/host-runner';
import { offlineHosts } from '../../../src/core/logs/offline';
import { CorrelatedLogSession } from '../../../src/core/logs/session';
import type { LogEntry } from '../../../src/core/logs/types';

const labSample = join(__dirname, '..', '..', 'fixtures', 'logs', 'lab-sample');
const REQ = 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a';

describe('logs/session: what the correlated document shows', function () {
  this.timeout(20_000);

  it('runs, says which host failed and why, then follows and appends live lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-logs-session-'));
    cpSync(labSample, dir, { recursive: true });
    const down: LogHostRunner = {
      host: 'compute9',
      keepsStdinOpen: true,
      run: async () => {
        throw new Error('Cannot reach "compute9".');
      },
      stream: async () => {
        throw new Error('Cannot reach "compute9".');
      },
    };
    const s = new CorrelatedLogSession([...offlineHosts(dir), { runner: down }], [{ kind: 'request', value: REQ }]);
    let changes = 0;
    s.onDidChange(() => changes++);
    const ctrl = new AbortController();
    try {
      await s.run();
      const text = s.render().split('\n');
      assert.match(text[0], new RegExp(`^# ${REQ} · keys: 3 · entries: 6$`));
      assert.equal(text[1], '# compute9: Cannot reach "compute9".');
      assert.match(text[2], /^controller nova-api +\| 2026-11-25 19:33:28\.731 /);
      assert.equal(text.filter((l) => / [|+] /.test(l)).length, 6);
      assert.ok(changes > 2);
      assert.match(s.describe(), /^6 entries · 3\/4 hosts · 1 failed$/);

      const following = new Promise<void>((resolve) => s.onDidChange(() => s.hostStates.get('compute1')?.state === 'following' && resolve()));
      const done = s.follow(ctrl.signal);
      await following;
      appendFileSync(join(dir, 'compute1', 'var', 'log', 'nova', 'nova-compute.log'), `2026-11-25 19:40:00.000 8149 INFO nova.compute.manager [None ${REQ} - - - - - -] written later\n`);
      await new Promise<void>((resolve) => s.onDidChange(() => s.render().includes('written later') && resolve()));
      assert.match(s.render().trimEnd().split('\n').at(-1)!, /^compute1 +nova-compute +\| 2026-11-25 19:40:00\.000 .* written later$/);
      ctrl.abort();
      await done;
    } finally {
      ctrl.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follow hands over equal-timestamp lines of several files in one order, not in the order the files were written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-logs-follow-tie-'));
    const nova = join(dir, 'compute1', 'var', 'log', 'nova');
    mkdirSync(nova, { recursive: true });
    for (const f of ['nova-api.log', 'nova-compute.log', 'nova-conductor.log']) writeFileSync(join(nova, f), '');
    const ctrl = new AbortController();
    const got: LogEntry[] = [];
    let following!: () => void;
    const started = new Promise<void>((resolve) => (following = resolve));
    try {
      const done = followLogs(offlineHosts(dir), [{ kind: 'request', value: REQ }], {
        signal: ctrl.signal,
        flushAfterMs: 1500, // one batch for the three lines below
        rescanSeconds: 0,
        onEntries: (entries) => got.push(...entries),
        onEvent: (e) => e.type === 'following' && following(),
      });
      await started;
      const line = (msg: string) => `2026-11-25 19:40:00.000 8149 INFO nova.compute.manager [None ${REQ} - - - - - -] ${msg}\n`;
      for (const f of ['nova-conductor.log', 'nova-compute.log', 'nova-api.log']) appendFileSync(join(nova, f), line(f));
      while (got.length < 3) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got.map((e) => e.file), ['/var/log/nova/nova-api.log', '/var/log/nova/nova-compute.log', '/var/log/nova/nova-conductor.log']);
      ctrl.abort();
      await done;
    } finally {
      ctrl.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('logs/session: the story on top of the document', function () {
  this.timeout(20_000);
  const labTimeline = join(__dirname, '..', '..', 'fixtures', 'timeline', 'lab');

  it('summarises the steps of the delete (lab) with their durations and outcome; rebuilt only after a change', async () => {
    const s = new CorrelatedLogSession(offlineHosts(labTimeline), [{ kind: 'request', value: 'req-a21f3158-0c40-404a-a178-78fed092d69d' }]);
    assert.deepEqual(s.summary(), [], 'nothing found yet: no story');
    await s.run();
    const lines = s.summary();
    assert.match(lines[0], /^# story: \d+ steps in [\d.]+ s from 11 records: no step failed$/);
    assert.ok(lines.some((l) => /^# +22:37:08\.295 +98 ms +controller +nova-api +DELETE \/servers\/7c089e49… → 204 +\[ok\]$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^# +22:37:08\.378 +2\.20 s +compute2 +nova-compute +Deleting +\[ok\]$/.test(l)), lines.join('\n'));
    const first = s.timeline();
    assert.equal(s.timeline(), first, 'the same object while nothing changed');
    assert.equal(first.entries.length, 11);
  });
});
