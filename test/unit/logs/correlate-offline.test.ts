import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, writeSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTroubleshooterError } from '../../../src/core/errors';
import { parseHostClock } from '../../../src/core/logs/clock';
import { correlate, type LogHost } from '../../../src/core/logs/correlate';
import { parseText } from '../../../src/core/logs/entries';
import { LocalHostRunner, MAX_LINE_BYTES, type LogHostRunner, type RunResult, type StreamOptions } from '../../../src/core/logs/host-runner';
import { renderDocument } from '../../../src/core/logs/merge';
import { offlineHosts } from '../../../src/core/logs/offline';
import { UTC_CLOCK } from '../../../src/core/logs/types';
import { sharedFixtures } from '../../support/lab';
import { NOBODY, isRoot, nobodyTempDir } from '../../support/unprivileged';

const REQ = 'req-5f2adc28-1772-480e-a35c-c12ec08b94d7';
const live = sharedFixtures('real-logs', 'live-migration-two-computes');
const labSample = join(__dirname, '..', '..', 'fixtures', 'logs', 'lab-sample');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...filesUnder(p));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

/** `grep -F -c KEY FILE`, the real tool, as the reference. */
function grepCount(key: string, file: string): number {
  try {
    return Number(execFileSync('grep', ['-F', '-c', '-e', key, '--', file], { env: { ...process.env, LC_ALL: 'C' } }).toString().trim());
  } catch (e) {
    const err = e as { status?: number; stdout?: Buffer };
    if (err.status === 1) return 0;
    throw e;
  }
}

/** The timestamp a rendered first line starts with, after the `host service | ` prefix. */
function renderedTimes(doc: string): string[] {
  return doc
    .split('\n')
    .filter((l) => / \| \d{4}-\d\d-\d\d /.test(l))
    .map((l) => /\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)/.exec(l)![1]);
}

describe('logs/correlate offline: the shared live-migration fixture', function () {
  this.timeout(60_000);
  before(function () {
    if (!live) this.skip(); // clone outside the workplace: ../shared/fixtures is absent
  });

  it(`every line grep -F finds for ${REQ.slice(0, 12)}… in each file is in the output, in timestamp order`, async () => {
    const r = await correlate([{ kind: 'request', value: REQ }], offlineHosts(live!));
    let expectedTotal = 0;
    for (const file of filesUnder(live!)) {
      const rel = relative(live!, file).split('/');
      const host = rel[0];
      const path = `/${rel.slice(1).join('/')}`;
      const expected = grepCount(REQ, file);
      expectedTotal += expected;
      const got = r.entries.filter((e) => e.host === host && e.file === path).flatMap((e) => e.lines).filter((l) => l.includes(REQ)).length;
      assert.equal(got, expected, `${host}:${path}`);
    }
    assert.ok(expectedTotal >= 302, 'the fixture has 302 matching lines');
    const doc = renderDocument(r.entries);
    assert.equal(doc.split('\n').filter((l) => l.includes(REQ)).length, expectedTotal, 'the rendered document has them all');
    for (let i = 1; i < r.entries.length; i++) assert.ok(r.entries[i - 1].ts <= r.entries[i].ts, `entry ${i} is out of order`);
    const times = renderedTimes(doc);
    assert.deepEqual(times, [...times].sort(), 'rendered timestamps ascend');
    assert.ok(doc.startsWith('hp-ms-01-c29 nova-api     | 2015-10-29 10:52:52.710'), doc.slice(0, 120));
    assert.ok(doc.includes('hp-ms-01-c29 nova-compute | '));
  });

  it('a failed operation shows its ERROR line and the whole traceback as one entry', async () => {
    const id = 'req-e4f91dbb-6b8f-4240-8a23-f424f1900e54';
    const r = await correlate([{ kind: 'request', value: id }], offlineHosts(live!));
    const file = readFileSync(join(live!, 'hp-ms-01-c29', 'var', 'log', 'nova', 'nova-api.log'), 'utf8').split('\n');
    const start = file.findIndex((l) => l.includes(`ERROR nova.api.openstack [${id}`));
    let end = start + 1;
    while (/^\S+ \S+ 4470 TRACE nova\.api\.openstack /.test(file[end])) end++;
    assert.ok(end - start > 10, 'the fixture has a long traceback');
    const err = r.entries.find((e) => e.level === 'ERROR' && e.requestId === id)!;
    assert.ok(err, 'the ERROR record is found');
    assert.deepEqual(err.lines, file.slice(start, end), 'ERROR line + every TRACE line, nothing else');
    const doc = renderDocument([err]).split('\n');
    assert.match(doc[0], /^hp-ms-01-c29 nova-api \| .* ERROR nova\.api\.openstack /);
    assert.match(doc[1], /^hp-ms-01-c29 nova-api \+ .* TRACE nova\.api\.openstack Traceback/);
  });

  it('masks the expired keystone token of the nova-api DEBUG line', () => {
    const file = join(live!, 'hp-ms-01-c29', 'var', 'log', 'nova', 'nova-api.log');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes("'x-subject-token': '3dcf524a3d44496b8b3cd6b594c23f47'"), 'the fixture holds the token');
    const doc = renderDocument(parseText(text, 'hp-ms-01-c29', 'nova-api', '/var/log/nova/nova-api.log', { clock: UTC_CLOCK }));
    assert.ok(!doc.includes('3dcf524a3d44496b8b3cd6b594c23f47'));
    assert.ok(doc.includes("'x-subject-token': '***'"));
  });
});

