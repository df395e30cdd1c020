import * as assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTroubleshooterError } from '../../../src/core/errors';
import { correlate } from '../../../src/core/logs/correlate';
import { followLogs } from '../../../src/core/logs/follow';
import { LocalHostRunner } from '../../../src/core/logs/host-runner';
import { parseQueryKey } from '../../../src/core/logs/keys';
import { offlineHosts } from '../../../src/core/logs/offline';
import { classifyStderr, followArgv, parseSearchLine, searchArgv } from '../../../src/core/logs/search-command';
import { detectArgv, parseDetect, serviceOf } from '../../../src/core/logs/sources';
import type { LogEntry } from '../../../src/core/logs/types';

const REQ = 'req-5f2adc28-1772-480e-a35c-c12ec08b94d7';

describe('logs/search-command: argv, never a shell string from input', () => {
  it('the script is a constant; keys, window and folders are positional arguments', () => {
    const a = searchArgv({ keys: [{ kind: 'request', value: REQ }, { kind: 'instanceName', value: 'instance-0000002a' }], dirs: ['/var/log/nova', '/var/log/libvirt'], sinceMs: 1_795_600_000_123 });
    const b = searchArgv({ keys: [{ kind: 'instance', value: '08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83' }], dirs: ['/var/log/nova'] });
    assert.deepEqual(a.slice(0, 2), ['sh', '-c']);
    assert.equal(a[2], b[2], 'same script whatever the input');
    assert.ok(!a[2].includes(REQ));
    assert.deepEqual(a.slice(3), ['sh', '100', String(1024 * 1024 + 4096), '1795600000', `${REQ}\ninstance-0000002a`, '', '0', '0', '/var/log/nova', '/var/log/libvirt']);
    assert.match(a[2], /LC_ALL=C/);
    assert.match(a[2], /grep -F -b -Z -H -A "\$ctx" -e "\$keys"/);
    assert.doesNotMatch(a[2], /grep --line-buffered -F -b|\{\} \+ 2>&1/, 'search output is block-buffered and stderr stays stderr');
    assert.match(a[2], /-newermt/);
    assert.match(a[2], /gzip -cdq/);
    assert.equal(b[6], '', 'no window: every file, rotated ones included');
  });

  it('detects folders and the clock in the same command, before any match', () => {
    const argv = searchArgv({ keys: [{ kind: 'request', value: REQ }], dirs: ['/var/log', '/nonexistent-dir'], detect: true, journald: 'auto' });
    const out = execFileSync(argv[0], argv.slice(1), { input: '' }).toString().split('\n');
    assert.equal(out[0], 'D /var/log');
    assert.match(out[1], /^T [+-]\d{4} /);
    assert.match(out[2], /^Z /);
    assert.equal(out.at(-2), 'DONE');
  });

  it('refuses bad keys, folders and units before building anything', () => {
    const bad = [
      () => searchArgv({ keys: [{ kind: 'request', value: 'req-1; reboot' }], dirs: ['/var/log/nova'] }),
      () => searchArgv({ keys: [{ kind: 'instanceName', value: 'instance-0000002a$(id)' }], dirs: ['/var/log/nova'] }),
      () => searchArgv({ keys: [{ kind: 'request', value: REQ }], dirs: ['var/log'] }),
      () => searchArgv({ keys: [{ kind: 'request', value: REQ }], dirs: ['/var/log/../../etc'] }),
      () => followArgv({ keys: [{ kind: 'request', value: REQ }], dirs: [], journald: ['nova;id'] }),
      () => searchArgv({ keys: [], dirs: ['/var/log/nova'] }),
      () => parseQueryKey('hello'),
    ];
    for (const f of bad) assert.throws(f, (e: unknown) => isTroubleshooterError(e, 'InvalidInput'));
    assert.deepEqual(parseQueryKey(' REQ-5F2ADC28-1772-480E-A35C-C12EC08B94D7 '), { kind: 'request', value: REQ });
    assert.deepEqual(parseQueryKey('instance-0000002a'), { kind: 'instanceName', value: 'instance-0000002a' });
  });

  it('parses grep -Z -b output: match, context, separator, messages', () => {
    assert.deepEqual(parseSearchLine('/var/log/nova/nova-api.log-2026\x0012:x: y'), { kind: 'line', file: '/var/log/nova/nova-api.log-2026', offset: 12, matched: true, text: 'x: y' });
    assert.deepEqual(parseSearchLine('/a:b\x0013-  File "x"'), { kind: 'line', file: '/a:b', offset: 13, matched: false, text: '  File "x"' });
    assert.deepEqual(parseSearchLine('--'), { kind: 'separator' });
    assert.deepEqual(parseSearchLine('tail\x00==> /var/log/nova/nova-compute.log <=='), { kind: 'header', file: '/var/log/nova/nova-compute.log' });
    assert.deepEqual(parseSearchLine('grep: /x: Permission denied'), { kind: 'other', text: 'grep: /x: Permission denied' });
  });

  it('turns grep/find/gzip messages into per-file sentences', () => {
    const strip = (p: string) => p.replace('/tmp/t/compute1', '');
    assert.deepEqual(classifyStderr('grep: /tmp/t/compute1/var/log/nova/x.log: binary file matches', strip), {
      file: '/var/log/nova/x.log',
      message: 'Skipped binary file "/var/log/nova/x.log": it contains the key but is not text.',
    });
    assert.equal(classifyStderr("find: '/var/log/nova/private': Permission denied")!.message, 'Cannot read "/var/log/nova/private": permission denied.');
    assert.equal(classifyStderr('gzip: /var/log/nova/a.gz: unexpected end of file')!.message, 'Cannot decompress "/var/log/nova/a.gz": unexpected end of file.');
    assert.equal(classifyStderr('grep: /var/log/nova/gone.log: No such file or directory'), undefined);
    assert.equal(classifyStderr('Binary file /var/log/x matches')!.file, '/var/log/x');
  });
});

