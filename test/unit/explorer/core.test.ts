import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import {
  capacityFromHypervisor, capacityFromPlacement, computeServiceOf, formatCapacity, hypervisorContextValue,
  hypervisorDescription, hypervisorStatsInApi, serviceHealth,
} from '../../../src/core/explorer/hypervisors';
import { agentDescription, detectNetworkBackend, sortAgents } from '../../../src/core/explorer/network';
import { diffById, PagedList, type FetchedPage } from '../../../src/core/explorer/paged-list';
import {
  addressesWithSubnets, groupServers, isTransitional, matchesFilter, migrationProgress, novaFilterQuery,
  serverContextValue, serverDescription,
} from '../../../src/core/explorer/servers';
import { listOf } from '../../../src/core/openstack/parse';
import { parseAgent, parsePort, parseSubnet } from '../../../src/core/openstack/parse-neutron';
import {
  parseComputeService, parseHypervisor, parseServer, parseServerMigration,
} from '../../../src/core/openstack/parse-nova';
import type { Server } from '../../../src/core/openstack/types';
import { sharedFixtures } from '../../support/lab';

const sample = (...p: string[]) => {
  const f = sharedFixtures(...p);
  return f ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
};

function fakeServer(i: number, extra: Partial<Server> = {}): Server {
  return { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `vm-${i}`, status: 'ACTIVE', addresses: [], metadata: {}, raw: {}, ...extra };
}

describe('explorer core: paging', () => {
  function source(n: number) {
    const all = Array.from({ length: n }, (_, i) => fakeServer(i));
    const calls: { marker?: string; limit: number }[] = [];
    const fetch = async (marker: string | undefined, limit: number): Promise<FetchedPage<Server>> => {
      calls.push({ marker, limit });
      const start = marker ? all.findIndex((s) => s.id === marker) + 1 : 0;
      const items = all.slice(start, start + limit);
      return { items, nextMarker: start + limit < all.length ? items[items.length - 1].id : undefined };
    };
    return { all, calls, fetch };
  }

  it('loads page by page with a small first page, then knows it is done', async () => {
    const src = source(25);
    const list = new PagedList<Server>((s) => s.id, src.fetch, 10, 5);
    assert.equal(list.hasMore, true);
    assert.equal((await list.loadMore()).length, 5);
    assert.equal((await list.loadMore()).length, 10);
    assert.equal(list.items.length, 15);
    await list.loadAll();
    assert.equal(list.items.length, 25);
    assert.equal(list.hasMore, false);
    assert.deepEqual(src.calls.map((c) => c.limit), [5, 10, 10]);
    assert.equal(src.calls[1].marker, src.all[4].id);
    assert.deepEqual(await list.loadMore(), []);
  });

  it('two loads at once (a view asking for its children twice) share one request and one page', async () => {
    const src = source(120);
    const list = new PagedList<Server>((s) => s.id, src.fetch, 100, 50);
    const [a, b] = await Promise.all([list.loadMore(), list.loadMore()]);
    assert.equal(src.calls.length, 1, 'one request for the first page');
    assert.equal(a, b);
    assert.equal(list.pageCount, 1);
    assert.equal(list.items.length, 50);
    assert.equal((await list.loadMore()).length, 70, 'the next call loads the next page');
    assert.equal(src.calls.length, 2);
  });

  it('refresh re-reads only the loaded pages, not the whole collection', async () => {
    const src = source(1000);
    const list = new PagedList<Server>((s) => s.id, src.fetch, 100, 50);
    await list.loadMore();
    src.calls.length = 0;
    src.all[3] = { ...src.all[3], status: 'SHUTOFF' };
    src.all.splice(7, 1);
    const d = await list.refreshLoaded();
    assert.equal(src.calls.length, 1, 'one visible page → one request');
    assert.deepEqual(d.changed.map((s) => s.name), ['vm-3']);
    assert.deepEqual(d.removed.map((s) => s.name), ['vm-7']);
    assert.deepEqual(d.added.map((s) => s.name), ['vm-50'], 'the page window moves up by one');
    assert.equal(list.items.length, 50);
    assert.equal(list.hasMore, true);
  });

  it('"load all" uses its own page size, and a refresh re-reads each page with the size it was loaded with', async () => {
    const src = source(2500);
    const list = new PagedList<Server>((s) => s.id, src.fetch, 200, 50);
    await list.loadMore();
    await list.loadAll(undefined, undefined, 1000);
    assert.deepEqual(src.calls.map((c) => c.limit), [50, 1000, 1000, 1000]);
    assert.equal(list.items.length, 2500);
    src.calls.length = 0;
    await list.refreshLoaded();
    assert.deepEqual(src.calls.map((c) => c.limit), [50, 1000, 1000, 1000]);
    assert.equal(list.items.length, 2500);
  });

  it('applies polled updates in place and prepends new servers', async () => {
    const src = source(10);
    const list = new PagedList<Server>((s) => s.id, src.fetch, 100);
    await list.loadMore();
    const touched = list.applyUpdates([{ ...src.all[2], status: 'MIGRATING' }], [src.all[5].id]);
    assert.deepEqual(touched.sort(), [src.all[2].id, src.all[5].id].sort());
    assert.equal(list.items.find((s) => s.name === 'vm-2')?.status, 'MIGRATING');
    assert.equal(list.items.length, 9);
    list.prepend([fakeServer(99), src.all[0]]);
    assert.equal(list.items[0].name, 'vm-99');
    assert.equal(list.items.length, 10);
  });

  it('diffs by id', () => {
    const a = [fakeServer(1), fakeServer(2)];
    const b = [fakeServer(2, { status: 'ERROR' }), fakeServer(3)];
    const d = diffById(a, b, (s) => s.id);
    assert.deepEqual([d.added.map((s) => s.name), d.removed.map((s) => s.name), d.changed.map((s) => s.name), d.unchanged], [['vm-3'], ['vm-1'], ['vm-2'], 0]);
  });
});

