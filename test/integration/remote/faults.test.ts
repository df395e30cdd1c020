import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as SshServer, utils } from 'ssh2';
import { type TroubleshooterError } from '../../../src/core/errors';
import { followLogs, type FollowEvent } from '../../../src/core/logs/follow';
import { PoolHostRunner } from '../../../src/core/logs/pool-host-runner';
import { textCommand } from '../../../src/core/remote/command';
import { lines, run } from '../../../src/core/remote/exec';
import type { SshTarget } from '../../../src/core/remote/ssh-config';
import { iptablesAvailable, labHostKey, labSsh, OwnSshd, variant } from './lab-ssh';

/**
 * Faults, each a typed error within its deadline and no hang. The destructive ones use a throw-away sshd of our
 * own on port 2291 inside compute1's namespace; the lab's sshd is never touched.
 */
describe('ssh faults (integration)', function () {
  this.timeout(120_000);
  const lab = labSsh();
  const PORT = 2291;
  const own = new OwnSshd('compute1', '198.18.0.11', PORT);
  let tmp: string;
  let target: SshTarget;
  const pools: { dispose(): void }[] = [];
  const newPool = (o: Parameters<typeof lab.pool>[0] = {}) => {
    const p = lab.pool(o);
    pools.push(p.pool);
    return p;
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ost-faults-'));
    const k = labHostKey(lab.knownHosts, 'compute1');
    const kh = join(tmp, 'known_hosts');
    writeFileSync(kh, `[198.18.0.11]:${PORT} ${k.type} ${k.b64}\n`);
    target = variant(lab.resolver.resolve('compute1'), { port: PORT, knownHostsFiles: [kh], connectTimeoutMs: 8000, serverAliveIntervalMs: 1000, serverAliveCountMax: 2 }, 'own-sshd');
    target.alias = 'compute1:2291';
    await own.start();
  });
  after(() => {
    for (const p of pools) p.dispose();
    own.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function within<T>(ms: number, p: Promise<T>): Promise<{ elapsed: number; error?: TroubleshooterError; value?: T }> {
    const t0 = Date.now();
    try {
      const value = await p;
      return { elapsed: Date.now() - t0, value };
    } catch (e) {
      const elapsed = Date.now() - t0;
      assert.ok(elapsed <= ms, `took ${elapsed} ms, deadline ${ms} ms`);
      return { elapsed, error: e as TroubleshooterError };
    }
  }

  it('sshd killed mid-stream: ConnectionLost promptly, HostUnreachable while down, transparent reconnect after restart', async () => {
    const { pool, logger } = newPool();
    // our sshd runs in compute1's network namespace only (not its mount/UTS one): check the address it answered on
    const where = (await run(pool, target, textCommand(['sh', '-c', 'echo "$SSH_CONNECTION"']))).value;
    assert.match(where, new RegExp(` 198\\.18\\.0\\.11 ${PORT}\\n$`));
    const it = lines(pool, target, ['sh', '-c', 'while :; do echo tick; sleep 0.2; done']);
    assert.equal((await it.next()).value, 'tick');
    own.kill();
    try {
      const r = await within(8000, (async () => { for (;;) { const n = await it.next(); if (n.done) return; } })());
      // Killing sshd's process group kills the remote command too: the stream ends promptly either with the
      // transport gone (ConnectionLost) or, when the session still reported its child's death, SIGKILL's 137.
      const killed = r.error?.code === 'CommandFailed' && /exit code 137/.test(r.error.message);
      assert.ok(r.error?.code === 'ConnectionLost' || killed, r.error?.message ?? 'the stream did not end with an error');
      // while it is down: refused (or reset, when the dying sshd still accepted the connection)
      const down = await within(5000, run(pool, target, textCommand(['true'])));
      assert.ok(['HostUnreachable', 'ConnectionLost'].includes(down.error?.code ?? ''), down.error?.message);
      assert.match(down.error!.message, /"compute1:2291".*\((ECONNREFUSED|ECONNRESET)\)/);
    } finally {
      await own.start();
    }
    assert.equal((await run(pool, target, textCommand(['echo', 'back']))).value, 'back\n');
    assert.equal(logger.lines.filter((l) => /ssh connect compute1:2291 .*\[\d+ms\]$/.test(l)).length, 2, 'reconnected once');
  });

  it('follow mode outlives sshd dying: the drop is reported with its retry, and lines written after the restart arrive', async () => {
    // our sshd shares this machine's file system (only compute1's network namespace): the followed log is a temp file
    const dir = mkdtempSync(join(tmp, 'follow-'));
    const file = join(dir, 'nova-compute.log');
    writeFileSync(file, '');
    const id = `req-${randomUUID()}`;
    const line = (n: number) => `2026-11-26 10:00:0${n}.000 4242 INFO nova.compute.manager [None ${id} - - - - - -] step ${n}\n`;
    const { pool } = newPool({ resolve: () => ({ ...target }) });
    const ctrl = new AbortController();
    const events: FollowEvent[] = [];
    const got: string[] = [];
    const following = followLogs([{ runner: new PoolHostRunner(pool, 'compute1', 'compute1:2291'), dirs: [dir] }], [{ kind: 'request', value: id }], {
      signal: ctrl.signal,
      onEntries: (es) => got.push(...es.flatMap((e) => e.lines)),
      onEvent: (e) => events.push(e),
      backoff: { initialMs: 500, maxMs: 2000 },
      rescanSeconds: 0,
      flushAfterMs: 100,
    });
    const until = async (what: string, ok: () => boolean, ms = 15_000) => {
      const end = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; events ${JSON.stringify(events)}, lines ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const count = (t: FollowEvent['type']) => events.filter((e) => e.type === t).length;
    let down = false;
    try {
      await until('following', () => count('following') === 1);
      appendFileSync(file, line(1));
      await until('step 1', () => got.some((l) => l.endsWith('step 1')));
      own.kill();
      down = true;
      await until('the drop reported', () => count('host-error') >= 1);
      const drop = events.find((e) => e.type === 'host-error') as Extract<FollowEvent, { type: 'host-error' }>;
      assert.equal(drop.host, 'compute1');
      assert.ok(['ConnectionLost', 'CommandFailed', 'HostUnreachable'].includes(drop.code), drop.code);
      assert.ok(drop.retryInMs >= 500 && drop.retryInMs <= 2000, String(drop.retryInMs));
      await own.start();
      down = false;
      await until('following again after the restart', () => count('following') === 2, 30_000);
      appendFileSync(file, line(2));
      await until('step 2', () => got.some((l) => l.endsWith('step 2')));
      assert.deepEqual(got.filter((l) => l.includes(id)).map((l) => l.slice(-6)), ['step 1', 'step 2'], 'each line once');
    } finally {
      ctrl.abort();
      await following;
      if (down) await own.start();
    }
  });

  it('packets dropped by iptables in the host namespace: typed errors within the deadlines, keepalive notices, then recovery', async function () {
    if (!iptablesAvailable(own.netns)) this.skip();
    const { pool } = newPool({ operationTimeoutMs: 2000 });
    await run(pool, target, textCommand(['true']));
    const { pool: streamPool } = newPool();
    const ticks = lines(streamPool, target, ['sh', '-c', 'while :; do echo tick; sleep 0.2; done']);
    assert.equal((await ticks.next()).value, 'tick');
    const undo = own.dropPackets();
    try {
      // a command in flight: its 3 s deadline, or keepalive (1 s x 2) noticing the dead transport first
      const cmd = await within(4500, run(pool, target, { ...textCommand(['true']), timeoutMs: 3000 }));
      assert.ok(['Timeout', 'ConnectionLost'].includes(cmd.error?.code ?? ''), cmd.error?.message);
      // a stream that was flowing: keepalive ends it with ConnectionLost (no hang)
      const s = await within(6000, (async () => { for (;;) { const n = await ticks.next(); if (n.done) return; } })());
      assert.equal(s.error?.code, 'ConnectionLost', s.error?.message);
      // a new connection: the connect deadline
      const connect = await within(4000, run(newPool().pool, { ...target, connectTimeoutMs: 2000, key: `${target.key}#fresh` }, textCommand(['true'])));
      assert.equal(connect.error?.code, 'Timeout', connect.error?.message);
      assert.match(connect.error!.message, /did not finish within 2 s/);
    } finally {
      undo();
    }
    assert.equal((await run(pool, target, textCommand(['echo', 'recovered']))).value, 'recovered\n');
  });

  it('a server that accepts TCP but never speaks: Timeout within ConnectTimeout', async () => {
    const sockets: Socket[] = [];
    const server: NetServer = createServer((s) => { sockets.push(s); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const silent = variant(target, { hostName: '127.0.0.1', port, connectTimeoutMs: 1500 }, 'silent');
      silent.alias = 'silent';
      const r = await within(3000, run(newPool().pool, silent, textCommand(['true'])));
      assert.equal(r.error?.code, 'Timeout');
      assert.equal(r.error?.message, '"silent" accepted the connection but sent no SSH banner within 2 s (a frozen host or something that is not sshd).');
      assert.ok(r.elapsed >= 1400);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('an SSH server that authenticates but never answers a channel open: Timeout, the connection is evicted', async () => {
    const hostKey = utils.generateKeyPairSync('ed25519');
    const server = new SshServer({ hostKeys: [hostKey.private] }, (client) => {
      client.on('authentication', (ctx) => ctx.accept());
      client.on('error', () => undefined);
      client.on('session', () => { /* never accept nor reject */ });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const kh = join(tmp, 'kh-inproc');
    writeFileSync(kh, `[127.0.0.1]:${port} ${hostKey.public.split(' ').slice(0, 2).join(' ')}\n`);
    try {
      const t = variant(target, { hostName: '127.0.0.1', port, knownHostsFiles: [kh] }, 'inproc');
      t.alias = 'half-open';
      const { pool } = newPool({ operationTimeoutMs: 1500 });
      const r = await within(1500 + 5000, run(pool, t, textCommand(['true']))); // + handshake time on a busy machine
      assert.equal(r.error?.code, 'Timeout');
      assert.match(r.error!.message, /Opening a channel on "half-open" did not finish within 2 s/);
      assert.equal(pool.size, 0, 'evicted');
    } finally {
      server.close();
    }
  });

  it('a login shell that cannot host a shell worker (ForceCommand): commands still run, one channel each', async () => {
    const restricted = new OwnSshd('compute1', '198.18.0.11', 2293, [
      `ForceCommand /bin/sh -c 'case "$SSH_ORIGINAL_COMMAND" in "exec sh") echo restricted >&2; sleep 60;; *) exec /bin/sh -c "$SSH_ORIGINAL_COMMAND";; esac'`,
    ]);
    await restricted.start();
    try {
      const k = labHostKey(lab.knownHosts, 'compute1');
      const kh = join(tmp, 'kh-restricted');
      writeFileSync(kh, `[198.18.0.11]:2293 ${k.type} ${k.b64}\n`);
      const t = variant(target, { port: 2293, knownHostsFiles: [kh] }, 'restricted');
      t.alias = 'restricted';
      const { pool, logger } = newPool({ operationTimeoutMs: 3000 });
      const first = await within(20_000, run(pool, t, textCommand(['echo', 'hi'])));
      assert.equal(first.value?.value, 'hi\n');
      assert.equal((await run(pool, t, textCommand(['echo', 'again']))).value, 'again\n');
      assert.ok(logger.lines.some((l) => /restricted: no shell worker .*using a channel per command/.test(l)));
    } finally {
      restricted.stop();
    }
  });
});
