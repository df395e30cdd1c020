import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatherContext, HostRunner } from '../../../src/core/checks/gather';
import { failureFromAction, lastExceptionLine, migrationProgress, watchMigration } from '../../../src/core/checks/migrate';
import type { CheckApi, HostExec } from '../../../src/core/checks/ports';
import { renderJson, renderMarkdown, renderText } from '../../../src/core/checks/report';
import { exitCodeOf, finding, overallStatus, type CheckReport } from '../../../src/core/checks/types';
import { probe } from '../../../src/core/checks/commands/script';
import { TroubleshooterError } from '../../../src/core/errors';
import { parseInstanceAction, parseServer, parseServerMigration } from '../../../src/core/openstack/parse-nova';
import type { Migration, Server } from '../../../src/core/openstack/types';
import { sharedFixtures } from '../../support/lab';

describe('checks: framework', () => {
  it('reports the worst status; skip only when nothing ran; exit code 1 only for fail', () => {
    const f = (s: 'pass' | 'warn' | 'fail' | 'skip') => finding('x', 'x', s, 'x');
    assert.equal(overallStatus([f('pass'), f('skip')]), 'pass');
    assert.equal(overallStatus([f('pass'), f('warn'), f('skip')]), 'warn');
    assert.equal(overallStatus([f('warn'), f('fail')]), 'fail');
    assert.equal(overallStatus([f('skip'), f('skip')]), 'skip');
    assert.equal(exitCodeOf({ status: 'fail' }), 1);
    assert.equal(exitCodeOf({ status: 'warn' }), 0);
  });

  it('stops talking to a host once it proved unreachable, and keeps other hosts going', async () => {
    let calls = 0;
    const exec: HostExec = {
      async run(host) {
        calls++;
        if (host === 'dead') throw new TroubleshooterError('HostUnreachable', 'Cannot reach "dead" (EHOSTUNREACH).');
        return { rc: 0, output: 'ok' } as never;
      },
    };
    const run = new HostRunner(gatherContext(exec));
    const a = await run.run('dead', 'one', probe(['true']));
    const b = await run.run('dead', 'two', probe(['true']));
    const c = await run.run('alive', 'three', probe(['true']));
    assert.equal(calls, 2);
    assert.deepEqual([a.ok, b.ok, c.ok], [false, false, true]);
    assert.ok(!b.ok && b.unreachable && /EHOSTUNREACH/.test(b.reason));
    assert.deepEqual(run.unreachable(), [{ host: 'dead', reason: 'Cannot reach "dead" (EHOSTUNREACH).' }]);
  });

  it('cuts commands off at the check\'s deadline and does not start new ones after it', async () => {
    const exec: HostExec = { run: (_h, _c, signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))) };
    const run = new HostRunner(gatherContext(exec, { deadlineMs: 300 }));
    const t0 = Date.now();
    const slow = await run.run('h', 'slow', probe(['sleep', '60']));
    assert.ok(Date.now() - t0 < 3000);
    assert.ok(!slow.ok && /did not finish|deadline/.test(slow.reason), slow.ok ? '' : slow.reason);
    const after = await run.run('h', 'late', probe(['true']));
    assert.ok(!after.ok && /deadline of 0 s passed|deadline/.test(after.reason));
  });

  it('honours cancellation: an aborted check throws instead of reporting skips', async () => {
    const ctrl = new AbortController();
    const exec: HostExec = { run: (_h, _c, signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))) };
    const run = new HostRunner(gatherContext(exec, { signal: ctrl.signal }));
    const p = run.run('h', 'x', probe(['sleep', '9']));
    ctrl.abort();
    await assert.rejects(p, (e: unknown) => e instanceof TroubleshooterError && e.code === 'Cancelled');
  });
});

