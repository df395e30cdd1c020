import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localToUtcMs, parseHostClock, resolveYear } from '../../../src/core/logs/clock';
import { EntryBuilder, parseText } from '../../../src/core/logs/entries';
import type { LogEntry } from '../../../src/core/logs/types';
import { continuesRecord, debugSuffix, parseHead, parseJournalJson } from '../../../src/core/logs/parse';
import { UTC_CLOCK } from '../../../src/core/logs/types';
import { sharedFixtures } from '../../support/lab';

const ctx = { clock: UTC_CLOCK };
const us = (iso: string) => Date.parse(iso) * 1000;
const own = (...p: string[]) => join(__dirname, '..', '..', 'fixtures', 'logs', ...p);

/** The real sample lines of this lab's software (nova 26 / Zed), test/fixtures/logs/lab-sample-lines.txt. */
const labLines = readFileSync(own('lab-sample-lines.txt'), 'utf8').split('\n').filter((l) => /^\d{4}-/.test(l));

describe('logs/parse: oslo.log, every era', () => {
  it('Zed+: [None req-X user project - - domain domain] (nova-api of this lab)', () => {
    const h = parseHead(labLines[0], ctx)!;
    assert.equal(h.format, 'oslo');
    assert.equal(h.ts, us('2026-11-25T19:33:15.822Z'));
    assert.equal(h.pid, '8170');
    assert.equal(h.level, 'INFO');
    assert.equal(h.logger, 'nova.osapi_compute.wsgi.server');
    assert.equal(h.requestId, 'req-358bcf64-ec61-47d9-8656-a6bceb7be43d');
    assert.equal(h.globalRequestId, undefined);
    assert.equal(h.hasContext, true);
  });

  it('Zed+ with a global id: neutron and placement log nova\'s id first, their own second', () => {
    const neutron = labLines.find((l) => l.includes('neutron.wsgi [req-88b18c48'))!;
    const h = parseHead(neutron, ctx)!;
    assert.equal(h.globalRequestId, 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a');
    assert.equal(h.requestId, 'req-08bbdb71-a191-4d77-84f0-a76611018353');
    const placement = parseHead(labLines.find((l) => l.includes('placement.requestlog'))!, ctx)!;
    assert.equal(placement.globalRequestId, 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a');
    assert.equal(placement.requestId, 'req-aa8cea4f-263c-4467-9047-a70a8d2e59db');
  });

  it('the instance tag after the bracket (nova-compute of this lab)', () => {
    const h = parseHead(labLines.find((l) => l.includes('Claim successful'))!, ctx)!;
    assert.equal(h.instance, '08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83');
    assert.equal(h.requestId, 'req-358bcf64-ec61-47d9-8656-a6bceb7be43d');
  });

  it('DEBUG lines with the funcName/path suffix and an all-dash identity (keystone of this lab)', () => {
    const line = labLines.find((l) => l.includes('REQUEST_METHOD'))!;
    const h = parseHead(line, ctx)!;
    assert.equal(h.level, 'DEBUG');
    assert.equal(h.requestId, 'req-2d36c8e6-d591-4de4-afcc-71f520dfb007');
    assert.deepEqual(debugSuffix(line), {
      func: 'log_request_info',
      path: '/usr/lib/python3/dist-packages/keystone/server/flask/request_processing/req_logging.py',
      lineNo: 27,
    });
  });

  const golden = sharedFixtures('real-logs', 'os-log-merger-golden');
  const live = sharedFixtures('real-logs', 'live-migration-two-computes');
  (golden && live ? it : it.skip)('Juno/Kilo [req-X None], [req-X ] and 2018 [req-X u p - default default] (shared fixtures)', () => {
    const l3 = readFileSync(join(golden!, '01-simple', 'in', 'l3-agent.log'), 'utf8').split('\n');
    const a = parseHead(l3[0], ctx)!;
    assert.equal(a.requestId, 'req-7a01c151-b6ff-4dd9-9fd2-9710a83bab57');
    const b = parseHead(l3[3], ctx)!; // "[req-6afee29e-… ]"
    assert.equal(b.requestId, 'req-6afee29e-f17a-4168-8f7b-fcaea6609e4e');
    const c = parseHead(l3[1], ctx)!; // "[-]"
    assert.equal(c.requestId, undefined);
    assert.equal(c.hasContext, true);
    const api = readFileSync(join(golden!, '02-var-log-messages', 'in', 'nova-api.log'), 'utf8').split('\n');
    const d = parseHead(api[0], ctx)!;
    assert.equal(d.requestId, 'req-53208dc7-ecfa-4513-ab32-45dfbca11606');
    assert.equal(d.ts, us('2018-10-11T08:00:49.397Z'));
    assert.equal(parseHead(api[2], ctx), undefined, 'an indented line is a continuation');
  });

  (live ? it : it.skip)('TRACE lines continue their ERROR record; a traceback is one entry (shared fixture, conductor)', () => {
    const text = readFileSync(join(live!, 'hp-ms-01-c29', 'var', 'log', 'nova', 'nova-conductor.log'), 'utf8');
    const entries = parseText(text, 'c29', 'nova-conductor', '/var/log/nova/nova-conductor.log', ctx);
    const traced = entries.filter((e) => e.lines.some((l) => / TRACE .*Traceback \(most recent call last\)/.test(l)));
    assert.ok(traced.length > 0);
    for (const e of traced) {
      assert.match(e.lines[0], / ERROR /, 'the record starts with its ERROR line');
      assert.ok(e.lines.length > 3, 'the traceback lines are in the same entry');
    }
    // No entry starts with a TRACE line that follows an ERROR of the same pid and logger.
    const lines = text.replace(/\n$/, '').split('\n').length;
    assert.equal(entries.reduce((n, e) => n + e.lines.length, 0), lines, 'every line is in exactly one entry');
  });

  it('Zed exception prefix lines (no bracket) continue the record of the same pid and logger', () => {
    const head = parseHead(
      '2026-11-25 19:34:20.656 8145 ERROR nova.conductor.manager [None req-8c7cee49-fc6f-4735-8f99-1c38ec10332b e65664fbddbe4dfaa03b78e9f3caa586 8de4f687a4df4baa8db56d3064372f2b - - default default] Failed to schedule instances: nova.exception_Remote.NoValidHost_Remote: No valid host was found.',
      ctx,
    )!;
    const tb = parseHead('2026-11-25 19:34:20.656 8145 ERROR nova.conductor.manager Traceback (most recent call last):', ctx)!;
    assert.equal(tb.hasContext, false);
    assert.ok(continuesRecord(tb, head));
    const other = parseHead('2026-11-25 19:34:20.703 8145 WARNING nova.scheduler.utils [None req-8c7cee49-fc6f-4735-8f99-1c38ec10332b - - - - - -] x', ctx)!;
    assert.ok(!continuesRecord(other, head));
  });
});

describe('logs/parse: Apache, libvirt, qemu, journald, syslog', () => {
  it('Apache 2.4 error log with mod_wsgi (Horizon vhost of this lab)', () => {
    const h = parseHead("[Wed Nov 25 20:13:45.303171 2026] [wsgi:info] [pid 23935:tid 23935] mod_wsgi (pid=23935): Attach interpreter ''.", ctx)!;
    assert.equal(h.format, 'apache');
    assert.equal(h.ts, us('2026-11-25T20:13:45.303Z') + 171);
    assert.equal(h.logger, 'wsgi');
    assert.equal(h.level, 'INFO');
    assert.equal(h.pid, '23935');
  });

  it('Apache wsgi:error carrying an oslo line with a request id, behind [remote …]', () => {
    const h = parseHead(
      '[Wed Nov 25 19:33:14.123456 2026] [wsgi:error] [pid 123:tid 456] [remote 198.18.0.1:5678] ERROR openstack_dashboard.api.nova [None req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a admin admin] Live migration failed',
      ctx,
    )!;
    assert.equal(h.level, 'ERROR');
    assert.equal(h.requestId, 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a');
  });

  it('Debian WSGI vhost ErrorLogFormat "%{cu}t %M" (keystone_error.log of this lab)', () => {
    const h = parseHead("2026-11-25 20:13:46.498104 mod_wsgi (pid=23933, process='keystone-public', application=''): Loading Python script file '/usr/bin/keystone-wsgi-public'.", ctx)!;
    assert.equal(h.format, 'plain');
    assert.equal(h.ts, us('2026-11-25T20:13:46.498Z') + 104);
  });

  it('libvirtd lines carry their own offset (libvirtd.log of this lab\'s compute1)', () => {
    const h = parseHead("2026-11-25 20:12:59.409+0000: 22358: error : dnsmasqCapsNewFromBinary:673 : Unable to find 'dnsmasq' binary in $PATH: No such file or directory", {
      clock: parseHostClock('+0900'),
    })!;
    assert.equal(h.format, 'libvirt');
    assert.equal(h.level, 'ERROR');
    assert.equal(h.ts, us('2026-11-25T20:12:59.409Z'), 'the host clock does not apply to an explicit offset');
    const plus = parseHead('2026-11-25 21:12:59.409+0100: starting up libvirt version: 9.0.0', ctx)!;
    assert.equal(plus.ts, us('2026-11-25T20:12:59.409Z'));
  });

  it('qemu domain log lines in UTC (Z)', () => {
    const h = parseHead('2017-09-18T18:08:49.216429Z qemu-system-x86_64: terminating on signal 15 from pid 1234 (/usr/sbin/libvirtd)', ctx)!;
    assert.equal(h.format, 'iso');
    assert.equal(h.logger, 'qemu-system-x86_64');
    assert.equal(h.ts, us('2017-09-18T18:08:49.216Z') + 429);
  });

  it('journald short-iso-precise with a DevStack oslo body', () => {
    const h = parseHead(
      '2026-11-25T19:16:34.123456+01:00 devstack nova-compute[27857]: DEBUG nova.compute.manager [None req-5e7e0a43-1e45-4c3f-8a8c-1c6e9a9f0b1d admin admin] [instance: 08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83] Starting instance... {{(pid=27857) _do_build_and_run_instance /opt/stack/nova/nova/compute/manager.py:2185}}',
      ctx,
    )!;
    assert.equal(h.format, 'journal');
    assert.equal(h.logger, 'nova-compute');
    assert.equal(h.level, 'DEBUG');
    assert.equal(h.requestId, 'req-5e7e0a43-1e45-4c3f-8a8c-1c6e9a9f0b1d');
    assert.equal(h.instance, '08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83');
    assert.equal(h.ts, us('2026-11-25T18:16:34.123Z') + 456);
  });

  it('journald -o json, MESSAGE as bytes when not UTF-8', () => {
    const r = parseJournalJson(
      JSON.stringify({
        __REALTIME_TIMESTAMP: '1795634000123456',
        _HOSTNAME: 'ctl',
        SYSLOG_IDENTIFIER: 'neutron-server',
        _PID: '42',
        PRIORITY: '3',
        MESSAGE: [...Buffer.from('ERROR neutron.api [req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a req-08bbdb71-a191-4d77-84f0-a76611018353 - - - - - -] bad \xff')].map((b) => b),
      }),
    )!;
    assert.equal(r.head.ts, 1795634000123456);
    assert.equal(r.head.globalRequestId, 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a');
    assert.equal(r.head.level, 'ERROR');
    assert.match(r.line, /^2026-11-25T\S+ ctl neutron-server\[42\]: ERROR/);
  });

  it('syslog without a year takes the year closest to the reference time (os-log-merger golden input)', () => {
    const h = parseHead('Oct 11 07:49:20 overcloud-controller-1 systemd: Starting Serial Getty on ttyS0...', { clock: UTC_CLOCK, refMs: Date.parse('2018-10-11T08:00:00Z') })!;
    assert.equal(h.format, 'syslog');
    assert.equal(h.logger, 'systemd');
    assert.equal(h.ts, us('2018-10-11T07:49:20Z'));
    const ms = parseHead('Oct 11 07:49:20.347281 overcloud-controller-1 test: ms 1', { clock: UTC_CLOCK, refMs: Date.parse('2018-10-11T08:00:00Z') })!;
    assert.equal(ms.ts, us('2018-10-11T07:49:20.347Z') + 281);
    assert.equal(resolveYear(12, 31, Date.parse('2027-01-02T00:00:00Z')), 2026, 'December lines read in January');
  });
});

describe('logs/clock: naive timestamps get the host zone', () => {
  it('IANA zone with DST: Europe/Berlin is +01:00 in November and +02:00 in July', () => {
    const berlin = parseHostClock('+0100', 'CET', 'Europe/Berlin');
    assert.equal(localToUtcMs(berlin, 2026, 11, 25, 20, 0, 0, 0), Date.parse('2026-11-25T19:00:00Z'));
    assert.equal(localToUtcMs(berlin, 2026, 7, 1, 20, 0, 0, 0), Date.parse('2026-07-01T18:00:00Z'));
  });

  it('Etc/UTC and its aliases are UTC without asking Intl (the lab hosts say Etc/UTC)', () => {
    for (const z of ['Etc/UTC', 'UTC', 'Etc/GMT', 'Zulu']) {
      const c = parseHostClock('+0000', 'UTC', z);
      assert.equal(localToUtcMs(c, 2026, 11, 25, 12, 0, 0, 0), Date.parse('2026-11-25T12:00:00Z'), z);
    }
  });

  it('a fixed offset from `date +%z` when the zone is unknown', () => {
    const c = parseHostClock('-0530', 'XYZ', 'Not/AZone');
    assert.equal(c.zone, undefined);
    assert.equal(localToUtcMs(c, 2026, 11, 25, 12, 0, 0, 0), Date.parse('2026-11-25T17:30:00Z'));
  });
});

describe('logs/entries: a real Zed traceback from this lab (nova-api, database down)', () => {
  it('the ERROR record holds its raw and exception-prefixed traceback lines; grep context brings the same entry', async () => {
    const text = readFileSync(own('lab-nova-api-db-error.log'), 'utf8');
    const entries = parseText(text, 'controller', 'nova-api', '/var/log/nova/nova-api.log', ctx);
    const id = 'req-d1a4e234-b5d2-4bcc-9f06-4a614608b981';
    const err = entries.find((e) => e.level === 'ERROR' && e.requestId === id)!;
    const all = text.replace(/\n$/, '').split('\n');
    const start = all.findIndex((l) => l.includes(`ERROR nova.api.openstack.wsgi [None ${id}`));
    const end = all.findIndex((l, i) => i > start && l.includes(`INFO nova.api.openstack.wsgi [None ${id}`));
    assert.deepEqual(err.lines, all.slice(start, end));
    assert.ok(err.lines.length > 100);
    assert.ok(err.lines.some((l) => l === '(Background on this error at: https://sqlalche.me/e/14/e3q8)'), 'a raw continuation line');
    assert.ok(err.lines.some((l) => /ERROR nova\.api\.openstack\.wsgi oslo_db\.exception\.DBConnectionError/.test(l)));
    // The preceding oslo_db ERROR (same pid, other logger, no request id) stays a separate record.
    assert.ok(entries.some((e) => e.lines[0].includes('ERROR oslo_db.sqlalchemy.engines')));
  });
});

describe('logs/entries: grep -A context lines', () => {
  const line = (t: string, rest: string) => `2026-11-25 10:00:${t} 42 ${rest}`;
  const build = (rows: [string, boolean][]) => {
    const out: LogEntry[] = [];
    const b = new EntryBuilder('compute1', 'nova-compute', '/var/log/nova/nova-compute.log', ctx, (e) => out.push(e));
    for (const [text, selected] of rows) b.add(text, undefined, selected);
    b.end();
    return out;
  };

  it('keeps the traceback after a matching ERROR line and drops every other context line, however many', () => {
    const id = 'req-0f4a1c2e-7d0b-4d7b-9c7e-0b5f5d3d9a11';
    const rows: [string, boolean][] = [
      [line('01.000', `ERROR nova.compute.manager [None ${id} - - - - - -] Live migration failed.`), true],
      ['Traceback (most recent call last):', false],
      [line('01.000', 'ERROR nova.compute.manager   File "/usr/lib/python3/dist-packages/nova/compute/manager.py", line 8000'), false],
      [line('01.000', 'ERROR nova.compute.manager libvirt.libvirtError: unable to connect'), false],
      [line('02.000', 'INFO nova.compute.manager [None req-11111111-2222-4333-8444-555555555555 - - - - - -] other request'), false],
    ];
    for (let i = 0; i < 300; i++) rows.push([i % 7 === 0 ? '  raw continuation of someone else' : line(`${String(3 + (i % 50)).padStart(2, '0')}.000`, 'DEBUG nova.x [-] periodic'), false]);
    rows.push([line('59.000', `INFO nova.compute.manager [None ${id} - - - - - -] Done.`), true]);
    const entries = build(rows);
    assert.deepEqual(entries.map((e) => e.lines.length), [4, 1]);
    assert.equal(entries[0].level, 'ERROR');
    assert.ok(entries[0].lines[3].endsWith('unable to connect'));
    assert.equal(entries[1].ts, us('2026-11-25T10:00:59Z'));
  });

  it('a matching continuation line without its head takes the time of the newest record before it, context included', () => {
    const rows: [string, boolean][] = [[line('05.000', 'INFO nova.x [-] first'), true]];
    for (let i = 0; i < 200; i++) rows.push([i === 150 ? line('30.500', 'DEBUG nova.y [-] newest head') : '   raw body line', false]);
    rows.push(['    "request_id": "req-0f4a1c2e-7d0b-4d7b-9c7e-0b5f5d3d9a11"', true]);
    const entries = build(rows);
    assert.equal(entries.length, 2);
    assert.equal(entries[1].ts, us('2026-11-25T10:00:30.500Z'));
    assert.equal(entries[1].requestId, 'req-0f4a1c2e-7d0b-4d7b-9c7e-0b5f5d3d9a11');
  });

  it('an orphan before any head takes the time of the first head after it, even a context one', () => {
    const entries = build([
      ['  "request_id": "req-0f4a1c2e-7d0b-4d7b-9c7e-0b5f5d3d9a11"', true],
      [line('07.250', 'DEBUG nova.y [-] context head'), false],
    ]);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].ts, us('2026-11-25T10:00:07.250Z'));
  });
});
