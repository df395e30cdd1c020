import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nextLink } from '../../../src/core/openstack/parse';
import {
  parseAgent, parseFloatingIp, parseNetwork, parsePort, parseRouter, parseSubnet,
} from '../../../src/core/openstack/parse-neutron';
import {
  parseComputeService, parseHypervisor, parseInstanceAction, parseMigration, parseServer, parseServerMigration,
} from '../../../src/core/openstack/parse-nova';
import { sharedFixtures } from '../../support/lab';

/**
 * Walks every relevant response sample of Nova (all microversion folders) and Neutron and checks that the parsers
 * keep the fields the troubleshooter relies on: for each API key present in the sample, the typed field holds the
 * same value.
 */

const nova = sharedFixtures('nova-api-samples');
const neutron = sharedFixtures('neutron-api-samples');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (e.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

type Obj = Record<string, unknown>;
const load = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Obj;

/** For every `apiKey → field` whose key the sample has, the parsed field equals the sample value. */
function expectKept(file: string, raw: Obj, parsed: object, map: Record<string, string>, transform: Record<string, (v: unknown) => unknown> = {}): number {
  let checked = 0;
  for (const [apiKey, field] of Object.entries(map)) {
    if (!(apiKey in raw)) continue;
    const want = transform[apiKey] ? transform[apiKey](raw[apiKey]) : raw[apiKey];
    assert.deepEqual((parsed as Obj)[field], want, `${file}: "${apiKey}" → ${field}`);
    checked++;
  }
  assert.equal((parsed as { raw: unknown }).raw, raw, `${file}: raw kept`);
  return checked;
}

const asString = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : v);

const SERVER_FIELDS = {
  id: 'id',
  name: 'name',
  status: 'status',
  'OS-EXT-SRV-ATTR:host': 'host',
  'OS-EXT-SRV-ATTR:hypervisor_hostname': 'hypervisorHostname',
  'OS-EXT-SRV-ATTR:instance_name': 'instanceName',
  'OS-EXT-SRV-ATTR:hostname': 'hostname',
  'OS-EXT-AZ:availability_zone': 'availabilityZone',
  'OS-EXT-STS:task_state': 'taskState',
  'OS-EXT-STS:vm_state': 'vmState',
  'OS-EXT-STS:power_state': 'powerState',
  host_status: 'hostStatus',
  hostId: 'hostId',
  tenant_id: 'projectId',
  user_id: 'userId',
  locked: 'locked',
  created: 'created',
  updated: 'updated',
};

function checkServer(file: string, raw: Obj): number {
  const s = parseServer(raw);
  let n = expectKept(file, raw, s, SERVER_FIELDS);
  if (raw.addresses && typeof raw.addresses === 'object') {
    const all = Object.entries(raw.addresses as Record<string, Obj[]>).flatMap(([net, l]) => l.map((a) => ({ net, addr: a.addr, type: a['OS-EXT-IPS:type'] })));
    assert.deepEqual(s.addresses.map((a) => ({ net: a.network, addr: a.addr, type: a.type })), all, `${file}: addresses`);
    n++;
  }
  const f = raw.flavor as Obj | undefined;
  if (f) {
    if ('original_name' in f) {
      assert.equal(s.flavor?.name, f.original_name, `${file}: flavor name`);
      assert.equal(s.flavor?.ramMb, f.ram, `${file}: flavor ram`);
      assert.equal(s.flavor?.vcpus, f.vcpus, `${file}: flavor vcpus`);
    } else {
      assert.equal(s.flavor?.id, f.id, `${file}: flavor id`);
    }
    n++;
  }
  return n;
}

const HYPERVISOR_FIELDS = {
  hypervisor_hostname: 'hypervisorHostname',
  hypervisor_type: 'hypervisorType',
  hypervisor_version: 'hypervisorVersion',
  host_ip: 'hostIp',
  state: 'state',
  status: 'status',
  uptime: 'uptime',
};

