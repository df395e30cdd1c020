import { strict as assert } from 'node:assert';
import { main } from '../../../src/cli/main';
import { checkApiOf, hostExecOf } from '../../../src/core/checks/adapters';
import { cgroupsReport, gatherCgroups } from '../../../src/core/checks/cgroups';
import { floatingIpReport, gatherFloatingIp } from '../../../src/core/checks/floating-ip';
import { gatherContext } from '../../../src/core/checks/gather';
import { liveMigrationReport } from '../../../src/core/checks/live-migration/evaluate';
import { gatherLiveMigration } from '../../../src/core/checks/live-migration/gather';
import { startColdMigration, startLiveMigration, watchMigration, type MigrationProgress } from '../../../src/core/checks/migrate';
import { gatherMysql, mysqlReport } from '../../../src/core/checks/mysql-limits';
import { renderMarkdown } from '../../../src/core/checks/report';
import type { CheckReport } from '../../../src/core/checks/types';
import { gatherVxlan, vxlanReport } from '../../../src/core/checks/vxlan';
import type { OpenStackClient } from '../../../src/core/openstack/client';
import { connectLab, createServer, deleteServer, uniqueName } from '../openstack/lab-cloud';
import { labSsh } from '../remote/lab-ssh';
import { withFixApplied as fixApplied } from './apply-fix';
import { labDiagnose, saveEvidence } from '../diagnose/lab-diagnose';

/**
 * The checks against the lab's real hosts and cloud (needs the lab: LAB_SKIP_UP=1 when it is up). Whatever a test
 * changes (compute2's libvirtd.conf, a disabled compute service, a test server) is restored in `finally`.
 */
