import { strict as assert } from 'node:assert';
import type { DiagnosisFinding, Diagnosis } from '../../../src/core/diagnose/types';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import type { Server } from '../../../src/core/openstack/types';
import { run } from '../../../src/core/remote/exec';
import { textCommand } from '../../../src/core/remote/command';
import { ensureLab } from '../../support/lab';
import { bootRefs, connectLab, createServer, deleteServer, sleep, uniqueName, waitComputeEnabled, waitServer } from '../openstack/lab-cloud';
import { labSsh } from '../remote/lab-ssh';
import { labDiagnose, saveEvidence } from './lab-diagnose';

/**
 * Each signature against a failure the lab's real services produce: the test causes it (or finds the seed's), runs
 * the diagnosis as the CLI does, asserts the cause, the evidence and the fix, applies the fix where it is an
 * operator's action and shows the operation then succeeds, and restores the lab. RECORD_FIXTURES=1 saves each
 * evidence as test/fixtures/diagnose/<name>.evidence.json for the unit tests.
 */
describe('diagnosis on the lab (integration)', function () {
  this.timeout(900_000);
  let client: OpenStackClient;
  const lab = labSsh();
  const { pool } = lab.pool();
  const sh = (host: string, argv: string[]) => run(pool, host, textCommand(argv, { timeoutMs: 180_000 }));

  const finding = (d: Diagnosis, id: string): DiagnosisFinding => {
    const f = d.findings.find((x) => x.signature === id);
    assert.ok(f, `no "${id}" among ${d.findings.map((x) => x.signature).join(', ') || 'no findings'}; looked at ${d.lookedAt.join('; ')}; notes ${d.notes.join('; ')}`);
    return f;
  };
  const diagnoseSaved = async (name: string, subject: string) => {
    const { diagnosis, evidence } = await labDiagnose(client, subject);
    if (process.env.RECORD_FIXTURES) saveEvidence(name, evidence, diagnosis);
    return diagnosis;
  };
  const serverByName = async (name: string): Promise<Server> => {
    const s = (await client.compute.listServers({ allProjects: true, name: `^${name}$` })).data[0];
    assert.ok(s, `the seed's ${name} is missing`);
    return s;
  };
  /** The newest migration of a server once it has ended. */
  const migrationEnded = async (serverId: string, since: number) => {
    const end = Date.now() + 180_000;
    while (Date.now() < end) {
      const m = (await client.compute.listMigrations({ instanceUuid: serverId })).data.filter((x) => Date.parse(`${x.createdAt.replace(/Z?$/, 'Z')}`) >= since - 5000);
      const done = m.find((x) => ['error', 'failed', 'finished', 'completed', 'confirmed'].includes(x.status));
      if (done) return done;
      await sleep(1000);
    }
    throw new Error(`no ended migration of ${serverId}`);
  };

  before(async () => {
    ensureLab();
    client = await connectLab();
  });
  after(() => {
    client?.dispose();
    pool.dispose();
  });

  it("the seed's failed live migration of vm1 (compute1 → compute2): compute2's libvirtd does not listen on 16509, from compute1's nova-compute.log, with compute2's libvirtd.conf line and the config doctor's rule", async () => {
    const vm1 = await serverByName('vm1');
    const d = await diagnoseSaved('live-migration-target-refused', vm1.id);
    const f = finding(d, 'live-migration-target-libvirtd-refused');
    assert.match(f.cause, /^compute2's libvirtd does not listen on TCP port 16509: the source's libvirt \(compute1\)/);
    const log = f.evidence.find((e) => e.source === 'log');
    assert.equal(log?.host, 'compute1');
    assert.equal(log?.service, 'nova-compute');
    assert.match(log!.text, /ERROR nova\.virt\.libvirt\.driver .*Live Migration failure: unable to connect to server at 'compute2:16509': Connection refused/);
    const conf = f.evidence.find((e) => e.source === 'file' && /^listen_tcp\s*=\s*0/.test(e.text));
    assert.ok(conf, `no listen_tcp line of compute2 in ${JSON.stringify(f.evidence)}`);
    assert.equal(conf.host, 'compute2');
    assert.equal(conf.file, '/etc/libvirt/libvirtd.conf');
    assert.ok(f.evidence.some((e) => e.source === 'migration' && /compute1 → compute2: (failed|error)/.test(e.text)));
    assert.deepEqual(f.fixes[0].quickFix, { host: 'compute2', file: '/etc/libvirt/libvirtd.conf', rule: 'libvirt/tcp-disabled' });
    // the generic reading of the same line is superseded by the precise one
    assert.ok(!d.findings.some((x) => x.signature === 'live-migration-libvirt-failure'));
  });

  it("the seed's vm-huge (NoValidHost): placement had no candidate for its resources, named from the scheduler's and placement's own lines", async () => {
    const huge = await serverByName('vm-huge');
    const d = await diagnoseSaved('no-allocation-candidates', huge.id);
    const f = finding(d, 'no-allocation-candidates');
    assert.match(f.cause, /^Placement found no compute host with [A-Z_]+:\d+(,[A-Z_]+:\d+)* free/);
    assert.match(f.vars.resources, /MEMORY_MB:\d+/);
    assert.ok(f.evidence.some((e) => e.service === 'nova-scheduler' && /Got no allocation candidates from the Placement API/.test(e.text)));
    assert.ok(f.evidence.some((e) => e.service === 'placement-api' && /GET \/allocation_candidates\?/.test(e.text)));
    assert.ok(!d.findings.some((x) => x.signature === 'no-valid-host'), 'the generic reading is superseded');
  });

  describe('with a test server on compute1', () => {
    let server: Server;
    before(async () => {
      await waitComputeEnabled(client, 'compute1', 240_000);
      server = await createServer(client, uniqueName('diag'), 'compute1');
    });
    after(async () => {
      if (server) await deleteServer(client, server.id);
    });

    it('a migration to a disabled compute2: the requested host is disabled (its reason from the service), from placement\'s in_tree query; enabling the service (the fix) lets the same migration succeed', async () => {
      const svc = (await client.compute.listServices({ binary: 'nova-compute', host: 'compute2' })).data[0];
      await client.compute.disableService(svc, 'diagnose test: maintenance');
      try {
        const t0 = Date.now();
        await client.compute.migrate(server.id, 'compute2');
        const m = await migrationEnded(server.id, t0);
        assert.equal(m.status, 'error');
        const d = await diagnoseSaved('requested-host-disabled', server.id);
        const f = finding(d, 'requested-host-disabled');
        assert.equal(f.vars.target, 'compute2');
        assert.match(f.cause, /The request named host compute2, and its nova-compute service is disabled \("diagnose test: maintenance"\)/);
        assert.ok(f.evidence.some((e) => e.service === 'placement-api' && /in_tree=/.test(e.text)));
        assert.ok(f.fixes[0].commands?.some((c) => c.command === 'openstack compute service set --enable compute2 nova-compute'));
        assert.ok(!d.findings.some((x) => x.signature === 'no-allocation-candidates'), 'superseded');
        // the fix, as its command says (the API call behind `openstack compute service set --enable`)
        await client.compute.enableService(svc);
        const t1 = Date.now();
        await client.compute.migrate(server.id, 'compute2');
        await waitServer(client, server.id, (s) => s.status === 'VERIFY_RESIZE', 'VERIFY_RESIZE', 240_000);
        await client.compute.confirmResize(server.id);
        const moved = await waitServer(client, server.id, (s) => s.status === 'ACTIVE', 'ACTIVE');
        assert.equal(moved.host, 'compute2');
        assert.ok((await migrationEnded(server.id, t1)).status !== 'error');
        server = moved;
      } finally {
        await client.compute.enableService(svc);
      }
    });

    it('a live migration to the host it is on: the scheduler left the source host out (its own lines), nova said No valid host', async () => {
      const cur = (await client.compute.getServer(server.id)).data;
      const t0 = Date.now();
      await client.compute.liveMigrate(server.id, { host: cur.host! });
      const m = await migrationEnded(server.id, t0).catch(() => undefined);
      if (m) assert.equal(m.status, 'error');
      await sleep(2000);
      const d = await diagnoseSaved('migration-to-current-host', server.id);
      // Zed sends a move with a host through the scheduler, which leaves the source out: nova's own answer is
      // "No valid host was found", the scheduler's lines say why (the Juno-era conductor message is proven on real logs)
      const f = finding(d, 'migration-to-current-host-scheduler');
      assert.equal(f.vars.target, cur.host);
      assert.match(f.cause, new RegExp(`^The migration asked for host ${cur.host}, and the instance is already on ${cur.host}`));
      assert.ok(f.evidence.some((e) => e.service === 'nova-conductor' && /No valid host was found/.test(e.text)));
      assert.equal(d.findings[0].signature, 'migration-to-current-host-scheduler', 'the newest failure comes first');
    });

    it('a forced live migration to bulk1 (the fake driver): the destination runs another hypervisor type, with both types from the hypervisors', async () => {
      // before 2.34 the pre-checks answer synchronously (as Horizon's client meets them): a 400 with nova's message
      await assert.rejects(
        client.compute.client.call('POST', `/servers/${server.id}/action`, { json: { 'os-migrateLive': { host: 'bulk1', block_migration: 'auto', force: true } }, microversion: '2.30' }),
        /hypervisor type/,
      );
      await sleep(1500);
      const d = await diagnoseSaved('hypervisor-type-mismatch', server.id);
      const f = finding(d, 'migration-hypervisor-type-mismatch');
      assert.equal(f.vars.sourcetype, 'QEMU');
      assert.ok(f.evidence.some((e) => e.source === 'hypervisor' && /bulk1 .*fake/.test(e.text)));
    });

    it('libvirtd stopped on the server\'s host: nova lost libvirt and disabled the service (AUTO); starting libvirtd (the fix) brings the service back enabled', async () => {
      const host = (await client.compute.getServer(server.id)).data.host!;
      await sh(host, ['lab-service', 'stop', 'libvirtd']);
      try {
        const end = Date.now() + 120_000;
        let svc;
        while (Date.now() < end) {
          svc = (await client.compute.listServices({ binary: 'nova-compute', host })).data[0];
          if (svc.status === 'disabled' && /^AUTO: Connection to libvirt lost/.test(svc.disabledReason ?? '')) break;
          await sleep(2000);
        }
        assert.match(svc?.disabledReason ?? '', /^AUTO: Connection to libvirt lost/, `nova did not notice libvirtd stopping on ${host}`);
        const d = await diagnoseSaved('libvirt-connection-lost', server.id);
        const f = finding(d, 'libvirt-connection-lost');
        assert.equal(f.vars.host, host);
        assert.ok(f.fixes[0].commands?.some((c) => c.host === host && c.command === 'systemctl start libvirtd'));
        assert.ok(!d.findings.some((x) => x.signature === 'compute-service-down'));
      } finally {
        // the fix (lab-service is this lab's systemctl)
        await sh(host, ['lab-service', 'start', 'libvirtd']);
        await waitComputeEnabled(client, host);
      }
      const after = (await client.compute.listServices({ binary: 'nova-compute', host })).data[0];
      assert.equal(after.status, 'enabled');
    });

    it('nova-compute stopped on the server\'s host: its service goes down (service_down_time); starting it (the fix) brings it up', async () => {
      const host = (await client.compute.getServer(server.id)).data.host!;
      await sh(host, ['lab-service', 'stop', 'nova-compute']);
      try {
        const end = Date.now() + 240_000;
        let svc;
        while (Date.now() < end) {
          svc = (await client.compute.listServices({ binary: 'nova-compute', host })).data[0];
          if (svc.state === 'down') break;
          await sleep(3000);
        }
        assert.equal(svc?.state, 'down', `nova still reports ${host} up`);
        const d = await diagnoseSaved('compute-service-down', server.id);
        const f = finding(d, 'compute-service-down');
        assert.equal(f.vars.host, host);
        assert.ok(f.evidence.some((e) => e.source === 'service' && new RegExp(`nova-compute on ${host}: enabled, down`).test(e.text)));
      } finally {
        await sh(host, ['lab-service', 'start', 'nova-compute']);
        await waitComputeEnabled(client, host);
      }
    });
  });

  it('a flavor extra spec no host satisfies: the scheduler\'s filter that removed every host, from its own filter results; the same boot without it succeeds', async () => {
    const flavorName = uniqueName('diag-flavor');
    const fl = await client.compute.client.call('POST', '/flavors', { json: { flavor: { name: flavorName, ram: 96, vcpus: 1, disk: 1 } } });
    const flavorId = (fl.body as { flavor: { id: string } }).flavor.id;
    let serverId: string | undefined;
    try {
      await client.compute.client.call('POST', `/flavors/${flavorId}/os-extra_specs`, { json: { extra_specs: { 'capabilities:hypervisor_type': 'xen' } } });
      const { networkId, imageId } = await bootRefs(client);
      const res = await client.compute.client.call('POST', '/servers', { json: { server: { name: uniqueName('diag-nvh'), flavorRef: flavorId, imageRef: imageId, networks: [{ uuid: networkId }] } } });
      serverId = (res.body as { server: { id: string } }).server.id;
      await waitServer(client, serverId, (s) => s.status === 'ERROR', 'ERROR').catch(() => undefined);
      const s = (await client.compute.getServer(serverId)).data;
      assert.equal(s.status, 'ERROR');
      const d = await diagnoseSaved('no-valid-host-filter', serverId);
      const f = finding(d, 'no-valid-host-filter');
      assert.equal(f.vars.filter, 'ComputeCapabilitiesFilter');
      assert.equal(f.vars.instance, serverId);
      assert.ok(!d.findings.some((x) => x.signature === 'no-valid-host'));
      await deleteServer(client, serverId);
      serverId = undefined;
      // the fix: the extra spec removed, the same flavor boots
      await client.compute.client.call('DELETE', `/flavors/${flavorId}/os-extra_specs/capabilities:hypervisor_type`);
      const ok = await client.compute.client.call('POST', '/servers', { json: { server: { name: uniqueName('diag-nvh'), flavorRef: flavorId, imageRef: imageId, networks: [{ uuid: networkId }] } } });
      serverId = (ok.body as { server: { id: string } }).server.id;
      await waitServer(client, serverId, (x) => x.status === 'ACTIVE', 'ACTIVE', 180_000);
    } finally {
      if (serverId) await deleteServer(client, serverId);
      await client.compute.client.call('DELETE', `/flavors/${flavorId}`).catch(() => undefined);
    }
  });

  it('the linuxbridge agent stopped on compute2: a server booted there fails to bind its port (neutron\'s own line, the agent down); starting the agent (the fix) lets the same boot succeed', async () => {
    const agentOf = async () => (await client.network.listAgents({ host: 'compute2' })).data.find((a) => /Linux bridge/.test(a.agentType))!;
    const refs = await bootRefs(client);
    const boot = async () => {
      const res = await client.compute.client.call('POST', '/servers', { json: { server: { name: uniqueName('diag-bind'), flavorRef: refs.flavorId, imageRef: refs.imageId, networks: [{ uuid: refs.networkId }], availability_zone: 'nova:compute2' } } });
      return (res.body as { server: { id: string } }).server.id;
    };
    let id: string | undefined;
    await sh('compute2', ['lab-service', 'stop', 'linuxbridge-agent']);
    try {
      const end = Date.now() + 240_000;
      while (Date.now() < end && (await agentOf()).alive) await sleep(5000);
      assert.equal((await agentOf()).alive, false, 'neutron still reports the agent alive');
      id = await boot();
      await waitServer(client, id, (x) => x.status === 'ERROR', 'ERROR', 240_000).catch(() => undefined);
      assert.equal((await client.compute.getServer(id)).data.status, 'ERROR');
      const d = await diagnoseSaved('port-binding-failed', id);
      const f = finding(d, 'port-binding-failed');
      assert.equal(f.vars.host, 'compute2');
      assert.equal(f.vars.agenthost, 'compute2');
      assert.equal(f.vars.agent, 'Linux bridge agent');
      assert.ok(f.evidence.some((e) => e.service === 'neutron-server' && /Failed to bind port .* on host compute2 for vnic_type normal/.test(e.text)));
      assert.ok(f.evidence.some((e) => e.source === 'agent' && /on compute2: DOWN/.test(e.text)));
      await deleteServer(client, id);
      id = undefined;
    } finally {
      await sh('compute2', ['lab-service', 'start', 'linuxbridge-agent']);
      if (id) await deleteServer(client, id);
    }
    // the fix: the agent alive again, the same boot succeeds
    const end = Date.now() + 180_000;
    while (Date.now() < end && !(await agentOf()).alive) await sleep(3000);
    assert.equal((await agentOf()).alive, true);
    id = await boot();
    try {
      await waitServer(client, id, (x) => x.status === 'ACTIVE', 'ACTIVE', 240_000);
    } finally {
      await deleteServer(client, id);
    }
  });
});