function checkHypervisor(file: string, raw: Obj): number {
  const h = parseHypervisor(raw);
  let n = expectKept(file, raw, h, { ...HYPERVISOR_FIELDS, id: 'id' }, { id: asString });
  const svc = raw.service as Obj | undefined;
  if (svc) {
    assert.equal(h.service?.host, svc.host, `${file}: service.host`);
    assert.equal(h.service?.id, String(svc.id), `${file}: service.id`);
    n++;
  }
  if (raw.cpu_info && typeof raw.cpu_info === 'object') {
    const c = raw.cpu_info as Obj;
    assert.equal(h.cpuInfo?.model, c.model, `${file}: cpu_info.model`);
    assert.deepEqual(h.cpuInfo?.features, c.features, `${file}: cpu_info.features`);
    n++;
  }
  if ('vcpus' in raw) {
    assert.equal(h.stats?.vcpus, raw.vcpus, `${file}: vcpus`);
    assert.equal(h.stats?.memoryMbUsed, raw.memory_mb_used, `${file}: memory_mb_used`);
    assert.equal(h.stats?.runningVms, raw.running_vms, `${file}: running_vms`);
    n++;
  } else {
    assert.equal(h.stats, undefined, `${file}: no stats invented`);
  }
  if (Array.isArray(raw.servers)) {
    assert.deepEqual(h.servers, raw.servers, `${file}: servers`);
    n++;
  }
  return n;
}

const SERVICE_FIELDS = {
  binary: 'binary',
  host: 'host',
  zone: 'zone',
  state: 'state',
  status: 'status',
  disabled_reason: 'disabledReason',
  forced_down: 'forcedDown',
  updated_at: 'updatedAt',
};

const MIGRATION_COMMON = {
  id: 'id',
  uuid: 'uuid',
  status: 'status',
  source_compute: 'sourceCompute',
  source_node: 'sourceNode',
  dest_compute: 'destCompute',
  dest_node: 'destNode',
  dest_host: 'destHost',
  user_id: 'userId',
  project_id: 'projectId',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
};

const SERVER_MIGRATION_FIELDS = {
  ...MIGRATION_COMMON,
  server_uuid: 'serverUuid',
  memory_total_bytes: 'memoryTotalBytes',
  memory_processed_bytes: 'memoryProcessedBytes',
  memory_remaining_bytes: 'memoryRemainingBytes',
  disk_total_bytes: 'diskTotalBytes',
  disk_processed_bytes: 'diskProcessedBytes',
  disk_remaining_bytes: 'diskRemainingBytes',
};

const ACTION_FIELDS = {
  action: 'action',
  request_id: 'requestId',
  instance_uuid: 'instanceUuid',
  user_id: 'userId',
  project_id: 'projectId',
  start_time: 'startTime',
  updated_at: 'updatedAt',
  message: 'message',
};

const EVENT_FIELDS = {
  event: 'event',
  start_time: 'startTime',
  finish_time: 'finishTime',
  result: 'result',
  traceback: 'traceback',
  host: 'host',
  hostId: 'hostId',
  details: 'details',
};

function checkAction(file: string, raw: Obj): number {
  const a = parseInstanceAction(raw);
  let n = expectKept(file, raw, a, ACTION_FIELDS);
  if (Array.isArray(raw.events)) {
    assert.equal(a.events?.length, raw.events.length, `${file}: events`);
    (raw.events as Obj[]).forEach((e, i) => {
      for (const [k, f] of Object.entries(EVENT_FIELDS)) {
        if (k in e) assert.deepEqual((a.events![i] as unknown as Obj)[f], e[k], `${file}: event ${k}`);
      }
    });
    n++;
  }
  return n;
}

/** Items of a sample under one of the keys (list or single). */
function items(body: Obj, listKey: string, itemKey: string): Obj[] {
  if (Array.isArray(body[listKey])) return body[listKey] as Obj[];
  if (body[itemKey] && typeof body[itemKey] === 'object') return [body[itemKey] as Obj];
  return [];
}