describe('logs/correlate offline: key expansion over this lab\'s real lines', () => {
  it('nova\'s id finds neutron and placement lines as global id, and their local ids become keys', async () => {
    const events: string[] = [];
    const r = await correlate([{ kind: 'request', value: 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a' }], offlineHosts(labSample), {
      onEvent: (e) => events.push(e.type),
    });
    const keys = r.keys.map((k) => k.value);
    assert.deepEqual(keys.slice(0, 1), ['req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a']);
    assert.ok(keys.includes('req-08bbdb71-a191-4d77-84f0-a76611018353'), 'neutron local id');
    assert.ok(keys.includes('req-aa8cea4f-263c-4467-9047-a70a8d2e59db'), 'placement local id');
    assert.deepEqual(
      r.entries.map((e) => `${e.host} ${e.service}`),
      [
        'controller nova-api',
        'controller placement-api',
        'controller neutron-server',
        'controller nova-scheduler',
        'compute2 nova-compute',
        'compute1 nova-compute',
      ],
    );
    assert.ok(events.includes('round') && events.includes('host-done') && events.includes('entries'));
  });

  it('hosts in different time zones merge by real time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-logs-tz-'));
    try {
      const id = 'req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a';
      // compute1 writes Berlin local time (UTC+1 in November): its 20:33:32.141 is 19:33:32.141 UTC.
      mkdirSync(join(dir, 'compute1', 'var', 'log', 'nova'), { recursive: true });
      const c1 = readFileSync(join(labSample, 'compute1', 'var', 'log', 'nova', 'nova-compute.log'), 'utf8').replace(/2026-11-25 19:/g, '2026-11-25 20:');
      writeFileSync(join(dir, 'compute1', 'var', 'log', 'nova', 'nova-compute.log'), c1);
      mkdirSync(join(dir, 'compute2', 'var', 'log', 'nova'), { recursive: true });
      writeFileSync(join(dir, 'compute2', 'var', 'log', 'nova', 'nova-compute.log'), readFileSync(join(labSample, 'compute2', 'var', 'log', 'nova', 'nova-compute.log')));
      const hosts: LogHost[] = offlineHosts(dir).map((h) => ({ ...h, clock: h.runner.host === 'compute1' ? parseHostClock('+0100', 'CET', 'Europe/Berlin') : UTC_CLOCK }));
      const r = await correlate([{ kind: 'request', value: id }], hosts);
      // compute2 (19:33:31.557 UTC) before compute1 (19:33:32.141 UTC), although compute1's text says 20:33.
      assert.deepEqual(r.entries.map((e) => e.host), ['compute2', 'compute1']);
      assert.equal(r.entries[1].ts, Date.parse('2026-11-25T19:33:32.141Z') * 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A local runner whose streams start after `delayMs`: hosts then answer in a chosen order. */
class DelayedRunner implements LogHostRunner {
  readonly keepsStdinOpen = true;
  private readonly inner: LocalHostRunner;
  constructor(
    readonly host: string,
    private readonly delayMs: number,
  ) {
    this.inner = new LocalHostRunner(host);
  }
  run(argv: string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RunResult> {
    return this.inner.run(argv, opts);
  }
  async stream(argv: string[], opts: StreamOptions): Promise<number> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    return this.inner.stream(argv, opts);
  }
}

describe('logs/correlate offline: equal timestamps', function () {
  this.timeout(30_000);
  const id = 'req-11111111-2222-4333-8444-666666666666';
  const line = (msg: string) => `2026-11-25 19:00:00.000 7 INFO nova.compute.manager [None ${id} - - - - - -] ${msg}\n`;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ost-logs-tie-'));
    for (const h of ['compute1', 'compute2', 'controller']) {
      mkdirSync(join(dir, h, 'var', 'log', 'nova'), { recursive: true });
      writeFileSync(join(dir, h, 'var', 'log', 'nova', 'nova-compute.log'), line(`${h} compute a`) + line(`${h} compute b`));
      writeFileSync(join(dir, h, 'var', 'log', 'nova', 'nova-api.log'), line(`${h} api`));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('records of several hosts and files in the same millisecond come out in one order, whichever host answers first', async () => {
    const orders: string[][] = [];
    for (const delays of [[0, 150, 300], [300, 150, 0], [150, 0, 300]]) {
      const hosts = offlineHosts(dir).map((h, i) => ({ ...h, runner: new DelayedRunner(h.runner.host, delays[i]) }));
      const r = await correlate([{ kind: 'request', value: id }], delays[0] ? hosts.reverse() : hosts);
      orders.push(r.entries.map((e) => e.lines[0].replace(/^.*\] /, '')));
    }
    const expected = ['compute1 api', 'compute1 compute a', 'compute1 compute b', 'compute2 api', 'compute2 compute a', 'compute2 compute b', 'controller api', 'controller compute a', 'controller compute b'];
    for (const o of orders) assert.deepEqual(o, expected);
  });
});

/** Runs the commands with `ulimit -v KIB` (each process's address space), as a host short of memory would. */
class LimitedRunner implements LogHostRunner {
  readonly keepsStdinOpen = true;
  private readonly inner: LocalHostRunner;
  constructor(
    readonly host: string,
    private readonly kib: number,
  ) {
    this.inner = new LocalHostRunner(host);
  }
  private wrap(argv: string[]) {
    return ['sh', '-c', `ulimit -v ${this.kib} && exec "$@"`, 'sh', ...argv];
  }
  run(argv: string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RunResult> {
    return this.inner.run(this.wrap(argv), opts);
  }
  stream(argv: string[], opts: StreamOptions): Promise<number> {
    return this.inner.stream(this.wrap(argv), opts);
  }
}

/** Runs the same commands as an unprivileged user (like an SSH login without read access to a log), from "/". */
class UnprivilegedRunner implements LogHostRunner {
  readonly keepsStdinOpen = true;
  private readonly inner: LocalHostRunner;
  constructor(readonly host: string) {
    this.inner = new LocalHostRunner(host);
  }
  private wrap(argv: string[]) {
    return [...NOBODY, ...argv];
  }
  run(argv: string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RunResult> {
    return this.inner.run(this.wrap(argv), opts);
  }
  stream(argv: string[], opts: StreamOptions): Promise<number> {
    return this.inner.stream(this.wrap(argv), opts);
  }
}

describe('logs/correlate offline: bad input', function () {
  this.timeout(30_000);
  const id = 'req-11111111-2222-4333-8444-555555555555';
  let dir: string;
  let nova: string;
  /** Whether uid 65534 can reach `dir` (a folder it can enter is found wherever the checkout and TMPDIR are). */
  let nobodyReaches = false;
  const line = (t: string, msg: string) => `2026-11-25 ${t} 7 INFO nova.compute.manager [None ${id} - - - - - -] ${msg}\n`;

  before(() => {
    const reachable = isRoot() ? nobodyTempDir('ost-logs-bad-') : undefined;
    nobodyReaches = reachable !== undefined;
    dir = reachable ?? mkdtempSync(join(tmpdir(), 'ost-logs-bad-'));
    chmodSync(dir, 0o755);
    nova = join(dir, 'compute1', 'var', 'log', 'nova');
    mkdirSync(nova, { recursive: true });
    for (const p of [join(dir, 'compute1'), join(dir, 'compute1', 'var'), join(dir, 'compute1', 'var', 'log'), nova]) chmodSync(p, 0o755);
    writeFileSync(join(nova, 'nova-compute.log'), line('19:00:00.000', 'first') + line('19:00:02.000', 'after the long line'));
    // a NUL block, as after a crash, in a file that contains the key
    writeFileSync(join(nova, 'nova-crashed.log'), Buffer.concat([Buffer.from(line('19:00:01.000', 'before crash')), Buffer.alloc(64), Buffer.from('\n')]));
    // a 2 MiB line
    writeFileSync(join(nova, 'nova-long.log'), line('19:00:01.500', `huge ${'x'.repeat(2 * 1024 * 1024)}`));
    // invalid UTF-8
    writeFileSync(join(nova, 'nova-latin1.log'), Buffer.concat([Buffer.from(line('19:00:01.700', 'caf').trimEnd()), Buffer.from([0xe9, 0xff, 0x0a])]));
    // a rotated, compressed file
    writeFileSync(join(nova, 'nova-compute.log.1.gz'), gzipSync(line('18:59:59.000', 'from the rotated file')));
    // unreadable for a non-root user
    writeFileSync(join(nova, 'nova-secret.log'), line('19:00:03.000', 'hidden'));
    chmodSync(join(nova, 'nova-secret.log'), 0o000);
    for (const f of readdirSync(nova)) if (f !== 'nova-secret.log') chmodSync(join(nova, f), 0o644);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a request id that is not req-<uuid> is refused before any command runs', async () => {
    const calls: string[][] = [];
    const spy: LogHostRunner = {
      host: 'h',
      keepsStdinOpen: true,
      run: async (argv) => (calls.push(argv), { stdout: '', stderr: '', exitCode: 0 }),
      stream: async (argv) => (calls.push(argv), 0),
    };
    for (const bad of ['req-123', "req-5f2adc28-1772-480e-a35c-c12ec08b94d7'; rm -rf /", 'req-5F2ADC28-1772-480E-A35C-C12EC08B94D7x', '']) {
      await assert.rejects(
        correlate([{ kind: 'request', value: bad }], [{ runner: spy }]),
        (e: unknown) => isTroubleshooterError(e, 'InvalidInput') && /Not a request id .*req-<uuid>|req- followed by a UUID/.test((e as Error).message),
      );
    }
    assert.equal(calls.length, 0);
  });

  it('binary files are named in a warning, long lines are cut, invalid UTF-8 is replaced, .gz is searched', async () => {
    const r = await correlate([{ kind: 'request', value: id }], offlineHosts(dir));
    const byFile = (f: string) => r.entries.filter((e) => e.file === `/var/log/nova/${f}`);
    assert.equal(byFile('nova-compute.log').length, 2);
    assert.equal(byFile('nova-compute.log.1.gz').length, 1);
    assert.equal(r.entries[0].file, '/var/log/nova/nova-compute.log.1.gz', 'the rotated line is the oldest');
    assert.equal(byFile('nova-crashed.log').length, 0);
    assert.ok(r.warnings.some((w) => w.message === 'Skipped binary file "/var/log/nova/nova-crashed.log": it contains the key but is not text.'), JSON.stringify(r.warnings));
    const long = byFile('nova-long.log')[0];
    assert.equal(long.truncated, true);
    assert.ok(Buffer.byteLength(long.lines[0]) <= MAX_LINE_BYTES + 64, 'bounded');
    assert.match(long.lines[0], /huge x+ … \[line truncated\]$/);
    assert.match(byFile('nova-latin1.log')[0].lines[0], /caf\uFFFD\uFFFD$/);
    assert.equal(byFile('nova-secret.log').length, 1, 'root reads everything');
  });

  it('an unreadable file is a per-file warning, the rest is still found (search as an unprivileged user)', async function () {
    if (!isRoot()) this.skip(); // setpriv needs root
    assert.ok(nobodyReaches, 'no folder uid 65534 can enter: none of TMPDIR, /tmp, /var/tmp, /dev/shm');
    const hosts = offlineHosts(dir).map((h) => ({ ...h, runner: new UnprivilegedRunner(h.runner.host) }));
    const r = await correlate([{ kind: 'request', value: id }], hosts);
    assert.ok(r.warnings.some((w) => w.message === 'Cannot read "/var/log/nova/nova-secret.log": permission denied.'), JSON.stringify(r.warnings));
    assert.equal(r.entries.filter((e) => e.file === '/var/log/nova/nova-compute.log').length, 2);
    assert.ok(r.hosts[0].ok);
  });

  it('a line of 100 MB does not make the host\'s grep hold it: the search stays within 160 MiB and finds the lines after it', async function () {
    this.timeout(60_000);
    const big = mkdtempSync(join(tmpdir(), 'ost-logs-huge-'));
    try {
      const d = join(big, 'compute1', 'var', 'log', 'nova');
      mkdirSync(d, { recursive: true });
      const fd = openSync(join(d, 'nova-compute.log'), 'w');
      writeSync(fd, line('19:00:00.000', 'before the huge line'));
      const chunk = Buffer.alloc(1024 * 1024, 0x78);
      for (let i = 0; i < 100; i++) writeSync(fd, chunk);
      writeSync(fd, `\n${line('19:00:05.000', 'after the huge line')}`);
      closeSync(fd);
      writeFileSync(join(d, 'nova-api.log'), line('19:00:01.000', 'another file'));
      // every process of the search gets at most 160 MiB of address space (grep needed twice the line, 200 MB, before)
      const hosts = offlineHosts(big).map((h) => ({ ...h, runner: new LimitedRunner(h.runner.host, 160 * 1024) }));
      const r = await correlate([{ kind: 'request', value: id }], hosts);
      assert.deepEqual(r.entries.map((e) => `${e.file} ${e.lines[0].replace(/^.*\] /, '')}`), [
        '/var/log/nova/nova-compute.log before the huge line',
        '/var/log/nova/nova-api.log another file',
        '/var/log/nova/nova-compute.log after the huge line',
      ]);
      assert.deepEqual(r.warnings, []);
    } finally {
      rmSync(big, { recursive: true, force: true });
    }
  });

  it('rotated files older than the window are not searched', async () => {
    const gz = join(nova, 'nova-compute.log.1.gz');
    const old = new Date(Date.now() - 10 * 86400e3);
    utimesSync(gz, old, old);
    try {
      const r = await correlate([{ kind: 'request', value: id }], offlineHosts(dir), { sinceMs: Date.now() - 86400e3 });
      assert.equal(r.entries.filter((e) => e.file.endsWith('.gz')).length, 0);
      assert.equal(r.entries.filter((e) => e.file === '/var/log/nova/nova-compute.log').length, 2);
    } finally {
      const now = new Date();
      utimesSync(gz, now, now);
    }
    assert.ok(statSync(gz).mtimeMs > Date.now() - 60_000);
  });

  it('a host that fails is reported inline while the others answer', async () => {
    const broken: LogHostRunner = {
      host: 'compute9',
      keepsStdinOpen: true,
      run: async () => {
        throw new Error('boom');
      },
      stream: async () => {
        throw new Error('boom');
      },
    };
    const errors: string[] = [];
    const r = await correlate([{ kind: 'request', value: id }], [...offlineHosts(dir), { runner: broken }], {
      onEvent: (e) => e.type === 'host-error' && errors.push(`${e.host}: ${e.message}`),
    });
    assert.deepEqual(errors, ['compute9: boom']);
    assert.equal(r.hosts.find((h) => h.host === 'compute9')!.ok, false);
    assert.ok(r.entries.length >= 5);
  });
});