describe('explorer core: instances', () => {
  it('groups by host, project and status; unscheduled and hidden hosts are explained', () => {
    const servers = [
      fakeServer(1, { host: 'compute2', projectId: 'p1', status: 'ACTIVE' }),
      fakeServer(2, { host: 'compute1', projectId: 'p2', status: 'BUILD' }),
      fakeServer(3, { host: null, projectId: 'p1', status: 'ERROR' }),
      fakeServer(0, { host: 'compute1', projectId: 'p1', status: 'ACTIVE' }),
    ];
    assert.deepEqual(groupServers(servers, 'host').map((g) => [g.label, g.servers.map((s) => s.name)]), [
      ['compute1', ['vm-0', 'vm-2']], ['compute2', ['vm-1']], ['(not scheduled)', ['vm-3']],
    ]);
    assert.deepEqual(groupServers(servers, 'project', { p1: 'admin' }).map((g) => g.label), ['admin (p1)', 'p2']);
    assert.deepEqual(groupServers(servers, 'status').map((g) => g.key), ['ACTIVE', 'BUILD', 'ERROR']);
    assert.deepEqual(groupServers([fakeServer(9)], 'host').map((g) => g.label), ['(host hidden)'], 'non-admin: no host field');
  });

  it('filters by name, id prefix and address, and builds Nova queries', () => {
    const s = fakeServer(7, { name: 'web-frontend', addresses: [{ network: 'private', addr: '10.0.0.17', version: 4 }] });
    assert.ok(matchesFilter(s, 'FRONT'));
    assert.ok(matchesFilter(s, '00000000-0000'));
    assert.ok(matchesFilter(s, '10.0.0.17'));
    assert.ok(!matchesFilter(s, '10.0.0.1x'));
    assert.ok(!matchesFilter(s, 'db'));
    const ipq = novaFilterQuery('10.0.0.17')!;
    assert.deepEqual([ipq.kind, ipq.query], ['ip', { ip: '10.0.0.17' }]);
    assert.ok(ipq.keep!(s));
    assert.ok(!ipq.keep!(fakeServer(8, { addresses: [{ network: 'private', addr: '10.0.0.170', version: 4 }] })), 'Nova matches substrings; the view keeps exact matches');
    assert.deepEqual(novaFilterQuery('web.1')?.query, { name: 'web\\.1' });
    assert.equal(novaFilterQuery('6E2B1B3C-1a2b-4c3d-8e9f-0a1b2c3d4e5f')?.kind, 'id');
    assert.equal(novaFilterQuery('  '), undefined);
  });

  it('knows transitional states and builds contextValue and description', () => {
    assert.ok(isTransitional({ status: 'BUILD', taskState: null }));
    assert.ok(isTransitional({ status: 'ACTIVE', taskState: 'migrating' }));
    assert.ok(isTransitional({ status: 'MIGRATING' }));
    assert.ok(!isTransitional({ status: 'ACTIVE', taskState: null }));
    assert.ok(!isTransitional({ status: 'ERROR' }));
    const s = fakeServer(1, { status: 'ACTIVE', host: 'compute1', taskState: null, addresses: [{ network: 'n', addr: '10.0.0.5', version: 4, type: 'fixed' }] });
    assert.equal(serverContextValue(s), 'os.instance.active+migratable+admin');
    assert.equal(serverDescription(s), 'ACTIVE · compute1 · 10.0.0.5');
    const m = fakeServer(2, { status: 'MIGRATING', taskState: 'migrating' });
    assert.equal(serverContextValue(m), 'os.instance.migrating+migrating+transitional');
    assert.equal(serverDescription(m), 'MIGRATING (migrating)');
  });

  it('parses the v2.73 admin sample: service host and hypervisor node are kept apart', function () {
    const body = sample('nova-api-samples', 'servers', 'v2.73', 'servers-details-resp.json');
    if (!body) this.skip();
    const s = parseServer(listOf(body, 'servers')[0]);
    assert.equal(s.host, body.servers[0]['OS-EXT-SRV-ATTR:host']);
    assert.equal(s.hypervisorHostname, body.servers[0]['OS-EXT-SRV-ATTR:hypervisor_hostname']);
    assert.match(serverDescription(s), new RegExp(`· ${s.host}`));
  });

  it('resolves addresses to subnets through ports (neutron samples)', function () {
    const portsBody = sample('neutron-api-samples', 'ports', 'ports-list-response.json');
    const subnetsBody = sample('neutron-api-samples', 'subnets', 'subnets-list-response.json');
    if (!portsBody || !subnetsBody) this.skip();
    const ports = listOf(portsBody, 'ports').map(parsePort);
    const subnets = listOf(subnetsBody, 'subnets').map(parseSubnet);
    const port = ports.find((p) => p.fixedIps.length)!;
    const ip = port.fixedIps[0].ipAddress;
    const server = fakeServer(1, { addresses: [{ network: 'private', addr: ip, version: 4, type: 'fixed' }, { network: 'private', addr: '172.24.4.9', version: 4, type: 'floating' }] });
    const sn = subnets[0];
    const withSubnet = addressesWithSubnets(server, [{ ...port, fixedIps: [{ subnetId: sn.id, ipAddress: ip }] }], subnets);
    assert.equal(withSubnet[0].subnet?.cidr, sn.cidr);
    assert.equal(withSubnet[0].subnet?.name, sn.name);
    assert.equal(withSubnet[0].portId, port.id);
    assert.equal(withSubnet[1].subnet, undefined, 'floating address has no subnet');
  });

  it('computes live-migration progress from memory bytes (server-migrations sample)', function () {
    const body = sample('nova-api-samples', 'server-migrations', 'v2.23', 'migrations-get.json');
    if (body) {
      const m = parseServerMigration(body.migration);
      const expected = Math.round((m.memoryProcessedBytes! / m.memoryTotalBytes!) * 100);
      assert.equal(migrationProgress(m), expected);
    }
    assert.equal(migrationProgress({ memoryTotalBytes: 1000, memoryProcessedBytes: 250 }), 25);
    assert.equal(migrationProgress({ memoryTotalBytes: 1000, memoryProcessedBytes: null, memoryRemainingBytes: 100 }), 90);
    assert.equal(migrationProgress({ memoryTotalBytes: 0, memoryProcessedBytes: 0 }), undefined);
  });
});

