import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTroubleshooterError } from '../../../src/core/errors';
import {
  coldMigrateBody,
  compareMicroversions,
  liveMigrateBody,
  negotiateMicroversion,
  serviceUpdateRequest,
  versionRange,
} from '../../../src/core/openstack/microversion';
import { sharedFixtures } from '../../support/lab';

/** Request bodies by microversion, compared with the request samples Nova itself publishes. */

const nova = sharedFixtures('nova-api-samples');
const sample = (p: string) => JSON.parse(readFileSync(join(nova!, p), 'utf8')) as unknown;
const HOST = '01c0cadef72d47e28a672a76060d492c';

function throwsCode(fn: () => unknown, code: string, re?: RegExp) {
  assert.throws(fn, (e: unknown) => isTroubleshooterError(e) && e.code === code && (!re || re.test(e.message)));
}

describe('openstack request bodies per microversion (Nova request samples)', function () {
  before(function () {
    if (!nova) {
      console.log('    (skipped: ../shared/fixtures/nova-api-samples is absent in this clone)');
      this.skip();
    }
  });

  it('live migrate 2.1: block_migration false and disk_over_commit, host only with consent to bypass the scheduler', function () {
    assert.deepEqual(liveMigrateBody('2.1', { host: HOST, force: true }), sample('os-migrate-server/live-migrate-server.json'));
    assert.deepEqual(liveMigrateBody('2.24', { host: HOST, force: true }), sample('server-migrations/v2.24/live-migrate-server.json'));
    throwsCode(() => liveMigrateBody('2.24', { host: HOST }), 'Unsupported', /bypasses the scheduler/);
    throwsCode(() => liveMigrateBody('2.24', { blockMigration: 'auto' }), 'Unsupported', /2\.25/);
  });

  it('live migrate 2.25 / 2.30 / 2.68: "auto" by default, force only 2.30–2.67, host null lets the scheduler pick', function () {
    throwsCode(() => liveMigrateBody('2.25', { host: HOST }), 'Unsupported', /bypasses/);
    assert.deepEqual(liveMigrateBody('2.25', { host: HOST, force: true }), sample('os-migrate-server/v2.25/live-migrate-server.json'));
    assert.deepEqual(liveMigrateBody('2.30', { host: HOST, force: false }), sample('os-migrate-server/v2.30/live-migrate-server.json'));
    assert.deepEqual(liveMigrateBody('2.68', { host: HOST }), sample('os-migrate-server/v2.68/live-migrate-server.json'));
    assert.deepEqual(liveMigrateBody('2.65'), sample('server-migrations/v2.65/live-migrate-server.json'));
    assert.deepEqual(liveMigrateBody('2.93', {}), sample('server-migrations/v2.80/live-migrate-server.json'));
    throwsCode(() => liveMigrateBody('2.68', { force: true }), 'Unsupported', /2\.68/);
    throwsCode(() => liveMigrateBody('2.30', { diskOverCommit: true }), 'Unsupported', /disk_over_commit/);
    assert.deepEqual(liveMigrateBody('2.93', { host: 'compute2', blockMigration: true }), { 'os-migrateLive': { host: 'compute2', block_migration: true } });
    throwsCode(() => liveMigrateBody('2.93', { host: 'compute2; rm -rf /' }), 'InvalidInput');
  });

  it('cold migrate: null body, host from 2.56 only', function () {
    assert.deepEqual(coldMigrateBody('2.1'), sample('os-migrate-server/migrate-server.json'));
    assert.deepEqual(coldMigrateBody('2.56'), sample('os-migrate-server/v2.56/migrate-server-null.json'));
    assert.deepEqual(coldMigrateBody('2.56', 'host1'), sample('os-migrate-server/v2.56/migrate-server.json'));
    throwsCode(() => coldMigrateBody('2.55', 'host1'), 'Unsupported', /2\.56/);
  });

  it('services: by host+binary before 2.53, PUT /os-services/{uuid} from 2.53', function () {
    const svc = { id: 'e81d66a4-ddd3-4aba-8a84-171d1cb4d339', host: 'host1', binary: 'nova-compute' };
    const old = serviceUpdateRequest('2.1', svc, { action: 'disable', reason: 'test2' });
    assert.equal(old.path, '/os-services/disable-log-reason');
    assert.deepEqual(old.body, sample('os-services/service-disable-log-put-req.json'));
    assert.deepEqual(serviceUpdateRequest('2.1', svc, { action: 'disable' }), { path: '/os-services/disable', body: sample('os-services/service-disable-put-req.json') });
    assert.deepEqual(serviceUpdateRequest('2.1', svc, { action: 'enable' }), { path: '/os-services/enable', body: sample('os-services/service-enable-put-req.json') });
    assert.deepEqual(serviceUpdateRequest('2.11', svc, { action: 'force-down', down: true }), {
      path: '/os-services/force-down',
      body: sample('os-services/v2.11/service-force-down-put-req.json'),
    });
    throwsCode(() => serviceUpdateRequest('2.10', svc, { action: 'force-down', down: true }), 'Unsupported');
    const path = `/os-services/${svc.id}`;
    assert.deepEqual(serviceUpdateRequest('2.53', svc, { action: 'disable', reason: 'maintenance' }), { path, body: sample('os-services/v2.53/service-disable-log-put-req.json') });
    assert.deepEqual(serviceUpdateRequest('2.53', svc, { action: 'disable' }), { path, body: sample('os-services/v2.53/service-disable-put-req.json') });
    assert.deepEqual(serviceUpdateRequest('2.93', svc, { action: 'enable' }), { path, body: sample('os-services/v2.53/service-enable-put-req.json') });
    assert.deepEqual(serviceUpdateRequest('2.53', svc, { action: 'force-down', down: true }), { path, body: sample('os-services/v2.53/service-force-down-put-req.json') });
  });

  it('negotiation: the version document gives the range; highest common version wins; a pin must be in range', function () {
    const range = versionRange(sample('versions/versions-get-resp.json'), 'v2.1');
    assert.deepEqual(range, { min: '2.1', max: '2.104' });
    assert.deepEqual(versionRange(sample('versions/v21-version-get-resp.json')), { min: '2.1', max: '2.104' });
    assert.equal(negotiateMicroversion('Compute', range, '2.100'), '2.100');
    assert.equal(negotiateMicroversion('Compute', { min: '2.1', max: '2.93' }, '2.100'), '2.93');
    assert.equal(negotiateMicroversion('Compute', { min: '2.1', max: '2.93' }, '2.100', '2.87'), '2.87');
    throwsCode(() => negotiateMicroversion('Compute', { min: '2.1', max: '2.93' }, '2.100', '2.95'), 'Unsupported', /2\.1 to 2\.93/);
    // Placement's document uses max_version.
    assert.deepEqual(versionRange({ versions: [{ id: 'v1.0', max_version: '1.39', min_version: '1.0', status: 'CURRENT' }] }), { min: '1.0', max: '1.39' });
    assert.ok(compareMicroversions('2.9', '2.10') < 0, '2.9 < 2.10 numerically, not as text');
  });
});