describe('openstack parsers over Nova api samples (all microversions)', function () {
  before(function () {
    if (!nova) {
      console.log('    (skipped: ../shared/fixtures/nova-api-samples is absent in this clone)');
      this.skip();
    }
  });

  const stats = { files: 0, objects: 0, fields: 0 };
  after(() => {
    if (nova) console.log(`    walked ${stats.files} Nova sample files, ${stats.objects} objects, ${stats.fields} field checks`);
  });

  it('servers: every details/show response keeps admin host fields, states, addresses and flavor', function () {
    const files = walk(join(nova!, 'servers')).filter((f) => /servers-details|server-get-resp|server-get-down-cell|server-update-resp|server-put-resp|server-action-rebuild-resp/.test(f));
    assert.ok(files.length >= 40, `expected the servers samples of every microversion, found ${files.length}`);
    for (const f of files) {
      const rel = relative(nova!, f);
      for (const s of items(load(f), 'servers', 'server')) {
        stats.fields += checkServer(rel, s);
        stats.objects++;
      }
      stats.files++;
    }
    // The admin sample has all the fields an operator needs to find a VM on its host.
    const admin = parseServer(items(load(join(nova!, 'servers/v2.73/servers-details-resp.json')), 'servers', 'server')[0]);
    assert.equal(admin.host, 'compute');
    assert.equal(admin.hypervisorHostname, 'fake-mini');
    assert.equal(admin.instanceName, 'instance-00000001');
    assert.equal(admin.powerState, 1);
    assert.equal(admin.taskState, null);
    assert.equal(admin.flavor?.name, 'm1.tiny');
    // Before 2.47 a server's flavor is only a reference.
    const old = parseServer(items(load(join(nova!, 'servers/servers-details-resp.json')), 'servers', 'server')[0]);
    assert.equal(old.flavor?.id, '1');
    assert.equal(old.flavor?.name, undefined);
    // Down-cell records (2.69) parse with status UNKNOWN rather than failing.
    const down = parseServer(items(load(join(nova!, 'servers/v2.71/server-get-down-cell-resp.json')), 'servers', 'server')[0]);
    assert.equal(down.status, 'UNKNOWN');
  });

  it('servers_links: the next page link is found on paged server lists', function () {
    const body = load(join(nova!, 'servers/v2.100/servers-details-resp.json'));
    assert.match(nextLink(body, 'servers_links') ?? '', /servers\/detail\?.*marker=/);
  });

  it('hypervisors: integer and uuid ids, cpu_info as dict, stats below 2.88 only, servers', function () {
    const files = walk(join(nova!, 'os-hypervisors')).filter((f) => !/statistics/.test(f));
    assert.ok(files.length >= 25, `found ${files.length}`);
    for (const f of files) {
      const rel = relative(nova!, f);
      for (const h of items(load(f), 'hypervisors', 'hypervisor')) {
        stats.fields += checkHypervisor(rel, h);
        stats.objects++;
      }
      stats.files++;
    }
    const v21 = parseHypervisor(items(load(join(nova!, 'os-hypervisors/hypervisors-detail-resp.json')), 'hypervisors', 'hypervisor')[0]);
    assert.equal(v21.id, '1');
    const v253 = load(join(nova!, 'os-hypervisors/v2.53/hypervisors-detail-resp.json'));
    const h53 = parseHypervisor(items(v253, 'hypervisors', 'hypervisor')[0]);
    assert.equal(h53.id, '1bb62a04-c576-402c-8147-9e89757a09e3');
    assert.equal(h53.cpuInfo?.topology?.sockets, 4);
    // The live-migrate host is the service host, which can differ from the node name.
    assert.equal(h53.hypervisorHostname, 'host2');
    assert.equal(h53.service?.host, 'host1');
    assert.match(nextLink(v253, 'hypervisors_links') ?? '', /marker=1bb62a04/);
    const h88 = parseHypervisor(items(load(join(nova!, 'os-hypervisors/v2.88/hypervisors-detail-resp.json')), 'hypervisors', 'hypervisor')[0]);
    assert.equal(h88.cpuInfo, undefined);
    assert.equal(h88.stats, undefined);
    assert.equal(h88.uptime, null); // inline from 2.88 (null when the driver cannot tell)
  });

  it('services: list and update responses, integer and uuid ids, forced_down, down-cell records', function () {
    const files = walk(join(nova!, 'os-services')).filter((f) => /-resp\.json$/.test(f));
    for (const f of files) {
      const rel = relative(nova!, f);
      for (const s of items(load(f), 'services', 'service')) {
        if (!('binary' in s)) continue; // update responses before 2.53 echo only the changed fields
        stats.fields += expectKept(rel, s, parseComputeService(s), { ...SERVICE_FIELDS, id: 'id' }, { id: asString });
        stats.objects++;
      }
      stats.files++;
    }
    const down = parseComputeService(items(load(join(nova!, 'os-services/v2.69/services-list-get-resp.json')), 'services', 'service')[0]);
    assert.equal(down.status, 'UNKNOWN');
    assert.equal(down.id, undefined);
  });

  it('os-migrations: instance_uuid, types, statuses, paging links', function () {
    const files = walk(join(nova!, 'os-migrations'));
    for (const f of files) {
      const rel = relative(nova!, f);
      const body = load(f);
      for (const m of items(body, 'migrations', 'migration')) {
        stats.fields += expectKept(rel, m, parseMigration(m), {
          ...MIGRATION_COMMON,
          instance_uuid: 'instanceUuid',
          migration_type: 'migrationType',
          old_instance_type_id: 'oldInstanceTypeId',
          new_instance_type_id: 'newInstanceTypeId',
        });
        stats.objects++;
      }
      if (/with-limit/.test(f)) assert.match(nextLink(body, 'migrations_links') ?? '', /marker=/, `${rel}: migrations_links`);
      stats.files++;
    }
  });

  it('server migrations: server_uuid and memory/disk progress bytes', function () {
    const files = walk(join(nova!, 'server-migrations')).filter((f) => /migrations-(get|index)/.test(f));
    assert.ok(files.length >= 6);
    for (const f of files) {
      const rel = relative(nova!, f);
      for (const m of items(load(f), 'migrations', 'migration')) {
        const p = parseServerMigration(m);
        stats.fields += expectKept(rel, m, p, SERVER_MIGRATION_FIELDS);
        assert.ok(p.memoryRemainingBytes !== undefined, `${rel}: memory_remaining_bytes`);
        stats.objects++;
      }
      stats.files++;
    }
  });

  it('instance actions: request ids, events with traceback (admin), host (2.62), details (2.84), links paging', function () {
    const files = walk(join(nova!, 'os-instance-actions'));
    for (const f of files) {
      const rel = relative(nova!, f);
      const body = load(f);
      for (const a of items(body, 'instanceActions', 'instanceAction')) {
        stats.fields += checkAction(rel, a);
        stats.objects++;
      }
      if (/with-limit/.test(f)) assert.match(nextLink(body, 'links') ?? '', /marker=req-/, `${rel}: links`);
      stats.files++;
    }
    const admin = parseInstanceAction(load(join(nova!, 'os-instance-actions/v2.84/instance-action-get-resp.json')).instanceAction);
    assert.equal(admin.events?.[0].event, 'compute_stop_instance');
    assert.equal(admin.events?.[0].host, 'compute');
    assert.equal(admin.events?.[0].details, null);
  });
});

