import * as assert from 'node:assert/strict';
import { main } from '../../../src/cli/main';
import { planInstanceLogs, planRequestLogs, type HostMapping } from '../../../src/core/journeys/log-plan';
import { correlate } from '../../../src/core/logs/correlate';
import { PoolHostRunner } from '../../../src/core/logs/pool-host-runner';
import { OpenStackClient } from '../../../src/core/openstack/client';
import { loadCloudConfig } from '../../../src/core/openstack/clouds-config';
import { SshPool } from '../../../src/core/remote/pool';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';
import { ensureLab } from '../../support/lab';

/**
 * The central journey against the lab, without VS Code: an instance that was live-migrated → its plan (keys, hosts
 * from the catalog, services and agents, mapped to the lab's ssh aliases) → one search per host over the pool →
 * lines of the API host and of both compute hosts, merged by time.
 */
describe('journey: instance → correlated logs (lab)', function () {
  this.timeout(180_000);
  let client: OpenStackClient;
  let pool: SshPool;
  let mapping: HostMapping;

  before(async () => {
    const env = ensureLab();
    const cfgEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: env.OS_CLIENT_CONFIG_FILE };
    client = await OpenStackClient.connect(loadCloudConfig('lab', { env: cfgEnv }), { timeoutMs: 30_000 });
    const resolver = new SshConfigResolver({ configFile: env.LAB_SSH_CONFIG });
    pool = new SshPool({ resolve: (a) => resolver.resolve(a) });
    mapping = {
      mapHost: (h) => h,
      aliasForAddress: (addr) => resolver.aliases().find((a) => { const t = resolver.resolve(a); return !t.jump && t.hostName === addr; }),
      known: (a) => resolver.aliases().includes(a),
    };
  });
  after(() => {
    pool?.dispose();
    client?.dispose();
  });

  it('finds every host of the cloud: API endpoints by address, services and agents by name', async () => {
    const plan = await planRequestLogs(client, 'req-00000000-0000-4000-8000-000000000000', mapping);
    const aliases = plan.hosts.map((h) => h.alias).sort();
    // bulk1: the lab's fake-driver compute for bulk seeds is a nova-compute host like the others
    assert.deepEqual(aliases, ['bulk1', 'compute1', 'compute2', 'controller', 'network1']);
    assert.match(plan.hosts.find((h) => h.alias === 'controller')!.role, /compute API/);
  });

  it('starts connecting to the instance\'s host and the API hosts while it still reads the API', async () => {
    const seeded = (await client.compute.listServers({ allProjects: true, filters: { name: '^vm1$' } })).data;
    const server = seeded.find((s) => s.host)!;
    assert.ok(server, 'the seeded vm1 with its host');
    const warmed: string[] = [];
    const plan = await planInstanceLogs(client, server.id, { ...mapping, warm: (a) => warmed.push(a) });
    assert.equal(warmed[0], server.host, 'the instance\'s host first, right after the server was read');
    assert.ok(warmed.includes('controller'), `the API host too: ${warmed.join(', ')}`);
    const other = ['compute1', 'compute2'].find((c) => c !== server.host)!;
    if (!plan.hosts.some((h) => h.alias === other)) assert.ok(!warmed.includes(other), 'no compute the instance never ran on');
  });

  it('a warmed host has a started shell worker that the next command uses', async () => {
    const fresh = new SshPool({ resolve: (a) => new SshConfigResolver({ configFile: ensureLab().LAB_SSH_CONFIG }).resolve(a) });
    try {
      await fresh.warm('compute1');
      const conn = await fresh.connection('compute1');
      assert.equal(conn.workers.filter((w) => !w.dead && !w.busy).length, 1, 'one idle, started worker');
      const started = conn.workers.length;
      const lines: string[] = [];
      await new PoolHostRunner(fresh, 'compute1').stream(['echo', 'ok'], { onLine: (l) => lines.push(l) });
      assert.deepEqual(lines, ['ok']);
      assert.equal(conn.workers.length, started, 'no new worker (no second login shell) for the command');
      await fresh.warm('no-such-alias-for-warm');
    } finally {
      fresh.dispose();
    }
  });

  it('a live-migrated instance: lines of nova-api (controller) and nova-compute on both hosts, in time order', async () => {
    const migrations = await client.compute.listMigrations({});
    const done = migrations.data.find((m) => m.migrationType === 'live-migration' && m.status === 'completed' && m.sourceCompute && m.destCompute);
    assert.ok(done, 'the lab seeds one completed live migration');
    const plan = await planInstanceLogs(client, done.instanceUuid, mapping);
    assert.ok(plan.keys.some((k) => k.kind === 'request'), 'instance actions give request ids');
    const hosts = plan.hosts.map((h) => ({ runner: new PoolHostRunner(pool, h.alias, h.alias) }));
    const result = await correlate(plan.keys, hosts, { instanceUuid: plan.instanceUuid, instanceName: plan.instanceName });
    const seen = new Set(result.entries.map((e) => `${e.host} ${e.service}`));
    assert.ok(seen.has('controller nova-api'), `nova-api lines expected, got ${[...seen].join(', ')}`);
    assert.ok(seen.has(`${done.sourceCompute} nova-compute`), `source compute lines expected, got ${[...seen].join(', ')}`);
    assert.ok(seen.has(`${done.destCompute} nova-compute`), `destination compute lines expected, got ${[...seen].join(', ')}`);
    // real guests: QEMU's own log of the domain on both hosts (/var/log/libvirt/qemu/<instance name>.log)
    assert.ok(seen.has(`${done.sourceCompute} qemu`) && seen.has(`${done.destCompute} qemu`), `qemu lines of both hosts expected, got ${[...seen].join(', ')}`);
    for (let i = 1; i < result.entries.length; i++) assert.ok(result.entries[i - 1].ts <= result.entries[i].ts, 'merged by time');
    assert.ok(result.hosts.every((h) => h.ok), JSON.stringify(result.hosts.filter((h) => !h.ok)));
  });
});

