import * as assert from 'node:assert/strict';
import { BUILTIN_SIGNATURES } from '../../../src/core/diagnose/catalogue';
import { compilePattern, diagnose, fillTemplate, matchSignature, recordFields } from '../../../src/core/diagnose/engine';
import { diagnosisReport } from '../../../src/core/diagnose/report';
import type { Evidence, Signature } from '../../../src/core/diagnose/types';
import { validateSignatures } from '../../../src/core/diagnose/user-signatures';
import { parseText } from '../../../src/core/logs/entries';
import { UTC_CLOCK } from '../../../src/core/logs/types';
import type { ComputeService, Hypervisor } from '../../../src/core/openstack/types';

// Real lines, as the lab's Debian Zed services wrote them (controller and compute1, 2026-12-06).
const SCHEDULER =
  '2026-12-06 22:35:40.031 10669 INFO nova.scheduler.manager [None req-7e6d6c9e-acf2-4d1b-bc9f-3c75634b8639 721f0cc84a2442f0a71b0841fad3d4ff 5509e76b169f400c9ada1ca19ed6eb72 - - default default] Got no allocation candidates from the Placement API. This could be due to insufficient resources or a temporary occurrence as compute nodes start up.';
const PLACEMENT =
  '2026-12-06 22:35:40.029 10485 INFO placement.requestlog [req-7e6d6c9e-acf2-4d1b-bc9f-3c75634b8639 req-2282e675-20a4-467c-9357-061e89e461b2 dafaabb5450d40db83aa9a712c51b7bb 2cc35fbc850b4ff595fc1b2fa98ab1d1 - - default default] 198.18.0.10 "GET /allocation_candidates?in_tree=63d9eaf5-79ca-4fcb-801a-3714c7d62b41&limit=1000&resources=DISK_GB%3A1%2CMEMORY_MB%3A96%2CVCPU%3A1&root_required=%21COMPUTE_STATUS_DISABLED" status: 200 len: 53 microversion: 1.36';
const LIBVIRT_FAILURE =
  "2026-12-06 22:35:36.657 10691 ERROR nova.virt.libvirt.driver [-] [instance: d5eaf75f-c9ad-4e0a-a381-44018b86fe74] Live Migration failure: unable to connect to server at 'compute2:16509': Connection refused: libvirt.libvirtError: unable to connect to server at 'compute2:16509': Connection refused";

