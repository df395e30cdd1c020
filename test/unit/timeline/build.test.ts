import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { correlate } from '../../../src/core/logs/correlate';
import { parseQueryKey } from '../../../src/core/logs/keys';
import { offlineHosts } from '../../../src/core/logs/offline';
import type { LogEntry } from '../../../src/core/logs/types';
import { buildTimeline } from '../../../src/core/timeline/build';
import { messageOf } from '../../../src/core/timeline/message';
import { STEP_PATTERNS } from '../../../src/core/timeline/patterns';
import { formatDuration, summaryLines, timelineText } from '../../../src/core/timeline/render';
import type { Timeline, TimelineStep } from '../../../src/core/timeline/types';
import { sharedFixtures } from '../../support/lab';

const lab = join(__dirname, '..', '..', 'fixtures', 'timeline', 'lab');
const labStopStart = join(__dirname, '..', '..', 'fixtures', 'timeline', 'lab-stop-start');
const shared = sharedFixtures('real-logs', 'live-migration-two-computes');

async function story(dir: string, query: string, opts: { instanceContextless?: boolean } = {}): Promise<{ entries: LogEntry[]; t: Timeline }> {
  const r = await correlate([parseQueryKey(query)], offlineHosts(dir), opts);
  return { entries: r.entries, t: buildTimeline(r.entries) };
}

function kinds(t: Timeline): string[] {
  return t.steps.map((s) => s.kind);
}

function only(t: Timeline, pred: (s: TimelineStep) => boolean, what: string): TimelineStep {
  const found = t.steps.filter(pred);
  assert.equal(found.length, 1, `one ${what}: ${JSON.stringify(found.map((s) => s.label))}`);
  return found[0];
}

const ms = (us: number) => Math.round(us / 1000);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

describe('timeline: step patterns', () => {
  it('every pattern matches its own example', () => {
    for (const p of STEP_PATTERNS) {
      assert.ok(p.example.includes(p.needle), `needle of ${p.kind}/${p.role}: "${p.needle}"`);
      if (p.re) assert.ok(p.re.test(p.example), `regex of ${p.kind}/${p.role} on "${p.example}"`);
    }
  });

  it("the lab's examples are real: each is the message of a record in the captured lab logs, under its logger", () => {
    const lines = [...filesUnder(lab), ...filesUnder(labStopStart)].flatMap((f) => readFileSync(f, 'utf8').split('\n'));
    for (const p of STEP_PATTERNS.filter((x) => x.from === 'lab')) {
      const hit = lines.find((l) => l.endsWith(p.example) && l.includes(` ${p.logger}`));
      assert.ok(hit, `no record of ${p.logger} ends with "${p.example}"`);
    }
  });

  it('splits the message from the level, logger, context bracket and instance tag', async () => {
    const { entries } = await story(lab, 'req-a21f3158-0c40-404a-a178-78fed092d69d');
    const term = entries.find((e) => e.lines[0].endsWith('Terminating instance'))!;
    assert.deepEqual(messageOf(term), { logger: 'nova.compute.manager', text: 'Terminating instance' });
  });
});

