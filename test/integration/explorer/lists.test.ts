// The explorer's data path against the lab's real APIs, compared with the API's own answer: paged instances
// (marker paging equals the full list, refresh reads only loaded pages), hypervisors joined with services and
// capacity from Placement, and a member (non-admin) project that sees its own instances and no admin fields.
import { strict as assert } from 'node:assert';
import { hypervisorPageFetcher, projectNames, serverPageFetcher } from '../../../src/core/explorer/fetchers';
import { capacityFromPlacement, computeServiceOf, hypervisorDescription, hypervisorStatsInApi, serviceHealth } from '../../../src/core/explorer/hypervisors';
import { PagedList } from '../../../src/core/explorer/paged-list';
import { groupServers, novaFilterQuery } from '../../../src/core/explorer/servers';
import { isTroubleshooterError } from '../../../src/core/errors';
import { OpenStackClient } from '../../../src/core/openstack/client';
import type { Server } from '../../../src/core/openstack/types';
import { labCloud } from '../openstack/lab-cloud';

/** `paged` equals the API's list up to servers created or deleted while it was read: no duplicates, every
 * server present before and after is there, nothing that never existed, and the API's order. */
function assertSameList(paged: string[], before: string[], after: string[]): void {
  assert.equal(new Set(paged).size, paged.length, 'no server twice');
  const a = new Set(after);
  const stable = before.filter((id) => a.has(id));
  const known = new Set([...before, ...after]);
  for (const id of stable) assert.ok(paged.includes(id), `server ${id} (listed before and after) is missing`);
  for (const id of paged) assert.ok(known.has(id), `server ${id} was never listed by the API`);
  const order = paged.filter((id) => stable.includes(id));
  assert.deepEqual(order, stable, 'the API order');
}

