import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateLiveMigration, liveMigrationReport, readinessSummary } from '../../../src/core/checks/live-migration/evaluate';
import type { LiveMigrationFacts } from '../../../src/core/checks/live-migration/facts';
import { migrationUri, novaMigrationSettings } from '../../../src/core/checks/live-migration/views';
import { firewallBlocks } from '../../../src/core/namespaces/iptables';
import { parseIptablesSave } from '../../../src/core/namespaces/iptables';
import { parseIni } from '../../../src/core/checks/ini';
import type { Finding } from '../../../src/core/checks/types';

/** Facts recorded from the lab by test/integration/checks/record-fixtures.ts (real hosts, real libvirt). */
function recorded(name: string): LiveMigrationFacts {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'checks', `${name}.facts.json`), 'utf8')) as LiveMigrationFacts;
}
const item = (fs: Finding[], id: string) => {
  const f = fs.find((x) => x.id === id);
  assert.ok(f, `no finding "${id}"`);
  return f;
};
function setOutput(o: { ok: boolean; value?: { output: string } }, out: string) {
  assert.ok(o.ok && o.value);
  o.value.output = out;
}

describe('checks: live-migration readiness evaluation (recorded lab facts)', () => {
  it('compute1 → compute2 fails on the transport: compute2\'s libvirtd does not listen, with the config doctor fix', () => {
    const f = recorded('live-migration-compute1-compute2');
    const report = liveMigrationReport(f);
    assert.equal(report.status, 'fail');
    const t = item(report.findings, 'transport');
    assert.equal(t.status, 'fail');
    assert.match(t.title, /qemu\+tcp, port 16509/);
    assert.match(t.summary, /does not accept TCP connections on 16509/);
    assert.match(t.summary, /without --listen/);
    assert.ok(t.evidence.some((e) => /Connection refused/.test(e)), t.evidence.join('\n'));
    assert.ok(t.evidence.some((e) => /nothing listens on TCP 16509/.test(e)));
    assert.deepEqual(t.fix?.quickFix, { host: 'compute2', file: '/etc/libvirt/libvirtd.conf', rule: 'libvirt/tcp-disabled' });
    assert.match(t.fix?.text ?? '', /listen_tcp = 1/);
    assert.match(t.fix?.text ?? '', /--listen/);
    // Everything else in the lab is fine except the deliberate VXLAN mismatch.
    const fails = report.findings.filter((x) => x.status === 'fail').map((x) => x.id);
    assert.deepEqual(fails, ['transport']);
    assert.equal(item(report.findings, 'vxlan').status, 'warn');
    assert.match(readinessSummary(report), /^✗ Migration transport/);
  });

  it('compute2 → compute1 passes the transport through libvirtd --listen and has no failing item', () => {
    const report = liveMigrationReport(recorded('live-migration-compute2-compute1'));
    const t = item(report.findings, 'transport');
    assert.equal(t.status, 'pass', t.summary);
    assert.match(t.summary, /with --listen/);
    assert.equal(report.findings.filter((x) => x.status === 'fail').length, 0, JSON.stringify(report.findings.filter((x) => x.status === 'fail')));
    for (const id of ['services', 'hypervisor', 'cpu', 'resolution', 'migration-ports', 'shared-storage', 'vnc', 'capacity', 'neutron-agent', 'config-changed']) {
      assert.equal(item(report.findings, id).status, 'pass', `${id}: ${item(report.findings, id).summary}`);
    }
    assert.notEqual(report.status, 'fail');
  });

  it('fails when a compute service is disabled or forced down, with the command to re-enable', () => {
    const f = recorded('live-migration-compute2-compute1');
    assert.ok(f.services.ok);
    const svc = f.services.value.find((s) => s.host === 'compute1')!;
    svc.status = 'disabled';
    svc.disabledReason = 'maintenance';
    svc.forcedDown = true;
    const s = item(evaluateLiveMigration(f), 'services');
    assert.equal(s.status, 'fail');
    assert.match(s.summary, /disabled \("maintenance"\)/);
    assert.match(s.summary, /forced down/);
    assert.ok(s.fix?.commands?.some((c) => c.command === 'openstack compute service set --enable compute1 nova-compute'));
  });

  it('flags an older QEMU on the target as fail and a plain version difference as warn', () => {
    const older = recorded('live-migration-compute2-compute1');
    setOutput(older.hosts.compute1.virshVersion as never, 'Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 6.2.0\n');
    const h = item(evaluateLiveMigration(older), 'hypervisor');
    assert.equal(h.status, 'fail');
    assert.match(h.summary, /older \(6\.2\.0 < 7\.2\.22\)/);

    const newer = recorded('live-migration-compute2-compute1');
    setOutput(newer.hosts.compute1.virshVersion as never, 'Using library: libvirt 9.2.0\nRunning hypervisor: QEMU 7.2.22\n');
    const w = item(evaluateLiveMigration(newer), 'hypervisor');
    assert.equal(w.status, 'warn');
    assert.match(w.summary, /libvirt \(9\.0\.0 vs 9\.2\.0\)/);

    const apiOlder = recorded('live-migration-compute2-compute1');
    assert.ok(apiOlder.hypervisors.ok);
    apiOlder.hypervisors.value.find((x) => x.service?.host === 'compute1')!.hypervisorVersion = 1;
    apiOlder.hypervisors.value.find((x) => x.service?.host === 'compute2')!.hypervisorVersion = 2;
    assert.match(item(evaluateLiveMigration(apiOlder), 'hypervisor').summary, /DestinationHypervisorTooOld/);
  });

  it('fails the CPU item when the target lacks features of the guest CPU, from real capabilities XML', () => {
    const f = recorded('live-migration-compute2-compute1');
    const dst = f.hosts.compute1.domCapabilities;
    assert.ok(dst.ok);
    // Remove one host-model feature on the target: the source's guest CPU needs it.
    const src = f.hosts.compute2.domCapabilities;
    assert.ok(src.ok);
    const feature = /<mode name='host-model'[\s\S]*?<feature policy='require' name='([^']+)'/.exec(src.value.output)![1];
    dst.value.output = dst.value.output.replace(new RegExp(`<feature policy='require' name='${feature}'/>`, 'g'), '');
    const caps = f.hosts.compute1.capabilities;
    assert.ok(caps.ok);
    caps.value.output = caps.value.output.replace(new RegExp(`<feature name='${feature}'/>`, 'g'), '');
    const c = item(evaluateLiveMigration(f), 'cpu');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, new RegExp(`lacks CPU features the guest uses \\(host-model\\): ${feature.replace('.', '\\.')}`));
    assert.equal(item(evaluateLiveMigration(recorded('live-migration-compute2-compute1')), 'cpu').status, 'pass');
  });

  it('fails name resolution when the target name does not resolve on the source', () => {
    const f = recorded('live-migration-compute1-compute2');
    f.pair.connectName = 'compute2';
    f.pair.resolution = { ok: true, value: { name: 'compute2', addresses: [] } };
    const r = item(evaluateLiveMigration(f), 'resolution');
    assert.equal(r.status, 'fail');
    assert.match(r.fix?.text ?? '', /live_migration_inbound_addr/);
  });

  it('fails the migration ports when a test listener on the target is not reached', () => {
    const f = recorded('live-migration-compute2-compute1');
    assert.ok(f.pair.migrationPort.ok);
    f.pair.migrationPort.value.probe = { rc: 124, output: '' };
    f.pair.migrationPort.value.listener = { rc: 0, output: 'listening\ntimeout' };
    const m = item(evaluateLiveMigration(f), 'migration-ports');
    assert.equal(m.status, 'fail');
    assert.match(m.fix?.commands?.[0].command ?? '', /--dports 49152:49215/);
  });

  it('reads DROP rules and a DROP policy that cover the migration range', () => {
    const fw = parseIptablesSave('*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m multiport --dports 49000:49300 -j REJECT\nCOMMIT\n');
    const b = firewallBlocks(fw, 49152, 49215);
    assert.equal(b.length, 2);
    assert.deepEqual(firewallBlocks(parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n'), 49152, 49215), []);
  });

  it('says block migration is used when instances_path is not shared, and fails with tunnelling', () => {
    const f = recorded('live-migration-compute2-compute1');
    const s = item(evaluateLiveMigration(f), 'shared-storage');
    assert.ok(f.pair.sharedStorage.ok);
    assert.equal(s.status, 'pass');
    assert.match(s.summary, f.pair.sharedStorage.value.shared ? /is shared/ : /block migration/);
    if (!f.pair.sharedStorage.value.shared) {
      const files = f.hosts.compute2.novaFiles;
      assert.ok(files.ok);
      files.value[0].content += '\n[libvirt]\nlive_migration_tunnelled = True\n';
      assert.equal(item(evaluateLiveMigration(f), 'shared-storage').status, 'fail');
    }
  });

  it('fails [vnc] server_listen bound to a host address', () => {
    const f = recorded('live-migration-compute2-compute1');
    const files = f.hosts.compute2.novaFiles;
    assert.ok(files.ok);
    files.value[0].content += '\n[vnc]\nserver_listen = 198.18.0.12\n';
    const v = item(evaluateLiveMigration(f), 'vnc');
    assert.equal(v.status, 'fail');
    assert.match(v.summary, /198\.18\.0\.12/);
  });

  it('compares Placement capacity with the flavor', () => {
    const f = recorded('live-migration-compute2-compute1');
    f.server = { id: 'x', name: 'vm', status: 'ACTIVE', host: 'compute2', flavor: { name: 'm1.huge', vcpus: 1, ramMb: 9_000_000, diskGb: 1 } };
    const c = item(evaluateLiveMigration(f), 'capacity');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /MEMORY_MB \(needs 9000000/);
    f.server.flavor = { name: 'm1.tiny', vcpus: 1, ramMb: 64, diskGb: 1 };
    assert.equal(item(evaluateLiveMigration(f), 'capacity').status, 'pass');
  });

  it('fails when the neutron agent on the target is dead', () => {
    const f = recorded('live-migration-compute2-compute1');
    assert.ok(f.agents.ok);
    for (const a of f.agents.value.filter((x) => x.host === 'compute1')) a.alive = false;
    assert.equal(item(evaluateLiveMigration(f), 'neutron-agent').status, 'fail');
  });

  it('warns when a config file changed after its service started', () => {
    const f = recorded('live-migration-compute1-compute2');
    const files = f.hosts.compute2.libvirtFiles;
    assert.ok(files.ok && f.hosts.compute2.processes.ok);
    files.value.find((x) => x.path === '/etc/libvirt/libvirtd.conf')!.mtime = f.hosts.compute2.processes.value.now;
    const c = item(evaluateLiveMigration(f), 'config-changed');
    assert.equal(c.status, 'warn');
    assert.ok(c.evidence.some((e) => /compute2: \/etc\/libvirt\/libvirtd\.conf \(changed/.test(e)));
  });

  it('turns missing facts into skips with the reason, not a failed check', () => {
    const f = recorded('live-migration-compute1-compute2');
    const why = 'Cannot reach "compute2" (EHOSTUNREACH).';
    for (const k of ['processes', 'tcpListeners', 'units', 'virshVersion', 'capabilities', 'domCapabilities', 'novaFiles', 'libvirtFiles', 'agentFiles', 'vxlan', 'firewall'] as const) {
      (f.hosts.compute2 as unknown as Record<string, unknown>)[k] = { ok: false, reason: why, unreachable: true };
    }
    f.pair.tcp = { ok: false, reason: why, unreachable: true };
    f.pair.migrationPort = { ok: false, reason: why, unreachable: true };
    f.pair.sharedStorage = { ok: false, reason: why, unreachable: true };
    const fs = evaluateLiveMigration(f);
    for (const id of ['cpu', 'transport', 'migration-ports', 'shared-storage']) {
      assert.equal(item(fs, id).status, 'skip', id);
      assert.match(item(fs, id).summary, /EHOSTUNREACH/);
    }
    assert.equal(item(fs, 'services').status, 'pass');
  });

  it('derives nova\'s migration URI: live_migration_uri wins, else the scheme (tcp 16509, tls 16514, ssh 22)', () => {
    const s = novaMigrationSettings(parseIni('[libvirt]\nlive_migration_uri = qemu+tcp://%s/system\n'));
    assert.deepEqual(migrationUri(s, '198.18.0.12'), { uri: 'qemu+tcp://198.18.0.12/system', scheme: 'tcp', port: 16509 });
    assert.equal(migrationUri(novaMigrationSettings(parseIni('[libvirt]\nlive_migration_scheme = tls\n')), 'c2').port, 16514);
    assert.equal(migrationUri(novaMigrationSettings(parseIni('')), 'c2').uri, 'qemu+tcp://c2/system');
    assert.equal(novaMigrationSettings(parseIni('[DEFAULT]\nstate_path = /srv/nova\n')).instancesPath, '/srv/nova/instances');
  });
});
