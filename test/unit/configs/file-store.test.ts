import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isTroubleshooterError } from '../../../src/core/errors';
import { applyHostPlans, planFixOnHosts, planPreview } from '../../../src/core/configs/apply-to-hosts';
import { unifiedDiff } from '../../../src/core/configs/diff';
import { LocalConfigFileStore, localReader } from '../../../src/core/configs/file-store';
import { readRegularFile, readRegularFileSync } from '../../../src/core/local-file';
import { ignoredCodes, lintConfig } from '../../../src/core/configs/lint';
import { parseSystemdTimestamp, restartFacts, restartPending, serviceStartProbe, type ConfigProbe } from '../../../src/core/configs/restart-pending';
import { isConfigDoctorPath } from '../../../src/features/configs/paths';
import { ROOT_WITHOUT_DAC, isRoot, runsOk } from '../../support/unprivileged';
import { DEBIAN12, fixture } from './helpers';

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => isTroubleshooterError(e) && e.code === code && re.test(e.message));
}

describe('configs: local file store (atomic write, backup, conflicts, bad input)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes atomically, keeps the mode, and leaves the old content in a .bak-<stamp> beside it', async () => {
    const p = join(dir, 'libvirtd.conf');
    writeFileSync(p, 'listen_tcp = 0\n');
    chmodSync(p, 0o640);
    const ino = statSync(p).ino;
    const store = new LocalConfigFileStore();
    const cur = await store.read('local', p);
    const r = await store.write('local', p, 'listen_tcp = 1\n', cur.version);
    assert.equal(readFileSync(p, 'utf8'), 'listen_tcp = 1\n');
    assert.equal(statSync(p).mode & 0o777, 0o640);
    assert.notEqual(statSync(p).ino, ino, 'replaced by rename');
    assert.match(r.backupPath!, /libvirtd\.conf\.bak-\d{8}T\d{6}Z$/);
    assert.equal(readFileSync(r.backupPath!, 'utf8'), 'listen_tcp = 0\n');
    assert.equal(statSync(r.backupPath!).mode & 0o777, 0o640);
    // A second write in the same second keeps both backups.
    const again = await store.write('local', p, 'listen_tcp = 1\nlisten_tls = 0\n', r.version);
    assert.notEqual(again.backupPath, r.backupPath);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp')), [], 'no temp file left');
  });

  it('refuses a file changed between read and write, and loses nothing', async () => {
    const p = join(dir, 'my.cnf');
    writeFileSync(p, '[mysqld]\nmax_connections = 151\n');
    const store = new LocalConfigFileStore();
    const cur = await store.read('local', p);
    writeFileSync(p, '[mysqld]\nmax_connections = 999\n'); // someone else, same size
    await rejects(store.write('local', p, '[mysqld]\nmax_connections = 4096\n', cur.version), 'FileChanged', /changed since it was read; nothing was written/);
    assert.equal(readFileSync(p, 'utf8'), '[mysqld]\nmax_connections = 999\n');
    assert.deepEqual(readdirSync(dir), ['my.cnf']);
    // Creating a drop-in that appeared meanwhile is refused too.
    writeFileSync(join(dir, 'limits.conf'), '[Service]\nLimitNOFILE=1\n');
    await rejects(store.write('local', join(dir, 'limits.conf'), '[Service]\nLimitNOFILE=20480\n', null), 'FileChanged', /created by someone else/);
  });

  it('creates a missing drop-in with its folder', async () => {
    const p = join(dir, 'mariadb.service.d', 'limits.conf');
    const store = new LocalConfigFileStore();
    const cur = await store.read('local', p);
    assert.equal(cur.text, undefined);
    const r = await store.write('local', p, '[Service]\nLimitNOFILE=20480\n', cur.version);
    assert.equal(r.backupPath, undefined);
    assert.equal(readFileSync(p, 'utf8'), '[Service]\nLimitNOFILE=20480\n');
  });

  it('binary, huge files and folders give one clear sentence', async function () {
    this.timeout(60_000);
    const store = new LocalConfigFileStore();
    const bin = join(dir, 'libvirtd.conf');
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    await rejects(store.read('local', bin), 'BinaryFile', /binary, not a configuration file: ".*libvirtd\.conf"/);
    const huge = join(dir, 'my.cnf');
    writeFileSync(huge, Buffer.alloc(6 * 1024 * 1024, 0x23));
    await rejects(store.read('local', huge), 'FileTooLarge', /6\.0 MB, more than the 5 MB/);
    await rejects(store.read('local', dir), 'InvalidInput', /directory, not a file/);
    // devices and FIFOs are refused before a byte is read (/dev/zero never ends, a FIFO blocks forever)
    await rejects(store.read('local', '/dev/zero'), 'InvalidInput', /^Not a regular file \(a character device\): "\/dev\/zero"\.$/);
    const fifo = join(dir, 'libvirtd-fifo.conf');
    execFileSync('mkfifo', [fifo]);
    await rejects(store.read('local', fifo), 'InvalidInput', /^Not a regular file \(a named pipe\): ".*libvirtd-fifo\.conf"\.$/);
    assert.equal(await localReader().read(fifo), undefined, 'includes that are FIFOs read as absent');
  });

  it('an unreadable file gives "Permission denied" (read by root without the power to override file modes)', async function () {
    this.timeout(60_000);
    // As root every file is readable, so the read runs in a child that is still root (it reaches this checkout
    // wherever it sits) but has no CAP_DAC_OVERRIDE: a 0600 file of another user is then unreadable to it.
    const repo = resolve(__dirname, '..', '..', '..');
    const tsx = require.resolve('tsx/cjs');
    if (!isRoot()) this.skip(); // setpriv needs root
    const mod = JSON.stringify(join(repo, 'src/core/configs/file-store.ts'));
    assert.ok(runsOk(ROOT_WITHOUT_DAC, [process.execPath, '-e', `require('fs').accessSync(${mod}, 4); require('fs').accessSync(${JSON.stringify(tsx)}, 4)`]), 'root without CAP_DAC_OVERRIDE reaches the checkout');
    const secret = join(dir, 'limits.conf');
    writeFileSync(secret, '* soft nofile 1024\n');
    chmodSync(secret, 0o600);
    chownSync(secret, 65534, 65534);
    const script = `const { LocalConfigFileStore } = require(${mod}); new LocalConfigFileStore().read('local', ${JSON.stringify(secret)}).then(() => console.log('read'), (e) => console.log(e.code + ': ' + e.message))`;
    const out = execFileSync(ROOT_WITHOUT_DAC[0], [...ROOT_WITHOUT_DAC.slice(1), process.execPath, '--require', tsx, '-e', script], { encoding: 'utf8' });
    assert.equal(out.trim(), `PermissionDenied: Permission denied to read "${secret}".`);
    assert.equal(readFileSync(secret, 'utf8'), '* soft nofile 1024\n', 'nothing lost');
  });
});