describe('openstack parsers over Neutron api samples', function () {
  before(function () {
    if (!neutron) {
      console.log('    (skipped: ../shared/fixtures/neutron-api-samples is absent in this clone)');
      this.skip();
    }
  });

  const responses = (dir: string) => walk(join(neutron!, dir)).filter((f) => /response/.test(f) && !/version/.test(f));

  it('agents: type, host, alive, agent_mode, ha_state, mechanism (leading-space id trimmed)', function () {
    let n = 0;
    for (const f of responses('agents')) {
      const body = load(f);
      for (const a of items(body, 'agents', 'agent')) {
        const p = parseAgent(a);
        expectKept(f, a, p, { agent_type: 'agentType', binary: 'binary', host: 'host', alive: 'alive', ha_state: 'haState', heartbeat_timestamp: 'heartbeatTimestamp' });
        assert.equal(p.id, String(a.id).trim());
        const conf = a.configurations as Obj | undefined;
        if (conf && 'agent_mode' in conf) assert.equal(p.agentMode, conf.agent_mode);
        n++;
      }
    }
    assert.ok(n >= 8, `parsed ${n} agents`);
    const list = load(join(neutron!, 'agents/agents-list-response.json')).agents as Obj[];
    const parsed = list.map(parseAgent);
    assert.equal(parsed[0].id, '04c62b91-b799-48b7-9cd5-2982db6df9c6');
    assert.deepEqual(
      [...new Set(parsed.map((a) => `${a.agentType}=${a.mechanism}`))].sort(),
      ['DHCP agent=other', 'L3 agent=other', 'Metadata agent=other', 'Open vSwitch agent=ovs'],
    );
    const l3 = parseAgent((load(join(neutron!, 'agents/router-l3-agent-list-response.json')).agents as Obj[])[0]);
    assert.equal(l3.haState, null);
    assert.equal(l3.agentMode, 'legacy');
  });

  it('routers: ha, distributed, external gateway', function () {
    let n = 0;
    for (const f of responses('routers')) {
      for (const r of items(load(f), 'routers', 'router')) {
        if (!('id' in r)) continue; // add/remove-interface responses are not routers
        const p = parseRouter(r);
        expectKept(f, r, p, { id: 'id', name: 'name', status: 'status', ha: 'ha', distributed: 'distributed', admin_state_up: 'adminStateUp' });
        const gw = r.external_gateway_info as Obj | null | undefined;
        if (gw) {
          assert.equal(p.externalGatewayInfo?.networkId, gw.network_id);
          assert.equal(p.externalGatewayInfo?.externalFixedIps.length, (gw.external_fixed_ips as unknown[] | undefined)?.length ?? 0);
        }
        n++;
      }
    }
    assert.ok(n >= 5, `parsed ${n} routers`);
    const show = parseRouter(load(join(neutron!, 'routers/router-show-response.json')).router);
    assert.equal(typeof show.ha, 'boolean');
    assert.equal(typeof show.distributed, 'boolean');
  });

  it('floating IPs: addresses, port, router, port_details', function () {
    let n = 0;
    for (const f of responses('floatingips')) {
      for (const x of items(load(f), 'floatingips', 'floatingip')) {
        if (!('floating_ip_address' in x)) continue; // pools list
        const p = parseFloatingIp(x);
        expectKept(f, x, p, { id: 'id', floating_ip_address: 'floatingIpAddress', fixed_ip_address: 'fixedIpAddress', port_id: 'portId', router_id: 'routerId', floating_network_id: 'floatingNetworkId', status: 'status' });
        const pd = x.port_details as Obj | undefined;
        if (pd) assert.equal(p.portDetails?.deviceOwner, pd.device_owner);
        n++;
      }
    }
    assert.ok(n >= 5, `parsed ${n} floating IPs`);
  });

  it('ports: binding:host_id and device_owner', function () {
    let n = 0;
    for (const f of responses('ports')) {
      for (const x of items(load(f), 'ports', 'port')) {
        if (!('network_id' in x)) continue; // binding-only responses
        expectKept(f, x, parsePort(x), { id: 'id', network_id: 'networkId', device_owner: 'deviceOwner', device_id: 'deviceId', 'binding:host_id': 'bindingHostId', 'binding:vif_type': 'bindingVifType', mac_address: 'macAddress' });
        n++;
      }
    }
    assert.ok(n >= 5, `parsed ${n} ports`);
    const bound = (load(join(neutron!, 'ports/ports-bind-list-response.json')).ports as Obj[]).map(parsePort);
    assert.deepEqual(bound.map((p) => [p.bindingHostId, p.deviceOwner]), [['devstack', 'network:router_gateway'], ['devstack', 'network:router_interface']]);
  });

  it('networks and subnets', function () {
    let n = 0;
    for (const f of responses('networks')) {
      for (const x of items(load(f), 'networks', 'network')) {
        expectKept(f, x, parseNetwork(x), { id: 'id', name: 'name', 'router:external': 'external', mtu: 'mtu', 'provider:network_type': 'providerNetworkType', subnets: 'subnets' });
        n++;
      }
    }
    for (const f of responses('subnets').filter((f) => !/subnetpool/.test(f))) {
      for (const x of items(load(f), 'subnets', 'subnet')) {
        if (!('cidr' in x)) continue; // onboard responses
        expectKept(f, x, parseSubnet(x), { id: 'id', cidr: 'cidr', network_id: 'networkId', gateway_ip: 'gatewayIp', ip_version: 'ipVersion', enable_dhcp: 'enableDhcp' });
        n++;
      }
    }
    assert.ok(n >= 10, `parsed ${n} networks and subnets`);
  });
});