describe('explorer lists (lab APIs)', function () {
  this.timeout(180_000);
  let admin: OpenStackClient;
  let demo: OpenStackClient;

  before(async () => {
    // The lab's API can be slow while other suites run: a generous deadline per call.
    admin = await OpenStackClient.connect(labCloud('lab'), { timeoutMs: 120_000 });
    demo = await OpenStackClient.connect(labCloud('lab-demo'), { timeoutMs: 120_000 });
  });
  after(() => {
    admin?.dispose();
    demo?.dispose();
  });

  it('page by page (marker) yields the servers of the full list, in the API order (other tests may add or delete servers meanwhile)', async () => {
    const before = (await admin.compute.listServers({ allProjects: true })).data.map((s) => s.id);
    assert.ok(before.length >= 2, 'the lab has servers');
    const pageSize = Math.max(1, Math.ceil(before.length / 4));
    const list = new PagedList<Server>((s) => s.id, serverPageFetcher(admin, { allProjects: true }), pageSize, 1);
    await list.loadMore();
    assert.equal(list.items.length, 1, 'a first page of one row');
    await list.loadAll();
    const after = (await admin.compute.listServers({ allProjects: true })).data.map((s) => s.id);
    const paged = list.items.map((s) => s.id);
    assertSameList(paged, before, after);
    assert.equal(list.hasMore, false);
  });

  it('a refresh with one page loaded makes one request, whatever the total', async () => {
    let requests = 0;
    const fetch = serverPageFetcher(admin, { allProjects: true });
    const list = new PagedList<Server>((s) => s.id, (m, l, s) => (requests++, fetch(m, l, s)), 1);
    await list.loadMore();
    requests = 0;
    const diff = await list.refreshLoaded();
    assert.equal(requests, 1);
    assert.equal(diff.unchanged + diff.changed.length + diff.added.length, 1);
  });

  it('groups by host as the API places them (service host, not node), and filters server-side', async () => {
    const all = (await admin.compute.listServers({ allProjects: true })).data;
    for (const g of groupServers(all, 'host')) {
      for (const s of g.servers) assert.equal(s.host ?? '(not scheduled)', g.key);
    }
    // The oldest server with an address (Nova lists newest first): not one another suite is about to delete.
    const target = [...all].reverse().find((s) => s.addresses.length && s.status === 'ACTIVE')!;
    const byIp = novaFilterQuery(target.addresses[0].addr)!;
    const found = await new PagedList<Server>((s) => s.id, serverPageFetcher(admin, { allProjects: true, query: byIp.query, keep: byIp.keep }), 50).loadMore();
    assert.ok(found.some((s) => s.id === target.id), `IP filter finds ${target.name}`);
    assert.ok(found.every((s) => s.addresses.some((a) => a.addr === target.addresses[0].addr)), 'and only servers with that address');
    const byId = await new PagedList<Server>((s) => s.id, serverPageFetcher(admin, { allProjects: true, query: novaFilterQuery(target.id)!.query }), 50).loadMore();
    assert.deepEqual(byId.map((s) => s.id), [target.id]);
  });

  it('groups by project with the names Keystone gives (admin: every project; member: its own)', async () => {
    const names = await projectNames(admin);
    const servers = (await admin.compute.listServers({ allProjects: true })).data;
    const groups = groupServers(servers, 'project', names);
    for (const g of groups) {
      assert.ok(names[g.key], `project ${g.key} has a name`);
      assert.equal(g.label, `${names[g.key]} (${g.key})`);
    }
    assert.ok(Object.values(names).includes('demo') && Object.values(names).includes('admin'));
    assert.deepEqual(Object.values(await projectNames(demo)), ['demo']);
  });

  it('hypervisors: each joined with its nova-compute service; capacity from Placement at ≥2.88 equals Placement\'s own numbers', async () => {
    // The tree's own list carries no servers (one light request at any scale); with withServers the same hypervisors.
    const light = await hypervisorPageFetcher(admin)(undefined, 100);
    assert.ok(light.items.length > 0 && light.items.every((h) => h.servers === undefined), 'the tree\'s hypervisor list reads no servers');
    const list = new PagedList((h) => h.id, hypervisorPageFetcher(admin, { withServers: true }), 1);
    await list.loadAll();
    const api = (await admin.compute.listHypervisors({ withServers: true })).data;
    assert.deepEqual(list.items.map((h) => h.id).sort(), api.map((h) => h.id).sort());
    // ... and still says how many instances each hypervisor runs (running_vms, read at 2.87 from 2.88 on).
    for (const h of light.items) {
      const listed = api.find((x) => x.id === h.id)?.servers?.length ?? 0;
      assert.ok(h.stats?.runningVms !== undefined && Math.abs(h.stats.runningVms - listed) <= 2, `${h.hypervisorHostname}: running_vms ${h.stats?.runningVms} vs ${listed} servers listed (other tests may be moving a few)`);
      assert.match(hypervisorDescription(h, undefined), / · \d+ instances?$/);
    }
    const services = (await admin.compute.listServices({ binary: 'nova-compute' })).data;
    const servers = (await admin.compute.listServers({ allProjects: true })).data;
    for (const h of list.items) {
      const svc = computeServiceOf(h, services);
      assert.ok(svc, `service of ${h.hypervisorHostname}`);
      assert.equal(svc.host, h.service?.host);
      assert.equal(serviceHealth(svc), svc.forcedDown ? 'forced-down' : svc.state);
      // the instances on each hypervisor are the servers whose node is that hypervisor
      const onNode = servers.filter((s) => s.hypervisorHostname === h.hypervisorHostname && s.status !== 'BUILD').map((s) => s.id);
      const listed = new Set((h.servers ?? []).map((s) => s.uuid));
      const settled = onNode.filter((id) => listed.has(id));
      assert.ok(settled.length >= onNode.length - 2, `the hypervisor lists the servers on its node (${settled.length} of ${onNode.length}; other tests may be moving a few)`);
    }
    assert.equal(hypervisorStatsInApi(admin.compute.microversion), false, `the lab speaks ${admin.compute.microversion}`);
    const h = list.items[0];
    const cap = await admin.placement.capacityByName(h.hypervisorHostname);
    assert.ok(cap, 'a resource provider named like the hypervisor');
    const lines = capacityFromPlacement(cap.data);
    const inv = cap.data.inventories.VCPU;
    assert.equal(lines.find((l) => l.resource === 'VCPU')?.total, Math.floor((inv.total - inv.reserved) * inv.allocationRatio));
  });

  it('a member project sees only its own instances, without admin-only fields; hypervisors are forbidden, not an error', async () => {
    const list = new PagedList<Server>((s) => s.id, serverPageFetcher(demo, { allProjects: demo.isAdmin }), 50);
    await list.loadAll();
    assert.equal(demo.isAdmin, false);
    const project = demo.tokenInfo.projectId;
    for (const s of list.items) {
      assert.equal(s.projectId, project);
      assert.equal(s.host, undefined, 'no OS-EXT-SRV-ATTR:host for a member');
      assert.equal(s.hypervisorHostname, undefined);
      assert.equal(s.instanceName, undefined);
    }
    const adminView = (await admin.compute.listServers({ allProjects: true, projectId: project })).data;
    assert.deepEqual(list.items.map((s) => s.id).sort(), adminView.map((s) => s.id).sort());
    await assert.rejects(hypervisorPageFetcher(demo)(undefined, 10), (e: unknown) => isTroubleshooterError(e, 'Forbidden'));
  });
});
