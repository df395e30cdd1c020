import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchArgv } from '../../../src/core/logs/search-command';

/**
 * The real search script, run by a local sh over a folder like a controller's /var/log: access logs (httpd,
 * uwsgi) are not searched — they have no request ids and repeat what the services log — error logs are.
 */
describe('log search: which files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ost-exclude-'));
    const id = '68ee1b6a-6440-47e5-9874-5f11b6f205fc';
    for (const [f, line] of [
      ['placement/placement-uwsgi.log', `[pid: 4141|app: 0|req: 43/53] 198.18.0.10 () {34 vars in 811 bytes} [Wed Nov 25 21:07:11 2026] GET /allocations/${id} => generated 256 bytes`],
      ['apache2/keystone_access.log', `198.18.0.1 - - [25/Nov/2026:21:07:11 +0000] "GET /servers/${id} HTTP/1.1" 200 1110`],
      ['placement/placement-api.log', `2026-11-25 21:07:11.123 4141 INFO placement.requestlog [req-a req-b - - - - -] 198.18.0.10 "GET /allocations/${id}" status: 200`],
      ['apache2/horizon_error.log', `[Wed Nov 25 21:07:11.123456 2026] [wsgi:error] [pid 1:tid 2] [remote 198.18.0.1:5] instance ${id} failed`],
    ]) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), `${line}\n`);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('searches service and error logs, skips access and uwsgi request logs', () => {
    const argv = searchArgv({ dirs: [dir], keys: [{ kind: 'instance', value: '68ee1b6a-6440-47e5-9874-5f11b6f205fc' }] });
    const out = execFileSync(argv[0], argv.slice(1), { encoding: 'latin1' });
    assert.match(out, /placement-api\.log/);
    assert.match(out, /horizon_error\.log/);
    assert.doesNotMatch(out, /placement-uwsgi\.log/);
    assert.doesNotMatch(out, /keystone_access\.log/);
  });
});
