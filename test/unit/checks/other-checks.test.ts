import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateCgroups, sharesToWeight, type CgroupCheckFacts } from '../../../src/core/checks/cgroups';
import { evaluateFloatingIp, floatingIpReport, type FloatingIpFacts } from '../../../src/core/checks/floating-ip';
import { evaluateMysql, mysqlReport, type MysqlFacts } from '../../../src/core/checks/mysql-limits';
import type { Finding } from '../../../src/core/checks/types';
import { evaluateVxlan, vxlanReport, type VxlanFacts } from '../../../src/core/checks/vxlan';
import { parseIptablesSave } from '../../../src/core/namespaces/iptables';

const fixture = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'checks', name), 'utf8');
const recorded = <T>(name: string): T => JSON.parse(fixture(`${name}.facts.json`)) as T;
const item = (fs: Finding[], id: string) => {
  const f = fs.find((x) => x.id === id);
  assert.ok(f, `no finding "${id}" in ${fs.map((x) => x.id).join(', ')}`);
  return f;
};

describe('checks: MySQL effective limits (recorded lab facts)', () => {
  it('finds the lab symptom: 1024 open files for max_connections 4096, and names the cause and the drop-in fix', () => {
    const r = mysqlReport(recorded<MysqlFacts>('mysql-controller'));
    assert.equal(r.status, 'fail');
    const o = item(r.findings, 'open-files');
    assert.equal(o.status, 'fail');
    assert.match(o.summary, /may open only 1024 files, but max_connections = 4096 needs about 20480/);
    assert.match(o.summary, /limits\.conf asks for more .*pam_limits applies to login sessions, not to services/);
    assert.ok(o.evidence.some((e) => /Max open files 1024 \(soft\) 1024 \(hard\)/.test(e)));
    assert.deepEqual(o.fix?.quickFix, { host: 'controller', file: '/etc/systemd/system/mariadb.service.d/limits.conf', rule: 'mysql/open-files-too-low' });
    assert.match(o.fix?.text ?? '', /LimitNOFILE=20480/);
  });

  it('names the 214 tell-tale when the server lowered max_connections, from SHOW VARIABLES and its log line', () => {
    const f = recorded<MysqlFacts>('mysql-controller');
    assert.ok(f.variables.ok);
    f.variables.value.max_connections = '214';
    f.logLines = { ok: true, value: ['2026-11-25 20:12:57 0 [Warning] Changed limits: max_connections: 214 (requested 4096)'] };
    const fs = evaluateMysql(f);
    const m = item(fs, 'max-connections');
    assert.equal(m.status, 'fail');
    assert.match(m.summary, /runs with max_connections = 214, not the 4096/);
    assert.match(m.summary, /214 is the tell-tale of a 1024 open-files limit/);
    const log = item(fs, 'log');
    assert.equal(log.status, 'fail');
    assert.match(log.summary, /lowered max_connections from 4096 to 214/);
  });

  it('passes once LimitNOFILE=20480 is in a drop-in and the server got it', () => {
    const f = recorded<MysqlFacts>('mysql-controller');
    assert.ok(f.variables.ok && f.limits.ok && f.files.ok);
    f.variables.value.open_files_limit = '20480';
    f.limits.value.openFiles = { soft: 20480, hard: 20480 };
    f.files.value.push({ path: '/etc/systemd/system/mariadb.service.d/limits.conf', exists: true, mtime: 1, content: '[Service]\nLimitNOFILE=20480\n' });
    const r = mysqlReport(f);
    assert.equal(r.status, 'pass', JSON.stringify(r.findings.filter((x) => x.status !== 'pass')));
    assert.ok(item(r.findings, 'open-files').evidence.some((e) => /mariadb\.service\.d\/limits\.conf sets LimitNOFILE=20480/.test(e)));
  });

  it('skips with the reason when the database host cannot be reached', () => {
    const why = 'Cannot reach "controller" (ECONNREFUSED).';
    const f = recorded<MysqlFacts>('mysql-controller');
    for (const k of ['processes', 'variables', 'status', 'configured', 'configSites', 'limits', 'unit', 'files', 'logLines'] as const) (f as unknown as Record<string, unknown>)[k] = { ok: false, reason: why, unreachable: true };
    const r = mysqlReport(f);
    assert.equal(r.status, 'skip');
    assert.ok(r.findings.every((x) => x.status === 'skip' && x.summary.includes('ECONNREFUSED')));
  });
});

