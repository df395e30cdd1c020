import * as assert from 'node:assert/strict';
import { correlate, type CorrelationResult, type LogHost } from '../../../src/core/logs/correlate';
import { followLogs } from '../../../src/core/logs/follow';
import { SshCliHostRunner } from '../../../src/core/logs/host-runner';
import { renderDocument } from '../../../src/core/logs/merge';
import { PoolHostRunner } from '../../../src/core/logs/pool-host-runner';
import type { LogEntry } from '../../../src/core/logs/types';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import type { Server } from '../../../src/core/openstack/types';
import { run } from '../../../src/core/remote/exec';
import { textCommand } from '../../../src/core/remote/command';
import { SshPool } from '../../../src/core/remote/pool';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';
import { ensureLab } from '../../support/lab';
import { bootRefs, connectLab, createServer, deleteServer, sleep, uniqueName, waitServer } from '../openstack/lab-cloud';

/**
 * Correlated logs against the lab's real hosts (sshd per network namespace, each with its own /var/log): a live
 * migration made here, its request id correlated over the ssh2 pool; a failed boot's error and traceback; follow
 * mode picking up a line written to compute1's nova-compute.log, and leaving no remote process behind.
 */
describe('logs: correlation across the lab hosts (integration)', function () {
  this.timeout(400_000);
  const HOSTS = ['controller', 'compute1', 'compute2', 'network1'];
  let c: OpenStackClient;
  let pool: SshPool;
  let sshConfig: string;
  let server: Server | undefined;
  let failed: string | undefined;
  let migrationRequest: string;
  let result: CorrelationResult;
  const hosts = (): LogHost[] => HOSTS.map((h) => ({ runner: new PoolHostRunner(pool, h) }));

  before(async () => {
    const env = ensureLab();
    sshConfig = env.LAB_SSH_CONFIG;
    const resolver = new SshConfigResolver({ configFile: sshConfig });
    pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
    c = await connectLab('lab');
    // compute2 → compute1: the direction the lab's libvirts allow (compute2 does not listen on 16509)
    server = await createServer(c, uniqueName('ost-logs'), 'compute2');
    const res = await c.compute.liveMigrate(server.id, { host: 'compute1' });
    migrationRequest = res.requestId!;
    await waitServer(c, server.id, (s) => s.status === 'ACTIVE' && s.taskState === null && s.host === 'compute1', 'ACTIVE on compute1');
    for (let i = 0; i < 60; i++) {
      const m = await c.compute.listMigrations({ instanceUuid: server.id, migrationType: 'live-migration' });
      if (m.data[0]?.status === 'completed') break;
      await sleep(1000);
    }
  });
  after(async () => {
    if (server) await deleteServer(c, server.id).catch(() => {});
    if (failed) await deleteServer(c, failed).catch(() => {});
    pool?.dispose();
    c?.dispose();
  });

  it('a live migration: nova-api, nova-scheduler, both nova-computes, neutron and placement by global id, in time order', async () => {
    const events: string[] = [];
    result = await correlate([{ kind: 'request', value: migrationRequest }], hosts(), {
      sinceMs: Date.now() - 3600e3,
      onEvent: (e) => events.push(e.type === 'host-done' ? `${e.type} ${e.host} ${e.round}` : e.type),
    });
    assert.ok(result.hosts.every((h) => h.ok), JSON.stringify(result.hosts.filter((h) => !h.ok)));
    const seen = new Set(result.entries.map((e) => `${e.host} ${e.service}`));
    for (const s of ['controller nova-api', 'controller nova-scheduler', 'compute1 nova-compute', 'compute2 nova-compute', 'controller neutron-server', 'controller placement-api']) {
      assert.ok(seen.has(s), `${s} expected, got ${[...seen].join(', ')}`);
    }
    const byGlobal = result.entries.filter((e) => e.globalRequestId === migrationRequest);
    assert.ok(byGlobal.some((e) => e.service === 'neutron-server') && byGlobal.some((e) => e.service === 'placement-api'));
    const locals = new Set(byGlobal.map((e) => e.requestId));
    assert.ok([...locals].every((l) => result.keys.some((k) => k.value === l)), 'their local ids were searched in a second round');
    for (let i = 1; i < result.entries.length; i++) assert.ok(result.entries[i - 1].ts <= result.entries[i].ts, `entry ${i} out of order`);
    const doc = renderDocument(result.entries);
    assert.match(doc, new RegExp(`^controller nova-api +\\| \\S+ \\S+ \\d+ INFO nova\\.osapi_compute\\.wsgi\\.server \\[None ${migrationRequest} `, 'm'));
    assert.ok(events.includes('host-done compute1 1') && events.includes('host-done network1 1'), 'per-host progress');
  });

  it('the OpenSSH fallback runner finds the same lines', async () => {
    const viaCli = await correlate([{ kind: 'request', value: migrationRequest }], HOSTS.map((h) => ({ runner: new SshCliHostRunner(h, sshConfig) })), {
      sinceMs: Date.now() - 3600e3,
    });
    const key = (e: LogEntry) => `${e.host} ${e.file} ${e.offset}`;
    assert.deepEqual(viaCli.entries.map(key), result.entries.map(key));
  });

  it('a binary log that holds the id is named in a warning (grep\'s stderr over the pool and over OpenSSH); the other files\' lines all come', async () => {
    const file = `/var/log/nova/${uniqueName('ost-binary')}.log`;
    // a crashed writer's log: the id, then a block of NULs
    await run(pool, 'compute1', textCommand(['sh', '-c', 'printf "2026-11-25 10:00:00.000 1 INFO x [None %s - - - - - -] before the crash\\n" "$2" > "$1"; head -c 4096 /dev/zero >> "$1"', 'sh', file, migrationRequest]));
    try {
      const only = (runner: LogHost['runner']) => correlate([{ kind: 'request', value: migrationRequest }], [{ runner }], { sinceMs: Date.now() - 3600e3 });
      for (const [how, r] of [['pool', await only(new PoolHostRunner(pool, 'compute1'))], ['OpenSSH', await only(new SshCliHostRunner('compute1', sshConfig))]] as const) {
        assert.ok(r.warnings.some((w) => w.host === 'compute1' && w.message === `Skipped binary file "${file}": it contains the key but is not text.`), `${how}: ${JSON.stringify(r.warnings)}`);
        assert.ok(r.entries.every((e) => e.file !== file), `${how}: no line of the binary file is shown`);
        assert.deepEqual(r.entries.filter((e) => e.service === 'nova-compute').map((e) => e.offset), result.entries.filter((e) => e.host === 'compute1' && e.service === 'nova-compute').map((e) => e.offset), how);
      }
    } finally {
      await run(pool, 'compute1', textCommand(['rm', '-f', '--', file]));
    }
  });

  it('a host that cannot be reached is reported inline, the others answer', async () => {
    const resolver = new SshConfigResolver({ configFile: sshConfig });
    const broken = new SshPool({ resolve: (a) => ({ ...resolver.resolve('compute1'), alias: a, hostName: '198.18.0.99', connectTimeoutMs: 2000, key: 'nowhere' }), connectTimeoutMs: 2000 });
    try {
      const errors: string[] = [];
      const r = await correlate([{ kind: 'request', value: migrationRequest }], [...hosts(), { runner: new PoolHostRunner(broken, 'compute9') }], {
        sinceMs: Date.now() - 3600e3,
        onEvent: (e) => e.type === 'host-error' && errors.push(`${e.host} ${e.code}`),
      });
      assert.equal(errors.length, 1, errors.join());
      assert.match(errors[0], /^compute9 (HostUnreachable|Timeout)$/);
      assert.equal(r.entries.length, result.entries.length);
    } finally {
      broken.dispose();
    }
  });

  it('a failed boot: the ERROR line and its traceback are one entry', async () => {
    const refs = await bootRefs(c);
    const flavors = (await c.compute.client.get('/flavors')).body as { flavors: { id: string; name: string }[] };
    const huge = flavors.flavors.find((f) => f.name === 'm1.huge');
    assert.ok(huge, 'the lab seeds m1.huge to provoke NoValidHost');
    const res = await c.compute.client.call('POST', '/servers', {
      json: { server: { name: uniqueName('ost-logs-fail'), flavorRef: huge.id, imageRef: refs.imageId, networks: [{ uuid: refs.networkId }] } },
    });
    failed = (res.body as { server: { id: string } }).server.id;
    await waitServer(c, failed, (s) => s.status === 'ERROR', 'ERROR', 120_000).catch((e: Error) => {
      if (!/went to ERROR/.test(e.message)) throw e;
    });
    const action = (await c.compute.listInstanceActions(failed)).data.find((a) => a.action === 'create')!;
    let r: CorrelationResult | undefined;
    for (let i = 0; i < 10; i++) {
      r = await correlate([{ kind: 'request', value: action.requestId }], hosts(), { sinceMs: Date.now() - 3600e3 });
      if (r.entries.some((e) => e.service === 'nova-conductor' && e.level === 'ERROR')) break;
      await sleep(1000);
    }
    const err = r!.entries.find((e) => e.service === 'nova-conductor' && e.level === 'ERROR')!;
    assert.ok(err, renderDocument(r!.entries));
    assert.match(err.lines[0], /Failed to schedule instances: .*NoValidHost/);
    assert.ok(err.lines.length > 5, `traceback lines in the same entry:\n${err.lines.join('\n')}`);
    assert.ok(err.lines.some((l) => /Traceback \(most recent call last\)/.test(l)));
    assert.ok(err.lines.slice(1).every((l) => !l.includes(action.requestId)), 'the traceback lines do not carry the id: they came from the context');
  });

  it('follow: a line written to compute1\'s nova-compute.log appears; stopping leaves no tail on the host', async () => {
    const ctrl = new AbortController();
    const id = migrationRequest;
    const marker = `follow-test-${process.pid}-${Date.now()}`;
    const got: LogEntry[] = [];
    const runners = hosts();
    const compute1 = runners.find((h) => h.runner.host === 'compute1')!;
    const following = new Set<string>();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line within 60 s (following: ${[...following].join(', ')})`)), 60_000);
        followLogs(runners, [{ kind: 'request', value: id }], {
          signal: ctrl.signal,
          onEntries: (es) => {
            got.push(...es);
            if (got.some((e) => e.lines[0].includes(marker))) {
              clearTimeout(timer);
              resolve();
            }
          },
          onEvent: (e) => {
            if (e.type !== 'following') return;
            following.add(e.host);
            if (e.host !== 'compute1') return;
            const stamp = new Date().toISOString().replace('T', ' ').slice(0, 23);
            const line = `${stamp} 4242 INFO nova.compute.manager [None ${id} - - - - - -] ${marker}`;
            compute1.runner.run(['sh', '-c', 'printf "%s\\n" "$1" >> /var/log/nova/nova-compute.log', 'sh', line], { timeoutMs: 20_000 }).catch(reject);
          },
        }).catch(reject);
      });
      const e = got.find((x) => x.lines[0].includes(marker))!;
      assert.equal(e.host, 'compute1');
      assert.equal(e.service, 'nova-compute');
      assert.equal(e.requestId, id);
    } finally {
      ctrl.abort();
    }
    await sleep(1500);
    const ps = await compute1.runner.run(['ps', '-eo', 'args'], { timeoutMs: 20_000 });
    // the lab hosts share this machine's process table with other test runs' follows: look for ours (its keys)
    const ours = ps.stdout.split('\n').filter((l) => l.includes(id));
    assert.deepEqual(ours, [], 'no process of this follow (script, tail, grep) is left on compute1');
  });

  it('follow over the OpenSSH fallback: stopping ends the remote tail too (stdin watchdog)', async () => {
    const ctrl = new AbortController();
    const runner = new SshCliHostRunner('compute1', sshConfig);
    const following = new Promise<void>((resolve, reject) => {
      followLogs([{ runner }], [{ kind: 'request', value: migrationRequest }], {
        signal: ctrl.signal,
        onEntries: () => {},
        onEvent: (e) => e.type === 'following' && resolve(),
      }).catch(reject);
    });
    try {
      await following;
      const during = await runner.run(['ps', '-eo', 'args'], { timeoutMs: 20_000 });
      assert.match(during.stdout, /tail -v -F -n 0 -- \/var\/log\/nova\/nova-compute\.log/);
    } finally {
      ctrl.abort(); // also when an assertion failed: a follow left running would outlive the test run
    }
    await sleep(1500);
    const after = await runner.run(['ps', '-eo', 'args'], { timeoutMs: 20_000 });
    const ours = after.stdout.split('\n').filter((l) => l.includes(migrationRequest));
    assert.deepEqual(ours, [], 'no process of this follow (ssh client, script, tail, grep) is left');
  });
});
