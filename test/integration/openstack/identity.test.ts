import assert from 'node:assert/strict';
import { isTroubleshooterError, type TroubleshooterError } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';
import { selectEndpoint } from '../../../src/core/openstack/auth';
import { OpenStackClient } from '../../../src/core/openstack/client';
import { compareMicroversions } from '../../../src/core/openstack/microversion';
import { labEnv } from '../../support/lab';
import { labCloud } from './lab-cloud';

/** Keystone against the lab: token and catalog, discovery, wrong password, revoked token, unreachable endpoints. */

async function rejection(p: Promise<unknown>): Promise<TroubleshooterError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isTroubleshooterError(e), `expected a TroubleshooterError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('openstack identity against the lab', function () {
  this.timeout(60_000);

  it('issues a token and finds compute, network, placement and identity in the catalog', async () => {
    const log = new MemoryLogger();
    const c = await OpenStackClient.connect(labCloud('lab'), { logger: log });
    try {
      const info = c.tokenInfo;
      assert.equal(info.userName, 'admin');
      assert.equal(info.projectName, 'admin');
      assert.ok(info.isAdmin, 'admin role');
      assert.ok(info.expiresAt.getTime() > Date.now() + 10 * 60_000, 'token valid for a while');
      for (const type of ['compute', 'network', 'placement', 'identity']) {
        assert.match(selectEndpoint(info.catalog, type, 'public', 'RegionOne') ?? '', /^http:\/\/198\.18\.0\.10:/, type);
      }
      assert.equal(selectEndpoint(info.catalog, 'compute', 'public', 'NoSuchRegion'), undefined);
      // clouds.yaml pins compute_api_version 2.92, inside Nova's announced range.
      assert.equal(c.compute.microversion, '2.92');
      assert.ok(c.compute.client.range && compareMicroversions(c.compute.client.range.max, '2.92') >= 0);
      assert.ok(c.placement.client.microversion, 'placement microversion negotiated');
      // Every external call is logged once, with its request id, and never with the token or the password.
      assert.ok(log.lines.some((l) => /^info > POST http:\/\/198\.18\.0\.10:5000\/v3\/auth\/tokens 201 req-[0-9a-f-]{36} \[\d+ms\]$/.test(l)), log.lines.join('\n'));
      const token = (await c.auth.token()).value;
      assert.ok(log.lines.every((l) => !l.includes(token) && !l.includes('"admin"')));
    } finally {
      c.dispose();
    }
  });

  it('discovers /v3 when auth_url has no version', async () => {
    const env = labEnv();
    const cloud = labCloud('lab');
    cloud.auth.authUrl = env.LAB_KEYSTONE_URL;
    const c = await OpenStackClient.connect(cloud);
    try {
      assert.equal(await c.auth.identityEndpoint(), 'http://198.18.0.10:5000/v3');
      assert.equal(c.tokenInfo.userName, 'admin');
    } finally {
      c.dispose();
    }
  });

  it('wrong password: one-line AuthFailed naming the cloud, no password in message or log', async () => {
    const log = new MemoryLogger();
    const cloud = labCloud('lab');
    cloud.auth.password = 'Wr0ng-Passw0rd-xyz';
    const e = await rejection(OpenStackClient.connect(cloud, { logger: log }));
    assert.equal(e.code, 'AuthFailed');
    assert.match(e.message, /^Keystone refused the credentials of cloud "lab": The request you have made requires authentication \(request "req-[0-9a-f-]{36}"\)\.$/);
    assert.equal(e.details.status, 401);
    const all = [e.message, JSON.stringify(e.details), ...log.lines].join('\n');
    assert.ok(!all.includes('Wr0ng-Passw0rd-xyz'), all);
  });

  it('a revoked token (401) is renewed once and the call succeeds', async () => {
    const c = await OpenStackClient.connect(labCloud('lab'));
    try {
      const before = await c.auth.token();
      await c.identity.revokeToken();
      // Keystone now answers 401 for the old token; the next call must recover by itself.
      const { data } = await c.compute.listServices();
      assert.ok(data.length > 0);
      const after = await c.auth.token();
      assert.notEqual(after.value, before.value, 'a new token was issued');
    } finally {
      c.dispose();
    }
  });

  it('an unreachable lab address is a typed error within its timeout', async () => {
    const cloud = labCloud('lab');
    cloud.auth.authUrl = 'http://198.18.0.250:5000/v3';
    const t0 = Date.now();
    const e = await rejection(OpenStackClient.connect(cloud, { timeoutMs: 3000 }));
    const took = Date.now() - t0;
    assert.ok(e.code === 'Timeout' || e.code === 'HostUnreachable', `${e.code}: ${e.message}`);
    assert.match(e.message, /198\.18\.0\.250/);
    assert.ok(took < 5000, `took ${took} ms`);
  });

  it('a closed port is HostUnreachable at once', async () => {
    const cloud = labCloud('lab');
    cloud.auth.authUrl = 'http://127.0.0.1:9/v3';
    const t0 = Date.now();
    const e = await rejection(OpenStackClient.connect(cloud, { timeoutMs: 5000 }));
    assert.equal(e.code, 'HostUnreachable');
    assert.equal(e.message, 'Identity: cannot reach "127.0.0.1:9" (connection refused).');
    assert.ok(Date.now() - t0 < 2000);
  });
});