describe('checks: VXLAN port consistency (recorded lab facts)', () => {
  it('fails on the lab\'s deliberate mismatch and names compute2 (kernel default 8472)', () => {
    const r = vxlanReport(recorded<VxlanFacts>('vxlan-lab'));
    assert.equal(r.status, 'fail');
    const c = item(r.findings, 'consistency');
    assert.match(c.summary, /4789: compute1, network1; 8472: compute2/);
    assert.deepEqual(c.hosts, ['compute2']);
    assert.match(c.fix?.text ?? '', /udp_dstport = 4789/);
    assert.ok(item(r.findings, 'host:compute2').evidence.some((e) => /kernel default 8472/.test(e)));
  });

  it('passes when every node uses 4789', () => {
    const f = recorded<VxlanFacts>('vxlan-lab');
    const c2 = f.hosts.find((h) => h.host === 'compute2')!;
    assert.ok(c2.links.ok && c2.agentFiles.ok);
    c2.links.value[0].dstport = 4789;
    c2.agentFiles.value[0].content += '\n[vxlan]\nudp_dstport = 4789\n';
    const r = vxlanReport(f);
    assert.equal(r.status, 'pass');
    assert.match(item(r.findings, 'consistency').summary, /Every node uses UDP 4789 \(3 nodes\)/);
  });

  it('a tie between two ports that are not 4789 names one majority whatever order the hosts came in', () => {
    const tie = (order: string[]) => {
      const f = recorded<VxlanFacts>('vxlan-lab');
      const c1 = f.hosts.find((h) => h.host === 'compute1')!;
      assert.ok(c1.links.ok && c1.agentFiles.ok);
      c1.links.value[0].dstport = 9999;
      c1.agentFiles.value[0].content = (c1.agentFiles.value[0].content ?? '').replace(/udp_dstport = 4789/, 'udp_dstport = 9999');
      f.hosts = order.map((h) => f.hosts.find((x) => x.host === h)!);
      return item(evaluateVxlan(f), 'consistency');
    };
    const a = tie(['compute1', 'compute2']);
    const b = tie(['compute2', 'compute1']);
    assert.equal(a.status, 'fail');
    assert.deepEqual(a.hosts, b.hosts);
    assert.equal(a.fix?.text, b.fix?.text);
    assert.match(a.fix?.text ?? '', /^Use 8472 everywhere/);
  });

    it('warns when the agent is configured for a port its kernel device does not use yet', () => {
    const f = recorded<VxlanFacts>('vxlan-lab');
    const c2 = f.hosts.find((h) => h.host === 'compute2')!;
    assert.ok(c2.agentFiles.ok);
    c2.agentFiles.value[0].content += '\n[vxlan]\nudp_dstport = 4789\n';
    assert.equal(item(evaluateVxlan(f), 'host:compute2').status, 'warn');
  });
});

describe('checks: floating-IP path (recorded lab facts)', () => {
  it('finds DNAT, SNAT and the router SNAT of the lab\'s floating IP in its qrouter namespace on network1', () => {
    const r = floatingIpReport(recorded<FloatingIpFacts>('floating-ip-lab'));
    const nat = item(r.findings, 'nat');
    assert.equal(nat.status, 'pass', nat.summary);
    assert.equal(nat.evidence.filter((e) => /DNAT --to-destination/.test(e)).length, 2);
    assert.ok(nat.evidence.some((e) => /-float-snat .* -j SNAT --to-source/.test(e)));
    assert.equal(item(r.findings, 'snat').status, 'pass');
    assert.equal(item(r.findings, 'l3-agent').status, 'pass');
    assert.match(item(r.findings, 'l3-agent').summary, /active on "network1"/);
    assert.equal(item(r.findings, 'namespace').status, 'pass');
    assert.equal(r.subject.l3AgentHost, 'network1');
  });

  it('fails when the DNAT rule is missing (the captured nat table without PREROUTING DNAT)', () => {
    const f = recorded<FloatingIpFacts>('floating-ip-lab');
    assert.ok(f.nat.ok && f.fip.ok);
    const text = f.nat.value.text.split('\n').filter((l) => !/PREROUTING -d .* -j DNAT/.test(l)).join('\n');
    f.nat.value = { text, parsed: parseIptablesSave(text) };
    const nat = item(evaluateFloatingIp(f), 'nat');
    assert.equal(nat.status, 'fail');
    assert.match(nat.summary, /Missing in qrouter-.*DNAT in PREROUTING/);
  });

  it('fails when the hosting L3 agent is dead, and when the namespace is absent', () => {
    const f = recorded<FloatingIpFacts>('floating-ip-lab');
    assert.ok(f.agents.ok && f.namespaces.ok);
    f.agents.value[0].alive = false;
    f.namespaces.value = [];
    const fs = evaluateFloatingIp(f);
    assert.equal(item(fs, 'l3-agent').status, 'fail');
    assert.equal(item(fs, 'namespace').status, 'fail');
  });

  it('parses the real captured qrouter nat table the same way', () => {
    const save = parseIptablesSave(fixture('qrouter-iptables-save-nat.txt'));
    assert.ok(save.rules.some((r) => /-float-snat$/.test(r.chain) && r.opts['-j'] === 'SNAT'));
  });
});

