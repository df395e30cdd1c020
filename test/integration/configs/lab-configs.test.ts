import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { applyHostPlans, planFixOnHosts, storeReader } from '../../../src/core/configs/apply-to-hosts';
import { gatherFacts } from '../../../src/core/configs/facts';
import { lintConfig } from '../../../src/core/configs/lint';
import { processNofileCommand, SftpConfigFileStore, sshProbeRunner } from '../../../src/core/configs/remote-store';
import { pidofProbe, restartFacts } from '../../../src/core/configs/restart-pending';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import { connectLab, waitComputeEnabled } from '../openstack/lab-cloud';
import { labSsh } from '../remote/lab-ssh';

/**
 * The config doctor against the lab's real hosts, over SSH/SFTP: the two stories of the source notes end well.
 * The lab has no systemd: `lab-service restart <svc>` inside a host is its `systemctl restart <svc>` (it honours
 * LimitNOFILE drop-ins for mariadb and --listen from libvirtd.conf, like Debian's units would). Every test restores
 * the files it changed and restarts the service again, so other suites find the lab as it was.
 */
describe('config doctor on the lab (integration)', function () {
  this.timeout(300_000);
  const lab = labSsh();
  const { pool } = lab.pool();
  const store = new SftpConfigFileStore(pool);
  const sh = (host: string, argv: string[]) => run(pool, host, textCommand(argv, { timeoutMs: 120_000 }));

  /** "systemctl restart libvirtd" on a lab host, then nova using the new libvirtd again (see waitComputeEnabled). */
  async function restartLibvirtd(host: string): Promise<void> {
    await sh(host, ['lab-service', 'restart', 'libvirtd']);
    const client = await connectLab();
    try {
      await waitComputeEnabled(client, host);
    } finally {
      client.dispose();
    }
  }

  after(async () => {
    // nova's libvirt driver disables compute2's service while libvirtd restarts ("AUTO: Connection to libvirt
    // lost"): leave the lab as the next suite expects it, enabled and up
    const client = await connectLab();
    try {
      await waitComputeEnabled(client, 'compute2');
    } finally {
      client.dispose();
      pool.dispose();
    }
  });

  function port(host: string, p: number): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect({ host, port: p, timeout: 2000 });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
  }

  async function waitPort(host: string, p: number, open: boolean, ms = 30_000): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if ((await port(host, p)) === open) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  it('a UTF-8 byte order mark survives a write through the SFTP store', async () => {
    const path = `/tmp/ost-bom-${process.pid}.cnf`;
    await sh('compute1', ['sh', '-c', 'printf "\\357\\273\\277[mysqld]\\nmax_connections = 151\\n" > "$1"', 'sh', path]);
    try {
      const cur = await store.read('compute1', path);
      assert.equal(cur.text, '[mysqld]\nmax_connections = 151\n', 'read without the mark');
      await store.write('compute1', path, cur.text!.replace('151', '4096'), cur.version);
      const bytes = (await sh('compute1', ['od', '-An', '-c', '-N', '12', path])).value.replace(/\s+/g, ' ').trim();
      assert.equal(bytes, '357 273 277 [ m y s q l d ] \\n', 'the mark is still the first three bytes');
      assert.equal((await store.read('compute1', path)).text, '[mysqld]\nmax_connections = 4096\n');
    } finally {
      await sh('compute1', ['sh', '-c', 'rm -f "$1" "$1".bak-*', 'sh', path]);
    }
  });

  it('compute2: libvirt/tcp-disabled is found over SFTP, fixed atomically with a backup, and libvirtd then listens on 16509', async () => {
    const host = 'compute2';
    const path = '/etc/libvirt/libvirtd.conf';
    const address = lab.env.LAB_HOST_COMPUTE2;
    const original = await store.read(host, path);
    assert.ok(original.text !== undefined);
    assert.equal(await port(address, 16509), false, 'compute2 does not listen on TCP before the fix');
    const given = { libvirtModel: 'listen' as const, novaMigrationScheme: 'tcp' };
    const facts = await gatherFacts(storeReader(store, host), { path, text: original.text! }, given);
    const before = lintConfig({ path, text: original.text!, facts }).findings;
    assert.ok(before.some((f) => f.code === 'libvirt/tcp-disabled' && f.severity === 'error'), JSON.stringify(before.map((f) => f.code)));

    const written: { path: string; backupPath?: string }[] = [];
    try {
      // The fix, then whatever it makes necessary (TLS without certificates stops libvirtd --listen).
      for (const code of ['libvirt/tcp-disabled', 'libvirt/tls-without-certs']) {
        const plans = await planFixOnHosts({ hosts: [host], path, code, store, facts: () => given });
        if (plans[0].status === 'clean') continue;
        assert.equal(plans[0].status, 'change', plans[0].error);
        assert.deepEqual(plans[0].commands.map((c) => c.argv.join(' ')), ['systemctl restart libvirtd']);
        const [r] = await applyHostPlans(plans, store);
        assert.equal(r.error, undefined);
        written.push(...r.written);
      }
      assert.ok(written.length >= 1);
      const backup = await store.read(host, written[0].backupPath!);
      assert.equal(backup.text, original.text, 'the backup beside the file holds the original');
      const now = await store.read(host, path);
      assert.deepEqual(lintConfig({ path, text: now.text!, facts: await gatherFacts(storeReader(store, host), { path, text: now.text! }, given) }).findings.filter((f) => f.severity === 'error'), []);
      // "systemctl restart libvirtd" on this lab host:
      await restartLibvirtd(host);
      assert.ok(await waitPort(address, 16509, true), 'libvirtd listens on 16509 after the fix and a restart');
    } finally {
      const cur = await store.read(host, path);
      const restore = await store.write(host, path, original.text!, cur.version);
      for (const b of [...written.map((w) => w.backupPath), restore.backupPath]) if (b) await sh(host, ['rm', '-f', '--', b]);
      await restartLibvirtd(host);
    }
    assert.ok(await waitPort(address, 16509, false), 'restored: compute2 is back to not listening');
  });

  it('compute2: a libvirtd.conf saved after libvirtd started is flagged "changed but not yet applied" until the restart', async () => {
    const host = 'compute2';
    const path = '/etc/libvirt/libvirtd.conf';
    const probe = sshProbeRunner(pool, host);
    const cur = await store.read(host, path);
    await new Promise((r) => setTimeout(r, 2100)); // both times have 1 s resolution (mtime, ps etimes): leave a clear gap
    const w = await store.write(host, path, cur.text!, cur.version); // saved again: same text, new mtime
    try {
      const pending = await restartFacts(probe, 'libvirtd', path);
      assert.ok(pending.fileModifiedAt! > pending.serviceStartedAt!, JSON.stringify(pending));
      const f = lintConfig({ path, text: cur.text!, facts: { ...pending, novaMigrationScheme: 'ssh' } }).findings.filter((x) => x.code === 'config/restart-pending');
      assert.equal(f.length, 1);
      assert.match(f[0].message, /^Changed but not yet applied: this file was modified after libvirtd started/);
      await new Promise((r) => setTimeout(r, 1100));
      await restartLibvirtd(host);
      const landed = await restartFacts(probe, 'libvirtd', path);
      assert.deepEqual(lintConfig({ path, text: cur.text!, facts: { ...landed, novaMigrationScheme: 'ssh' } }).findings.filter((x) => x.code === 'config/restart-pending'), [], 'after the restart it has landed');
    } finally {
      if (w.backupPath) await sh(host, ['rm', '-f', '--', w.backupPath]);
    }
  });

  it('controller: MariaDB reaches max_connections 4096 after the option-file fix and the LimitNOFILE drop-in', async () => {
    const host = 'controller';
    const query = async () => {
      const r = await sh(host, ['mariadb', '-N', '-B', '-e', 'SELECT @@max_connections, @@open_files_limit']);
      const [mc, ofl] = r.stdout.trim().split(/\s+/).map(Number);
      return { mc, ofl };
    };
    const pid = await sshProbeRunner(pool, host)(pidofProbe('mariadbd'));
    assert.ok(pid, 'mariadbd runs on the controller');
    const limits = (await run(pool, host, processNofileCommand(pid!))).value!;
    const ceiling = Number((await sh(host, ['sh', '-c', 'ulimit -Hn'])).stdout.trim());
    const start = await query();

    // The doctor's facts: the option files as the server reads them, and the limit the running server really has.
    const given = { serviceNofile: limits.hard, serviceNofileSource: `/proc/${pid}/limits`, nofileCeiling: ceiling };
    const facts = await gatherFacts(storeReader(store, host), undefined, given);
    assert.ok(facts.optionTree && facts.optionTree.files.length > 1, 'the include tree was read over SFTP');
    const winner = facts.optionTree.occurrences.filter((o) => o.option.name === 'max-connections' && o.option.group && ['mysqld', 'server', 'mariadb', 'galera'].includes(o.option.group)).pop();
    const optionFile = winner?.path ?? '/etc/mysql/mariadb.conf.d/50-server.cnf';
    const changed: { path: string; original: string | undefined }[] = [];
    const backups: string[] = [];
    const remember = async (p: string) => {
      if (!changed.some((c) => c.path === p)) changed.push({ path: p, original: (await store.read(host, p)).text });
    };
    try {
      // The story's start: an option file that does not ask for the guide's 4096 (the lab's may already).
      await remember(optionFile);
      const original = changed[0].original!;
      const story = /^\s*max_connections\s*=/m.test(original) ? original.replace(/^(\s*max_connections\s*=\s*)\d+/m, '$1151') : original.replace(/^\[mysqld\]$/m, '[mysqld]\nmax_connections = 151');
      const w0 = await store.write(host, optionFile, story, (await store.read(host, optionFile)).version);
      if (w0.backupPath) backups.push(w0.backupPath);
      // Fix 1, the option file: max_connections to the guide's 4096.
      const plans1 = await planFixOnHosts({ hosts: [host], path: optionFile, code: 'mysql/max-connections-low', store, facts: () => given });
      assert.equal(plans1[0].status, 'change', plans1[0].error);
      assert.match(plans1[0].files[0].diff, /^-max_connections\s*=\s*151$/m);
      assert.match(plans1[0].files[0].diff, /^\+max_connections\s*=\s*4096$/m);
      const [r1] = await applyHostPlans(plans1, store);
      assert.equal(r1.error, undefined);
      backups.push(...r1.written.flatMap((w) => (w.backupPath ? [w.backupPath] : [])));
      const text = (await store.read(host, optionFile)).text!;
      const after1 = lintConfig({ path: optionFile, text, facts: await gatherFacts(storeReader(store, host), { path: optionFile, text }, given) }).findings;
      // Fix 2, the service limit: the finding on max_connections says the open-files limit cannot carry it.
      const fdFinding = after1.find((f) => f.code === 'mysql/open-files-too-low');
      assert.ok(fdFinding, `the doctor flags the ${limits.hard} open-files limit: ${JSON.stringify(after1.map((f) => f.code))}`);
      if (start.mc < 4096) assert.match(fdFinding.message, new RegExp(`lowers max_connections from 4096 to ${start.mc} at startup`), 'the model predicts what the real server did');
      {
        const plans = await planFixOnHosts({ hosts: [host], path: optionFile, code: 'mysql/open-files-too-low', store, facts: () => given });
        assert.equal(plans[0].status, 'change', plans[0].error);
        assert.deepEqual(plans[0].files.map((f) => f.path), ['/etc/systemd/system/mariadb.service.d/limits.conf']);
        assert.deepEqual(plans[0].commands.map((c) => c.argv.join(' ')), ['systemctl daemon-reload', 'systemctl restart mariadb']);
        for (const f of plans[0].files) await remember(f.path);
        const [r] = await applyHostPlans(plans, store);
        assert.equal(r.error, undefined);
        backups.push(...r.written.flatMap((w) => (w.backupPath ? [w.backupPath] : [])));
      }
      // "systemctl daemon-reload && systemctl restart mariadb" on this lab host:
      await sh(host, ['lab-service', 'restart', 'mariadb']);
      const end = await query();
      assert.equal(end.mc, 4096, `effective max_connections (was ${start.mc} with ${start.ofl} files)`);
      assert.ok(end.ofl >= Math.min(20480, ceiling), `open_files_limit ${end.ofl}`);
    } finally {
      for (const c of changed.reverse()) {
        const cur = await store.read(host, c.path);
        if (c.original === undefined) await sh(host, ['rm', '-f', '--', c.path]);
        else {
          const restore = await store.write(host, c.path, c.original, cur.version);
          if (restore.backupPath) backups.push(restore.backupPath);
        }
      }
      if (backups.length) await sh(host, ['rm', '-f', '--', ...backups]);
      await sh(host, ['sh', '-c', 'rmdir /etc/systemd/system/mariadb.service.d 2>/dev/null || true']);
      await sh(host, ['lab-service', 'restart', 'mariadb']);
    }
    const restored = await query();
    assert.deepEqual(restored, start, 'restored: MariaDB runs as before the test');
  });
});
