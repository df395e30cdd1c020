import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MARIADBD_OPTION_NAMES, MARIADBD_OPTIONS_SOURCE } from '../../../src/core/configs/data/mariadbd-options';
import { mariadbFdOutcome, mariadbRequestedFiles } from '../../../src/core/configs/mariadb-limits';

/**
 * What MariaDB 10.11.19 did, measured with
 *   prlimit --nofile=N:N mariadbd --no-defaults --max-connections=M --table-open-cache=T \
 *     --table-open-cache-instances=I --verbose --help
 * (the startup "Changed limits" adjustment runs before --help prints the variables).
 * [fd limit, max_connections, table_open_cache, instances] → [requested, effective max_connections]
 */
const MEASURED: [number, number, number, number, number, number][] = [
  [4096, 4096, 2000, 8, 36129, 866],
  [4096, 4096, 2000, 1, 20485, 3666],
  [4096, 4096, 400, 1, 20485, 3666],
  [2048, 4096, 2000, 8, 36129, 4096],
  [4096, 1000, 2000, 8, 33033, 1000],
  [5000, 4096, 2000, 8, 36129, 4096],
  [8000, 4096, 2000, 8, 36129, 4096],
  [1024, 151, 2000, 8, 32184, 151],
  [1024, 500, 2000, 8, 32533, 500],
  [3300, 4096, 2000, 8, 36129, 70],
  [3231, 4096, 2000, 8, 36129, 10],
  [3300, 4096, 10, 1, 20485, 3250],
  [5403, 5147, 400, 4, 25740, 4973],
];

function mariadbd(): string | undefined {
  for (const p of ['/usr/sbin/mariadbd', '/usr/sbin/mysqld']) {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return p;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

describe('configs: MariaDB open-files model', () => {
  it('matches what mariadbd 10.11 was measured to do', () => {
    for (const [fd, mc, tc, inst, requested, effective] of MEASURED) {
      const o = mariadbFdOutcome({ maxConnections: mc, tableOpenCache: tc, tableOpenCacheInstances: inst, fdLimit: fd });
      assert.deepEqual([o.requested, o.effectiveMaxConnections], [requested, effective], `fd=${fd} mc=${mc} tc=${tc} inst=${inst}`);
    }
    assert.equal(mariadbRequestedFiles({ maxConnections: 4096 }), 36129);
    // The guide's sizing: 20480 carries 4096 connections.
    assert.equal(mariadbFdOutcome({ maxConnections: 4096, fdLimit: 20480 }).lowersMaxConnections, false);
    assert.equal(mariadbFdOutcome({ maxConnections: 4096, fdLimit: 20480 }).belowGuide, false);
  });

  it('matches all 250 points of the captured grid', () => {
    const grid = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'configs', 'mariadb-10.11-fd-grid.json'), 'utf8')) as { rows: { fd: number; mc: number; tc: number; inst: number; rmc: number }[] };
    assert.equal(grid.rows.length, 250);
    const wrong = grid.rows.filter((r) => mariadbFdOutcome({ maxConnections: r.mc, tableOpenCache: r.tc, tableOpenCacheInstances: r.inst, fdLimit: r.fd }).effectiveMaxConnections !== r.rmc);
    assert.deepEqual(wrong, []);
  });

  it('matches the installed mariadbd, when there is one (prlimit grid)', function () {
    const bin = mariadbd();
    if (!bin) this.skip();
    this.timeout(60_000);
    const hard = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
    for (const [fd, mc, tc, inst] of MEASURED) {
      if (fd > hard) continue;
      const out: string = execFileSync('prlimit', [`--nofile=${fd}:${fd}`, bin!, '--no-defaults', '--user=root', `--max-connections=${mc}`, `--table-open-cache=${tc}`, `--table-open-cache-instances=${inst}`, '--verbose', '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const real: number = Number(/^max-connections\s+(\d+)$/m.exec(out)?.[1]);
      assert.equal(mariadbFdOutcome({ maxConnections: mc, tableOpenCache: tc, tableOpenCacheInstances: inst, fdLimit: fd }).effectiveMaxConnections, real, `fd=${fd} mc=${mc}`);
    }
  });

  it('the committed option-name snapshot matches the installed server of the same version', function () {
    const bin = mariadbd();
    if (!bin) this.skip();
    const help = execFileSync(bin!, ['--no-defaults', '--user=root', '--verbose', '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 8 * 1024 * 1024 });
    const version = /^\S+\s+Ver (\S+)/m.exec(execFileSync(bin!, ['--version'], { encoding: 'utf8' }))?.[1];
    if (!version || !MARIADBD_OPTIONS_SOURCE.includes(version)) this.skip();
    const names = new Set<string>();
    for (const m of help.matchAll(/^ {2}(?:-\w, )?--([a-z0-9_-]+)/gm)) names.add(m[1]);
    const vars = help.slice(help.indexOf('Variables (--variable-name=value)'));
    for (const m of vars.matchAll(/^([a-z][a-z0-9_-]*)\s+\S/gm)) names.add(m[1]);
    const snapshot = new Set(MARIADBD_OPTION_NAMES);
    assert.deepEqual([...names].filter((n) => !snapshot.has(n) && !['and'].includes(n)).sort(), []);
    assert.ok(snapshot.has('max-connections') && snapshot.has('open-files-limit') && snapshot.has('innodb-buffer-pool-size'));
  });
});
