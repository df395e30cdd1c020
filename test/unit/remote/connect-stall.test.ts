import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { isTroubleshooterError } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import { SshPool } from '../../../src/core/remote/pool';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';

/**
 * A connect that times out says where it stalled: a host that accepted TCP but never sent its banner (frozen, or
 * not sshd) is not one that stalled in the key exchange. In-process TCP servers on 127.0.0.1 that misbehave on
 * purpose (a real sshd cannot be made to freeze on demand).
 */
describe('ssh connect: where a connect stalled', function () {
  this.timeout(20_000);
  const sockets: Socket[] = [];
  const servers: Server[] = [];
  after(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
  });

  async function listen(onSocket: (s: Socket) => void): Promise<number> {
    const server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      onSocket(s);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  async function connectError(port: number): Promise<{ message: string; ms: number }> {
    const resolver = new SshConfigResolver({
      text: `Host stall\n  HostName 127.0.0.1\n  Port ${port}\n  User ops\n  ConnectTimeout 1\n  IdentityFile /nonexistent/id\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n`,
      home: '/nonexistent',
      env: {},
      localUser: 'ops',
    });
    const pool = new SshPool({ resolve: (a) => resolver.resolve(a), logger: new MemoryLogger(), shellWorkers: 0 });
    const t0 = Date.now();
    try {
      await run(pool, 'stall', textCommand(['true']));
      assert.fail('connected');
    } catch (e) {
      assert.ok(isTroubleshooterError(e, 'Timeout'), String(e));
      return { message: (e as Error).message, ms: Date.now() - t0 };
    } finally {
      pool.dispose();
    }
  }

  it('accepted TCP, never sent a banner: "sent no SSH banner"', async () => {
    const port = await listen(() => {});
    const r = await connectError(port);
    assert.equal(r.message, '"stall" accepted the connection but sent no SSH banner within 1 s (a frozen host or something that is not sshd).');
    assert.ok(r.ms >= 900 && r.ms < 5000, `${r.ms} ms`);
  });

  it('sent its banner, then nothing: stalled in the key exchange', async () => {
    const port = await listen((s) => s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'));
    const r = await connectError(port);
    assert.equal(r.message, '"stall" sent its SSH banner but stalled in the key exchange; no handshake within 1 s.');
  });
});