describe('CLI: logs correlate --cloud discovers the hosts (lab)', function () {
  this.timeout(180_000);
  it('finds a live migration request on the API host and both computes without --hosts', async () => {
    const env = ensureLab();
    const cfgEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: env.OS_CLIENT_CONFIG_FILE };
    const client = await OpenStackClient.connect(loadCloudConfig('lab', { env: cfgEnv }), { timeoutMs: 60_000 });
    const done = (await client.compute.listMigrations({})).data.find((m) => m.migrationType === 'live-migration' && m.status === 'completed');
    assert.ok(done, 'the lab seeds a completed live migration');
    const action = (await client.compute.listInstanceActions(done.instanceUuid)).data.find((a) => a.action === 'live-migration');
    client.dispose();
    assert.ok(action, 'the migration has an instance action');
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['logs', 'correlate', action.requestId, '--cloud', 'lab', '--ssh-config', env.LAB_SSH_CONFIG, '--since', 'all', '--json'], {
      out: (t) => out.push(t), err: (t) => err.push(t), env: cfgEnv,
    });
    assert.equal(code, 0, err.join('\n'));
    const result = JSON.parse(out.join('')) as { hosts: { host: string; ok: boolean }[]; entries: { host: string; service: string }[] };
    assert.deepEqual(result.hosts.map((h) => h.host).sort(), ['bulk1', 'compute1', 'compute2', 'controller', 'network1']);
    const seen = new Set(result.entries.map((e) => `${e.host} ${e.service}`));
    for (const s of ['controller nova-api', `${done.sourceCompute} nova-compute`, `${done.destCompute} nova-compute`]) assert.ok(seen.has(s), `${s}: ${[...seen].join(', ')}`);
  });
});