describe('logs/sources: detection and service names', () => {
  it('parses the detection output: folders, clock, journald', () => {
    const s = parseDetect('compute1', 'D /var/log/nova\nD /var/log/libvirt\nT +0100 CET\nZ Europe/Berlin\nJ\n');
    assert.deepEqual(s.dirs, ['/var/log/nova', '/var/log/libvirt']);
    assert.deepEqual(s.kind, ['packaged']);
    assert.equal(s.journald, undefined, 'journald only when no log folder exists (auto)');
    assert.deepEqual(s.clock, { offsetMinutes: 60, zone: 'Europe/Berlin', abbreviation: 'CET' });
    const osa = parseDetect('infra1', 'T +0000 UTC\nZ \nJ\n', '', { journaldUnits: ['nova-api-os-compute.service'] });
    assert.deepEqual(osa.journald, ['nova-api-os-compute.service']);
    assert.deepEqual(osa.kind, ['journald']);
    const kolla = parseDetect('k', 'D /var/log/kolla\nT +0000 UTC\n');
    assert.deepEqual(kolla.kind, ['kolla']);
  });

  it('runs the detection on this machine', () => {
    const argv = detectArgv('', { dirs: ['/var/log', '/nonexistent-dir'] });
    const out = execFileSync(argv[0], argv.slice(1)).toString();
    const s = parseDetect('local', out, '', { dirs: ['/var/log'] });
    assert.deepEqual(s.dirs, ['/var/log']);
    assert.match(out, /^T [+-]\d{4} /m);
  });

  it('names services from paths of every deployment', () => {
    const cases: [string, string][] = [
      ['/var/log/nova/nova-compute.log', 'nova-compute'],
      ['/var/log/nova/nova-compute.log.1', 'nova-compute'],
      ['/var/log/nova/nova-compute.log.2.gz', 'nova-compute'],
      ['/var/log/nova/nova-compute.log-20261125.gz', 'nova-compute'],
      ['/var/log/neutron/server.log', 'neutron-server'],
      ['/var/log/neutron/l3-agent.log', 'neutron-l3-agent'],
      ['/var/log/neutron/neutron-server.log', 'neutron-server'],
      ['/var/log/apache2/error.log', 'httpd'],
      ['/var/log/httpd/error_log', 'httpd'],
      ['/var/log/apache2/keystone_error.log', 'httpd:keystone_error'],
      ['/var/log/httpd/horizon_error.log', 'httpd:horizon_error'],
      ['/var/log/kolla/horizon/horizon.log', 'horizon'],
      ['/var/log/kolla/nova/nova-compute.log', 'nova-compute'],
      ['/var/log/containers/nova/nova-api.log', 'nova-api'],
      ['/var/log/libvirt/libvirtd.log', 'libvirtd'],
      ['/var/log/libvirt/qemu/instance-0000002a.log', 'qemu'],
      ['/var/log/placement/placement-api.log', 'placement-api'],
    ];
    for (const [p, s] of cases) assert.equal(serviceOf(p), s, p);
  });
});