describe('checks on the lab (integration)', function () {
  this.timeout(600_000);
  const lab = labSsh();
  const { pool } = lab.pool();
  let client: OpenStackClient;
  const ctx = () => gatherContext(hostExecOf(pool, 'lab'), { deadlineMs: 120_000 });
  const item = (r: CheckReport, id: string) => {
    const f = r.findings.find((x) => x.id === id);
    assert.ok(f, `no "${id}" in ${r.findings.map((x) => x.id).join(', ')}`);
    return f;
  };
  const readiness = async (source: string, target: string) => {
    const [facts] = await gatherLiveMigration(checkApiOf(client), ctx(), { source, targets: [target] });
    return liveMigrationReport(facts);
  };

  const withFixApplied = (qf: { host: string; file: string; rule: string }, body: () => Promise<void>) => fixApplied(pool, client, qf, body);

  before(async () => {
    client = await connectLab();
  });
  after(() => {
    client?.dispose();
    pool.dispose();
  });

  it('readiness compute1 → compute2 fails on the transport (compute2\'s libvirtd does not listen) and names the fix; the other direction passes', async () => {
    const there = await readiness('compute1', 'compute2');
    const t = item(there, 'transport');
    assert.equal(t.status, 'fail', renderMarkdown(there));
    assert.match(t.summary, /does not accept TCP connections on 16509 \(libvirtd \(pid \d+\) without --listen\): Connection refused/);
    assert.ok(t.evidence.some((e) => /virsh -c qemu\+tcp:\/\/198\.18\.0\.12\/system version → .*Connection refused/.test(e)), t.evidence.join('\n'));
    assert.deepEqual(t.fix?.quickFix, { host: 'compute2', file: '/etc/libvirt/libvirtd.conf', rule: 'libvirt/tcp-disabled' });
    assert.deepEqual(there.findings.filter((f) => f.status === 'fail').map((f) => f.id), ['transport']);
    assert.equal(there.unreachable.length, 0);

    const back = await readiness('compute2', 'compute1');
    assert.equal(item(back, 'transport').status, 'pass', renderMarkdown(back));
    assert.deepEqual(back.findings.filter((f) => f.status === 'fail'), []);
    assert.equal(item(back, 'migration-ports').status, 'pass');
  });

  it('MySQL: finds that the server cannot hold max_connections = 4096 and names the open-files limit as the cause', async () => {
    const r = mysqlReport(await gatherMysql(ctx(), 'controller'));
    assert.equal(r.status, 'fail', renderMarkdown(r));
    const o = item(r, 'open-files');
    assert.equal(o.status, 'fail');
    assert.match(o.summary, /may open only \d+ files, but max_connections = 4096 needs about 20480/);
    assert.match(o.summary, /The limit comes from .*(LimitNOFILE|no systemd)/);
    assert.equal(o.fix?.quickFix?.rule, 'mysql/open-files-too-low');
    const m = item(r, 'max-connections');
    // MariaDB 10.11 lowers max_connections only when the limit leaves room for it (4096 files → 866; 1024 → it
    // keeps 4096 and shrinks the table cache instead): either way the report says what runs.
    assert.match(m.evidence[0], /SHOW VARIABLES: max_connections = \d+, open_files_limit = \d+/);
    if (m.status === 'fail') assert.match(m.summary, /lowered the value at startup because it may open only \d+ files/);
  });

  it('VXLAN: the lab\'s compute2 (kernel default 8472) is named against 4789 elsewhere', async () => {
    const r = vxlanReport(await gatherVxlan(checkApiOf(client), ctx()));
    const c = item(r, 'consistency');
    assert.equal(c.status, 'fail', renderMarkdown(r));
    assert.deepEqual(c.hosts, ['compute2']);
    assert.match(c.summary, /8472: compute2/);
  });

  it('floating IP: finds the DNAT and SNAT rules of the lab\'s floating IP in qrouter- on the L3 agent host', async () => {
    const fip = (await client.network.listFloatingIps()).data.find((f) => f.portId && f.routerId);
    assert.ok(fip, 'the lab seeds an associated floating IP');
    const r = floatingIpReport(await gatherFloatingIp(checkApiOf(client), ctx(), fip.floatingIpAddress));
    const nat = item(r, 'nat');
    assert.equal(nat.status, 'pass', renderMarkdown(r));
    assert.ok(nat.evidence.some((e) => e.includes(`-d ${fip.floatingIpAddress}/32 -j DNAT --to-destination ${fip.fixedIpAddress}`)));
    assert.ok(nat.evidence.some((e) => e.includes(`-s ${fip.fixedIpAddress}/32 -j SNAT --to-source ${fip.floatingIpAddress}`)));
    assert.equal(item(r, 'namespace').status, 'pass');
    assert.equal(r.subject.l3AgentHost, 'network1');
  });

  describe('migrations through the core', () => {
    let serverId: string | undefined;
    afterEach(async () => {
      if (serverId) await deleteServer(client, serverId);
      serverId = undefined;
    });

    it('a live migration compute2 → compute1 completes with progress; the cgroups check reads the real QEMU process', async () => {
      const s = await createServer(client, uniqueName('chk-lm'), 'compute2');
      serverId = s.id;
      const cg = cgroupsReport(await gatherCgroups(checkApiOf(client), ctx(), s.id));
      // a real QEMU process in libvirt's machine partition of this host's cgroups (v1/v2 hybrid here)
      assert.equal(cg.status, 'pass', renderMarkdown(cg));
      assert.match(item(cg, 'cgroup').summary, /^qemu \(pid \d+\) runs in libvirt's machine partition/);

      const api = checkApiOf(client);
      const ctrl = new AbortController();
      const { requestId, startedAt } = await startLiveMigration(api, s.id, 'compute1', ctrl.signal);
      assert.match(requestId ?? '', /^req-/);
      const seen: MigrationProgress[] = [];
      const out = await watchMigration(api, s.id, { kind: 'live-migration', requestId, startedAt, fromHost: 'compute2', pollMs: 500, signal: ctrl.signal, onProgress: (p) => seen.push(p) });
      assert.equal(out.ok, true, out.failure?.summary);
      assert.equal(out.toHost, 'compute1');
      assert.equal(out.migration?.status, 'completed');
      assert.ok(seen.length >= 1);
    });

    it('a live migration compute1 → compute2 fails for libvirt\'s own reason (compute2 does not listen on 16509), named from compute1\'s nova-compute.log (the events all say Success); Diagnose names the cause and the config doctor\'s fix; with it applied and libvirtd restarted the readiness check passes and the same migration succeeds (restored after)', async () => {
      const s = await createServer(client, uniqueName('chk-lm-real'), 'compute1');
      serverId = s.id;
      const api = checkApiOf(client);
      const ctrl = new AbortController();
      const first = await startLiveMigration(api, s.id, 'compute2', ctrl.signal);
      const bad = await watchMigration(api, s.id, { kind: 'live-migration', requestId: first.requestId, startedAt: first.startedAt, fromHost: 'compute1', pollMs: 500, signal: ctrl.signal, hostLogs: ctx() });
      assert.equal(bad.ok, false);
      assert.equal(bad.server.host, 'compute1', 'the instance stays on its source');
      assert.equal(bad.server.status, 'ACTIVE');
      assert.ok(bad.migration && ['error', 'failed'].includes(bad.migration.status), JSON.stringify(bad.migration?.status));
      assert.ok(bad.failure);
      assert.equal(bad.failure.requestId, first.requestId);
      // nova records every event of this action as Success: the reason is only in the source's nova-compute.log
      const action = await client.compute.getInstanceAction(s.id, first.requestId!);
      assert.ok((action.data.events ?? []).every((e) => e.result !== 'Error'), 'no error event: nova does not say why');
      assert.equal(bad.failure.summary, `Live migration failed on "compute1" (nova-compute.log; nova's instance action shows no error): unable to connect to server at 'compute2:16509': Connection refused`);
      assert.ok(bad.failure.logEvidence?.some((l) => l.host === 'compute1' && l.file === '/var/log/nova/nova-compute.log' && l.line.includes(`[instance: ${s.id}] Live Migration failure:`)), JSON.stringify(bad.failure.logEvidence));

      // The diagnosis of the failure names the cause and the config doctor's fix, the same the readiness check names
      const { diagnosis, evidence } = await labDiagnose(client, s.id);
      if (process.env.RECORD_FIXTURES) saveEvidence('live-migration-target-refused-fix', evidence, diagnosis);
      assert.equal(diagnosis.findings[0]?.signature, 'live-migration-target-libvirtd-refused', diagnosis.findings.map((f) => f.signature).join(', '));
      assert.match(diagnosis.findings[0].cause, /^compute2's libvirtd does not listen on TCP port 16509: the source's libvirt \(compute1\)/);
      const qf = diagnosis.findings[0].fixes[0].quickFix;
      assert.deepEqual(qf, { host: 'compute2', file: '/etc/libvirt/libvirtd.conf', rule: 'libvirt/tcp-disabled' });
      assert.deepEqual(item(await readiness('compute1', 'compute2'), 'transport').fix?.quickFix, qf);
      // applied on compute2, then libvirtd restarted: the readiness check passes, and the same migration succeeds
      await withFixApplied(qf, async () => {
        const after = await readiness('compute1', 'compute2');
        const t = item(after, 'transport');
        assert.equal(t.status, 'pass', renderMarkdown(after));
        assert.match(t.summary, /reaches libvirt on "compute2" at 198\.18\.0\.12:16509 \(libvirtd \(pid \d+\) with --listen\)/);
        // The restart is what applies the file: nothing is left "changed since the service started".
        assert.equal(item(after, 'config-changed').status, 'pass', item(after, 'config-changed').evidence.join('\n'));
        const again = await startLiveMigration(api, s.id, 'compute2', ctrl.signal);
        const good = await watchMigration(api, s.id, { kind: 'live-migration', requestId: again.requestId, startedAt: again.startedAt, fromHost: 'compute1', pollMs: 500, signal: ctrl.signal });
        assert.equal(good.ok, true, good.failure?.summary);
        assert.equal(good.toHost, 'compute2');
        assert.equal(good.migration?.status, 'completed');
      });
      assert.equal(item(await readiness('compute1', 'compute2'), 'transport').status, 'fail', 'restored: compute2 does not listen again');
    });

    it('a cold migration ends in VERIFY_RESIZE (needs confirmation) and confirms', async () => {
      const s = await createServer(client, uniqueName('chk-cold'), 'compute1');
      serverId = s.id;
      const api = checkApiOf(client);
      const ctrl = new AbortController();
      const { requestId, startedAt } = await startColdMigration(api, s.id, 'compute2', ctrl.signal);
      const out = await watchMigration(api, s.id, { kind: 'migration', requestId, startedAt, fromHost: 'compute1', pollMs: 500, signal: ctrl.signal });
      assert.equal(out.ok, true, out.failure?.summary);
      assert.equal(out.needsConfirm, true);
      assert.equal(out.server.status, 'VERIFY_RESIZE');
      assert.equal(out.toHost, 'compute2');
      assert.equal(out.migration?.status, 'finished');
      await api.confirmResize(s.id, ctrl.signal);
      const end = Date.now() + 60_000;
      while ((await client.compute.getServer(s.id)).data.status !== 'ACTIVE') {
        assert.ok(Date.now() < end, 'ACTIVE after confirming');
        await new Promise((r) => setTimeout(r, 1000));
      }
    });

    it('a live migration to a disabled compute service fails, and the reason comes from the instance-action events (service re-enabled after)', async () => {
      const s = await createServer(client, uniqueName('chk-lm-fail'), 'compute1');
      serverId = s.id;
      const svc = (await client.compute.listServices({ binary: 'nova-compute', host: 'compute2' })).data[0];
      assert.ok(svc);
      await client.compute.disableService(svc, 'openstack-troubleshooter integration test');
      try {
        const api = checkApiOf(client);
        const ctrl = new AbortController();
        const { requestId, startedAt } = await startLiveMigration(api, s.id, 'compute2', ctrl.signal);
        const out = await watchMigration(api, s.id, { kind: 'live-migration', requestId, startedAt, fromHost: 'compute1', pollMs: 500, signal: ctrl.signal });
        assert.equal(out.ok, false);
        assert.equal(out.server.host, 'compute1');
        assert.ok(out.failure);
        assert.match(out.failure.summary, /conductor_live_migrate_instance failed.*(NoValidHost|No valid host|disabled|ComputeServiceUnavailable)/i, out.failure.summary);
        assert.equal(out.failure.requestId, requestId);
        assert.ok(out.failure.traceback, 'admins get the traceback');
      } finally {
        await client.compute.enableService(svc);
      }
    });
  });
});

describe('check CLI on the lab (integration)', function () {
  this.timeout(300_000);
  const lab = labSsh();

  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, {
      out: (t) => (out += `${t}\n`),
      err: (t) => (err += `${t}\n`),
      env: { ...process.env, OS_CLIENT_CONFIG_FILE: lab.env.OS_CLIENT_CONFIG_FILE },
    });
    return { code, out, err };
  }

  it('exits 1 with a JSON report when a check fails, 0 when it passes (warnings allowed), 2 on usage errors', async () => {
    const vx = await cli(['check', 'vxlan', '--cloud', 'lab', '--ssh-config', lab.configFile, '--json']);
    assert.equal(vx.code, 1, vx.err);
    const report = JSON.parse(vx.out) as CheckReport;
    assert.equal(report.kind, 'vxlan');
    assert.equal(report.status, 'fail');

    const back = await cli(['check', 'live-migration', '--source', 'compute2', '--target', 'compute1', '--cloud', 'lab', '--ssh-config', lab.configFile]);
    assert.equal(back.code, 0, back.out + back.err);
    assert.match(back.out, /Live-migration readiness from "compute2" to "compute1": (PASS|WARN)/);
    assert.match(back.out, /PASS {2}Migration transport \(qemu\+tcp, port 16509\)/);

    assert.equal((await cli(['check', 'nonsense'])).code, 2);
    assert.equal((await cli(['check', 'floating-ip'])).code, 2);
  });
});
