/**
 * Smoke tests of the test lab itself (lab/lab, see lab/README.md).
 * Run: npx mocha --require tsx/cjs test/integration/lab.test.ts
 * before() runs `lab/lab up` (fast when the lab is already up; LAB_SKIP_UP=1 skips it).
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const repoRoot = resolve(__dirname, '..', '..');
const labDir = join(repoRoot, '.lab');

function readLabEnv(): Record<string, string> {
  const file = join(labDir, 'env');
  if (!existsSync(file)) throw new Error(`${file} is missing: lab/lab up did not finish`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return env;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(1000);
  }
  throw new Error(`timeout waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('lab', function () {
  this.timeout(180_000);
  let env: Record<string, string>;
  let token = '';
  let novaUrl = '';
  let neutronUrl = '';
  let glanceUrl = '';
  let serverId = '';

  async function api(method: string, url: string, body?: unknown, extra: Record<string, string> = {}) {
    const res = await fetch(url, {
      method,
      headers: {
        'X-Auth-Token': token,
        'Content-Type': 'application/json',
        'OpenStack-API-Version': 'compute 2.92',
        'X-OpenStack-Nova-API-Version': '2.92',
        ...extra,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} };
  }

  async function ssh(host: string, ...argv: string[]): Promise<string> {
    const { stdout } = await execFileP('ssh', ['-F', env.LAB_SSH_CONFIG, host, ...argv], { timeout: 60_000 });
    return stdout;
  }

  before(async function () {
    this.timeout(25 * 60_000);
    if (process.env.LAB_SKIP_UP !== '1') {
      execFileSync(join(repoRoot, 'lab', 'lab'), ['up'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
    }
    env = readLabEnv();
  });

  after(async function () {
    if (serverId && token) await api('DELETE', `${novaUrl}/servers/${serverId}`).catch(() => undefined);
  });

  it('issues a keystone token over HTTP and lists the catalog', async () => {
    const res = await fetch(`${env.LAB_AUTH_URL}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: env.LAB_ADMIN_USER, domain: { id: 'default' }, password: env.LAB_ADMIN_PASSWORD } },
          },
          scope: { project: { name: env.LAB_ADMIN_PROJECT, domain: { id: 'default' } } },
        },
      }),
    });
    assert.equal(res.status, 201);
    token = res.headers.get('x-subject-token') ?? '';
    assert.ok(token.length > 20, 'X-Subject-Token header');
    assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
    const body = (await res.json()) as { token: { catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } };
    const url = (type: string) => body.token.catalog.find((s) => s.type === type)?.endpoints.find((e) => e.interface === 'public')?.url ?? '';
    novaUrl = url('compute');
    neutronUrl = url('network');
    glanceUrl = url('image');
    assert.equal(novaUrl, env.LAB_NOVA_URL);
    for (const u of [novaUrl, neutronUrl, glanceUrl]) assert.ok(u.startsWith(`http://${env.LAB_HOST_CONTROLLER}:`), u);
  });

  it('lists compute1 and compute2 as QEMU (libvirt) hypervisors, and the fake-driver bulk host disabled', async () => {
    const r = await api('GET', `${novaUrl}/os-hypervisors/detail`);
    assert.equal(r.status, 200);
    const hv = r.json.hypervisors as Array<{ hypervisor_hostname: string; hypervisor_type: string; state: string; status: string }>;
    const names = hv.map((h) => h.hypervisor_hostname).sort();
    assert.deepEqual(names, ['bulk1', 'compute1', 'compute2']);
    for (const h of hv) assert.equal(h.state, 'up', `${h.hypervisor_hostname} state`);
    for (const name of ['compute1', 'compute2']) assert.equal(hv.find((h) => h.hypervisor_hostname === name)?.hypervisor_type, 'QEMU', name);
    const bulk = hv.find((h) => h.hypervisor_hostname === 'bulk1')!;
    assert.equal(bulk.hypervisor_type, 'fake');
    assert.equal(bulk.status, 'disabled');
  });

  it('boots a real guest to ACTIVE on compute2; its serial console shows the lab guest', async () => {
    const flavors = (await api('GET', `${novaUrl}/flavors`)).json.flavors as Array<{ id: string; name: string }>;
    const flavor = flavors.find((f) => f.name === 'm1.tiny');
    assert.ok(flavor, 'flavor m1.tiny');
    const images = (await api('GET', `${glanceUrl}/v2/images?name=lab-img`)).json.images as Array<{ id: string }>;
    assert.equal(images.length, 1, 'image lab-img');
    const nets = (await api('GET', `${neutronUrl}/v2.0/networks?name=private`)).json.networks as Array<{ id: string }>;
    assert.equal(nets.length, 1, 'network private');
    const r = await api('POST', `${novaUrl}/servers`, {
      server: {
        name: `labtest-${Date.now()}`,
        flavorRef: flavor.id,
        imageRef: images[0].id,
        networks: [{ uuid: nets[0].id }],
        availability_zone: 'nova:compute2',
      },
    });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    serverId = r.json.server.id;
    const s = await waitFor('server ACTIVE', 150_000, async () => {
      const g = (await api('GET', `${novaUrl}/servers/${serverId}`)).json.server;
      if (g.status === 'ERROR') throw new Error(`server ERROR: ${JSON.stringify(g.fault)}`);
      return g.status === 'ACTIVE' ? g : undefined;
    });
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'compute2');
    // a real QEMU guest: its kernel and init print on the serial console, which nova reads back
    const out = await waitFor('console output of the guest', 120_000, async () => {
      const c = await api('POST', `${novaUrl}/servers/${serverId}/action`, { 'os-getConsoleOutput': {} });
      assert.equal(c.status, 200, JSON.stringify(c.json));
      const text = String(c.json.output ?? '');
      return /lab-guest: ready/.test(text) ? text : undefined;
    });
    assert.match(out, /Linux version \d/);
    assert.match(out, /lab-guest: nic eth0 [0-9a-f:]{17}/);
  });

  it('live-migrates the server to compute1 over qemu+tcp (migration completed)', async () => {
    assert.ok(serverId, 'needs the server from the previous test');
    const r = await api('POST', `${novaUrl}/servers/${serverId}/action`, {
      'os-migrateLive': { host: 'compute1', block_migration: 'auto' },
    });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const mig = await waitFor('migration completed', 150_000, async () => {
      const m = (await api('GET', `${novaUrl}/os-migrations?instance_uuid=${serverId}`)).json.migrations as Array<{
        status: string;
        migration_type: string;
        source_compute: string;
        dest_compute: string;
      }>;
      const lm = m.find((x) => x.migration_type === 'live-migration');
      if (lm && ['error', 'failed'].includes(lm.status)) throw new Error(`migration ${lm.status}`);
      return lm && lm.status === 'completed' ? lm : undefined;
    });
    assert.equal(mig.source_compute, 'compute2');
    assert.equal(mig.dest_compute, 'compute1');
    const s = await waitFor('server ACTIVE on compute1', 60_000, async () => {
      const g = (await api('GET', `${novaUrl}/servers/${serverId}`)).json.server;
      return g.status === 'ACTIVE' && g['OS-EXT-SRV-ATTR:host'] === 'compute1' ? g : undefined;
    });
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'compute1');
  });

  it("finds the live migration's request id in both computes' logs over SSH", async () => {
    assert.ok(serverId, 'needs the migrated server');
    const actions = (await api('GET', `${novaUrl}/servers/${serverId}/os-instance-actions`)).json.instanceActions as Array<{
      action: string;
      request_id: string;
    }>;
    const lm = actions.find((a) => a.action === 'live-migration');
    assert.ok(lm, 'live-migration instance action');
    assert.match(lm.request_id, /^req-[0-9a-f-]{36}$/);
    const hits: Record<string, string> = {};
    for (const host of ['compute1', 'compute2', 'controller']) {
      hits[host] = await ssh(host, 'grep', '-rlF', lm.request_id, '/var/log/nova').catch(() => '');
    }
    assert.match(hits.compute1, /\/var\/log\/nova\/nova-compute\.log/);
    assert.match(hits.compute2, /\/var\/log\/nova\/nova-compute\.log/);
    assert.match(hits.controller, /nova-api\.log/);
    // the same path holds different, host-specific content
    assert.equal((await ssh('compute1', 'hostname')).trim(), 'compute1');
    assert.equal((await ssh('compute2', 'hostname')).trim(), 'compute2');
    const c1 = await ssh('compute1', 'head', '-c', '4000', '/var/log/nova/nova-compute.log');
    const c2 = await ssh('compute2', 'head', '-c', '4000', '/var/log/nova/nova-compute.log');
    assert.notEqual(c1, c2);
  });
});
