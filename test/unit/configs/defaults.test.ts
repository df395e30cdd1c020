import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN12, fixture, lintOnHost, summary } from './helpers';

/**
 * The distributions' own default files raise no false alarm. "No false alarm" means: no error and no warning on
 * an untouched Debian 12 file; the only findings are these informational notes, each of which is true of a fresh
 * install and worth telling an OpenStack operator:
 *  - libvirtd.conf: TCP is not enabled, and nova's default migration scheme is tcp (info, because whether nova
 *    on this cloud migrates over tcp is unknown from the file alone);
 *  - 50-server.cnf: max_connections is nowhere set, so the default 151 applies, below the guide's 4096 (info on
 *    the [mysqld] header — a warning is kept for an explicit value below 4096);
 *  - limits.conf: limits.conf does not reach systemd services (always said, info).
 */
describe('configs: Debian 12 default files raise no false alarm', () => {
  it('libvirtd.conf (libvirt-daemon-system 9.0.0): only the tcp note, on the commented #listen_tcp line', async () => {
    const findings = await lintOnHost('/etc/libvirt/libvirtd.conf', fixture('etc/libvirt/libvirtd.conf'));
    assert.deepEqual(summary(findings), ['info libvirt/tcp-disabled@38:0-15']);
    assert.equal(fixture('etc/libvirt/libvirtd.conf').split('\n')[37], '#listen_tcp = 1');
    // Both service models are offered, and the message says the file is ignored with socket activation.
    assert.deepEqual(findings[0].fixes.map((f) => f.title), [
      'Set listen_tcp = 1 (libvirtd started with --listen)',
      'Enable libvirtd-tcp.socket (systemd socket activation)',
      'Enable virtproxyd-tcp.socket (systemd socket activation)',
    ]);
    assert.match(findings[0].message, /socket-activated libvirt ≥ 5\.6 and with virtproxyd the file setting is ignored/);
  });

  it('MariaDB 10.11 option files: only the max_connections default note, in 50-server.cnf', async () => {
    const dir = 'etc/mysql/mariadb.conf.d';
    const all: Record<string, string[]> = {};
    for (const f of ['etc/mysql/my.cnf', 'etc/mysql/mariadb.cnf', ...readdirSync(join(DEBIAN12, dir)).map((n) => `${dir}/${n}`), 'etc/mysql/conf.d/mysql.cnf', 'etc/mysql/conf.d/mysqldump.cnf']) {
      all[f] = summary(await lintOnHost(`/${f}`, fixture(f)));
    }
    assert.deepEqual(all, {
      'etc/mysql/my.cnf': [],
      'etc/mysql/mariadb.cnf': [],
      'etc/mysql/mariadb.conf.d/50-client.cnf': [],
      'etc/mysql/mariadb.conf.d/50-mysql-clients.cnf': [],
      'etc/mysql/mariadb.conf.d/50-mysqld_safe.cnf': [],
      'etc/mysql/mariadb.conf.d/50-server.cnf': ['info mysql/max-connections-default@9:1-7'],
      'etc/mysql/mariadb.conf.d/60-galera.cnf': [],
      'etc/mysql/conf.d/mysql.cnf': [],
      'etc/mysql/conf.d/mysqldump.cnf': [],
    });
  });

  it('limits.conf (libpam-modules 1.5.2): only the "not for services" note, with the drop-in fix', async () => {
    const findings = await lintOnHost('/etc/security/limits.conf', fixture('etc/security/limits.conf'));
    assert.deepEqual(summary(findings), ['info limits/not-for-services@1:0-27']);
    const fix = findings[0].fixes[0];
    // MariaDB's unit already has LimitNOFILE=32768: the drop-in never lowers it.
    assert.deepEqual(fix.files, [{ path: '/etc/systemd/system/mariadb.service.d/limits.conf', unitSetting: { section: 'Service', key: 'LimitNOFILE', value: '32768' } }]);
    assert.deepEqual(fix.commands?.map((c) => c.argv.join(' ')), ['systemctl daemon-reload', 'systemctl restart mariadb']);
  });

  it('the shipped mariadb.service and libvirtd units: nothing', async () => {
    for (const f of ['lib/systemd/system/mariadb.service', 'lib/systemd/system/libvirtd.service', 'lib/systemd/system/libvirtd-tcp.socket']) {
      assert.deepEqual(summary(await lintOnHost(`/${f}`, fixture(f))), [], f);
    }
  });

  it('the guide-sized setup (max_connections 4096 in 99-openstack.cnf, MariaDB unit 32768) is clean', async () => {
    const text = '[mysqld]\nmax_connections = 4096\n';
    const findings = await lintOnHost('/etc/mysql/mariadb.conf.d/99-openstack.cnf', text);
    assert.deepEqual(summary(findings), []);
  });
});
