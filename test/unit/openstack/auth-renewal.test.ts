import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTroubleshooterError } from '../../../src/core/errors';
import { KeystoneAuth } from '../../../src/core/openstack/auth';
import { cloudConfigFromObject } from '../../../src/core/openstack/clouds-config';
import { ServiceClient } from '../../../src/core/openstack/service';
import { HttpSession } from '../../../src/core/openstack/session';

/**
 * Token lifetimes the lab cannot shorten on demand (Keystone issues 1-hour tokens): a token about to expire is renewed
 * before use, and a service that keeps answering 401 is retried once, not forever. In-process server on 127.0.0.1.
 */

describe('openstack token renewal (in-process Keystone on 127.0.0.1)', () => {
  let server: http.Server;
  let base: string;
  let issued = 0;
  let lifetimeMs = 3600_000;
  let serviceHits = 0;
  let serviceAlways401 = false;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/v3/auth/tokens') {
        issued++;
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Subject-Token': `tok-${issued}`, 'x-openstack-request-id': `req-00000000-0000-0000-0000-00000000000${issued % 10}` });
        res.end(JSON.stringify({ token: { expires_at: new Date(Date.now() + lifetimeMs).toISOString(), methods: ['password'], user: { id: 'u', name: 'admin' }, roles: [{ name: 'admin' }], catalog: [] } }));
        return;
      }
      serviceHits++;
      const ok = !serviceAlways401 && req.headers['x-auth-token'] === `tok-${issued}`;
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(ok ? { ok: true } : { error: { code: 401, message: 'The request you have made requires authentication.' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    issued = 0;
    serviceHits = 0;
    serviceAlways401 = false;
  });

  const make = () => {
    const session = new HttpSession({ retries: 0 });
    const cloud = cloudConfigFromObject('t', { auth: { auth_url: `${base}/v3`, username: 'admin', password: 'pw', project_name: 'admin' } });
    const auth = new KeystoneAuth(session, cloud);
    return { session, auth, svc: new ServiceClient(session, auth, 'Compute', `${base}/compute`) };
  };

  it('reuses a valid token, renews one that expires within two minutes', async () => {
    const { session, auth } = make();
    try {
      lifetimeMs = 3600_000;
      const a = await auth.token();
      assert.equal((await auth.token()).value, a.value);
      assert.equal(issued, 1);
      lifetimeMs = 60_000; // the next token lives one minute only
      auth.invalidate();
      const short = await auth.token();
      const next = await auth.token();
      assert.notEqual(next.value, short.value, 'renewed before expiry');
      assert.equal(issued, 3);
    } finally {
      session.close();
    }
  });

  it('concurrent callers share one token request', async () => {
    const { session, auth } = make();
    try {
      lifetimeMs = 3600_000;
      const all = await Promise.all([auth.token(), auth.token(), auth.token()]);
      assert.equal(new Set(all.map((t) => t.value)).size, 1);
      assert.equal(issued, 1);
    } finally {
      session.close();
    }
  });

  it('a 401 renews the token once and repeats the call', async () => {
    const { session, auth, svc } = make();
    try {
      lifetimeMs = 3600_000;
      await auth.token();
      issued++; // Keystone "forgot" the token: the service now only accepts the next one
      const res = await svc.get('/servers');
      assert.deepEqual(res.body, { ok: true });
      assert.equal(serviceHits, 2);
    } finally {
      session.close();
    }
  });

  it('a service that keeps answering 401 fails after one renewal, with Unauthorized', async () => {
    const { session, svc } = make();
    try {
      serviceAlways401 = true;
      await assert.rejects(svc.get('/servers'), (e: unknown) => isTroubleshooterError(e, 'Unauthorized') && /returned 401: The request you have made requires authentication/.test(e.message));
      assert.equal(serviceHits, 2);
      assert.equal(issued, 2);
    } finally {
      session.close();
    }
  });
});
