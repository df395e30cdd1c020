import { strict as assert } from 'node:assert';
import { setUnitValue } from '../../../src/core/configs/fixes';
import { domainApplies, parseLimitsConf } from '../../../src/core/configs/limits-conf';
import { lintConfig } from '../../../src/core/configs/lint';
import { parseLimitNofile, parseUnitFile } from '../../../src/core/configs/systemd-unit';
import { applyTextEdits } from '../../../src/core/configs/text';
import { fixture, lintOnHost, summary } from './helpers';

const LIMITS = fixture('etc/security/limits.conf');

describe('configs: limits.conf', () => {
  it('parses domains, types, items and values with ranges; skips comments', () => {
    const f = parseLimitsConf('# c\n*   soft  nofile  4096 # x\n@mysql - nofile unlimited\nmysql hard nofile\n');
    assert.deepEqual(f.entries.map((e) => [e.domain.text, e.type.text, e.item.text, e.amount, e.value.range.start.character]), [['*', 'soft', 'nofile', 4096, 18], ['@mysql', '-', 'nofile', Infinity, 16]]);
    assert.equal(f.errors.length, 1);
    assert.equal(domainApplies('*', { name: 'root' }), false);
    assert.equal(domainApplies('*', { name: 'mysql' }), true);
    assert.equal(domainApplies('@mysql', { name: 'mysql', groups: ['mysql'] }), true);
    assert.equal(domainApplies('100:200', { name: 'mysql', uid: 150 }), true);
  });

  it('crafted: soft above hard, "*" without root, and mysql nofile below 5 × max_connections', async () => {
    const text = LIMITS.replace('# End of file', 'mysql soft nofile 65536\nmysql hard nofile 4096\n*     hard nproc  2048\n# End of file');
    const lines = text.split('\n');
    const l = (s: string) => lines.indexOf(s) + 1;
    const findings = await lintOnHost('/etc/security/limits.conf', text, { maxConnections: 4096 });
    assert.deepEqual(summary(findings), [
      `info limits/not-for-services@${l('mysql soft nofile 65536')}:0-23`,
      `error limits/soft-above-hard@${l('mysql soft nofile 65536')}:18-23`,
      `warning limits/nofile-too-low@${l('mysql hard nofile 4096')}:18-22`,
      `info limits/wildcard-not-root@${l('*     hard nproc  2048')}:0-1`,
    ]);
    const low = findings[2];
    assert.match(low.message, /below 5 × max_connections = 20480 \(MariaDB would cut max_connections to 866\)/);
    // The preferred fix is the drop-in (what a systemd service obeys); raising the line is offered second.
    assert.deepEqual(low.fixes.map((f) => [f.title, f.preferred]), [['Create /etc/systemd/system/mariadb.service.d/limits.conf with LimitNOFILE=32768', true], ['Raise this nofile to 20480', false]]);
    const fixed = applyTextEdits(text, findings[1].fixes[0].files[0].edits!);
    assert.ok(fixed.includes('mysql soft nofile 4096\n'));
  });
});

describe('configs: systemd units and drop-ins', () => {
  it('parses sections, values, continuations and LimitNOFILE forms', () => {
    const u = parseUnitFile('[Service]\nLimitNOFILE=1024:4096\nExecStart=/bin/a \\\n  --b\n');
    assert.deepEqual(u.entries.map((e) => [e.section, e.key, e.value]), [['Service', 'LimitNOFILE', '1024:4096'], ['Service', 'ExecStart', '/bin/a  --b']]);
    assert.deepEqual(parseLimitNofile('infinity'), { soft: Infinity, hard: Infinity });
    assert.deepEqual(parseLimitNofile('1024:4096'), { soft: 1024, hard: 4096 });
    assert.equal(parseLimitNofile('lots'), undefined);
  });

  it('crafted drop-ins: too low for max_connections, soft above hard, and pasted under [Unit]', async () => {
    const path = '/etc/systemd/system/mariadb.service.d/limits.conf';
    const low = lintConfig({ path, text: '[Service]\nLimitNOFILE=4096\n', facts: { maxConnections: 4096 } }).findings;
    assert.deepEqual(summary(low), ['error systemd/limitnofile-too-low@2:12-16']);
    assert.match(low[0].message, /MariaDB lowers it to 866/);
    assert.equal(low[0].fixes[0].files[0].edits![0].newText, '20480');
    assert.deepEqual(low[0].fixes[0].commands?.map((c) => c.argv.join(' ')), ['systemctl daemon-reload', 'systemctl restart mariadb']);
    assert.deepEqual(summary(lintConfig({ path, text: '[Service]\nLimitNOFILE=16384\n', facts: { maxConnections: 4096 } }).findings), ['warning systemd/limitnofile-too-low@2:12-17']);
    assert.deepEqual(summary(lintConfig({ path, text: '[Service]\nLimitNOFILE=8192:4096\n', facts: {} }).findings), ['error systemd/soft-above-hard@2:12-21']);
    const wrong = lintConfig({ path, text: '[Unit]\nLimitNOFILE=20480\n[Service]\nUser=mysql\n' }).findings;
    assert.deepEqual(summary(wrong), ['error systemd/wrong-section@2:0-11']);
    assert.equal(applyTextEdits('[Unit]\nLimitNOFILE=20480\n[Service]\nUser=mysql\n', wrong[0].fixes[0].files[0].edits!), '[Unit]\n[Service]\nLimitNOFILE=20480\nUser=mysql\n');
    // Not the database: no max_connections opinion.
    assert.deepEqual(lintConfig({ path: '/etc/systemd/system/nginx.service.d/x.conf', text: '[Service]\nLimitNOFILE=1024\n', facts: { maxConnections: 4096 } }).findings, []);
  });

  it('the drop-in fix creates, updates in place, or appends the [Service] setting', () => {
    assert.equal(setUnitValue(undefined, 'Service', 'LimitNOFILE', '20480'), '[Service]\nLimitNOFILE=20480\n');
    assert.equal(setUnitValue('[Service]\nLimitNOFILE=1024\nLimitNOFILE=2048\n', 'Service', 'LimitNOFILE', '20480'), '[Service]\nLimitNOFILE=1024\nLimitNOFILE=20480\n');
    assert.equal(setUnitValue('[Service]\nNice=5\n', 'Service', 'LimitNOFILE', '20480'), '[Service]\nLimitNOFILE=20480\nNice=5\n');
    assert.equal(setUnitValue('[Unit]\nAfter=x\n', 'Service', 'LimitNOFILE', '20480'), '[Unit]\nAfter=x\n\n[Service]\nLimitNOFILE=20480\n');
  });

  it('a drop-in the service already has feeds the facts: my.cnf sees the limit it gets', async () => {
    const text = '[mysqld]\nmax_connections = 4096\n';
    // Debian's unit ships LimitNOFILE=32768: enough.
    assert.deepEqual(summary(await lintOnHost('/etc/mysql/mariadb.conf.d/99-openstack.cnf', text)), []);
  });
});