describe('explorer core: hypervisors', () => {
  it('reads capacity from the API below 2.88 and from Placement at 2.88+', function () {
    assert.equal(hypervisorStatsInApi('2.87'), true);
    assert.equal(hypervisorStatsInApi('2.88'), false);
    const old = sample('nova-api-samples', 'os-hypervisors', 'v2.53', 'hypervisors-detail-resp.json');
    const now = sample('nova-api-samples', 'os-hypervisors', 'v2.88', 'hypervisors-detail-resp.json');
    if (!old || !now) this.skip();
    const h53 = parseHypervisor(listOf(old, 'hypervisors')[0]);
    const cap = capacityFromHypervisor(h53);
    assert.equal(cap[0].total, old.hypervisors[0].vcpus);
    assert.equal(cap[1].used, old.hypervisors[0].memory_mb_used);
    assert.deepEqual(capacityFromHypervisor(parseHypervisor(listOf(now, 'hypervisors')[0])), []);
    const pl = capacityFromPlacement({
      provider: { uuid: 'u', name: 'compute1', raw: {} },
      inventories: { VCPU: { total: 8, reserved: 0, minUnit: 1, maxUnit: 8, stepSize: 1, allocationRatio: 4 }, MEMORY_MB: { total: 16384, reserved: 512, minUnit: 1, maxUnit: 16384, stepSize: 1, allocationRatio: 1.5 } },
      usages: { VCPU: 3 },
      free: {},
    });
    assert.deepEqual(pl.map((c) => [c.resource, c.used, c.total]), [['VCPU', 3, 32], ['MEMORY_MB', 0, 23808]]);
    assert.equal(formatCapacity(pl[0]), '3 / 32 (9%)');
  });

  it('joins hypervisors to compute services and shows disabled reason and forced down', function () {
    const hb = sample('nova-api-samples', 'os-hypervisors', 'v2.53', 'hypervisors-detail-resp.json');
    const sb = sample('nova-api-samples', 'os-services', 'v2.53', 'services-list-get-resp.json');
    if (!hb || !sb) this.skip();
    const h = parseHypervisor(listOf(hb, 'hypervisors')[0]);
    const services = listOf(sb, 'services').map(parseComputeService);
    const svc = computeServiceOf(h, services);
    assert.equal(svc?.binary, 'nova-compute');
    const disabled = { ...svc!, status: 'disabled', disabledReason: 'maintenance', forcedDown: true };
    const hd = { ...h, status: 'disabled' };
    assert.equal(serviceHealth(disabled), 'forced-down');
    assert.match(hypervisorDescription(hd, disabled), /disabled · forced down · "maintenance"/);
    assert.match(hypervisorContextValue(hd, disabled), /^os\.hypervisor\.up\+disabled\+forcedDown\+service$/);
  });
});