describe('configs: unified diff, ignore markers, paths, restart pending', () => {
  it('diff output is accepted by patch and reproduces the new text', function () {
    try {
      execFileSync('patch', ['--version'], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'diff-'));
    try {
      const a = fixture('etc/libvirt/libvirtd.conf');
      const b = a.replace('#listen_tcp = 1', 'listen_tcp = 1').replace('#listen_tls = 0', 'listen_tls = 0') + 'auth_tcp = "sasl"';
      writeFileSync(join(dir, 'f'), a);
      writeFileSync(join(dir, 'p'), unifiedDiff(a, b, 'a/f', 'b/f'));
      execFileSync('patch', ['-s', join(dir, 'f'), join(dir, 'p')]);
      assert.equal(readFileSync(join(dir, 'f'), 'utf8'), b);
      assert.equal(unifiedDiff(a, a, 'x', 'y'), '');
      assert.match(unifiedDiff('', '[Service]\nLimitNOFILE=20480\n', '/dev/null', 'h:/x'), /^--- \/dev\/null\n\+\+\+ h:\/x\n@@ -0,0 \+1,2 @@\n\+\[Service\]\n\+LimitNOFILE=20480\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an ignore marker on the line or the line above silences only the named code', () => {
    const text = 'listen_tcp = 1\nlisten_tls = 0\n# openstack-troubleshooter: ignore libvirt/auth-tcp-none\nauth_tcp = "none"\nlisten_addr = "0.0.0.0" # openstack-troubleshooter: ignore libvirt/listen-all-interfaces\n';
    assert.deepEqual([...ignoredCodes(text).entries()].map(([l, c]) => [l, [...c]]), [[2, ['libvirt/auth-tcp-none']], [3, ['libvirt/auth-tcp-none']], [4, ['libvirt/listen-all-interfaces']]]);
    assert.deepEqual(lintConfig({ path: '/etc/libvirt/libvirtd.conf', text, facts: { novaMigrationScheme: 'tcp', libvirtModel: 'listen' } }).findings, []);
    const other = text.replace('ignore libvirt/auth-tcp-none', 'ignore libvirt/tcp-disabled');
    assert.deepEqual(lintConfig({ path: '/etc/libvirt/libvirtd.conf', text: other, facts: { novaMigrationScheme: 'tcp', libvirtModel: 'listen' } }).findings.map((f) => f.code), ['libvirt/auth-tcp-none']);
  });

  it('watches the usual paths and nothing else', () => {
    for (const p of ['/etc/libvirt/libvirtd.conf', '/etc/mysql/my.cnf', '/etc/my.cnf.d/openstack.cnf', '/etc/mysql/mariadb.conf.d/99-openstack.cnf', '/etc/mysql/conf.d/mysql.cnf', '/etc/security/limits.conf', '/etc/security/limits.d/90-nofile.conf', '/etc/systemd/system/mariadb.service.d/limits.conf']) assert.ok(isConfigDoctorPath(p), p);
    for (const p of ['/etc/nova/nova.conf', '/etc/ssl/openssl.cnf', '/home/u/notes.conf', '/etc/security/limits.d/README']) assert.ok(!isConfigDoctorPath(p), p);
  });

  it('"changed but not yet applied": file newer than the service process', () => {
    assert.deepEqual(serviceStartProbe('mariadb.service').argv, ['systemctl', 'show', '-p', 'ExecMainStartTimestamp', '--value', 'mariadb.service']);
    const started = parseSystemdTimestamp('Wed 2026-11-25 20:01:02 UTC');
    assert.equal(started, Date.parse('2026-11-25T20:01:02Z'));
    assert.equal(restartPending(started! + 1000, started), true);
    assert.equal(restartPending(started! - 1000, started), false);
    const f = lintConfig({ path: '/etc/mysql/mariadb.conf.d/99-openstack.cnf', text: '[mysqld]\nmax_connections = 4096\n', facts: { fileModifiedAt: started! + 60_000, serviceStartedAt: started, serviceName: 'mariadb' } }).findings;
    assert.deepEqual(f.map((x) => [x.code, x.severity]), [['config/restart-pending', 'warning']]);
    assert.match(f[0].message, /^Changed but not yet applied/);
    assert.deepEqual(f[0].commands?.map((c) => c.argv.join(' ')), ['systemctl restart mariadb']);
  });

  it('restart facts come from the host: the pid file, ps etimes and the host clock (argv as data)', async () => {
    const seen: string[] = [];
    const outputs: Record<string, string> = {
      'stat -c %Y -- /etc/libvirt/libvirtd.conf': '1764100800\n',
      'cat -- /run/libvirt/libvirtd.pid': '4242\n',
      'date +%s': '1764101000\n',
      'ps -o etimes= -p 4242': '    300\n',
    };
    const exec = async <T>(p: ConfigProbe<T>): Promise<T> => {
      seen.push(p.argv.join(' '));
      return p.parse(outputs[p.argv.join(' ')] ?? '');
    };
    const facts = await restartFacts(exec, 'libvirtd', '/etc/libvirt/libvirtd.conf');
    assert.deepEqual(facts, { fileModifiedAt: 1764100800_000, serviceStartedAt: 1764100700_000, serviceName: 'libvirtd' });
    assert.deepEqual(seen.sort(), Object.keys(outputs).sort());
    assert.deepEqual(await restartFacts(exec, 'limits', '/etc/security/limits.conf'), {}, 'limits.conf has no daemon');
  });
});

describe('configs: apply the same fix to several hosts', () => {
  it('plans per host from each host\'s own file, previews a diff, writes with backups, isolates a conflict', async () => {
    const roots: Record<string, string> = {};
    for (const h of ['compute1', 'compute2', 'compute3']) {
      roots[h] = mkdtempSync(join(tmpdir(), `${h}-`));
      execFileSync('cp', ['-a', `${DEBIAN12}/.`, roots[h]]);
    }
    try {
      const libvirtd = '/etc/libvirt/libvirtd.conf';
      // compute1 already listens; compute2 has the Debian default; compute3 has listen_tcp = 0 written out.
      writeFileSync(join(roots.compute1, libvirtd), fixture('etc/libvirt/libvirtd.conf').replace('#listen_tcp = 1', 'listen_tcp = 1').replace('#listen_tls = 0', 'listen_tls = 0'));
      writeFileSync(join(roots.compute3, libvirtd), fixture('etc/libvirt/libvirtd.conf').replace('#listen_tcp = 1', 'listen_tcp = 0'));
      const stores = Object.fromEntries(Object.entries(roots).map(([h, r]) => [h, new LocalConfigFileStore(r)]));
      const store = {
        read: (h: string, p: string) => stores[h].read(h, p),
        write: (h: string, p: string, t: string, v: Parameters<LocalConfigFileStore['write']>[3]) => stores[h].write(h, p, t, v),
        list: (h: string, d: string) => stores[h].list(h, d),
      };
      const plans = await planFixOnHosts({ hosts: ['compute1', 'compute2', 'compute3', 'nohost'], path: libvirtd, code: 'libvirt/tcp-disabled', store: { ...store, read: (h, p) => (stores[h] ? store.read(h, p) : Promise.reject(new Error(`Host "${h}" is unknown.`))) }, facts: () => ({ novaMigrationScheme: 'tcp', libvirtModel: 'listen' }) });
      assert.deepEqual(plans.map((p) => [p.host, p.status]), [['compute1', 'clean'], ['compute2', 'change'], ['compute3', 'change'], ['nohost', 'error']]);
      assert.match(plans[1].files[0].diff, /^-#listen_tcp = 1\n\+listen_tcp = 1$/m);
      assert.match(plans[2].files[0].diff, /^-listen_tcp = 0\n\+listen_tcp = 1$/m);
      assert.deepEqual(plans[1].commands.map((c) => c.argv.join(' ')), ['systemctl restart libvirtd']);
      const preview = planPreview(plans);
      assert.match(preview, /# compute1: nothing to change/);
      assert.match(preview, /# nohost: cannot apply: Host "nohost" is unknown\./);
      assert.match(preview, /# then on compute2:\n#   sudo systemctl restart libvirtd/);
      // compute3's file changes after planning: it is refused there, compute2 is written.
      writeFileSync(join(roots.compute3, libvirtd), readFileSync(join(roots.compute3, libvirtd), 'utf8') + '# edited by a colleague\n');
      const results = await applyHostPlans(plans, store);
      assert.deepEqual(results.map((r) => [r.host, r.error === undefined]), [['compute2', true], ['compute3', false]]);
      assert.match(results[1].error!, /changed since it was read/);
      assert.ok(readFileSync(join(roots.compute2, libvirtd), 'utf8').includes('\nlisten_tcp = 1\n'));
      assert.ok(readFileSync(join(roots.compute3, libvirtd), 'utf8').endsWith('# edited by a colleague\n'), 'the colleague\'s edit is kept');
      assert.equal(readFileSync(join(roots.compute2, results[0].written[0].backupPath!), 'utf8'), fixture('etc/libvirt/libvirtd.conf'));
    } finally {
      for (const r of Object.values(roots)) rmSync(r, { recursive: true, force: true });
    }
  });
});

describe('core/local-file: reads of files a user names are bounded and regular-only', () => {
  it('reads /proc files (size 0 in stat) to their end, refuses a file past the limit, a device and a FIFO', async function () {
    if (process.platform !== 'linux') this.skip();
    const status = await readRegularFile('/proc/self/status', { maxBytes: 1024 * 1024 });
    assert.equal(status.stat.size, 0);
    assert.match(status.bytes.toString(), /^Name:/);
    const dir = mkdtempSync(join(tmpdir(), 'bounded-'));
    try {
      const f = join(dir, 'ssh_config');
      writeFileSync(f, 'x'.repeat(2000));
      for (const read of [readRegularFile, async (p: string, o: { maxBytes: number }) => readRegularFileSync(p, o)]) {
        assert.equal((await read(f, { maxBytes: 2000 })).bytes.length, 2000);
        await rejects(read(f, { maxBytes: 1999 }), 'FileTooLarge', /^The file is larger than the 0 MiB limit: ".*ssh_config"\.$/);
        await rejects(read('/dev/zero', { maxBytes: 10 }), 'InvalidInput', /^Not a regular file \(a character device\): "\/dev\/zero"\.$/);
        execFileSync('mkfifo', [join(dir, 'fifo')]);
        await rejects(read(join(dir, 'fifo'), { maxBytes: 10 }), 'InvalidInput', /^Not a regular file \(a named pipe\): /);
        rmSync(join(dir, 'fifo'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
