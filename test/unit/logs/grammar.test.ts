import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The TextMate grammar's regexes, compiled with JavaScript's engine (the patterns stay within the subset that
 * Oniguruma and JS share) and run over rendered real lines. The extension-host tests check the tokens in VS Code.
 */
const grammar = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'syntaxes', 'openstack-log.tmLanguage.json'), 'utf8'));
const repo = grammar.repository as Record<string, { match?: string; patterns?: { match?: string; name?: string }[] }>;
const rx = (name: string, i?: number) => new RegExp(i === undefined ? repo[name].match! : repo[name].patterns![i].match!);

describe('syntaxes/openstack-log.tmLanguage.json', () => {
  it('has the scope name the package contributes, and every regex compiles', () => {
    assert.equal(grammar.scopeName, 'source.openstack-log');
    const all: string[] = [];
    const walk = (o: unknown) => {
      if (!o || typeof o !== 'object') return;
      for (const [k, v] of Object.entries(o)) {
        if (k === 'match' && typeof v === 'string') all.push(v);
        else walk(v);
      }
    };
    walk(grammar);
    assert.ok(all.length > 15);
    for (const r of all) assert.doesNotThrow(() => new RegExp(r), r);
  });

  const record =
    'controller neutron-server | 2026-11-25 19:33:29.608 8124 INFO neutron.wsgi [req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a req-08bbdb71-a191-4d77-84f0-a76611018353 e65664fbddbe4dfaa03b78e9f3caa586 8de4f687a4df4baa8db56d3064372f2b - - default default] 127.0.0.1 "GET /v2.0/ports/c79a7d53-0091-484a-9e38-b02a6c26479c HTTP/1.1" status: 200  len: 1094 time: 0.0195944';

  it('splits host, service and the record separator', () => {
    const m = rx('prefixed-record').exec(record)!;
    assert.equal(m[1], 'controller');
    assert.equal(m[3], 'neutron-server');
    assert.equal(m[5], '|');
    assert.ok(!rx('prefixed-record').test('compute1 nova-compute + 2026-11-25 19:34:20.656 8145 ERROR nova.conductor.manager Traceback (most recent call last):'));
    assert.equal(rx('prefixed-continuation').exec('compute1 nova-compute + Traceback (most recent call last):')![5], '+');
  });

  it('finds both request ids, the timestamp, the level and the instance', () => {
    assert.deepEqual(record.match(new RegExp(repo['request-id'].match!, 'g')), ['req-88b18c48-17c3-43c7-b4e0-2a48f48e4d5a', 'req-08bbdb71-a191-4d77-84f0-a76611018353']);
    assert.equal(rx('timestamp', 0).exec(record)![0], '2026-11-25 19:33:29.608');
    assert.equal(rx('level', 2).exec(record)![0], 'INFO');
    assert.ok(!rx('level', 0).test(record));
    assert.ok(rx('level', 0).test('2026-11-25 19:34:20.656 8145 ERROR nova.conductor.manager x'));
    assert.equal(rx('instance').exec('[None req-x] [instance: 08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83] Claim successful')![2], '08d03d45-9ee9-4c5e-a9d0-b8a195ab7d83');
    assert.equal(rx('timestamp', 1).exec("[Wed Nov 25 20:13:45.303171 2026] [wsgi:info] [pid 1:tid 1] x")![0], '[Wed Nov 25 20:13:45.303171 2026]');
    assert.equal(rx('timestamp', 0).exec('2026-11-25 20:12:59.409+0000: 22358: error : x')![0], '2026-11-25 20:12:59.409+0000:');
  });

  it('marks tracebacks and the DEBUG location suffix', () => {
    const file = rx('traceback', 1).exec('  File "/usr/lib/python3/dist-packages/nova/conductor/manager.py", line 1654, in schedule_and_build_instances')!;
    assert.equal(file[4], '1654');
    assert.equal(file[6], 'schedule_and_build_instances');
    assert.equal(rx('traceback', 2).exec('nova.exception_Remote.NoValidHost_Remote: No valid host was found.')![0], 'nova.exception_Remote.NoValidHost_Remote');
    const d = rx('debug-location').exec('REQUEST_METHOD: `POST` log_request_info /usr/lib/python3/dist-packages/keystone/server/flask/request_processing/req_logging.py:27')!;
    assert.equal(d[1], 'log_request_info');
  });
});