const VM1 = { kind: 'instance' as const, id: 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74' };
const rec = (host: string, service: string, file: string, line: string) => parseText(line, host, service, file, { clock: UTC_CLOCK });

function evidence(over: Partial<Evidence> = {}): Evidence {
  return {
    subject: { kind: 'instance', id: '28275f24-96c8-495c-ba01-baa45606013b' },
    records: [
      ...rec('controller', 'placement-api', '/var/log/placement/placement-api.log', PLACEMENT),
      ...rec('controller', 'nova-scheduler', '/var/log/nova/nova-scheduler.log', SCHEDULER),
    ],
    notes: [],
    ...over,
  };
}
const hv = (id: string, host: string, type = 'QEMU'): Hypervisor => ({ id, hypervisorHostname: host, hypervisorType: type, service: { host, id: `s-${host}` }, status: 'enabled', state: 'up', raw: {} });
const svc = (host: string, status: string, reason: string | null = null): ComputeService => ({ binary: 'nova-compute', host, status, state: 'up', disabledReason: reason, raw: {} });

describe('diagnose engine', () => {
  it('reads the oslo message after the context and the instance tag, and the logger', () => {
    const [e] = rec('compute1', 'nova-compute', '/var/log/nova/nova-compute.log', LIBVIRT_FAILURE);
    const f = recordFields(e);
    assert.equal(f.logger, 'nova.virt.libvirt.driver');
    assert.match(f.message, /^Live Migration failure: unable to connect/);
  });

  it('{var} in a pattern is the escaped value; unbound variables make no pattern; regex quantifiers stay', () => {
    assert.equal(compilePattern('^{host}$', { host: 'a.b(c)' })!.source, '^a\\.b\\(c\\)$');
    assert.equal(compilePattern('^{host}$', {}), undefined);
    assert.equal(compilePattern('\\d{4}-x', {})!.source, '\\d{4}-x');
    assert.equal(fillTemplate('{a} and {b}', { a: '1' }), '1 and {b}');
  });

  it('binds across sources: placement\'s in_tree → the hypervisor → its service; q_ groups are URL-decoded', async () => {
    const sig: Signature = {
      id: 't',
      title: 'T',
      when: [
        { source: 'log', service: '^placement', message: 'in_tree=(?<rp>[0-9a-f-]{36})[^"]*resources=(?<q_res>[^&"]+)' },
        { source: 'hypervisor', id: '^{rp}$', service_host: '^(?<target>.+)$' },
        { source: 'service', host: '^{target}$', status: '^disabled$', disabled_reason: '^(?<reason>.*)$' },
      ],
      cause: '{target} is disabled ({reason}); asked {res}',
      fixes: [{ text: 'enable {target}', commands: [{ host: '{target}', command: 'x {target}' }] }],
    };
    const ev = evidence({ hypervisors: [hv('63d9eaf5-79ca-4fcb-801a-3714c7d62b41', 'compute2'), hv('11111111-79ca-4fcb-801a-3714c7d62b41', 'compute1')], services: [svc('compute1', 'enabled'), svc('compute2', 'disabled', 'maintenance')] });
    const f = await matchSignature(sig, ev);
    assert.ok(f);
    assert.equal(f.cause, 'compute2 is disabled (maintenance); asked DISK_GB:1,MEMORY_MB:96,VCPU:1');
    assert.deepEqual(f.fixes[0].commands, [{ host: 'compute2', command: 'x compute2' }]);
    assert.deepEqual(f.evidence.map((e) => e.source), ['log', 'hypervisor', 'service']);
    // the same records with compute2 enabled: no match (the diagnosis does not claim more than its evidence)
    assert.equal(await matchSignature(sig, { ...ev, services: [svc('compute2', 'enabled')] }), undefined);
    // without the API's view (offline): no match either
    assert.equal(await matchSignature(sig, evidence()), undefined);
  });

  it('the built-in catalogue: a disabled requested host supersedes "no candidates"; with the host enabled, the capacity reading remains', async () => {
    const disabled = await diagnose(evidence({ hypervisors: [hv('63d9eaf5-79ca-4fcb-801a-3714c7d62b41', 'compute2')], services: [svc('compute2', 'disabled', 'diagnose test')] }), BUILTIN_SIGNATURES);
    assert.deepEqual(disabled.findings.map((f) => f.signature), ['requested-host-disabled']);
    const enabled = await diagnose(evidence({ hypervisors: [hv('63d9eaf5-79ca-4fcb-801a-3714c7d62b41', 'compute2')], services: [svc('compute2', 'enabled')] }), BUILTIN_SIGNATURES);
    assert.deepEqual(enabled.findings.map((f) => f.signature), ['no-allocation-candidates']);
    assert.match(enabled.findings[0].cause, /no compute host with DISK_GB:1,MEMORY_MB:96,VCPU:1 free/);
  });

  it('an optional file condition adds the config line; a host that cannot be read is a note, and the finding stands', async () => {
    const records = rec('compute1', 'nova-compute', '/var/log/nova/nova-compute.log', LIBVIRT_FAILURE);
    const withFile = await diagnose(
      evidence({ subject: VM1, records, readFile: async (host, path) => (host === 'compute2' && path === '/etc/libvirt/libvirtd.conf' ? ['# listen_tcp = 1', 'listen_tcp = 0'] : undefined) }),
      BUILTIN_SIGNATURES,
    );
    const f = withFile.findings[0];
    assert.equal(f.signature, 'live-migration-target-libvirtd-refused');
    assert.deepEqual(f.evidence.filter((e) => e.source === 'file').map((e) => `${e.host}:${e.file}:${e.lineNo} ${e.text}`), ['compute2:/etc/libvirt/libvirtd.conf:2 listen_tcp = 0']);
    const failing = await diagnose(
      evidence({ subject: VM1, records, readFile: async () => { throw new Error('boom'); } }),
      BUILTIN_SIGNATURES,
    );
    assert.deepEqual(failing.findings.map((x) => x.signature), ['live-migration-target-libvirtd-refused']);
    assert.ok(!failing.findings[0].evidence.some((e) => e.source === 'file'));
    // a required condition that cannot be evaluated is a note, never a finding
    const req: Signature = { id: 'r', title: 'R', when: [{ source: 'file', host: 'h', path: '/x', line: 'y' }], cause: 'c', fixes: [] };
    const d = await diagnose(evidence({ readFile: async () => { throw new Error('boom'); } }), [req]);
    assert.equal(d.findings.length, 0);
    assert.ok(d.notes.some((n) => /Signature r .*boom/.test(n)));
  });

  it("a record that names another instance is not evidence about this one (a host's recent errors hold every instance's)", async () => {
    const records = rec('compute1', 'nova-compute', '/var/log/nova/nova-compute.log', LIBVIRT_FAILURE);
    const other = await diagnose(evidence({ subject: { kind: 'instance', id: '938de899-bf3c-451e-bb02-d891f684e222' }, records }), BUILTIN_SIGNATURES);
    assert.deepEqual(other.findings, []);
    const same = await diagnose(evidence({ subject: { kind: 'instance', id: 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74' }, records }), BUILTIN_SIGNATURES);
    assert.deepEqual(same.findings.map((f) => f.signature), ['live-migration-target-libvirtd-refused']);
  });

  it("a host's recent errors (not found by the instance's ids) feed host-level signatures only", async () => {
    // real lines of compute2 (the lab): another server's failed port binding, logged without an instance tag
    const binding = rec('compute2', 'nova-compute', '/var/log/nova/nova-compute.log', "2026-12-06 23:49:48.953 24572 ERROR nova.compute.manager [None req-a0de08f2-be1d-4685-9a25-1300821155b3 720402db88124ddf83978603d386a047 d5b1fc537b9f42a7920ac5ccbdca1919 - - default default] Instance failed network setup after 1 attempt(s): nova.exception.PortBindingFailed: Binding failed for port ba91415a-ef6a-4d97-9fd9-3103621c50f1, please check neutron logs for more information.");
    // and a real RabbitMQ outage line of the shared real logs
    const amqp = rec('compute2', 'nova-compute', '/var/log/nova/nova-compute.log', '2015-10-20 09:10:58.219 28372 ERROR oslo.messaging._drivers.impl_rabbit [-] AMQP server on 10.12.27.29:5672 is unreachable: [Errno 111] ECONNREFUSED. Trying again in 1 seconds.');
    const neutron = rec('controller', 'neutron-server', '/var/log/neutron/neutron-server.log', "2026-12-06 23:49:48.362 30210 WARNING neutron.plugins.ml2.drivers.mech_agent [None req-39326561-2f65-4e82-b4e7-ed5ee1af4e87 f0c851c7b6eb48bd89a9bff8f22d5e9e a19e9b0d6faa455fb650e46c5d14bdab - - - -] Refusing to bind port ba91415a-ef6a-4d97-9fd9-3103621c50f1 to dead agent: {'id': '19502145-685d-4516-8a4f-95b367b3ef27', 'agent_type': 'Linux bridge agent', 'binary': 'neutron-linuxbridge-agent', 'topic': 'N/A', 'host': 'compute2', 'admin_state_up': True, 'created_at': datetime.datetime(2026, 12, 6, 23, 29, 14), 'started_at': datetime.datetime(2026, 12, 6, 23, 42, 1), 'heartbeat_timestamp': datetime.datetime(2026, 12, 6, 23, 48, 31), 'description': None, 'resources_synced': None, 'availability_zone': None, 'alive': False, 'configurations': {'bridge_mappings': {}, 'devices': 2, 'extensions': [], 'interface_mappings': {'public': 'ext0'}, 'l2_population': False, 'tunnel_types': ['vxlan'], 'tunneling_ip': '198.18.0.12'}, 'resource_versions': {'AddressGroup': '1.2', 'Agent': '1.1', 'ConntrackHelper': '1.0', 'LocalIPAssociation': '1.0', 'Log': '1.0', 'NDPProxy': '1.0', 'Network': '1.1', 'Port': '1.7', 'PortForwarding': '1.3', 'QosPolicy': '1.10', 'SecurityGroup': '1.5', 'SecurityGroupRule': '1.2', 'SubPort': '1.0', 'Subnet': '1.1', 'Trunk': '1.1'}}");
    const records = [...amqp, ...neutron, ...binding];
    const asHost = await diagnose(evidence({ subject: VM1, records, hostRecords: new Set([...binding, ...amqp]) }), BUILTIN_SIGNATURES);
    assert.deepEqual(asHost.findings.map((f) => f.signature), ['amqp-unreachable']);
    const asOwn = await diagnose(evidence({ subject: VM1, records }), BUILTIN_SIGNATURES);
    assert.deepEqual(asOwn.findings.map((f) => f.signature).sort(), ['amqp-unreachable', 'port-binding-failed']);
  });

  it('nothing matched: a passing report that says what was looked at', async () => {
    const d = await diagnose({ subject: { kind: 'request', id: 'req-x' }, records: [], notes: ['compute9: unreachable'] }, []);
    const r = diagnosisReport(d);
    assert.equal(r.status, 'pass');
    assert.equal(r.findings[0].id, 'nothing-matched');
    assert.deepEqual(r.findings[0].evidence, ['no log records']);
    assert.equal(r.findings[1].status, 'skip');
    assert.deepEqual(r.findings[1].evidence, ['compute9: unreachable']);
  });

  it('every built-in signature passes the user-file validation (one format for both) and names where it was proven', () => {
    const plain = JSON.parse(JSON.stringify(BUILTIN_SIGNATURES)) as Signature[];
    assert.equal(validateSignatures(plain, 'builtin').length, BUILTIN_SIGNATURES.length);
    for (const s of BUILTIN_SIGNATURES) assert.ok(s.provenOn && s.provenOn.length > 0, `${s.id} names no proof`);
    const ids = new Set(BUILTIN_SIGNATURES.map((s) => s.id));
    for (const s of BUILTIN_SIGNATURES) for (const x of s.supersedes ?? []) assert.ok(ids.has(x), `${s.id} supersedes unknown ${x}`);
  });
});