describe('checks: report rendering', () => {
  const report: CheckReport = {
    kind: 'live-migration',
    title: 'Live-migration readiness from "compute1" to "compute2"',
    subject: { source: 'compute1', target: 'compute2' },
    status: 'fail',
    findings: [
      finding('transport', 'Migration transport (qemu+tcp, port 16509)', 'fail', 'libvirt on "compute2" does not accept TCP connections on 16509.', ['compute2: nothing listens on TCP 16509', 'transport_url = rabbit://nova:s3cret@ctl:5672/'], {
        text: 'Set listen_tcp = 1.',
        quickFix: { host: 'compute2', file: '/etc/libvirt/libvirtd.conf', rule: 'libvirt/tcp-disabled' },
        commands: [{ host: 'compute2', command: 'systemctl restart libvirtd' }],
      }),
      finding('cpu', 'CPU compatibility', 'pass', 'Same CPU.'),
      finding('capacity', 'Capacity | Placement', 'skip', 'Skipped: Placement is down.'),
    ],
    startedAt: '2026-11-25T20:00:00.000Z',
    durationMs: 1234,
    unreachable: [{ host: 'compute3', reason: 'Cannot reach "compute3".' }],
  };

  it('renders Markdown with the result, a summary table, evidence, the fix and the quick-fix link, redacted', () => {
    const md = renderMarkdown(report);
    assert.match(md, /^# Live-migration readiness from "compute1" to "compute2"/);
    assert.match(md, /\*\*Result: ❌ FAIL\*\* — 1 fail, 1 pass, 1 skip/);
    assert.match(md, /\| ❌ \| Migration transport \(qemu\+tcp, port 16509\) \|/);
    assert.match(md, /Capacity \\\| Placement/);
    assert.match(md, /Config doctor quick fix: `libvirt\/tcp-disabled` in `\/etc\/libvirt\/libvirtd\.conf` on `compute2`/);
    assert.match(md, /# on compute2\nsystemctl restart libvirtd/);
    assert.match(md, /`compute3`: Cannot reach/);
    assert.doesNotMatch(md, /s3cret/);
    assert.ok(md.indexOf('FAIL — Migration transport') < md.indexOf('PASS — CPU'));
  });

  it('renders JSON that round-trips, and a terminal summary', () => {
    const back = JSON.parse(renderJson(report)) as CheckReport;
    assert.equal(back.status, 'fail');
    assert.equal(back.findings[0].fix?.quickFix?.rule, 'libvirt/tcp-disabled');
    assert.doesNotMatch(renderJson(report), /s3cret/);
    const t = renderText(report);
    assert.match(t, /FAIL \(1 fail, 1 pass, 1 skip\)/);
    assert.match(t, /quick fix: libvirt\/tcp-disabled in \/etc\/libvirt\/libvirtd\.conf on compute2/);
  });
});

describe('checks: migration progress and failure reason', () => {
  it('computes progress from a server-migration record (nova\'s own sample)', function () {
    const dir = sharedFixtures('nova-api-samples', 'server-migrations', 'v2.80');
    if (!dir || !existsSync(join(dir, 'migrations-get.json'))) this.skip(); // ../shared/fixtures is absent outside this workplace
    const m = parseServerMigration((JSON.parse(readFileSync(join(dir!, 'migrations-get.json'), 'utf8')) as { migration: unknown }).migration);
    const p = migrationProgress({ status: 'MIGRATING', taskState: 'migrating' }, m);
    assert.equal(p.percent, 10);
    assert.match(p.message, /^running: .* memory copied, .* remaining \(compute1 → compute2\)$/);
  });

  it('takes the reason from the failing event, its details or the traceback\'s last exception line', () => {
    const action = parseInstanceAction({
      action: 'live-migration',
      request_id: 'req-1ac96870-9dd2-4cb4-bc7f-38c8e24b9ad8',
      instance_uuid: 'u',
      message: null,
      events: [
        {
          event: 'conductor_live_migrate_instance',
          result: 'Error',
          start_time: '2026-11-25T19:43:29.000000',
          finish_time: '2026-11-25T19:43:30.000000',
          traceback: 'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/nova/conductor/manager.py", line 505, in _live_migrate\n    task.execute()\nnova.exception.NoValidHost: No valid host was found. There are not enough hosts available.\n',
          host: 'controller',
          details: null,
        },
      ],
    });
    const r = failureFromAction(action);
    assert.ok(r);
    assert.equal(r.summary, 'conductor_live_migrate_instance failed on controller: nova.exception.NoValidHost: No valid host was found. There are not enough hosts available.');
    assert.equal(r.requestId, 'req-1ac96870-9dd2-4cb4-bc7f-38c8e24b9ad8');
    assert.equal(lastExceptionLine('x\nMigrationPreCheckError: Migration pre-check error: Unable to migrate\n'), 'MigrationPreCheckError: Migration pre-check error: Unable to migrate');
    assert.equal(failureFromAction(parseInstanceAction({ action: 'stop', request_id: 'r', instance_uuid: 'u', message: null, events: [{ event: 'x', result: 'Success' }] })), undefined);
  });

  it('watches a live migration to completion, reporting progress, then finds its os-migrations record', async () => {
    const states: Partial<Server>[] = [
      { status: 'ACTIVE', taskState: null, host: 'compute1' },
      { status: 'MIGRATING', taskState: 'migrating', host: 'compute1' },
      { status: 'ACTIVE', taskState: null, host: 'compute2' },
    ];
    let i = 0;
    const mig = (status: string): Migration => ({ id: 7, instanceUuid: 's', migrationType: 'live-migration', status, createdAt: new Date().toISOString().replace('Z', ''), raw: {} });
    const api = {
      getServer: async () => parseServer({ id: 's', name: 'vm1', status: 'ACTIVE', addresses: {}, metadata: {}, ...toRaw(states[Math.min(i++, states.length - 1)]) }),
      listServerMigrations: async () => [parseServerMigration({ id: 7, server_uuid: 's', status: 'running', memory_total_bytes: 100, memory_processed_bytes: 50, memory_remaining_bytes: 50, created_at: 'x' })],
      listMigrations: async () => [mig(i >= 3 ? 'completed' : 'running')],
    } as unknown as CheckApi;
    const seen: string[] = [];
    const out = await watchMigration(api, 's', { kind: 'live-migration', startedAt: new Date(), fromHost: 'compute1', pollMs: 5, signal: new AbortController().signal, onProgress: (p) => seen.push(`${p.percent ?? '-'} ${p.message}`) });
    assert.equal(out.ok, true);
    assert.equal(out.toHost, 'compute2');
    assert.equal(out.migration?.status, 'completed');
    assert.ok(seen.some((s) => s.startsWith('50 running')), seen.join('\n'));
  });
});

function toRaw(s: Partial<Server>): Record<string, unknown> {
  return { status: s.status, 'OS-EXT-STS:task_state': s.taskState, 'OS-EXT-SRV-ATTR:host': s.host };
}
