import assert from 'node:assert/strict';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import type { Server } from '../../../src/core/openstack/types';
import { runCli } from '../../support/cli';
import { ensureLab, repoRoot } from '../../support/lab';
import { connectLab, createServer, deleteServer, uniqueName } from './lab-cloud';

/** The OpenStack CLI commands through main(), with captured output, against the lab. */

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = ensureLab();
  return runCli(args, { env: { OS_CLIENT_CONFIG_FILE: env.OS_CLIENT_CONFIG_FILE }, cwd: repoRoot });
}

describe('openstack CLI commands against the lab', function () {
  this.timeout(180_000);
  let c: OpenStackClient;
  let server: Server;

  before(async () => {
    c = await connectLab('lab');
    server = await createServer(c, uniqueName('ost-cli'));
  });
  after(async () => {
    if (server) await deleteServer(c, server.id);
    c?.dispose();
  });

  it('servers --all-projects: a table with host, node and libvirt name', async () => {
    const r = await run(['servers', '--cloud', 'lab', '--all-projects']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0], /^ID\s+Name\s+Status\s+Task\s+Host\s+Node\s+Instance\s+Addresses$/);
    assert.match(lines[1], /^-+ +-+/);
    const row = lines.find((l) => l.startsWith(server.id));
    assert.ok(row, 'our server is a row');
    assert.ok(row.includes(server.name) && row.includes(server.instanceName!) && row.includes(` ${server.host} `));
  });

  it('servers --json: typed objects without the raw API payload', async () => {
    const r = await run(['servers', '--cloud', 'lab', '--all-projects', '--json', '--name', `^${server.name}$`]);
    assert.equal(r.code, 0, r.err);
    const data = JSON.parse(r.out) as Record<string, unknown>[];
    assert.equal(data.length, 1);
    assert.equal(data[0].id, server.id);
    assert.equal(data[0].instanceName, server.instanceName);
    assert.equal('raw' in data[0], false);
  });

  it('lab-demo without admin: only its servers, no host columns filled', async () => {
    const r = await run(['servers', '--cloud', 'lab-demo', '--json']);
    assert.equal(r.code, 0, r.err);
    const data = JSON.parse(r.out) as { id: string; host?: string }[];
    assert.ok(data.length > 0 && data.every((s) => s.host === undefined));
    assert.ok(!data.some((s) => s.id === server.id));
  });

  it('hypervisors, services, migrations, routers --agents, floating-ips', async () => {
    const h = await run(['hypervisors', '--cloud', 'lab', '--cpu']);
    assert.equal(h.code, 0, h.err);
    assert.match(h.out, /Service Host/);
    assert.match(h.out, / compute1 /);
    const s = await run(['services', '--cloud', 'lab']);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /nova-compute\s+compute2\s+nova\s+up\s+enabled/);
    const m = await run(['migrations', '--cloud', 'lab', '--type', 'live-migration', '--json']);
    assert.equal(m.code, 0, m.err);
    assert.ok((JSON.parse(m.out) as { migrationType: string }[]).every((x) => x.migrationType === 'live-migration'));
    const r = await run(['routers', '--cloud', 'lab', '--agents']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /L3 Agents \(host:ha_state\)/);
    assert.match(r.out, /network1/);
    const f = await run(['floating-ips', '--cloud', 'lab']);
    assert.equal(f.code, 0, f.err);
    assert.match(f.out, /^ID\s+Floating IP\s+Fixed IP/);
  });

  it('actions <server> and actions <server> <request-id> show the create action and its events', async () => {
    const list = await run(['actions', server.name, '--cloud', 'lab', '--all-projects']);
    assert.equal(list.code, 0, list.err);
    const m = /^(req-[0-9a-f-]{36})\s+create\s/m.exec(list.out);
    assert.ok(m, list.out);
    const show = await run(['actions', server.id, m[1], '--cloud', 'lab']);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, new RegExp(`^create ${m[1]} on server "${server.name}"`));
    assert.match(show.out, /compute__do_build_and_run_instance\s+Success/);
  });

  it('user errors: unknown cloud, unknown option, missing server argument', async () => {
    const u = await run(['servers', '--cloud', 'nope']);
    assert.equal(u.code, 3);
    assert.match(u.err, /^Error: No cloud named "nope" in ".*clouds\.yaml" \(known: lab, lab-demo\)\.\n$/);
    const o = await run(['servers', '--bogus']);
    assert.equal(o.code, 2);
    assert.equal(o.err, 'Error: Unknown option "--bogus".\n');
    const a = await run(['actions', '--cloud', 'lab']);
    assert.equal(a.code, 2);
    assert.match(a.err, /^Usage: openstack-troubleshooter actions <server name or UUID>/);
    const n = await run(['actions', 'no-such-server-xyz', '--cloud', 'lab']);
    assert.equal(n.code, 3);
    assert.equal(n.err, 'Error: No server named "no-such-server-xyz".\n');
  });
});
