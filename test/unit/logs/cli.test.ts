import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../../support/cli';

const labSample = join(__dirname, '..', '..', 'fixtures', 'logs', 'lab-sample');
const labTimeline = join(__dirname, '..', '..', 'fixtures', 'timeline', 'lab');

const cli = (args: string[]) => runCli(args);

describe('cli: logs correlate', function () {
  this.timeout(30_000);
  it('prints the merged lines of a request from a local folder', async () => {
    const r = await cli(['logs', 'correlate', 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a', '--dir', labSample]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.match(lines[0], /^controller nova-api {7}\| 2026-11-25 19:33:28\.731 8170 INFO nova\.osapi_compute\.wsgi\.server \[None req-88b18c48/);
    assert.match(lines[5], /^compute1 {3}nova-compute {3}\| 2026-11-25 19:33:32\.141 .* Migrating instance to compute2 finished successfully\.$/);
  });

  it('--json gives entries with host, service, ids and epoch microseconds', async () => {
    const r = await cli(['logs', 'correlate', 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a', '--dir', labSample, '--json']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { keys: { value: string }[]; entries: { host: string; service: string; ts: number; globalRequestId?: string; requestId?: string }[] };
    assert.equal(doc.entries.length, 6);
    const neutron = doc.entries.find((e) => e.service === 'neutron-server')!;
    assert.equal(neutron.globalRequestId, 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a');
    assert.equal(neutron.requestId, 'req-08bbdb71-a191-4d77-84f0-a76611018353');
    assert.equal(neutron.ts, Date.parse('2026-11-25T19:33:29.608Z') * 1000);
  });

  it('an instance uuid finds that instance\'s lines; --tz shifts naive times', async () => {
    const r = await cli(['logs', 'correlate', '08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83', '--dir', labSample, '--json', '--tz', 'Europe/Berlin']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { entries: { ts: number; lines: string[] }[] };
    assert.ok(doc.entries.length >= 5);
    const claim = doc.entries.find((e) => e.lines[0].includes('Claim successful'))!;
    assert.equal(claim.ts, Date.parse('2026-11-25T18:33:16.237Z') * 1000);
  });

  it('--timeline prints the steps as a table: durations, hosts, the failing step (lab: the failed live migration of vm1)', async () => {
    const r = await cli(['logs', 'correlate', 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74', '--dir', labTimeline, '--timeline']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0], /^\d+ steps in 43\.83 s from \d+ records: FAILED at "Memory copy" \(compute1 nova-compute\)$/);
    assert.match(lines[2], /^START +DURATION +HOST +SERVICE +STEP$/);
    assert.ok(lines.some((l) => /^22:34:59\.383 +13\.41 s +compute1 +nova-compute +Spawning on the hypervisor +\[ok\]$/.test(l)), r.out);
    assert.ok(lines.some((l) => /^22:35:35\.527 +1\.09 s +compute2 +nova-compute +Pre-live-migration on compute2 +\[ok\]$/.test(l)), r.out);
    const failing = lines.filter((l) => l.includes('← failing step'));
    assert.equal(failing.length, 1);
    assert.match(failing[0], /^22:35:36\.657 .* compute1 +nova-compute +Memory copy — Live Migration failure: unable to connect to server at 'compute2:16509'/);
    assert.ok(lines.includes('Other records (no step):'));
  });

  it('--timeline --json gives the timeline object; --timeline does not go with --follow', async () => {
    const r = await cli(['logs', 'correlate', 'req-a21f3158-0c40-404a-a178-78fed092d69d', '--dir', labTimeline, '--timeline', '--json']);
    assert.equal(r.code, 0, r.err);
    const t = JSON.parse(r.out) as { outcome: string; steps: { kind: string; host: string }[] };
    assert.equal(t.outcome, 'ok');
    assert.deepEqual(t.steps.slice(0, 2).map((s) => `${s.kind}@${s.host}`), ['api@controller', 'delete@compute2']);
    const both = await cli(['logs', 'correlate', 'req-a21f3158-0c40-404a-a178-78fed092d69d', '--dir', labTimeline, '--timeline', '--follow']);
    assert.equal(both.code, 2);
    assert.match(both.err, /--timeline prints the steps once: it does not go with --follow\./);
  });

  it('exit 2 and one clear line for a bad id or missing hosts', async () => {
    const bad = await cli(['logs', 'correlate', 'req-123', '--dir', labSample]);
    assert.equal(bad.code, 2);
    assert.equal(bad.err.trim(), 'Error: Not a request id (expected req- followed by a UUID, like req-5f2adc28-1772-480e-a35c-c12ec08b94d7): "req-123".');
    const none = await cli(['logs', 'correlate', 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a']);
    assert.equal(none.code, 2);
    assert.match(none.err, /Pass --dir DIR for a local folder, --cloud NAME to search its hosts, or --hosts/);
    const missing = await cli(['logs', 'correlate', 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a', '--dir', join(labSample, 'nope')]);
    assert.equal(missing.code, 3);
    assert.match(missing.err, /No such folder: ".*nope"\./);
  });

  it('exit 2 for a bad --context or --tz, before any host is asked; exit 3 for a --ssh-config that does not exist', async () => {
    const id = 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a';
    for (const c of ['abc', '-1', '1e3', '99999']) {
      const r = await cli(['logs', 'correlate', id, '--hosts', 'compute1', '--context', c]);
      assert.equal(r.code, 2, `--context ${c}: ${r.err}`);
      assert.equal(r.err.trim(), `Error: --context is a number of lines from 0 to 10000, not "${c}".`);
    }
    for (const tz of ['+99:99', '+2400', '-13:00', '+05:60']) {
      const r = await cli(['logs', 'correlate', id, '--dir', labSample, '--tz', tz]);
      assert.equal(r.code, 2, `--tz ${tz}: ${r.out}${r.err}`);
      assert.equal(r.err.trim(), `Error: --tz is a UTC offset from -12:00 to +14:00 or a zone like Europe/Berlin, not "${tz}".`);
    }
    const zone = await cli(['logs', 'correlate', id, '--dir', labSample, '--tz', 'Mars/Olympus']);
    assert.equal(zone.code, 2);
    assert.equal(zone.err.trim(), 'Error: Unknown time zone "Mars/Olympus".');
    assert.equal((await cli(['logs', 'correlate', id, '--dir', labSample, '--tz', '+05:45'])).code, 0);
    const cfg = await cli(['logs', 'correlate', id, '--hosts', 'compute1', '--ssh-config', '/nonexistent']);
    assert.equal(cfg.code, 3);
    assert.equal(cfg.err.trim(), 'Error: Cannot open the SSH config file (no such file): "/nonexistent".');
    const ssh = await cli(['ssh', 'check', 'compute1', '--ssh-config', '/nonexistent']);
    assert.equal(ssh.code, 3);
    assert.equal(ssh.err.trim(), 'Cannot open the SSH config file (no such file): "/nonexistent".');
  });
});
