import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSharedTestFile, parseFiles, readFiles, removeSharedTestFile } from '../../../src/core/checks/commands/files';
import { cgroupFacts, parseCgroupFacts } from '../../../src/core/checks/commands/libvirt';
import { grepLog, mysqlVariables, parseProcLimits } from '../../../src/core/checks/commands/mysql';
import { iptablesSave, listenOnce, listeners, parseSs, parseVxlanLinks, resolveName, tcpProbe, virshRemoteVersion } from '../../../src/core/checks/commands/network';
import { findProcesses, parseProcessTable } from '../../../src/core/checks/commands/processes';
import { parseProbe, probe } from '../../../src/core/checks/commands/script';
import { parseUnitStates, unitStates } from '../../../src/core/checks/commands/systemd';
import { isTroubleshooterError } from '../../../src/core/errors';

const fx = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'checks', name), 'utf8');

describe('checks: remote command builders', () => {
  it('passes user values as positional parameters of a constant script, never inside it', () => {
    const c = resolveName('compute2');
    assert.deepEqual(c.argv.slice(0, 2), ['sh', '-c']);
    assert.equal(c.argv[2].includes('compute2'), false);
    assert.deepEqual(c.argv.slice(3), ['sh', 'compute2']);
    assert.match(c.argv[2], /getent ahosts "\$1"/);
  });

  it('refuses host names, ports, paths and units that could be shell or option injection', () => {
    for (const bad of ['compute1;rm -rf /', '$(id)', '-oProxyCommand=x', 'a b']) {
      assert.throws(() => resolveName(bad), (e) => isTroubleshooterError(e, 'InvalidInput'));
      assert.throws(() => tcpProbe(bad, 16509), (e) => isTroubleshooterError(e, 'InvalidInput'));
    }
    assert.throws(() => tcpProbe('198.18.0.12', 70000), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => readFiles(['/etc/../root/.ssh/id_rsa']), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => readFiles(['relative/path']), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => unitStates(['libvirtd.service; reboot']), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => virshRemoteVersion('qemu+tcp://x/system;id'), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => removeSharedTestFile('/var/lib/nova/instances/instance-0001'), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => cgroupFacts('../x'), (e) => isTroubleshooterError(e, 'InvalidInput'));
  });

  it('probes TCP with bash /dev/tcp under timeout 3, reporting rc and output', () => {
    const c = tcpProbe('198.18.0.12', 16509);
    assert.deepEqual(c.argv.slice(4), ['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'tcp-probe', '198.18.0.12', '16509']);
    // Real output of the probe against compute2 (libvirtd without --listen).
    const r = c.parse("tcp-probe: line 1: /dev/tcp/198.18.0.12/16509: Connection refused\n@@ost-rc=1\n", { exitCode: 0, stderr: '' });
    assert.deepEqual(r, { rc: 1, output: 'tcp-probe: line 1: /dev/tcp/198.18.0.12/16509: Connection refused' });
    assert.deepEqual(parseProbe('@@ost-rc=0\n'), { rc: 0, output: '' });
  });

  it('builds the virsh client connection the way nova\'s source compute connects', () => {
    const c = virshRemoteVersion('qemu+tcp://198.18.0.12/system');
    assert.deepEqual(c.argv.slice(4), ['timeout', '10', 'virsh', '-c', 'qemu+tcp://198.18.0.12/system', 'version']);
    const real = "error: failed to connect to the hypervisor\nerror: unable to connect to server at '198.18.0.12:16509': Connection refused\n@@ost-rc=1";
    assert.equal(c.parse(real, { exitCode: 0, stderr: '' }).rc, 1);
  });

  it('uses sudo for what needs root (ss -p, iptables-save, mysql over the socket, mktemp in instances_path)', () => {
    assert.equal(listeners('tcp').sudo, true);
    assert.deepEqual(listeners('udp').argv, ['ss', '-H', '-lunp']);
    assert.equal(iptablesSave('filter').sudo, true);
    assert.equal(mysqlVariables(['max_connections']).sudo, true);
    assert.deepEqual(mysqlVariables(['max_connections', 'open_files_limit']).argv, ['mysql', '-NB', '-e', "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('max_connections','open_files_limit')"]);
    const mk = createSharedTestFile('/var/lib/nova/instances');
    assert.deepEqual(mk.argv, ['mktemp', '-p', '/var/lib/nova/instances', '.ost-shared-check.XXXXXX']);
    assert.equal(mk.parse('/var/lib/nova/instances/.ost-shared-check.AbC123\n', { exitCode: 0, stderr: '' }), '/var/lib/nova/instances/.ost-shared-check.AbC123');
    assert.throws(() => mk.parse('/tmp/other\n', { exitCode: 0, stderr: '' }));
    assert.deepEqual(grepLog('/var/log/mysql/error.log', 'Changed limits').argv.slice(3), ['sh', 'Changed limits', '/var/log/mysql/error.log', '5']);
  });

  it('listens once with python3 for the migration-port probe', () => {
    const c = listenOnce(49152, 6);
    assert.equal(c.argv[4], 'timeout');
    assert.equal(c.argv[6], 'python3');
    assert.deepEqual(c.argv.slice(-3), ['49152', '0.0.0.0', '6']);
  });
});

describe('checks: parsers over real output', () => {
  it('parses ss -ltnp of compute1 (libvirtd on 16509) and compute2 (nothing)', () => {
    const c1 = parseSs(fx('ss-ltnp-compute1.txt'), 'tcp');
    const lv = c1.find((l) => l.port === 16509);
    assert.ok(lv);
    assert.equal(lv.address, '0.0.0.0');
    assert.deepEqual(lv.processes, ['libvirtd']);
    assert.equal(parseSs(fx('ss-ltnp-compute2.txt'), 'tcp').some((l) => l.port === 16509), false);
    assert.deepEqual(parseSs(fx('ss-lunp-compute2.txt'), 'udp').map((l) => l.port), [8472]);
    assert.deepEqual(parseSs('LISTEN 0 4096 [::]:22 [::]:* users:(("sshd",pid=1,fd=3))', 'tcp')[0].address, '::');
  });

  it('parses ip -d link show type vxlan (compute2 uses the kernel default 8472)', () => {
    const [c2] = parseVxlanLinks(fx('ip-vxlan-compute2.txt'));
    assert.deepEqual({ name: c2.name, vni: c2.vni, dstport: c2.dstport, local: c2.local, dev: c2.dev }, { name: 'vxlan0', vni: 42, dstport: 8472, local: '198.18.0.12', dev: 'eth0' });
    assert.equal(parseVxlanLinks(fx('ip-vxlan-compute1.txt'))[0].dstport, 4789);
    assert.deepEqual(parseVxlanLinks(''), []);
  });

  it('parses /proc/<pid>/limits of the lab mariadbd (1024 open files)', () => {
    assert.deepEqual(parseProcLimits(fx('proc-limits-mariadbd.txt')).openFiles, { soft: 1024, hard: 1024 });
    assert.deepEqual(parseProcLimits('Max open files            unlimited            unlimited            files').openFiles, { soft: Infinity, hard: Infinity });
  });

  it('keeps only processes of the shell\'s network namespace and finds python-wrapped daemons', () => {
    const t = parseProcessTable([
      '1795637761 net:[4026532320]',
      '22306 4026532320 172 /usr/sbin/libvirtd --pid-file /run/libvirt/libvirtd.pid',
      '22256 4026532249 172 /usr/sbin/libvirtd --pid-file /run/libvirt/libvirtd.pid --listen',
      ' 9646 4026532320   3 /usr/bin/python3 /srv/lab/lab/bin/nova-compute --config-file /etc/nova/nova.conf --log-file /var/log/nova/nova-compute.log',
      '    2 4026531833 967 [kthreadd]',
    ].join('\n'));
    assert.equal(t.now, 1795637761);
    assert.deepEqual(t.processes.map((p) => p.pid), [22306, 9646]);
    assert.deepEqual(findProcesses(t, /^libvirtd$/).map((p) => p.pid), [22306]);
    assert.deepEqual(findProcesses(t, /^nova-compute$/).map((p) => p.pid), [9646]);
  });

  it('splits file dumps with their mtimes and marks missing files', () => {
    const files = parseFiles('@@ost-file 1700000000 /etc/a.conf\nx = 1\n\n@@ost-file - /etc/missing\n@@ost-file 1700000001 /etc/b.conf\n[s]\nk=v\n\n');
    assert.deepEqual(files, [
      { path: '/etc/a.conf', exists: true, mtime: 1700000000, content: 'x = 1' },
      { path: '/etc/missing', exists: false },
      { path: '/etc/b.conf', exists: true, mtime: 1700000001, content: '[s]\nk=v' },
    ]);
  });

  it('reads systemctl is-active output, or says there is no systemd', () => {
    assert.deepEqual(parseUnitStates('@@nosystemd\n', ['libvirtd.service']), { systemd: false, states: {} });
    assert.deepEqual(parseUnitStates('active\ninactive\n', ['libvirtd.service', 'libvirtd-tcp.socket']).states, { 'libvirtd.service': 'active', 'libvirtd-tcp.socket': 'inactive' });
  });

  it('reads cgroup facts (v2 machine.slice) from the one-round-trip script', () => {
    const f = parseCgroupFacts([
      '@@fstype cgroup2fs',
      '@@machine',
      'machine-qemu\\x2d1\\x2dinstance\\x2d00000001.scope',
      '@@pid 4242',
      '@@proccgroup',
      '0::/machine.slice/machine-qemu\\x2d1\\x2dinstance\\x2d00000001.scope/libvirt/emulator',
      '@@values',
      'cpu.max=max 100000',
      'cpu.weight=100',
      'memory.max=max',
    ].join('\n'));
    assert.equal(f.fsType, 'cgroup2fs');
    assert.equal(f.pid, 4242);
    assert.equal(f.values['cpu.weight'], '100');
    assert.equal(f.machineEntries.length, 1);
  });

  it('wraps any argv into a probe that always exits 0 and reports the real rc', () => {
    const p = probe(['virsh', 'version']);
    assert.deepEqual(p.argv.slice(3), ['sh', 'virsh', 'version']);
    assert.match(p.argv[2], /"\$@" 2>&1; echo "@@ost-rc=\$\?"/);
  });
});