describe('logs/follow: live lines on this machine', function () {
  this.timeout(20_000);
  it('a line appended to a compute log appears with its traceback; stopping ends tail and grep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-logs-follow-'));
    const log = join(dir, 'compute1', 'var', 'log', 'nova', 'nova-compute.log');
    mkdirSync(join(dir, 'compute1', 'var', 'log', 'nova'), { recursive: true });
    writeFileSync(log, `2026-11-25 19:00:00.000 1 INFO nova.compute.manager [None ${REQ} - - - - - -] old line, before following\n`);
    const ctrl = new AbortController();
    const got: LogEntry[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no entry within 15 s')), 15_000);
        followLogs(offlineHosts(dir), [{ kind: 'request', value: REQ }], {
          signal: ctrl.signal,
          onEntries: (es) => {
            got.push(...es);
            clearTimeout(timer);
            resolve();
          },
          onEvent: (e) => {
            if (e.type !== 'following') return;
            appendFileSync(
              log,
              `2026-11-25 19:01:00.000 7 ERROR nova.compute.manager [None ${REQ} - - - - - -] Live migration failed.\n` +
                '2026-11-25 19:01:00.000 7 ERROR nova.compute.manager Traceback (most recent call last):\n' +
                '2026-11-25 19:01:00.000 7 ERROR nova.compute.manager   File "/usr/lib/python3/dist-packages/nova/compute/manager.py", line 1, in x\n' +
                '2026-11-25 19:01:00.001 7 INFO nova.compute.manager [-] unrelated\n',
            );
          },
        }).catch(reject);
      });
      assert.equal(got.length, 1);
      assert.equal(got[0].host, 'compute1');
      assert.equal(got[0].service, 'nova-compute');
      assert.equal(got[0].lines.length, 3);
      assert.match(got[0].lines[0], /Live migration failed/);
    } finally {
      ctrl.abort();
      await new Promise((r) => setTimeout(r, 500));
      const ps = execFileSync('ps', ['-eo', 'args']).toString();
      rmSync(dir, { recursive: true, force: true });
      assert.ok(!ps.includes(log), `a process still follows the log:\n${ps.split('\n').filter((l) => l.includes(dir)).join('\n')}`);
    }
  });
});

