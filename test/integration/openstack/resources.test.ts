import assert from 'node:assert/strict';
import { isTroubleshooterError } from '../../../src/core/errors';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import type { Server } from '../../../src/core/openstack/types';
import { connectLab, createServer, deleteServer, uniqueName } from './lab-cloud';

/**
 * List and show of every resource the client reads, against the lab's real Nova, Neutron and Placement, as admin
 * and as the member cloud `lab-demo`.
 */

const REQ = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('openstack resources against the lab', function () {
  this.timeout(180_000);
  let admin: OpenStackClient;
  let demo: OpenStackClient;
  let mine: Server;

  before(async () => {
    admin = await connectLab('lab');
    demo = await connectLab('lab-demo');
    mine = await createServer(admin, uniqueName('ost-res'));
  });
  after(async () => {
    if (mine) await deleteServer(admin, mine.id);
    admin?.dispose();
    demo?.dispose();
  });

  it('servers: admin list across projects with host, node and libvirt name; show by id; filters', async () => {
    const all = await admin.compute.listServers({ allProjects: true });
    assert.match(all.requestId ?? '', REQ);
    const found = all.data.find((s) => s.id === mine.id);
    assert.ok(found, 'the test server is listed');
    assert.ok(found.host === 'compute1' || found.host === 'compute2', `host ${found.host}`);
    assert.ok(found.hypervisorHostname, 'hypervisor hostname');
    assert.match(found.instanceName ?? '', /^instance-[0-9a-f]{8}$/);
    assert.equal(found.vmState, 'active');
    assert.equal(found.powerState, 1);
    assert.ok(found.addresses.some((a) => a.network === 'private' && a.version === 4));
    assert.equal(found.flavor?.name, 'm1.tiny', 'flavor embedded (2.47+)');
    const projects = new Set(all.data.map((s) => s.projectId));
    assert.ok(projects.size >= 2, 'servers of several projects (seeded in admin and demo)');

    const shown = await admin.compute.getServer(mine.id);
    assert.equal(shown.data.instanceName, found.instanceName);
    assert.match(shown.requestId ?? '', REQ);

    const onHost = await admin.compute.listServers({ allProjects: true, host: found.host! });
    assert.ok(onHost.data.length > 0 && onHost.data.every((s) => s.host === found.host), 'host filter = service host');
    const byName = await admin.compute.findServer(mine.name, { allProjects: true });
    assert.equal(byName.data.id, mine.id);
  });

  it('servers: paging follows servers_links and returns the same rows as one page', async () => {
    // The demo project's servers: a set other tests do not touch while this runs.
    const projectId = demo.tokenInfo.projectId;
    const whole = await admin.compute.listServers({ allProjects: true, projectId });
    assert.ok(whole.data.length >= 2);
    const small = await admin.compute.listServers({ allProjects: true, projectId, limit: 2 });
    assert.equal(small.requestIds.length, Math.ceil(whole.data.length / 2) + (whole.data.length % 2 === 0 ? 1 : 0), 'one request per page');
    assert.deepEqual(small.data.map((s) => s.id), whole.data.map((s) => s.id));
    let pages = 0;
    for await (const p of admin.compute.serverPages({ allProjects: true, projectId, limit: 1 })) {
      pages++;
      assert.ok(p.items.length <= 1);
      assert.match(p.requestId ?? '', REQ);
    }
    assert.ok(pages >= 2);
  });

  it('member cloud lab-demo sees its own servers only, without admin fields', async () => {
    const { data } = await demo.compute.listServers();
    assert.ok(data.length > 0, 'the seed made demo servers');
    // Asking for every project is refused by policy, with Nova's own words.
    await assert.rejects(demo.compute.listServers({ allProjects: true }), (e: unknown) =>
      isTroubleshooterError(e, 'Forbidden') && /returned 403: Policy doesn't allow os_compute_api:servers:detail:get_all_tenants/.test(e.message),
    );
    const demoProject = demo.tokenInfo.projectId;
    assert.ok(data.every((s) => s.projectId === demoProject), 'only its project');
    assert.ok(data.every((s) => s.host === undefined && s.instanceName === undefined && s.hypervisorHostname === undefined), 'no admin fields');
    assert.ok(!data.some((s) => s.id === mine.id));
    assert.equal(demo.isAdmin, false);
    await assert.rejects(demo.compute.listHypervisors(), (e: unknown) => isTroubleshooterError(e, 'Forbidden') && /returned 403/.test(e.message));
  });

  it('hypervisors: uuid ids, service host, servers; cpu_info by pinning 2.87', async () => {
    const { data } = await admin.compute.listHypervisors({ withServers: true });
    // the two libvirt computes and the fake-driver host for bulk seeds
    assert.deepEqual(data.map((h) => h.service?.host).sort(), ['bulk1', 'compute1', 'compute2']);
    for (const h of data) {
      assert.match(h.id, /^[0-9a-f-]{36}$/, 'uuid ids from 2.53');
      assert.equal(h.stats, undefined, 'no stats at 2.88+');
      assert.ok(Array.isArray(h.servers));
    }
    assert.ok(data.some((h) => h.servers!.some((s) => s.uuid === mine.id)), 'our server is on a hypervisor');
    const old = await admin.compute.listHypervisors({ withCpuInfo: true });
    assert.ok(old.data.every((h) => h.stats?.vcpus !== undefined), 'stats with 2.87');
    const one = await admin.compute.getHypervisor(data[0].id, { withServers: true });
    assert.equal(one.data.hypervisorHostname, data[0].hypervisorHostname);
  });

  it('services: compute, conductor and scheduler with state and status', async () => {
    const { data } = await admin.compute.listServices();
    const computes = data.filter((s) => s.binary === 'nova-compute');
    assert.deepEqual(computes.map((s) => s.host).sort(), ['bulk1', 'compute1', 'compute2']);
    assert.equal(computes.find((s) => s.host === 'bulk1')?.status, 'disabled', 'the bulk host takes forced-host servers only');
    assert.ok(computes.every((s) => s.state === 'up' && /^[0-9a-f-]{36}$/.test(s.id ?? '')));
    assert.ok(data.some((s) => s.binary === 'nova-conductor') && data.some((s) => s.binary === 'nova-scheduler'));
    const one = await admin.compute.listServices({ host: 'compute1', binary: 'nova-compute' });
    assert.equal(one.data.length, 1);
  });

  it('os-migrations and instance actions of the seeded live migrations (completed, and failed with its traceback)', async () => {
    const live = await admin.compute.listMigrations({ migrationType: 'live-migration' });
    const m = live.data.find((x) => x.status === 'completed');
    assert.ok(m, 'the seed ran a live migration');
    assert.ok(m.uuid && m.instanceUuid && m.sourceCompute && m.destCompute && m.sourceCompute !== m.destCompute);
    const paged = await admin.compute.listMigrations({ migrationType: 'live-migration', limit: 1 });
    assert.ok(paged.requestIds.length >= live.data.length, 'one page per migration');
    assert.deepEqual(paged.data.map((x) => x.uuid), live.data.map((x) => x.uuid), 'paging via migrations_links');
    const actions = await admin.compute.listInstanceActions(m.instanceUuid);
    const act = actions.data.find((a) => a.action === 'live-migration');
    assert.ok(act, 'live-migration action');
    const shown = await admin.compute.getInstanceAction(m.instanceUuid, act.requestId);
    assert.ok(shown.data.events!.some((e) => e.event === 'compute_live_migration' && e.result === 'Success'), JSON.stringify(shown.data.events?.map((e) => e.event)));

    // The seed's live migration to a disabled compute: the API said 202, the reason is in the events.
    const failed = live.data.find((x) => x.status === 'error');
    assert.ok(failed, 'the seed ran a failing live migration');
    const failedAction = (await admin.compute.listInstanceActions(failed.instanceUuid)).data.find((a) => a.action === 'live-migration' && a.message === 'Error');
    assert.ok(failedAction);
    const events = (await admin.compute.getInstanceAction(failed.instanceUuid, failedAction.requestId)).data.events!;
    const err = events.find((e) => e.result === 'Error');
    assert.equal(err?.event, 'conductor_live_migrate_instance');
    assert.match(err?.traceback ?? '', /Traceback|File ".*nova\/conductor/, 'admins get the traceback');
  });

  it('network: routers with ha/distributed, their L3 agents, agents by mechanism', async () => {
    const routers = await admin.network.listRouters();
    assert.ok(routers.data.length > 0);
    const r = routers.data.find((x) => x.externalGatewayInfo) ?? routers.data[0];
    assert.equal(typeof r.ha, 'boolean', 'admin sees ha');
    assert.equal(typeof r.distributed, 'boolean', 'admin sees distributed');
    assert.equal((await admin.network.getRouter(r.id)).data.id, r.id);
    const l3 = await admin.network.listRouterL3Agents(r.id);
    assert.ok(l3.data.some((a) => a.host === 'network1' && a.agentType === 'L3 agent'), JSON.stringify(l3.data.map((a) => a.host)));
    assert.match(l3.requestId ?? '', REQ);
    const agents = await admin.network.listAgents();
    assert.ok(agents.data.some((a) => a.mechanism === 'linuxbridge' && a.host === 'compute1'));
    assert.equal(await admin.network.mechanism(), 'linuxbridge');
    const mode = agents.data.find((a) => a.agentType === 'L3 agent')?.agentMode;
    assert.ok(mode === undefined || ['legacy', 'dvr', 'dvr_snat', 'dvr_no_external'].includes(mode));
  });

  it('network: floating IPs, ports with binding host, networks, subnets', async () => {
    const fips = await admin.network.listFloatingIps();
    assert.ok(fips.data.length > 0, 'the seed made floating IPs');
    const f = fips.data[0];
    assert.match(f.floatingIpAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal((await admin.network.getFloatingIp(f.id)).data.floatingIpAddress, f.floatingIpAddress);
    const ports = await admin.network.listPorts({ deviceId: mine.id });
    assert.equal(ports.data.length, 1);
    const now = (await admin.compute.getServer(mine.id)).data;
    assert.equal(ports.data[0].bindingHostId, now.host, 'binding:host_id = compute service host');
    assert.match(ports.data[0].deviceOwner ?? '', /^compute:/);
    const nets = await admin.network.listNetworks();
    assert.ok(nets.data.some((n) => n.external) && nets.data.some((n) => n.name === 'private'));
    const subnets = await admin.network.listSubnets();
    assert.ok(subnets.data.some((s) => s.networkId === nets.data.find((n) => n.name === 'private')!.id));
    const demoPorts = await demo.network.listPorts();
    assert.ok(demoPorts.data.every((p) => p.bindingHostId === undefined), 'binding:host_id is admin-only');
  });

  it('placement: the compute nodes as resource providers with inventories, usages and free capacity', async () => {
    const { data } = await admin.placement.listResourceProviders();
    const hyps = (await admin.compute.listHypervisors()).data.map((h) => h.hypervisorHostname);
    for (const name of hyps) assert.ok(data.some((p) => p.name === name), `provider ${name}`);
    const cap = await admin.placement.capacityByName(hyps[0]);
    assert.ok(cap);
    for (const rc of ['VCPU', 'MEMORY_MB', 'DISK_GB']) {
      assert.ok(cap.data.inventories[rc]?.total > 0, rc);
      assert.equal(typeof cap.data.free[rc], 'number');
    }
  });
});
