import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server, type Connection } from 'ssh2';
import { isTroubleshooterError } from '../../src/core/errors';
import { verifyHostKey } from '../../src/core/remote/known-hosts';
import { SshConfigResolver } from '../../src/core/remote/ssh-config';
import { LOCAL_USER, cleanTempDirs, newPublicKey, sshConnectOnceAsync, sshIsolationProblem, tempDir, writeFiles } from './support/tools';

/**
 * Host key decisions end to end: the real `ssh` connects (through `ProxyCommand nc`) to an SSH server whose host key
 * we hold, with a known_hosts file and a config the case writes (StrictHostKeyChecking yes, BatchMode), and says
 * whether it accepts the key (it then goes on to authentication, which the server refuses), finds it revoked, changed,
 * or unknown. Our `verifyHostKey`, given the target our resolver makes of the same config and the same key, must
 * decide the same: the name looked up (`host` or `[host]:port`, lowercased, HostKeyAlias), which lines count.
 */

interface Case {
  name: string;
  /** The Host block's body (HostName, Port, HostKeyAlias…); ProxyCommand, known_hosts files and strictness are added. */
  block: string;
  /** known_hosts lines; K is the server's key, K2 another ed25519 key, E an ecdsa key. */
  knownHosts: string[];
  /** Lines for the GlobalKnownHostsFile (default none). */
  globalKnownHosts?: string[];
}

const CASES: Case[] = [
  { name: 'a plain line with the key', block: 'HostName h1.example', knownHosts: ['h1.example K'] },
  { name: 'a line with another key of the same type: changed', block: 'HostName h1.example', knownHosts: ['h1.example K2'] },
  { name: '@revoked for another host does not touch this one', block: 'HostName h1.example', knownHosts: ['@revoked other.example K', 'h1.example K'] },
  { name: '@revoked * revokes the key everywhere', block: 'HostName h1.example', knownHosts: ['@revoked * K', 'h1.example K'] },
  { name: '@revoked for this host', block: 'HostName h1.example', knownHosts: ['@revoked h1.example K'] },
  { name: 'a non-22 port is looked up as [host]:port', block: 'HostName h1.example\n  Port 2222', knownHosts: ['[h1.example]:2222 K'] },
  { name: 'a non-22 port: the same key under the bare host name is accepted', block: 'HostName h1.example\n  Port 2222', knownHosts: ['h1.example K'] },
  { name: 'a non-22 port: another key under the bare host name is not a changed key', block: 'HostName h1.example\n  Port 2222', knownHosts: ['h1.example K2'] },
  { name: 'a non-22 port: the [host]:port line decides before the bare one', block: 'HostName h1.example\n  Port 2222', knownHosts: ['[h1.example]:2222 K2', 'h1.example K'] },
  { name: 'HostKeyAlias: no bare-name fallback', block: 'HostName h1.example\n  Port 2222\n  HostKeyAlias alias.example', knownHosts: ['h1.example K'] },
  { name: 'HostKeyAlias is the name looked up', block: 'HostName h1.example\n  Port 2222\n  HostKeyAlias alias.example', knownHosts: ['alias.example K'] },
  { name: 'a hashed line for [host]:port', block: 'HostName h2.example\n  Port 2200', knownHosts: ['HASH([h2.example]:2200) K'] },
  { name: 'a wildcard pattern', block: 'HostName a.wild.example', knownHosts: ['*.wild.example K'] },
  { name: 'a negated pattern excludes the host', block: 'HostName a.wild.example', knownHosts: ['*.wild.example,!a.wild.example K'] },
  { name: 'only a key of another type is known: changed', block: 'HostName h1.example', knownHosts: ['h1.example E'] },
  { name: 'keys of both types known, the other one matches', block: 'HostName h1.example', knownHosts: ['h1.example E', 'h1.example K'] },
  { name: 'a HostName in capitals is looked up lowercased', block: 'HostName H1.Example', knownHosts: ['h1.example K'] },
  { name: 'the key in the GlobalKnownHostsFile', block: 'HostName h1.example', knownHosts: [], globalKnownHosts: ['h1.example K'] },
  { name: '@cert-authority alone does not make a plain key known', block: 'HostName h1.example', knownHosts: ['@cert-authority *.example K'] },
  { name: 'an IP address as HostName', block: 'HostName 192.0.2.7', knownHosts: ['192.0.2.7 K'] },
];

