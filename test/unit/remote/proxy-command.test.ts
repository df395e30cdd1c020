import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Server, type Connection } from 'ssh2';
import { isTroubleshooterError } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';
import { textCommand } from '../../../src/core/remote/command';
import { run } from '../../../src/core/remote/exec';
import { SshPool } from '../../../src/core/remote/pool';
import { expandProxyCommand } from '../../../src/core/remote/proxy-command';
import { SshConfigResolver } from '../../../src/core/remote/ssh-config';

/**
 * ProxyCommand as the pool's transport: the user's command run by the shell as `exec <command>`, its stdio carrying
 * the SSH session. The far end is an in-process ssh2.Server on 127.0.0.1 that runs each exec with the real `sh`
 * (reached through `nc`, as a bastion's ProxyCommand would); the failures are real processes that exit or hang.
 */
describe('ssh: ProxyCommand as the transport', function () {
  this.timeout(30_000);
  let dir: string;
  let port: number;
  let server: Server;
  const clients: Connection[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ost-proxycmd-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
    server = new Server({ hostKeys: [readFileSync(join(dir, 'host'))] }, (client) => {
      clients.push(client);
      client.on('error', () => {});
      client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      client.on('ready', () => {
        client.on('session', (accept) => {
          const session = accept();
          session.on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            const p = spawn('sh', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] });
            stream.pipe(p.stdin).on('error', () => {});
            p.stdout.pipe(stream, { end: false });
            p.stderr.pipe(stream.stderr, { end: false });
            p.on('close', (code) => {
              stream.exit(code ?? 1);
              stream.end();
            });
          });
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    for (const c of clients) c.end();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function pool(proxyCommand: string, connectTimeout = 5): { pool: SshPool; log: MemoryLogger } {
    const resolver = new SshConfigResolver({
      text: `Host viaproxy\n  HostName 127.0.0.1\n  Port ${port}\n  User ops\n  ConnectTimeout ${connectTimeout}\n  IdentityFile ${join(dir, 'id')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  StrictHostKeyChecking accept-new\n  ProxyCommand ${proxyCommand}\n`,
      home: dir,
      env: {},
      localUser: 'ops',
    });
    const log = new MemoryLogger();
    return { pool: new SshPool({ resolve: (a) => resolver.resolve(a), logger: log, shellWorkers: 0 }), log };
  }

  it('runs a command through `nc %h %p` (the tokens expanded, the shell execs it)', async () => {
    const { pool: p, log } = pool('nc %h %p');
    try {
      const r = await run(p, 'viaproxy', textCommand(['echo', 'through the proxy']));
      assert.equal(r.stdout, 'through the proxy\n');
      assert.ok(log.lines.some((l) => l.includes('via ProxyCommand')), log.lines.join('\n'));
    } finally {
      p.dispose();
    }
  });

  it('a ProxyCommand that fails: HostUnreachable with its exit code and stderr', async () => {
    const { pool: p } = pool(`sh -c 'echo "bastion: no route to %h" >&2; exit 3'`);
    try {
      await assert.rejects(run(p, 'viaproxy', textCommand(['true'])), (e) =>
        isTroubleshooterError(e, 'HostUnreachable') && /exit code 3/.test(e.message) && /no route to 127\.0\.0\.1/.test(e.message));
    } finally {
      p.dispose();
    }
  });

  it('a ProxyCommand that hangs: the connect deadline ends it, and its process', async () => {
    const pidFile = join(dir, 'hang.pid');
    const { pool: p } = pool(`sh -c 'echo $$ > ${pidFile}; exec sleep 30'`, 1);
    const t0 = Date.now();
    try {
      await assert.rejects(run(p, 'viaproxy', textCommand(['true'])), (e) => isTroubleshooterError(e, 'Timeout'));
      assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!existsSync(`/proc/${pid}`) || /^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x')), 'the proxy process was ended');
    } finally {
      p.dispose();
    }
  });

  it('a cancelled caller gets Cancelled at once; disposing the pool ends the ProxyCommand', async () => {
    const pidFile = join(dir, 'cancel.pid');
    const { pool: p } = pool(`sh -c 'echo $$ > ${pidFile}; exec sleep 30'`, 20);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    try {
      await assert.rejects(run(p, 'viaproxy', textCommand(['true']), { signal: ac.signal }), (e) => isTroubleshooterError(e, 'Cancelled'));
      assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
    } finally {
      p.dispose();
    }
    await new Promise((r) => setTimeout(r, 300));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(!existsSync(`/proc/${pid}`) || /^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x')), 'the proxy process was ended with the pool');
  });

  it('refuses to paste a host or user name a shell would interpret', () => {
    const t = { alias: 'x', hostName: 'a;touch /tmp/pwned', port: 22, user: 'ops', proxyCommand: 'nc %h %p' };
    assert.throws(() => expandProxyCommand(t, {}), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.throws(() => expandProxyCommand({ ...t, hostName: 'ok', user: '$(id)', proxyCommand: 'ssh -l %r -W %h:%p gw' }, {}), (e) => isTroubleshooterError(e, 'InvalidInput'));
    assert.equal(expandProxyCommand({ ...t, hostName: 'compute-1.lab', proxyCommand: 'ssh -W [%h]:%p -l %r gw %% ${GW}' }, { GW: 'g' }), 'ssh -W [compute-1.lab]:22 -l ops gw % g');
    assert.throws(() => expandProxyCommand({ ...t, hostName: 'ok', proxyCommand: 'nc %u' }, {}), (e) => isTroubleshooterError(e, 'ConfigInvalid'), 'ssh refuses %u there too');
  });
});