describe('explorer core: network', () => {
  it('detects L3 agents, OVN and no-agent clouds', function () {
    const body = sample('neutron-api-samples', 'agents', 'agents-list-response.json');
    if (body) {
      const agents = listOf(body, 'agents').map(parseAgent);
      const b = detectNetworkBackend(agents);
      assert.ok(b.kind === 'l3-agents' || b.kind === 'none');
    }
    const ovn = detectNetworkBackend([{ id: 'a', agentType: 'OVN Controller agent', host: 'c1', alive: true, mechanism: 'ovn', configurations: {}, raw: {} }]);
    assert.equal(ovn.kind, 'ovn');
    assert.match((ovn as { reason: string }).reason, /no qrouter-, snat- or qdhcp- namespaces/);
    assert.equal(detectNetworkBackend([]).kind, 'none');
    assert.match((detectNetworkBackend(undefined) as { reason: string }).reason, /admin role/);
  });

  it('orders HA agents active first (router-l3-agent sample)', function () {
    const body = sample('neutron-api-samples', 'agents', 'router-l3-agent-list-response.json');
    if (!body) this.skip();
    const agents = listOf(body, 'agents').map(parseAgent);
    const sorted = sortAgents([...agents].reverse());
    assert.equal(sorted[0].alive, true);
    assert.ok(agentDescription(sorted[0]).startsWith('alive'));
  });
});