describe('logs/follow: log files that appear after the follow started', function () {
  this.timeout(30_000);
  it('a new service log is followed from its first line, each line once, attributed to its own file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-logs-follow-new-'));
    const nova = join(dir, 'compute1', 'var', 'log', 'nova');
    mkdirSync(nova, { recursive: true });
    const old = join(nova, 'nova-compute.log');
    const fresh = join(nova, 'nova-conductor.log');
    writeFileSync(old, `2026-11-25 19:00:00.000 1 INFO nova.compute.manager [None ${REQ} - - - - - -] before following\n`);
    const line = (ts: string, text: string) => `2026-11-25 ${ts} 7 INFO nova.conductor.manager [None ${REQ} - - - - - -] ${text}\n`;
    const ctrl = new AbortController();
    const got: LogEntry[] = [];
    const has = (text: string) => got.filter((e) => e.lines[0].includes(text)).length;
    let wrote = false;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not all lines within 20 s: ${JSON.stringify(got.map((e) => e.lines[0]))}`)), 20_000);
        followLogs(offlineHosts(dir), [{ kind: 'request', value: REQ }], {
          signal: ctrl.signal,
          rescanSeconds: 1,
          onEntries: (es) => {
            got.push(...es);
            if (has('first in new file') && !has('second in new file')) {
              appendFileSync(fresh, line('19:02:01.000', 'second in new file'));
              appendFileSync(old, `2026-11-25 19:02:02.000 1 INFO nova.compute.manager [None ${REQ} - - - - - -] old file still followed\n`);
            }
            if (has('second in new file') && has('old file still followed')) {
              clearTimeout(timer);
              resolve();
            }
          },
          onEvent: (e) => {
            if (e.type !== 'following' || wrote) return;
            wrote = true;
            writeFileSync(fresh, line('19:02:00.000', 'first in new file') + '2026-11-25 19:02:00.001 7 INFO nova.conductor.manager [-] unrelated\n');
          },
        }).catch(reject);
      });
      await new Promise((r) => setTimeout(r, 1500)); // two more rescans: nothing may come twice
      assert.equal(has('first in new file'), 1);
      assert.equal(has('second in new file'), 1);
      assert.equal(has('old file still followed'), 1);
      assert.equal(has('before following'), 0);
      const first = got.find((e) => e.lines[0].includes('first in new file'))!;
      assert.equal(first.file, '/var/log/nova/nova-conductor.log');
      assert.equal(first.service, 'nova-conductor');
      assert.equal(got.find((e) => e.lines[0].includes('old file still followed'))!.service, 'nova-compute');
    } finally {
      ctrl.abort();
      await new Promise((r) => setTimeout(r, 500));
      const ps = execFileSync('ps', ['-eo', 'args']).toString();
      rmSync(dir, { recursive: true, force: true });
      assert.ok(!ps.includes(dir), `a process still follows:\n${ps.split('\n').filter((l) => l.includes(dir)).join('\n')}`);
    }
  });
});

describe('logs/search-command: journald (OpenStack-Ansible, DevStack)', function () {
  this.timeout(20_000);
  it('searches journalctl output with the same filter; units and window reach journalctl as arguments', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'ost-fake-journalctl-'));
    const argsFile = join(bin, 'args');
    // A stand-in journalctl (this machine has no journal): prints DevStack-style short-iso-precise records.
    writeFileSync(
      join(bin, 'journalctl'),
      [
        '#!/bin/sh',
        `printf '%s\\n' "$@" > ${argsFile}`,
        `echo '2026-11-25T19:16:34.100000+0000 devstack nova-compute[27857]: DEBUG nova.compute.manager [None ${REQ} admin admin] Starting instance... {{(pid=27857) _do_build_and_run_instance /opt/stack/nova/nova/compute/manager.py:2185}}'`,
        `echo '2026-11-25T19:16:34.200000+0000 devstack nova-compute[27857]: INFO nova.compute.manager [None req-00000000-0000-4000-8000-000000000000 admin admin] other request'`,
        `echo '2026-11-25T19:16:35.000000+0000 devstack neutron-server[1234]: INFO neutron.wsgi [${REQ} req-08bbdb71-a191-4d77-84f0-a76611018353 admin admin] GET /v2.0/ports'`,
      ].join('\n'),
    );
    chmodSync(join(bin, 'journalctl'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      const r = await correlate([{ kind: 'request', value: REQ }], [{ runner: new LocalHostRunner('devstack'), dirs: [], clock: { offsetMinutes: 0 } }], {
        settings: { journald: true, journaldUnits: ['devstack@n-cpu.service', 'devstack@q-svc.service'] },
        sinceMs: Date.parse('2026-11-25T19:00:00Z'),
        maxRounds: 1,
      });
      assert.deepEqual(r.entries.map((e) => e.service), ['nova-compute', 'neutron-server']);
      assert.equal(r.entries[0].file, 'journal');
      assert.equal(r.entries[0].ts, Date.parse('2026-11-25T19:16:34.100Z') * 1000);
      const args = readFileSync(argsFile, 'utf8').trim().split('\n');
      assert.deepEqual(args, ['--no-pager', '-q', '-o', 'short-iso-precise', '--since', `@${Date.parse('2026-11-25T19:00:00Z') / 1000}`, '-u', 'devstack@n-cpu.service', '-u', 'devstack@q-svc.service']);
    } finally {
      process.env.PATH = oldPath;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
