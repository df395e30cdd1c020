import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConfigFileStore, localReader } from '../../../src/core/configs/file-store';
import { resolveFileEdit } from '../../../src/core/configs/fixes';
import { gatherFacts } from '../../../src/core/configs/facts';
import { lintConfig } from '../../../src/core/configs/lint';
import { loadOptionTree, parseOptionFile, parseOptionNumber } from '../../../src/core/configs/option-file';
import { classifyServerOption } from '../../../src/core/configs/rules-option-file';
import { applyTextEdits } from '../../../src/core/configs/text';
import { DEBIAN12, fixture, lintOnHost, summary } from './helpers';

const SERVER_CNF = fixture('etc/mysql/mariadb.conf.d/50-server.cnf');

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What mariadbd would get from an option file, by MariaDB's own reader. */
function myPrintDefaults(file: string): string[] {
  return execFileSync('my_print_defaults', [`--defaults-file=${file}`, 'mysqld', 'server', 'mariadb', 'mariadb-10.11', 'client-server', 'galera'], { encoding: 'utf8' }).trim().split('\n');
}

describe('configs: option file parser', () => {
  it('reads groups, names, values, quotes, end comments and directives with ranges', () => {
    const f = parseOptionFile('[mysqld]\n  max_connections = 4096   # guide\nskip-name-resolve\nloose-foo_bar="a # b"\n!includedir /etc/mysql/conf.d/\n[Client]\nport=3306\n');
    assert.deepEqual(f.errors, []);
    assert.deepEqual(f.options.map((o) => [o.group, o.name, o.value, o.loose, o.nameRange.start.character, o.nameRange.end.character, o.valueRange?.start.character, o.valueRange?.end.character]), [
      ['mysqld', 'max-connections', '4096', false, 2, 17, 20, 24],
      ['mysqld', 'skip-name-resolve', undefined, false, 0, 17, undefined, undefined],
      ['mysqld', 'foo-bar', 'a # b', true, 0, 13, 14, 21],
      ['client', 'port', '3306', false, 0, 4, 5, 9],
    ]);
    assert.deepEqual(f.includes.map((i) => [i.directive, i.path, i.pathRange.start.character]), [['includedir', '/etc/mysql/conf.d/', 12]]);
    assert.equal(parseOptionNumber('64M'), 64 * 1024 * 1024);
    assert.equal(parseOptionNumber('4K'), 4096);
  });

  it('reads Debian\'s tree in the order MariaDB does (includes, sorted !includedir), checked with my_print_defaults', async function () {
    const tree = await loadOptionTree(['/etc/mysql/my.cnf'], localReader(DEBIAN12));
    assert.deepEqual(tree.files.map((f) => f.path), [
      '/etc/mysql/my.cnf',
      '/etc/mysql/conf.d/mysql.cnf',
      '/etc/mysql/conf.d/mysqldump.cnf',
      '/etc/mysql/mariadb.conf.d/50-client.cnf',
      '/etc/mysql/mariadb.conf.d/50-mysql-clients.cnf',
      '/etc/mysql/mariadb.conf.d/50-mysqld_safe.cnf',
      '/etc/mysql/mariadb.conf.d/50-server.cnf',
      '/etc/mysql/mariadb.conf.d/60-galera.cnf',
    ]);
    if (!hasTool('my_print_defaults')) this.skip();
    // The same tree with its absolute includes pointed into a temp copy, plus options in several groups/files.
    const root = mkdtempSync(join(tmpdir(), 'cnf-'));
    try {
      cpSync(DEBIAN12, root, { recursive: true });
      const my = join(root, 'etc/mysql/my.cnf');
      writeFileSync(my, readFileSync(my, 'utf8').replace(/!includedir \/etc\//g, `!includedir ${root}/etc/`) + '\n[mariadb]\nmax-connections = 300\n');
      writeFileSync(join(root, 'etc/mysql/mariadb.conf.d/99-openstack.cnf'), '[mysqld]\nmax_connections = 4096\ninnodb_file_per_table = on\n');
      writeFileSync(join(root, 'etc/mysql/conf.d/zz.cnf'), '[server]\nmax_connections = 200\n');
      const mine = await loadOptionTree([my], localReader('/'));
      const ours = mine.occurrences
        .filter((o) => o.option.group && ['mysqld', 'server', 'mariadb', 'mariadb-10.11', 'client-server', 'galera'].includes(o.option.group))
        .map((o) => `--${o.option.rawName}${o.option.value === undefined ? '' : `=${o.option.value}`}`);
      assert.deepEqual(ours, myPrintDefaults(my));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('knows real option names, modifiers and unambiguous prefixes, and suggests the nearest one', () => {
    assert.deepEqual(classifyServerOption('max-connections'), { status: 'known', name: 'max-connections' });
    assert.deepEqual(classifyServerOption('skip-external-locking'), { status: 'known', name: 'external-locking' });
    assert.deepEqual(classifyServerOption('max-connectoins'), { status: 'unknown', suggestion: 'max-connections' });
    assert.equal(classifyServerOption('max-conn').status, 'ambiguous');
    assert.deepEqual(classifyServerOption('myisam-recover'), { status: 'known', name: 'myisam-recover-options' });
  });
});

describe('configs: option file rules on crafted variants', () => {
  it('max_connections pasted under [client]: warning on the line, the fix moves it to [mysqld]', async () => {
    const text = fixture('etc/mysql/mariadb.conf.d/50-client.cnf').replace('[client]\n', '[client]\nmax_connections = 4096\n');
    const findings = await lintOnHost('/etc/mysql/mariadb.conf.d/50-client.cnf', text);
    const line = text.split('\n').indexOf('max_connections = 4096') + 1;
    assert.deepEqual(summary(findings), [`warning mysql/wrong-section@${line}:0-22`]);
    assert.match(findings[0].message, /pasted in the wrong place/);
    const fixed = applyTextEdits(text, findings[0].fixes[0].files[0].edits!);
    assert.ok(fixed.endsWith('\n[mysqld]\nmax_connections = 4096\n'), fixed);
    assert.ok(!fixed.includes('[client]\nmax_connections'));
  });

  it('an unknown option: error at the name, "did you mean" the real one, and a loose- alternative', async () => {
    const text = SERVER_CNF.replace('bind-address            = 127.0.0.1', 'bind-address            = 127.0.0.1\nmax_connectoins = 4096');
    const line = text.split('\n').indexOf('max_connectoins = 4096') + 1;
    const findings = await lintOnHost('/etc/mysql/mariadb.conf.d/50-server.cnf', text);
    assert.deepEqual(summary(findings), [`info mysql/max-connections-default@9:1-7`, `error mysql/unknown-option@${line}:0-15`]);
    const f = findings[1];
    assert.match(f.message, /did you mean "max_connections"\?/);
    assert.deepEqual(f.fixes.map((x) => x.title), ['Change to "max_connections"', 'Prefix with "loose-" (for an option of a plugin that may not be loaded)']);
    // A loose- option is not an error.
    assert.deepEqual(summary(await lintOnHost('/etc/x.cnf', '[mariadb]\nloose-server_audit_logging = ON\n')), []);
  });

  it('set in several included files: the earlier one is flagged "overridden", naming the file that wins', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cnf-'));
    try {
      cpSync(DEBIAN12, root, { recursive: true });
      writeFileSync(join(root, 'etc/mysql/mariadb.conf.d/99-openstack.cnf'), '[mysqld]\nmax_connections = 4096\n');
      writeFileSync(join(root, 'etc/mysql/mariadb.conf.d/60-galera.cnf'), '[galera]\nmax_connections = 500\n');
      const reader = localReader(root);
      const galera = readFileSync(join(root, 'etc/mysql/mariadb.conf.d/60-galera.cnf'), 'utf8');
      const facts = await gatherFacts(reader, { path: '/etc/mysql/mariadb.conf.d/60-galera.cnf', text: galera });
      assert.equal(facts.maxConnections, 4096);
      const findings = lintConfig({ path: '/etc/mysql/mariadb.conf.d/60-galera.cnf', text: galera, facts }).findings;
      assert.deepEqual(summary(findings), ['warning mysql/overridden@2:0-21']);
      assert.match(findings[0].message, /\/etc\/mysql\/mariadb\.conf\.d\/99-openstack\.cnf:2 sets max-connections = 4096 and is read later/);
      const winner = readFileSync(join(root, 'etc/mysql/mariadb.conf.d/99-openstack.cnf'), 'utf8');
      const w = lintConfig({ path: '/etc/mysql/mariadb.conf.d/99-openstack.cnf', text: winner, facts: await gatherFacts(reader, { path: '/etc/mysql/mariadb.conf.d/99-openstack.cnf', text: winner }) }).findings;
      assert.deepEqual(summary(w), ['info mysql/overrides@2:0-22']);
      if (hasTool('my_print_defaults')) {
        // MariaDB's reader agrees on who wins: the last --max_connections printed is 4096.
        const cnf = join(root, 'etc/mysql/flat.cnf');
        writeFileSync(cnf, `!include ${join(root, 'etc/mysql/mariadb.conf.d/60-galera.cnf')}\n!include ${join(root, 'etc/mysql/mariadb.conf.d/99-openstack.cnf')}\n`);
        assert.deepEqual(myPrintDefaults(cnf).filter((l) => l.startsWith('--max_connections')), ['--max_connections=500', '--max_connections=4096']);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('max_connections below the guide (warning), and one the open-files limit cannot carry (error)', async () => {
    const text = SERVER_CNF.replace('#max_connections        = 100', 'max_connections        = 4096');
    const line = text.split('\n').indexOf('max_connections        = 4096') + 1;
    // The lab's story: the service may open only 4096 files.
    const low = await lintOnHost('/etc/mysql/mariadb.conf.d/50-server.cnf', text, { serviceNofile: 4096, serviceNofileSource: 'drop-in' });
    assert.deepEqual(summary(low), [`error mysql/open-files-too-low@${line}:25-29`]);
    assert.match(low[0].message, /lowers max_connections from 4096 to 866/);
    assert.deepEqual(low[0].fixes[0].files, [{ path: '/etc/systemd/system/mariadb.service.d/limits.conf', unitSetting: { section: 'Service', key: 'LimitNOFILE', value: '20480' } }]);
    // A host that cannot grant 20480 (a container capped at 20000): the fix stays below, or the service would not start.
    const capped = await lintOnHost('/etc/mysql/mariadb.conf.d/50-server.cnf', text, { serviceNofile: 4096, nofileCeiling: 20000 });
    assert.match(capped[0].message, /This host grants at most 20000 open files, so the fix sets 20000\./);
    assert.equal(capped[0].fixes[0].files[0].unitSetting?.value, '20000');
    const small = await lintOnHost('/etc/mysql/mariadb.conf.d/50-server.cnf', SERVER_CNF.replace('#max_connections        = 100', 'max_connections        = 151'));
    assert.deepEqual(summary(small), [`warning mysql/max-connections-low@${line}:25-28`]);
    assert.equal(small[0].fixes[0].files[0].edits![0].newText, '4096');
  });

  it('open_files_limit under [mysqld_safe] does nothing under systemd', async () => {
    const text = fixture('etc/mysql/mariadb.conf.d/50-mysqld_safe.cnf').replace('nice = 0', 'nice = 0\nopen_files_limit = 65535');
    const line = text.split('\n').indexOf('open_files_limit = 65535') + 1;
    const f = await lintOnHost('/etc/mysql/mariadb.conf.d/50-mysqld_safe.cnf', text);
    assert.deepEqual(summary(f), [`warning mysql/mysqld-safe-ignored@${line}:0-24`]);
    assert.deepEqual(f[0].fixes[0].files[0], { path: '/etc/systemd/system/mariadb.service.d/limits.conf', unitSetting: { section: 'Service', key: 'LimitNOFILE', value: '65535' } });
  });

  it('fixed files are accepted by my_print_defaults, which shows the new values', async function () {
    if (!hasTool('my_print_defaults')) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'cnf-'));
    try {
      const store = new LocalConfigFileStore('/');
      // 1) the default 50-server.cnf + "add max_connections = 4096"; 2) a [client] paste moved to [mysqld].
      const file = join(dir, '50-server.cnf');
      writeFileSync(file, SERVER_CNF.replace('[embedded]', '[client]\nopen_files_limit = 1024\ntable_open_cache = 4000\n\n[embedded]'));
      for (let round = 0; round < 4; round++) {
        const cur = await store.read('local', file);
        const fix = lintConfig({ path: file, text: cur.text!, facts: { optionTree: { files: [], occurrences: [], missing: [] } } }).findings.flatMap((x) => x.fixes).find((x) => x.preferred && x.files.every((fe) => !fe.path));
        if (!fix) break;
        await store.write('local', file, resolveFileEdit(fix.files[0], cur.text), cur.version);
      }
      const values = myPrintDefaults(file);
      assert.ok(values.includes('--max_connections=4096'), values.join(' '));
      assert.ok(values.includes('--table_open_cache=4000'), values.join(' '));
      assert.ok(values.includes('--open_files_limit=1024'), values.join(' '));
      assert.ok(values.includes('--bind-address=127.0.0.1'), 'untouched settings stay');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('configs: fixes keep the rest of the text', () => {
  it('moves a [client] paste under the existing [mysqld], after its last option, keeping CRLF line ends', () => {
    const text = '[mysqld]\r\nbind-address = 127.0.0.1\r\n\r\n[client]\r\nmax_connections = 4096\r\nport = 3306\r\n';
    const [f] = lintConfig({ path: '/etc/my.cnf', text }).findings.filter((x) => x.code === 'mysql/wrong-section');
    assert.equal(applyTextEdits(text, f.fixes[0].files[0].edits!), '[mysqld]\r\nbind-address = 127.0.0.1\r\nmax_connections = 4096\r\n\r\n[client]\r\nport = 3306\r\n');
  });

  it('an edit outside the fixed line leaves every other byte as it was', () => {
    const text = fixture('etc/mysql/mariadb.conf.d/50-server.cnf').replace('#max_connections        = 100', 'max_connections        = 151');
    const [f] = lintConfig({ path: '/x/50-server.cnf', text }).findings.filter((x) => x.code === 'mysql/max-connections-low');
    const fixed = applyTextEdits(text, f.fixes[0].files[0].edits!);
    assert.equal(fixed, text.replace('max_connections        = 151', 'max_connections        = 4096'));
    assert.equal(parseOptionFile(fixed).lines.map((l) => l.text + l.eol).join(''), fixed, 'the parser round-trips text');
  });
});