describe('checks: instance cgroups', () => {
  const base = (): CgroupCheckFacts => ({
    server: { id: 'a', name: 'vm1', host: 'compute1', instanceName: 'instance-00000001', status: 'ACTIVE' },
    host: 'compute1',
    processes: { ok: true, value: { now: 0, processes: [] } },
    novaFiles: { ok: true, value: [{ path: '/etc/nova/nova.conf', exists: true, mtime: 1, content: '[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n' }] },
    dumpxml: {
      ok: true,
      value: { rc: 0, output: "<domain type='kvm'><name>instance-00000001</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu><cputune><shares>1024</shares></cputune><memtune><hard_limit unit='KiB'>131072</hard_limit></memtune></domain>" },
    },
    cgroups: {
      ok: true,
      value: {
        fsType: 'cgroup2fs',
        pid: 4242,
        procCgroup: ['0::/machine.slice/machine-qemu\\x2d1\\x2dinstance\\x2d00000001.scope/libvirt/emulator'],
        values: { 'cpu.weight': String(sharesToWeight(1024)), 'memory.max': String(131072 * 1024) },
        machineEntries: [],
      },
    },
    startedAt: '',
    durationMs: 0,
    unreachable: [],
  });

  it('skips a fake-driver instance with the reason (the lab: no libvirt domain)', () => {
    const f = base();
    f.novaFiles = { ok: true, value: [{ path: '/etc/nova/nova.conf', exists: true, mtime: 1, content: '[DEFAULT]\ncompute_driver = fake.FakeDriver\n' }] };
    f.dumpxml = { ok: true, value: { rc: 1, output: "error: failed to get domain 'instance-00000001'" } };
    const [s] = evaluateCgroups(f);
    assert.equal(s.status, 'skip');
    assert.match(s.summary, /not a libvirt domain on "compute1" \(compute_driver = fake\.FakeDriver/);
  });

  it('passes when v2 cpu.weight and memory.max match the domain XML', () => {
    const fs = evaluateCgroups(base());
    assert.deepEqual(fs.map((x) => [x.id, x.status]), [['cgroup', 'pass'], ['cpu', 'pass'], ['memory', 'pass']]);
    assert.equal(sharesToWeight(1024), 39);
  });

  it('fails when limits were changed behind libvirt\'s back, or qemu escaped machine.slice', () => {
    const f = base();
    assert.ok(f.cgroups.ok);
    f.cgroups.value.values['cpu.weight'] = '100';
    f.cgroups.value.values['memory.max'] = 'max';
    f.cgroups.value.procCgroup = ['0::/user.slice/session-1.scope'];
    const fs = evaluateCgroups(f);
    assert.equal(item(fs, 'cgroup').status, 'fail');
    assert.equal(item(fs, 'cpu').status, 'fail');
    assert.match(item(fs, 'cpu').fix?.text ?? '', /virsh schedinfo instance-00000001 --live cpu_shares=1024/);
    assert.equal(item(fs, 'memory').status, 'fail');
  });

  it('compares v1 cpu.shares and memory.limit_in_bytes', () => {
    const f = base();
    assert.ok(f.cgroups.ok);
    f.cgroups.value = { fsType: 'tmpfs', pid: 7, procCgroup: ['4:cpu,cpuacct:/machine/qemu-1-instance-00000001.libvirt-qemu/emulator', '0::/'], values: { 'cpu.shares': '1024', 'memory.limit_in_bytes': String(131072 * 1024) }, machineEntries: [], lssubsys: 'cpu,cpuacct /sys/fs/cgroup/cpu,cpuacct\nmemory /sys/fs/cgroup/memory' };
    const fs = evaluateCgroups(f);
    assert.deepEqual(fs.map((x) => x.status), ['pass', 'pass', 'pass']);
    assert.match(item(fs, 'cgroup').evidence[0], /hybrid \(lssubsys -am: 2 subsystems\)/);
  });
});
