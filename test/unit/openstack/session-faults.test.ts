import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TroubleshooterError, isTroubleshooterError } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';
import { HttpSession, newGlobalRequestId, serviceErrorMessage } from '../../../src/core/openstack/session';

/**
 * Faults the lab cannot show on demand, against an in-process server on 127.0.0.1: a 503 then 200, a reset
 * connection, a server that never answers, TLS with a self-signed certificate, a closed port. Everything else is
 * tested against the real lab (test/integration/openstack).
 */

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function serve(handler: Handler, tls?: { key: Buffer; cert: Buffer }): Promise<{ url: string; close: () => Promise<void>; hits: () => number }> {
  let hits = 0;
  const wrapped: Handler = (req, res) => {
    hits++;
    handler(req, res);
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, wrapped) : http.createServer(wrapped);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function rejection(p: Promise<unknown>): Promise<TroubleshooterError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isTroubleshooterError(e), `expected a TroubleshooterError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e;
  }
  assert.fail('expected a rejection');
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('openstack HTTP session faults (in-process server on 127.0.0.1)', function () {
  this.timeout(10_000);
  const sessions: HttpSession[] = [];
  const session = (o: ConstructorParameters<typeof HttpSession>[0] = {}) => {
    const s = new HttpSession({ backoffMs: 20, ...o });
    sessions.push(s);
    return s;
  };
  after(() => sessions.forEach((s) => s.close()));

  it('retries a GET after 503 and returns the 200 with its request id', async () => {
    let n = 0;
    const srv = await serve((_req, res) => {
      if (n++ === 0) json(res, 503, { error: { message: 'busy' } }, { 'x-openstack-request-id': 'req-first' });
      else json(res, 200, { servers: [] }, { 'x-openstack-request-id': 'req-11111111-2222-3333-4444-555555555555' });
    });
    try {
      const log = new MemoryLogger();
      const res = await session({ logger: log }).request({ method: 'GET', url: `${srv.url}/servers`, service: 'Compute' });
      assert.equal(res.status, 200);
      assert.equal(res.requestId, 'req-11111111-2222-3333-4444-555555555555');
      assert.equal(srv.hits(), 2);
      assert.equal(log.lines.length, 2, 'each attempt logged once');
      assert.match(log.lines[0], /^warn > GET http:\/\/127\.0\.0\.1:\d+\/servers 503 req-first \[\d+ms\] failed: Compute: GET \/servers returned 503: busy/);
    } finally {
      await srv.close();
    }
  });

  it('does not retry a POST on 503; the error carries the service message and the request id', async () => {
    const srv = await serve((_req, res) =>
      json(res, 503, { NeutronError: { type: 'ServiceUnavailable', message: 'Neutron is restarting.' } }, { 'x-openstack-request-id': 'req-abc' }),
    );
    try {
      const e = await rejection(session().request({ method: 'POST', url: `${srv.url}/v2.0/routers`, json: {}, service: 'Network' }));
      assert.equal(e.code, 'ServiceUnavailable');
      assert.equal(e.message, 'Network: POST /v2.0/routers returned 503: Neutron is restarting (request "req-abc").');
      assert.equal(e.details.requestId, 'req-abc');
      assert.equal(srv.hits(), 1);
    } finally {
      await srv.close();
    }
  });

  it('gives up after the retries with the last error', async () => {
    const srv = await serve((_req, res) => json(res, 502, { message: 'Bad gateway from haproxy' }));
    try {
      const e = await rejection(session({ retries: 2 }).request({ method: 'GET', url: `${srv.url}/`, service: 'Compute' }));
      assert.equal(e.code, 'ServiceUnavailable');
      assert.equal(srv.hits(), 3);
    } finally {
      await srv.close();
    }
  });

  it('retries a GET whose connection was reset', async () => {
    let n = 0;
    const srv = await serve((req, res) => {
      if (n++ === 0) req.socket.destroy();
      else json(res, 200, { ok: true });
    });
    try {
      const res = await session().request({ method: 'GET', url: `${srv.url}/x` });
      assert.deepEqual(res.body, { ok: true });
      assert.equal(srv.hits(), 2);
    } finally {
      await srv.close();
    }
  });

  it('a server that never answers gives Timeout within the deadline', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    try {
      const t0 = Date.now();
      const e = await rejection(session({ timeoutMs: 400 }).request({ method: 'GET', url: `${srv.url}/servers/detail`, service: 'Compute' }));
      const took = Date.now() - t0;
      assert.equal(e.code, 'Timeout');
      assert.match(e.message, /^Compute GET 127\.0\.0\.1:\d+\/servers\/detail did not finish within \d+ s\.$/);
      // Timeouts are not retried: the user waits one deadline, not four (counted, not timed: a busy machine is slow).
      assert.equal(srv.hits(), 1, `not retried (took ${took} ms)`);
    } finally {
      await srv.close();
    }
  });

  it('cancellation through the AbortSignal is reported as Cancelled', async () => {
    const srv = await serve(() => {});
    try {
      const ctrl = new AbortController();
      setTimeout(() => ctrl.abort(), 100);
      const e = await rejection(session().request({ method: 'GET', url: `${srv.url}/`, signal: ctrl.signal }));
      assert.equal(e.code, 'Cancelled');
    } finally {
      await srv.close();
    }
  });

  it('a closed port on 127.0.0.1 is HostUnreachable (connection refused)', async () => {
    const srv = await serve(() => {});
    const url = srv.url;
    await srv.close();
    const e = await rejection(session().request({ method: 'GET', url: `${url}/v3`, service: 'Identity' }));
    assert.equal(e.code, 'HostUnreachable');
    assert.match(e.message, /^Identity: cannot reach "127\.0\.0\.1:\d+" \(connection refused\)\.$/);
  });

  describe('TLS', () => {
    let dir: string;
    let tls: { key: Buffer; cert: Buffer };
    before(function () {
      dir = mkdtempSync(join(tmpdir(), 'tls-'));
      try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      } catch {
        console.log('    (skipped: openssl is not installed)');
        this.skip();
      }
      tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a self-signed certificate is a TlsError that says what to set', async () => {
      const srv = await serve((_q, res) => json(res, 200, {}), tls);
      try {
        const e = await rejection(session().request({ method: 'GET', url: `${srv.url}/v3`, service: 'Identity' }));
        assert.equal(e.code, 'TlsError');
        assert.match(e.message, /^Identity: TLS verification of "127\.0\.0\.1:\d+" failed \(DEPTH_ZERO_SELF_SIGNED_CERT\); set cacert or verify in clouds\.yaml\.$/);
      } finally {
        await srv.close();
      }
    });

    it('cacert trusts it; verify false skips the check', async () => {
      const srv = await serve((_q, res) => json(res, 200, { ok: 1 }), tls);
      try {
        assert.equal((await session({ tls: { cacert: join(dir, 'cert.pem') } }).request({ method: 'GET', url: `${srv.url}/` })).status, 200);
        assert.equal((await session({ tls: { verify: false } }).request({ method: 'GET', url: `${srv.url}/` })).status, 200);
      } finally {
        await srv.close();
      }
    });
  });

  it('sends the client-made global request id, and refuses ids oslo.middleware would drop', async () => {
    let seen: string | undefined;
    const srv = await serve((req, res) => {
      seen = req.headers['x-openstack-request-id'] as string | undefined;
      json(res, 200, {});
    });
    try {
      const id = newGlobalRequestId();
      assert.match(id, /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await session({ globalRequestId: id }).request({ method: 'GET', url: `${srv.url}/` });
      assert.equal(seen, id);
      assert.throws(() => new HttpSession({ globalRequestId: 'req-ABCDEF00-0000-0000-0000-000000000000' }), /lower-case UUID/);
    } finally {
      await srv.close();
    }
  });

  it('never logs or reports a token, even when a service echoes one', async () => {
    const token = 'gAAAAABnCtLzTOKENtokenTOKENtokenTOKEN1234567890';
    const srv = await serve((_req, res) => json(res, 400, { badRequest: { code: 400, message: `Invalid token ${token} for X-Auth-Token: ${token}` } }));
    try {
      const log = new MemoryLogger();
      const e = await rejection(session({ logger: log }).request({ method: 'GET', url: `${srv.url}/servers`, headers: { 'X-Auth-Token': token }, service: 'Compute' }));
      assert.equal(e.code, 'HttpError');
      assert.ok(!e.message.includes(token), e.message);
      assert.ok(!JSON.stringify(e.details).includes(token));
      assert.ok(log.lines.length > 0 && log.lines.every((l) => !l.includes(token)), log.lines.join('\n'));
    } finally {
      await srv.close();
    }
  });

  it('reads the service message of Nova, Neutron, Keystone and Placement error bodies', () => {
    assert.equal(serviceErrorMessage({ badRequest: { code: 400, message: 'Invalid input for field/attribute host.' } }), 'Invalid input for field/attribute host.');
    assert.equal(serviceErrorMessage({ itemNotFound: { code: 404, message: 'Instance x could not be found.' } }), 'Instance x could not be found.');
    assert.equal(serviceErrorMessage({ conflictingRequest: { code: 409, message: 'Cannot migrate in vm_state shutoff' } }), 'Cannot migrate in vm_state shutoff');
    assert.equal(serviceErrorMessage({ NeutronError: { type: 'RouterNotFound', message: 'Router r could not be found', detail: '' } }), 'Router r could not be found');
    assert.equal(serviceErrorMessage({ error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } }), 'The request you have made requires authentication.');
    assert.equal(serviceErrorMessage({ errors: [{ status: 404, title: 'Not Found', detail: 'No resource provider with uuid x found' }] }), 'No resource provider with uuid x found');
    assert.equal(serviceErrorMessage(undefined, '<html><body><h1>502 Bad Gateway</h1></body></html>'), '502 Bad Gateway');
  });
});