describe('differential: host key decisions against OpenSSH (ssh connecting)', function () {
  this.timeout(60_000);
  let dir: string;
  let port: number;
  let server: Server;
  const clients: Connection[] = [];
  const keys: Record<string, { type: string; b64: string }> = {};

  before(async function () {
    const why = sshIsolationProblem();
    if (why) throw new Error(`The differential tier needs OpenSSH run with a private home: ${why}.`);
    dir = tempDir('hostkeys');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'server')]);
    keys.K = (([t, b]) => ({ type: t, b64: b }))(readFileSync(join(dir, 'server.pub'), 'utf8').trim().split(/\s+/));
    keys.K2 = newPublicKey(dir, 'ed25519', 'other');
    keys.E = newPublicKey(dir, 'ecdsa', 'ecdsa');
    server = new Server({ hostKeys: [readFileSync(join(dir, 'server'))] }, (client) => {
      clients.push(client);
      client.on('error', () => {});
      client.on('authentication', (ctx) => ctx.reject(['publickey']));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    for (const c of clients) c.end();
    server?.close();
    cleanTempDirs();
  });

  /** A known_hosts line with K/K2/E replaced by keys and HASH(name) by the hash ssh-keygen -H makes. */
  function line(spec: string, home: string): string {
    let s = spec.replace(/\b(K2|K|E)$/, (k) => `${keys[k].type} ${keys[k].b64}`);
    const h = /^HASH\(([^)]+)\) (.*)$/.exec(s);
    if (h) {
      const f = join(home, 'tohash');
      writeFileSync(f, `${h[1]} ${h[2]}\n`);
      execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
      s = readFileSync(f, 'utf8').trim();
    }
    return s;
  }

  /** What ssh said about the host key. */
  function sshVerdict(stderr: string): string {
    if (/REVOKED HOST KEY|revoked/i.test(stderr)) return 'HostKeyRevoked';
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) return 'HostKeyMismatch';
    if (/Permission denied|Authentications that can continue/.test(stderr)) return 'known';
    if (/Host key verification failed|No \S+ host key is known/.test(stderr)) return 'HostKeyUnknown';
    return `unclear: ${stderr.trim().split('\n').slice(-3).join(' / ')}`;
  }

  for (const c of CASES) {
    it(c.name, async () => {
      const home = tempDir('hk');
      const kh = join(home, 'known_hosts');
      const gkh = join(home, 'global_known_hosts');
      writeFiles(home, { '.ssh/.keep': '' });
      writeFileSync(kh, c.knownHosts.map((l) => `${line(l, home)}\n`).join(''));
      writeFileSync(gkh, (c.globalKnownHosts ?? []).map((l) => `${line(l, home)}\n`).join(''));
      const config = `Host target\n  ${c.block}\n  User nobody\n  ProxyCommand nc 127.0.0.1 ${port}\n  UserKnownHostsFile ${kh}\n  GlobalKnownHostsFile ${gkh}\n  StrictHostKeyChecking yes\n  IdentityFile ${join(home, 'no-such-key')}\n  IdentitiesOnly yes\n`;
      const file = join(home, 'config');
      writeFileSync(file, config);
      const ssh = sshVerdict((await sshConnectOnceAsync(file, 'target', home)).stderr);

      const t = new SshConfigResolver({ configFile: file, home, env: {}, localUser: LOCAL_USER }).resolve('target');
      let ours: string;
      try {
        ours = (await verifyHostKey(t, Buffer.from(keys.K.b64, 'base64'))).status;
      } catch (e) {
        ours = isTroubleshooterError(e) ? e.code : String(e);
      }
      assert.equal(ours, ssh);
    });
  }
});
