import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nullLogger } from '../../../src/core/log';
import { main } from '../../../src/cli/main';
import { DEBIAN12, fixture } from './helpers';

async function lint(args: string[], cwd = process.cwd()): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['lint', ...args], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), log: nullLogger, signal: new AbortController().signal, env: {}, cwd });
  return { code, out, err };
}

describe('configs: `openstack-troubleshooter lint`', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lint-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exit 0 on the Debian defaults (info notes only), read as the host would with --root', async () => {
    const r = await lint(['--root', DEBIAN12, join(DEBIAN12, 'etc/libvirt/libvirtd.conf'), join(DEBIAN12, 'etc/mysql/mariadb.conf.d/50-server.cnf'), join(DEBIAN12, 'etc/security/limits.conf')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /libvirtd\.conf:38:1: info libvirt\/tcp-disabled: /);
    assert.match(r.out, /50-server\.cnf:9:2: info mysql\/max-connections-default: /);
  });

  it('exit 1 with findings ≥ warning, file:line:col output and --json', async () => {
    const f = join(dir, 'libvirtd.conf');
    writeFileSync(f, fixture('etc/libvirt/libvirtd.conf').replace('#listen_tcp = 1', 'listen_tcp = 0').replace('#auth_tcp = "sasl"', 'auth_tcp = "none"'));
    const r = await lint([f, '--migration-scheme', 'tcp', '--libvirt-model', 'listen', '--root', DEBIAN12]);
    assert.equal(r.code, 1);
    assert.match(r.out, /libvirtd\.conf:38:1: error libvirt\/tcp-disabled: nova migrates over qemu\+tcp \(port 16509\).* \[fix available\]/);
    assert.match(r.out, /libvirtd\.conf:191:1: warning libvirt\/auth-tcp-none: /);
    const j = await lint([f, '--json', '--migration-scheme', 'tcp', '--root', DEBIAN12]);
    const parsed = JSON.parse(j.out) as { path: string; kind: string; findings: { code: string; range: { start: { line: number } } }[] }[];
    assert.equal(parsed[0].kind, 'libvirtd');
    assert.deepEqual(parsed[0].findings.map((x) => [x.code, x.range.start.line]), [['libvirt/tcp-disabled', 37], ['libvirt/auth-tcp-none', 190]]);
  });

  it('exit 2 on usage errors, 3 on a file it cannot read (and says why)', async () => {
    assert.equal((await lint([])).code, 2);
    const bad = await lint(['--frobnicate', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /Unknown option "--frobnicate"/);
    const bin = join(dir, 'my.cnf');
    writeFileSync(bin, Buffer.from([0, 1, 2, 3]));
    const r = await lint([bin, join(dir, 'missing.cnf')]);
    assert.equal(r.code, 3);
    assert.match(r.err, /my\.cnf: error: The file is binary, not a configuration file/);
    assert.match(r.err, /missing\.cnf: error: No such file/);
  });

  it('refuses /dev/zero, a FIFO and a folder at once instead of reading them (exit 3, one sentence each)', async function () {
    this.timeout(10_000);
    const fifo = join(dir, 'my.cnf');
    execFileSync('mkfifo', [fifo]);
    const before = process.memoryUsage().rss;
    const r = await lint(['/dev/zero', fifo, dir]);
    assert.equal(r.code, 3, r.out + r.err);
    assert.match(r.err, /^\/dev\/zero: error: Not a regular file \(a character device\): "\/dev\/zero"\.$/m);
    assert.match(r.err, /my\.cnf: error: Not a regular file \(a named pipe\): ".*my\.cnf"\.$/m);
    assert.match(r.err, /error: This is a directory, not a file: /);
    assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, 'nothing big was read');
  });

  it('--fix applies the preferred fixes with a backup; my_print_defaults sees the new value', async () => {
    const f = join(dir, '50-server.cnf');
    const before = fixture('etc/mysql/mariadb.conf.d/50-server.cnf').replace('#max_connections        = 100', 'max_connections        = 151');
    writeFileSync(f, before);
    const r = await lint([f, '--fix', '--root', DEBIAN12]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /fixed \(backup: .*50-server\.cnf\.bak-\d{8}T\d{6}Z\)/);
    assert.ok(readFileSync(f, 'utf8').includes('max_connections        = 4096\n'));
    const backup = readdirSync(dir).find((n) => n.includes('.bak-'))!;
    assert.equal(readFileSync(join(dir, backup), 'utf8'), before);
    try {
      const shown = execFileSync('my_print_defaults', [`--defaults-file=${f}`, 'mysqld'], { encoding: 'utf8' });
      assert.match(shown, /^--max_connections=4096$/m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  });

  it('--fix creates the drop-in a limits.conf finding asks for, below --root, and prints the restart', async () => {
    execFileSync('cp', ['-a', `${DEBIAN12}/.`, dir]);
    const limits = join(dir, 'etc/security/limits.conf');
    writeFileSync(limits, fixture('etc/security/limits.conf').replace('# End of file', 'mysql - nofile 1024\nmysql soft nproc 8192\nmysql hard nproc 4096\n# End of file'));
    const r = await lint([limits, '--fix', '--root', dir, '--max-connections', '4096']);
    assert.equal(readFileSync(join(dir, 'etc/systemd/system/mariadb.service.d/limits.conf'), 'utf8'), '[Service]\nLimitNOFILE=32768\n');
    // A fix that is already in place does not block the next one: soft nproc above hard was fixed too.
    assert.ok(readFileSync(limits, 'utf8').includes('mysql soft nproc 4096\nmysql hard nproc 4096\n'));
    assert.match(r.out, /Then run on the host:\n {2}sudo systemctl daemon-reload\n {2}sudo systemctl restart mariadb/);
    // The nofile line is left as it was: the drop-in is what a service obeys; the warning stays visible.
    assert.equal(r.code, 1);
    assert.match(r.out, /warning limits\/nofile-too-low/);
  });

  const limitsWithFindings = () => fixture('etc/security/limits.conf').replace('# End of file', 'mysql - nofile 1024\nmysql soft nproc 8192\nmysql hard nproc 4096\n# End of file');

  it('--fix without --root touches only the named file: a fix that needs another file says so and is skipped', async () => {
    const dropIn = '/etc/systemd/system/mariadb.service.d/limits.conf';
    const existed = existsSync(dropIn) ? readFileSync(dropIn, 'utf8') : undefined;
    const limits = join(dir, 'limits.conf'); // a copy in a scratch folder
    writeFileSync(limits, limitsWithFindings());
    const r = await lint([limits, '--fix', '--max-connections', '4096']);
    assert.equal(existsSync(dropIn) ? readFileSync(dropIn, 'utf8') : undefined, existed, `${dropIn} on this machine is untouched`);
    assert.match(r.err, /note: The fix for limits\/nofile-too-low \(.*\) also writes "\/etc\/systemd\/system\/mariadb\.service\.d\/limits\.conf": pass --root DIR .* to allow that; skipped\./);
    assert.ok(readFileSync(limits, 'utf8').includes('mysql soft nproc 4096\nmysql hard nproc 4096\n'), 'the fix within the named file is applied');
    assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('limits.conf')), [], 'nothing else written in the folder');
  });

  it('--fix reports what it wrote before a later write failed', async () => {
    execFileSync('cp', ['-a', `${DEBIAN12}/.`, dir]);
    const limits = join(dir, 'etc/security/limits.conf');
    writeFileSync(limits, limitsWithFindings());
    mkdirSync(join(dir, 'etc/systemd/system'), { recursive: true });
    writeFileSync(join(dir, 'etc/systemd/system/mariadb.service.d'), 'a file where the drop-in folder should be');
    const r = await lint([limits, '--fix', '--root', dir, '--max-connections', '4096']);
    assert.equal(r.code, 3);
    assert.match(r.out, /limits\.conf: fixed \(backup: .*limits\.conf\.bak-\d{8}T\d{6}Z\)/);
    assert.match(r.err, /limits\.conf: error: .*mariadb\.service\.d\/limits\.conf/);
    assert.ok(readFileSync(limits, 'utf8').includes('mysql soft nproc 4096\n'));
  });

  it('--fix through a symlink (Debian\'s my.cnf → alternatives) writes the target and keeps the link', async () => {
    mkdirSync(join(dir, 'alternatives'));
    const target = join(dir, 'mariadb.cnf');
    writeFileSync(target, '[mysqld]\nmax_connections = 151\n');
    symlinkSync(target, join(dir, 'alternatives', 'my.cnf'));
    symlinkSync(join(dir, 'alternatives', 'my.cnf'), join(dir, 'my.cnf'));
    const r = await lint([join(dir, 'my.cnf'), '--fix', '--root', dir]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok(lstatSync(join(dir, 'my.cnf')).isSymbolicLink() && lstatSync(join(dir, 'alternatives', 'my.cnf')).isSymbolicLink(), 'both links stay links');
    assert.equal(readFileSync(target, 'utf8'), '[mysqld]\nmax_connections = 4096\n');
    assert.match(r.out, /fixed \(backup: .*mariadb\.cnf\.bak-\d{8}T\d{6}Z\)/, 'the backup is beside the file that changed');
  });

  it('--fix keeps a UTF-8 byte order mark', async () => {
    const f = join(dir, 'my.cnf');
    writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[mysqld]\nmax_connections = 151\n')]));
    const r = await lint([f, '--fix', '--root', dir]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(readFileSync(f), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[mysqld]\nmax_connections = 4096\n')]));
  });

  it('--fix of a misspelt max_connections leaves one max_connections line (fixes of one run agree)', async () => {
    const f = join(dir, 'my.cnf');
    writeFileSync(f, '[mysqld]\nmax_connectons = 500\n');
    const r = await lint([f, '--fix', '--root', dir]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(readFileSync(f, 'utf8'), '[mysqld]\nmax_connections = 4096\n');
  });
});
