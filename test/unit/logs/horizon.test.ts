import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { correlate } from '../../../src/core/logs/correlate';
import { parseText } from '../../../src/core/logs/entries';
import { offlineHosts } from '../../../src/core/logs/offline';
import { parseHead } from '../../../src/core/logs/parse';
import { serviceOf } from '../../../src/core/logs/sources';
import { UTC_CLOCK } from '../../../src/core/logs/types';

/**
 * Horizon's real lines (test/fixtures/logs/horizon-refused/README.md: a live migration started from Horizon that
 * nova refused with HTTP 400), parsed and correlated as the product does.
 */
const dir = join(__dirname, '..', '..', 'fixtures', 'logs', 'horizon-refused');
const HORIZON = '/var/log/apache2/horizon_error.log';
const REQ = 'req-0b4fad86-f338-41ce-9b41-2be2844c95fd';
const UUID = 'd5eaf75f-c9ad-4e0a-a381-44018b86fe74';
const text = readFileSync(join(dir, 'controller', HORIZON), 'utf8');
const refused = text.split('\n').find((l) => l.includes(REQ))!;

describe('logs: Horizon\'s real httpd lines (a refused live migration)', () => {
  it('the Recoverable error line: Apache\'s head, Horizon\'s level and logger line, nova\'s request id', () => {
    assert.equal(
      refused,
      `[Sun Dec 06 23:03:51.156957 2026] [wsgi:error] [pid 17109:tid 17153] [remote 198.18.0.1:33852] WARNING horizon.exceptions Recoverable error: The supplied hypervisor type of is invalid. (HTTP 400) (Request-ID: ${REQ})`,
    );
    const h = parseHead(refused, { clock: UTC_CLOCK })!;
    assert.equal(h.format, 'apache');
    assert.equal(h.ts, Date.parse('2026-12-06T23:03:51.156Z') * 1000 + 957);
    assert.equal(h.level, 'WARNING', 'the Python level, not Apache\'s [wsgi:error]');
    assert.equal(h.pid, '17109');
    assert.equal(h.requestId, REQ);
    assert.equal(h.instance, undefined, 'Horizon does not name the instance');
    assert.equal(serviceOf(HORIZON), 'httpd:horizon_error');
  });

  it('the file: one entry per record; a UserWarning and its "warnings.warn(msg)" line are two Apache lines, two entries', () => {
    const entries = parseText(text, 'controller', serviceOf(HORIZON), HORIZON, { clock: UTC_CLOCK });
    assert.equal(entries.length, 9);
    const e = entries.find((x) => x.requestId === REQ)!;
    assert.deepEqual(e.lines, [refused]);
    assert.deepEqual(entries.map((x) => x.level), ['INFO', 'INFO', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'WARNING', 'ERROR', 'ERROR']);
    assert.ok(entries.every((x, i) => i === 0 || entries[i - 1].ts <= x.ts));
  });

  it('the request id finds Horizon\'s line next to nova-api\'s and nova-conductor\'s, in time order', async () => {
    const r = await correlate([{ kind: 'request', value: REQ }], offlineHosts(dir));
    const at = r.entries.map((e) => `${e.service} ${e.level}`);
    assert.deepEqual(at, [
      'nova-conductor WARNING',
      'nova-conductor WARNING',
      'nova-api INFO',
      'httpd:horizon_error WARNING',
      'nova-api INFO',
      'nova-api INFO',
      'nova-api INFO',
    ]);
  });

  it('the instance uuid alone finds it: the request ids of the instance\'s own lines are searched in the Apache logs', async () => {
    const r = await correlate([{ kind: 'instance', value: UUID }], offlineHosts(dir));
    const h = r.entries.filter((e) => e.file === HORIZON);
    assert.deepEqual(h.map((e) => e.lines[0]), [refused], 'Horizon\'s line, and none of its other lines');
    assert.ok(r.keys.some((k) => k.value === REQ), 'the id is listed as searched');
    assert.ok(r.entries.some((e) => e.service === 'nova-api' && e.lines[0].includes(`POST /v2.1/servers/${UUID}/action`)));
  });

  it('an instance whose lines carry no request id of Horizon\'s finds no httpd line', async () => {
    const r = await correlate([{ kind: 'instance', value: '00000000-0000-4000-8000-000000000000' }], offlineHosts(dir));
    assert.deepEqual(r.entries, []);
  });
});