describe('timeline: the lab (real-virt) records', function () {
  this.timeout(30_000);

  it('a stop and a start of an instance (its story by uuid): the 60 s graceful shutdown the guest ignored, then destroyed; the power-on started the guest', async () => {
    const { t } = await story(labStopStart, 'b5d0e37a-ec71-42bf-83c2-9bb6ef4c1b4c');
    assert.equal(t.failingStep, undefined);
    const stop = only(t, (s) => s.kind === 'stop', 'stop step');
    assert.equal(stop.label, 'Graceful shutdown timed out (60 s)');
    assert.equal(stop.host, 'compute2');
    assert.equal(ms(stop.endUs - stop.startUs), 60_000);
    const start = only(t, (s) => s.kind === 'start', 'start step');
    assert.equal(start.label, 'Guest started');
    // the order: the stop call, the shutdown wait, the start call, the guest started
    const order = t.steps.map((s) => s.kind).filter((k) => ['api', 'stop', 'start'].includes(k));
    assert.deepEqual(order, ['api', 'stop', 'api', 'start']);
  });

  it('a boot by its request id: API, scheduled to compute1, claimed, block devices, spawn with its stated 13.41 s, build 14.05 s', async () => {
    const { t } = await story(lab, 'req-cb83dbb0-53be-4773-abaa-cafe7440541f');
    assert.equal(t.outcome, 'ok');
    assert.equal(t.failingStep, undefined);
    const api = only(t, (s) => s.kind === 'api', 'API step');
    assert.equal(api.label, 'POST /servers → 202');
    assert.equal(ms(api.endUs - api.startUs), 1596, 'nova-api states time: 1.5961993');
    const sched = only(t, (s) => s.kind === 'schedule', 'scheduling step');
    assert.equal(sched.label, 'Scheduled to compute1');
    assert.equal(sched.service, 'nova-scheduler', 'the step is where the choice was logged');
    const spawn = only(t, (s) => s.kind === 'spawn', 'spawn step');
    assert.equal(spawn.host, 'compute1');
    assert.equal(ms(spawn.endUs - spawn.startUs), 13410);
    const build = only(t, (s) => s.kind === 'build', 'build step');
    assert.equal(ms(build.endUs - build.startUs), 14050);
    // the order a boot goes through
    const order = ['api', 'schedule', 'claim', 'block-devices', 'spawn'].map((k) => t.steps.findIndex((s) => s.kind === k));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), kinds(t).join(' '));
    assert.ok(t.steps.some((s) => s.kind === 'claim' && s.label === 'Claimed on compute1'));
    // unknown records still appear, grouped by where they were logged
    const neutron = t.groups.find((g) => g.host === 'controller' && g.service === 'neutron-server');
    assert.ok(neutron && neutron.count >= 10, 'neutron-server access lines are counted');
    assert.ok(t.hops.some((h) => h.fromLane === 'controller nova-api' && h.toLane === 'controller nova-scheduler' && h.kind === 'same-id'), 'api → scheduler hop');
  });

  it('a successful live migration (vm2 compute2 → compute1, instance query): pre-checks, pre-live-migration on compute1, memory copy on compute2, post-migration', async () => {
    const { t } = await story(lab, '7a69a44b-4a93-4515-b6ff-498a950fc243');
    assert.equal(t.outcome, 'ok');
    const pre = only(t, (s) => s.kind === 'lm-pre', 'pre-live-migration');
    assert.equal(pre.host, 'compute1', 'the destination, named by the source');
    assert.equal(ms(pre.endUs - pre.startUs), 1310);
    const copy = only(t, (s) => s.kind === 'lm-copy', 'memory copy');
    assert.equal(copy.host, 'compute2');
    assert.equal(copy.outcome, 'ok');
    assert.deepEqual(copy.progress?.map((p) => p.remainingPercent), [90]);
    const post = t.steps.find((s) => s.kind === 'lm-post' && s.host === 'compute2')!;
    assert.equal(post.label, 'Post-migration: now on compute1');
    const at = (k: string) => t.steps.findIndex((s) => s.kind === k);
    assert.ok(at('lm-precheck') < at('lm-pre') && at('lm-pre') < at('lm-copy') && at('lm-copy') < t.steps.indexOf(post), kinds(t).join(' '));
    const check = only(t, (s) => s.kind === 'lm-precheck', 'pre-checks');
    assert.equal(check.derived, true);
    assert.equal(check.endUs, pre.startUs);
  });

  it('the failed live migration (vm1 compute1 → compute2): the memory copy on compute1 is the failing step, with libvirt\'s reason; rollback follows', async () => {
    const { t } = await story(lab, 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74');
    assert.equal(t.outcome, 'failed');
    const failing = t.steps.find((s) => s.id === t.failingStep)!;
    assert.equal(failing.kind, 'lm-copy');
    assert.equal(failing.host, 'compute1');
    assert.match(failing.detail ?? '', /unable to connect to server at 'compute2:16509': Connection refused/);
    assert.equal(failing.errors, 2, '"Live Migration failure" and "Migration operation has aborted" are one step');
    const pre = only(t, (s) => s.kind === 'lm-pre', 'pre-live-migration');
    assert.equal(pre.host, 'compute2');
    assert.equal(ms(pre.endUs - pre.startUs), 1090);
    assert.ok(pre.endUs <= failing.startUs);
    const rollback = only(t, (s) => s.kind === 'lm-rollback', 'rollback');
    assert.ok(rollback.startUs > failing.startUs);
    // the earlier boot of the same instance is in its story too, and went fine
    assert.equal(only(t, (s) => s.kind === 'spawn', 'spawn').outcome, 'ok');
    const text = timelineText(t);
    assert.match(text, /FAILED at "Memory copy" \(compute1 nova-compute\)/);
    assert.match(text.split('\n').find((l) => l.includes('← failing step'))!, /compute1 +nova-compute +Memory copy — Live Migration failure/);
  });

  it('the same failed live migration by its request id: its own records hold no failure (the driver logs it under [-]), so the story claims no success either', async () => {
    const { t } = await story(lab, 'req-b32d88d8-2394-4830-a24f-37ad52ad138d');
    assert.equal(t.failingStep, undefined);
    assert.ok(!t.steps.some((s) => s.kind === 'lm-copy' || s.kind === 'lm-post'), kinds(t).join(' '));
    assert.equal(only(t, (s) => s.kind === 'schedule', 'scheduling').label, 'Scheduled to compute2');
    assert.match(timelineText(t).split('\n')[0], /: no step failed$/);
  });

  it("…and with the instance's context-less records of the request's window (instanceContextless), the request's story finds the failing memory copy", async () => {
    const { t, entries } = await story(lab, 'req-b32d88d8-2394-4830-a24f-37ad52ad138d', { instanceContextless: true });
    const failing = t.steps.find((s) => s.id === t.failingStep)!;
    assert.equal(failing?.kind, 'lm-copy', kinds(t).join(' '));
    assert.equal(failing.host, 'compute1');
    assert.equal(only(t, (s) => s.kind === 'lm-pre', 'pre-live-migration').host, 'compute2');
    // only context-less records of that instance were added, none of other requests
    const added = entries.filter((e) => !e.requestId && e.service === 'nova-compute');
    assert.ok(added.length >= 3 && added.every((e) => e.instance === 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74' && e.lines[0].includes(' [-] ')), added.map((e) => e.lines[0]).join('\n'));
  });

  it('a live migration refused by the scheduler (vm3, request id): the scheduling step fails with "No valid host"; the conductor\'s traceback joins it', async () => {
    const { t, entries } = await story(lab, 'req-7e6d6c9e-acf2-4d1b-bc9f-3c75634b8639');
    assert.equal(t.outcome, 'failed');
    const failing = t.steps.find((s) => s.id === t.failingStep)!;
    assert.equal(failing.kind, 'schedule');
    assert.equal(failing.host, 'controller');
    const conductorError = entries.findIndex((e) => e.level === 'ERROR' && e.service === 'nova-conductor');
    assert.ok(conductorError >= 0, 'the fixture holds the ERROR record');
    assert.ok(failing.records.includes(conductorError));
    assert.equal(kinds(t)[0], 'api');
  });

  it('a delete: DELETE → 204, then the compute destroys the guest (stated 1.87 s) and deletes its allocations', async () => {
    const { t } = await story(lab, 'req-a21f3158-0c40-404a-a178-78fed092d69d');
    assert.equal(t.outcome, 'ok');
    assert.deepEqual(kinds(t).slice(0, 2), ['api', 'delete']);
    assert.equal(t.steps[0].label, 'DELETE /servers/7c089e49… → 204');
    const del = only(t, (s) => s.kind === 'delete', 'delete');
    assert.equal(del.host, 'compute2');
    assert.equal(del.records.length, 3, 'Terminating, Took 1.87 seconds to destroy, Deleted allocations');
    assert.equal(formatDuration(del.endUs - del.startUs), '2.20 s');
  });

  it('the document summary: a headline and one row per step, behind "#"', async () => {
    const { t } = await story(lab, 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74');
    const lines = summaryLines(t);
    assert.match(lines[0], /^# story: \d+ steps in 43\.83 s from \d+ records: FAILED at "Memory copy"/);
    assert.ok(lines.every((l) => l.startsWith('#')));
    assert.equal(lines.filter((l) => l.includes('← failing step')).length, 1);
    const few = summaryLines(t, 3);
    assert.ok(few.some((l) => l.includes('← failing step')), 'the failing step is shown even past the limit');
    assert.ok(few.some((l) => /… \d+ more steps/.test(l)));
  });
});

describe('timeline: the shared real logs (RHEL-OSP live migration)', function () {
  this.timeout(30_000);
  before(function () {
    if (!shared) this.skip(); // clone outside the workplace: ../shared/fixtures is absent
  });

  it('the instance went there and back: two memory copies with progress, each followed by post-migration', async () => {
    const { t } = await story(shared!, 'a18a5824-4215-4e24-bcfc-cb9f89f6bcbd');
    const copies = t.steps.filter((s) => s.kind === 'lm-copy');
    assert.deepEqual(copies.map((s) => s.host), ['hp-ms-01-c30', 'hp-ms-01-c29']);
    assert.ok(copies.every((s) => s.outcome === 'ok' && (s.progress?.length ?? 0) >= 1));
    const posts = t.steps.filter((s) => s.kind === 'lm-post' && s.label.startsWith('Post-migration: now on'));
    assert.deepEqual(posts.map((s) => s.label), ['Post-migration: now on hp-ms-01-c29', 'Post-migration: now on hp-ms-01-c30']);
    assert.ok(copies[0].endUs <= posts[0].endUs && posts[0].endUs < copies[1].startUs);
    assert.equal(t.steps.filter((s) => s.kind === 'lm-request').length, 2, 'nova-api DEBUG "Going to try to live migrate" twice');
  });

  it('a failed API call: its ERROR record becomes the failing step', async () => {
    const { t } = await story(shared!, 'req-e4f91dbb-6b8f-4240-8a23-f424f1900e54');
    assert.equal(t.outcome, 'failed');
    const failing = t.steps.find((s) => s.id === t.failingStep)!;
    assert.equal(failing.service, 'nova-api');
    assert.ok(failing.errors >= 1);
  });
});
